"""AppTest: the class's state on the pages. A student's prediction is submitted once and changeable
until the teacher reveals it; the teacher presents, sees the poll and reveals; a student page follows
the presenting teacher, can leave and rejoin; a broken class database gives one message on the
teacher's panel while the lessons keep working; only the key session acts; text is shown as text."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.helpers import unlocked_panel
from wgan_core.classroom import open_store

KEY = "correct horse battery staple"


@pytest.fixture
def class_db(tmp_path, monkeypatch):
    """A fresh class database for the test, as the app opens it (``WGAN_CLASS_DB``)."""
    path = tmp_path / "class.sqlite3"
    monkeypatch.setenv("WGAN_CLASS_DB", str(path))
    return open_store(path)


def teacher(app_test) -> AppTest:
    return unlocked_panel(app_test, KEY)


def student_of(at: AppTest) -> str:
    return at.session_state["class.student"]


def test_a_prediction_is_submitted_once_changed_and_closed_at_the_reveal(app_test, class_db):
    at = app_test("nash")
    assert at.button(key="nash.ex2.submit").disabled  # nothing picked yet
    at.radio(key="nash.ex2.guess").set_value("Both spiral outward").run()
    at.button(key="nash.ex2.submit").click().run()
    at.radio(key="nash.ex2.guess").set_value("Only alternating moves").run()
    at.button(key="nash.ex2.submit").click().run()
    at.text_input(key="nash.ex1.guess").input("it grows").run()
    at.button(key="nash.ex1.submit").click().run()
    assert not at.exception
    answers = class_db.answers("nash")
    assert [(a.exercise, a.choice, a.text) for a in answers] == [(2, "Only alternating moves", None),
                                                                   (1, None, "it grows")]
    assert {a.student for a in answers} == {student_of(at)}
    class_db.reveal("nash", 2)
    at.run()
    assert not any(b.key == "nash.ex2.submit" for b in at.button) and at.radio(key="nash.ex2.guess").disabled
    assert any("Not quite" in m.value and "Both stay at (0, 0)" in m.value for m in at.markdown)


def test_a_right_pick_says_right_after_the_reveal(app_test, class_db):
    at = app_test("nash", run=False)
    at.run()
    class_db.submit_answer(student_of(at), "nash", 2, choice="Both stay at (0, 0)")
    class_db.reveal("nash", 2)
    at.run()
    assert at.radio(key="nash.ex2.guess").value == "Both stay at (0, 0)"  # the stored prediction comes back
    assert any("Right." in m.value for m in at.markdown)


def test_the_teacher_presents_sees_the_poll_and_reveals(app_test, class_db):
    at = teacher(app_test)
    assert class_db.presentation() is None
    at.button(key="teacher.start_presenting").click().run()
    pres = class_db.presentation()
    assert pres is not None and pres.presenter == student_of(at) and pres.slug == ""
    class_db.move(pres.presenter, "nash", {"eta": "0.2"})
    class_db.submit_answer("s1", "nash", 2, choice="Both stay at (0, 0)")
    class_db.submit_answer("s2", "nash", 2, choice="Both spiral outward")
    class_db.submit_answer("s1", "nash", 1, text="it doubles")
    at.run()
    cells = [m.value for m in at.markdown]
    assert "**2 answers**" in cells and "**1 answer**" in cells
    assert [t.value for t in at.text] == ["it doubles"]
    at.button(key="teacher.reveal.nash.2").click().run()
    assert class_db.revealed("nash") == {2}
    assert not any(b.key == "teacher.reveal.nash.2" for b in at.button)
    at.button(key="teacher.stop_presenting").click().run()
    assert class_db.presentation() is None


def test_a_student_page_follows_the_teacher_and_can_leave_and_rejoin(class_db):
    class_db.start_presenting("the teacher's session", "nash", {"eta": "0.2", "steps": "60"})
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=120).run()
    assert not at.exception
    assert at.title[0].value == "Hard to reach a Nash equilibrium"
    assert any(i.value == "Following the teacher: Hard to reach a Nash equilibrium" for i in at.info)
    assert at.session_state["nash.eta"] == pytest.approx(0.2)
    at.button(key="class.follow_toggle").click().run()  # Leave
    assert any("Not following the teacher" in i.value for i in at.info)
    class_db.move("the teacher's session", "distances", {})
    at.run()
    assert at.title[0].value == "Hard to reach a Nash equilibrium"  # stays: it left
    at.button(key="class.follow_toggle").click().run()  # Rejoin
    assert at.title[0].value == "Measuring the distance between distributions"
    assert any(i.value.startswith("Following the teacher") for i in at.info)
    class_db.stop_presenting()
    at.run()
    assert not any("teacher" in i.value for i in at.info)


def test_a_corrupt_database_gives_one_message_and_the_lessons_go_on(app_test, tmp_path, monkeypatch):
    path = tmp_path / "class.sqlite3"
    path.write_bytes(b"not a database at all " * 500)
    monkeypatch.setenv("WGAN_CLASS_DB", str(path))
    at = teacher(app_test)
    errors = [e.value.replace("\\", "") for e in at.error]  # shown Markdown-escaped
    assert len(errors) == 1 and "class.sqlite3" in errors[0] and "not a database" in errors[0]
    assert not any(b.key == "teacher.start_presenting" for b in at.button)
    assert any(b.key == "teacher.stop_all" for b in at.button)  # the live-run controls still work
    page = app_test("nash")
    assert not page.exception and not any(b.key == "nash.ex2.submit" for b in page.button)
    page.radio(key="nash.ex2.guess").set_value("Both stay at (0, 0)").run()
    page.toggle(key="nash.ex2.reveal").set_value(True).run()  # the exercise works as it does alone
    assert page.success and any("Right." in m.value for m in page.markdown)



def test_a_ray_cluster_that_cannot_be_reached_gives_the_panel_one_message_for_the_class(app_test, tmp_path,
                                                                                         monkeypatch):
    """With ``WGAN_RAY_ADDRESS`` the class is kept by the cluster: when it does not answer, the panel says
    so once for the class and once for the live runs, and the lessons go on."""
    from wgan_core.live import registry as registry_module

    monkeypatch.setenv("WGAN_RAY_ADDRESS", "127.0.0.1:9")  # loopback, where nothing listens
    monkeypatch.setenv("WGAN_CLASS_DB", str(tmp_path / "unused.sqlite3"))  # a new setting: the store is chosen anew
    monkeypatch.setattr(registry_module, "_default", None)  # so is the app's registry
    at = teacher(app_test)
    errors = [e.value.replace("\\", "") for e in at.error]  # shown Markdown-escaped
    assert len(errors) == 2 and all("cannot reach the Ray cluster at 127.0.0.1:9" in e for e in errors)
    assert errors[0].startswith("The class store is kept on the Ray cluster") and "Live training is off" in errors[1]
    assert not any(b.key == "teacher.start_presenting" for b in at.button)
    assert not (tmp_path / "unused.sqlite3").exists()  # the class is the cluster's, never this server's file
    page = app_test("nash")
    assert not page.exception and not any(b.key == "nash.ex2.submit" for b in page.button)

def test_wrong_teacher_keys_are_rate_limited(app_test, class_db, monkeypatch):
    from app import classroom
    from wgan_core.classroom import RateLimiter

    monkeypatch.setattr(classroom, "KEY_TRIES", RateLimiter(burst=2, per_s=3600.0))
    at = app_test("teacher", timeout=60, run=False)
    at.secrets["teacher_key"] = KEY
    at.run()
    said = []
    for entered in ("guess one", "guess two", "guess three", KEY):
        at.text_input(key="teacher.key").input(entered)
        at.button[0].click().run()
        said.append(at.error[0].value if at.error else None)
    assert said[:2] == ["That is not the teacher key."] * 2
    assert said[2].startswith("Too many wrong keys") and said[3].startswith("Too many wrong keys")
    assert not any(b.key == "teacher.start_presenting" for b in at.button)  # even the right key waits


def test_a_student_cannot_act_as_the_teacher(app_test, class_db):
    """Crafted URL parameters and widget keys on a student's page do not present, reveal or stop."""
    from app import classroom

    at = app_test("nash", {"teacher.unlocked": "1", "class.presenting": "1", "teacher_key": KEY})
    assert not at.exception and "teacher.unlocked" not in at.session_state
    assert class_db.presentation() is None and class_db.revealed("nash") == frozenset()
    page = app_test("teacher", {"teacher.unlocked": "1"}, timeout=60, run=False)
    page.secrets["teacher_key"] = KEY
    page.run()
    assert not any(b.key in ("teacher.start_presenting", "teacher.stop_all") for b in page.button)
    with pytest.raises(PermissionError):
        classroom.require_teacher()


EVIL = "[click](http://evil.example) **bold** <b>x</b> <img src=x onerror=alert(1)> www.evil.example a@evil.example"


def test_text_answers_are_shown_as_plain_text_on_the_panel(app_test, class_db):
    at = teacher(app_test)
    at.button(key="teacher.start_presenting").click().run()
    class_db.move(student_of(at), "nash", {})
    class_db.submit_answer("s1", "nash", 1, text=EVIL)
    at.run()
    assert [t.value for t in at.text] == [EVIL]  # st.text: no Markdown, HTML or autolink
    shown = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    assert not any("evil.example" in v for v in shown)
