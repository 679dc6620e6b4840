"""AppTest: the teacher's panel is off without a teacher key, asks for the key when one is set, and then
lists every live job (lesson, status, steps, age, client) with a Stop button each; a student's second
tab is told which lesson holds their live run and can stop it there."""

from __future__ import annotations

import functools

import pytest

from wgan_core.config import preset
from wgan_core.live import REGISTRY, Job
from wgan_core.trainer import Trainer


def tiny_members(seed: int = 0, *, device: str) -> dict:
    return {"wgan": Trainer(preset("toy-wgan", seed=seed, width=16, depth=2, batch_size=32, eval_samples=64,
                                   device=device))}


@pytest.fixture
def job_of_a_student():
    """A job in the app's registry, as a student's page makes it (not started: no worker needed)."""
    job = Job(functools.partial(tiny_members), label="clipping_vs_gp", client="10.1.2.3")
    yield job
    job.stop()


def test_without_a_teacher_key_the_panel_says_how_to_turn_it_on(app_test, job_of_a_student):
    at = app_test("teacher", timeout=60)
    assert not at.exception
    assert any("secrets.toml" in i.value and "teacher_key" in i.value for i in at.info)
    assert not at.text_input and not any(b.label == "Stop" for b in at.button)  # nothing of the jobs shown


def test_with_a_teacher_key_the_panel_lists_the_jobs_and_stops_one(app_test, job_of_a_student):
    at = app_test("teacher", timeout=60, run=False)
    at.secrets["teacher_key"] = "correct horse battery staple"
    at.run()
    assert not at.exception and not any(b.label == "Stop" for b in at.button)
    at.text_input(key="teacher.key").input("wrong guess")
    at.button[0].click().run()
    assert any("not the teacher key" in e.value for e in at.error)
    assert not any(b.label == "Stop" for b in at.button)
    at.text_input(key="teacher.key").input("correct horse battery staple")
    at.button[0].click().run()
    assert not at.exception
    cells = [m.value for m in at.markdown]
    assert "Weight clipping vs gradient penalty" in cells and "10.1.2.3" in cells
    assert any(c.startswith("new") for c in cells)  # its status
    labels = [m.label for m in at.metric]
    assert {"CPU jobs training", "GPU jobs training", "Queued", "Live jobs per student"} <= set(labels)
    assert next(m.value for m in at.metric if m.label == "CPU jobs training").endswith(f"of {REGISTRY.max_jobs}")
    at.button(key=f"teacher.stop.{job_of_a_student.id}").click().run()
    assert job_of_a_student.status == "stopped" and job_of_a_student.stop_reason == "stopped by the teacher"
    at.run()  # an unlocked session stays unlocked, and the stopped job has left the list
    assert "10.1.2.3" not in [m.value for m in at.markdown]


def test_a_second_tab_of_the_same_student_says_which_lesson_holds_the_run(app_test, monkeypatch):
    monkeypatch.setattr(REGISTRY, "jobs_per_client", 1)
    holder = Job(functools.partial(tiny_members), label="clipping_vs_gp", client="localhost")  # AppTest's client
    try:
        at = app_test("mode_collapse")
        assert not at.exception
        assert any("already have a live run in **Weight clipping vs gradient penalty**" in w.value for w in at.warning)
        assert at.button(key="mode_collapse.live.start").disabled and at.button(key="mode_collapse.live.step").disabled
        at.button(key="mode_collapse.live.stop_other").click().run()
        assert holder.status == "stopped"
        assert not any("already have a live run" in w.value for w in at.warning)
        assert not at.button(key="mode_collapse.live.start").disabled
    finally:
        holder.stop()


def test_the_client_is_the_connection_and_the_forwarded_address_counts_only_when_trusted(monkeypatch):
    from app import live_slots

    class Context:
        ip_address = "10.0.0.1"  # the proxy, as the server sees the connection
        headers = {"X-Forwarded-For": "6.6.6.6, 10.9.8.7"}  # what the browser sent, then what the proxy added

    monkeypatch.setattr(live_slots.st, "context", Context())
    monkeypatch.delenv("WGAN_TRUST_FORWARDED", raising=False)
    assert live_slots.client_address() == "10.0.0.1"  # a header anyone can send is ignored by default
    monkeypatch.setenv("WGAN_TRUST_FORWARDED", "1")
    assert live_slots.client_address() == "10.9.8.7"  # the proxy's entry, never the browser's own claim
    Context.ip_address, Context.headers = None, {}
    assert live_slots.client_address() == "localhost"
    monkeypatch.setenv("WGAN_TRUST_FORWARDED", "maybe")
    with pytest.raises(ValueError, match="WGAN_TRUST_FORWARDED"):
        live_slots.client_address()
