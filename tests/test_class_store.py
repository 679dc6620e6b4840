"""The class store on a real SQLite file: the interface holds, state survives a restart (a new process
opening the same file), 30 writers at once lose nothing, and a corrupt or unwritable file gives one
clear error naming the file."""

from __future__ import annotations

import ast
import os
import sqlite3
import subprocess
import sys
import threading

import pytest

from tests.conftest import ROOT
from wgan_core.classroom import (
    ClassStore,
    ClassStoreError,
    PredictionsClosed,
    RateLimiter,
    SQLiteClassStore,
    default_path,
    open_store,
)
from wgan_core.classroom.sqlite import MIGRATIONS


@pytest.fixture
def store(tmp_path):
    return open_store(tmp_path / "class.sqlite3")


def test_the_sqlite_store_satisfies_the_interface_and_starts_empty(store):
    assert isinstance(store, ClassStore)
    assert store.presentation() is None and store.answers("nash") == [] and store.board("nash") == []
    assert store.revealed("nash") == frozenset() and store.students_by_lesson() == {}
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_the_path_is_in_the_runs_directory_unless_wgan_class_db_moves_it(monkeypatch, tmp_path):
    monkeypatch.delenv("WGAN_CLASS_DB", raising=False)
    monkeypatch.setenv("WGAN_RUNS_DIR", str(tmp_path / "runs"))
    assert default_path() == tmp_path / "runs" / "classroom.sqlite3"
    monkeypatch.setenv("WGAN_CLASS_DB", str(tmp_path / "elsewhere" / "c.db"))
    assert default_path() == tmp_path / "elsewhere" / "c.db"
    assert open_store().path == tmp_path / "elsewhere" / "c.db"


def test_presenting_moves_only_for_the_presenter_and_counts_versions(store):
    first = store.start_presenting("teacher", "nash", {"eta": "0.1"})
    assert (first.slug, first.query, first.version) == ("nash", {"eta": "0.1"}, 1)
    assert store.move("teacher", "nash", {"eta": "0.1"}).version == 1  # the same lesson and values: no move
    assert store.move("teacher", "nash", {"eta": "0.2"}).version == 2
    assert store.move("a student", "distances", {}) is None  # not the presenter: nothing changes
    assert store.presentation().query == {"eta": "0.2"}
    store.stop_presenting()
    assert store.presentation() is None and store.move("teacher", "nash", {}) is None


def test_an_answer_is_one_per_student_and_exercise_and_closes_at_the_reveal(store):
    store.submit_answer("s1", "nash", 1, choice="A")
    store.submit_answer("s1", "nash", 1, choice="B")  # changed before the reveal
    store.submit_answer("s2", "nash", 1, text="it spirals")
    assert [(a.student, a.choice, a.text) for a in store.answers("nash")] == [("s1", "B", None),
                                                                              ("s2", None, "it spirals")]
    store.reveal("nash", 1)
    store.reveal("nash", 1)  # twice is once
    assert store.revealed("nash") == {1}
    with pytest.raises(PredictionsClosed):
        store.submit_answer("s1", "nash", 1, choice="C")
    assert store.answer_of("s1", "nash", 1).choice == "B"
    store.submit_answer("s1", "nash", 2, choice="C")  # another exercise is still open
    with pytest.raises(ValueError, match="at most 500"):
        store.submit_answer("s1", "nash", 3, text="x" * 501)
    with pytest.raises(ValueError, match="not empty"):
        store.submit_answer("s1", "nash", 3, text="   ")
    store.clear_answers("nash")
    assert store.answers("nash") == [] and store.revealed("nash") == frozenset()


def test_text_is_stored_verbatim_never_as_sql(store):
    evil = "x'); DROP TABLE answers; --"
    store.submit_answer(evil, evil, 1, text=evil)
    assert store.answers(evil)[0].text == evil and store.answers("nash") == []


def test_boards_hold_runs_per_lesson_with_nan_as_null_and_clear(store):
    first = store.post_run("clipping_vs_gp", "s1", {"method": "wgan", "clip_value": 0.01}, {"w1_exact": float("nan")})
    store.post_run("clipping_vs_gp", "s2", {"method": "wgan-gp"}, {"w1_exact": 0.2})
    store.post_run("images", "s1", {"method": "gan"}, {})
    runs = store.board("clipping_vs_gp")
    assert [r.id for r in runs][0] == first and [r.student for r in runs] == ["s1", "s2"]
    assert runs[0].measured == {"w1_exact": None} and runs[1].settings == {"method": "wgan-gp"}
    store.clear_board("clipping_vs_gp")
    assert store.board("clipping_vs_gp") == [] and len(store.board("images")) == 1


def test_presence_counts_sessions_seen_recently(store):
    store.seen("s1", "nash")
    store.seen("s2", "nash")
    store.seen("s3", "distances")
    store.seen("s1", "distances")  # moved
    assert store.students_by_lesson() == {"nash": 1, "distances": 2}
    assert store.students_by_lesson(within_s=-1.0) == {}


#: What a fresh process reads back from the store at ``sys.argv[1]`` (printed as a repr).
READ_BACK = """
import sys
from wgan_core.classroom import open_store
s = open_store(sys.argv[1])
p = s.presentation()
print(repr((p.slug, p.query, [a.choice for a in s.answers("nash")], sorted(s.revealed("nash")),
            [r.measured for r in s.board("images")])))
"""


def _python(code: str, *args: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter (a restarted server, another server process)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_everything_survives_a_restart(tmp_path):
    path = tmp_path / "class.sqlite3"
    store = open_store(path)
    store.start_presenting("teacher", "nash", {"eta": "0.3"})
    store.submit_answer("s1", "nash", 1, choice="A")
    store.reveal("nash", 1)
    store.post_run("images", "s1", {"method": "wgan"}, {"classes": 7})
    done = _python(READ_BACK, str(path))
    assert done.returncode == 0, done.stderr[-2000:]
    assert ast.literal_eval(done.stdout.strip()) == ("nash", {"eta": "0.3"}, ["A"], [1], [{"classes": 7}])


def _answer_many(path, student, n):
    s = open_store(path)
    for k in range(1, n + 1):
        s.submit_answer(student, "nash", k, text=f"{student} answer {k}")
        s.seen(student, "nash")


def test_thirty_writers_at_once_lose_nothing(tmp_path):
    path = tmp_path / "class.sqlite3"
    store = open_store(path)
    threads = [threading.Thread(target=_answer_many, args=(path, f"t{i}", 5)) for i in range(20)]
    code = "import sys; from tests.test_class_store import _answer_many; _answer_many(sys.argv[1], sys.argv[2], 5)"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path), f"p{i}"], cwd=ROOT, env=env,
                              stderr=subprocess.PIPE, text=True) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-2000:]
    answers = store.answers("nash")
    assert len(answers) == 30 * 5
    assert {(a.student, a.exercise) for a in answers} == {(f"{k}{i}", e) for k, n in (("t", 20), ("p", 10))
                                                           for i in range(n) for e in range(1, 6)}
    assert store.students_by_lesson(within_s=3600.0) == {"nash": 30}


def test_a_corrupt_file_gives_one_clear_error(tmp_path):
    path = tmp_path / "class.sqlite3"
    path.write_bytes(b"this is not a database, it is a shopping list\n" * 200)
    with pytest.raises(ClassStoreError, match=r"class\.sqlite3 cannot be used .*not a database"):
        open_store(path)


def test_a_store_that_breaks_later_raises_the_same_error(tmp_path):
    path = tmp_path / "class.sqlite3"
    store = SQLiteClassStore(path)
    store.submit_answer("s1", "nash", 1, choice="A")
    store._forget_connection()
    for suffix in ("", "-wal", "-shm"):
        p = path.with_name(path.name + suffix)
        if p.exists():
            p.write_bytes(b"\x00garbage" * 4096)
    with pytest.raises(ClassStoreError, match="cannot be used"):
        store.answers("nash")


def test_an_unwritable_place_gives_one_clear_error(tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_text("not a directory")
    with pytest.raises(ClassStoreError, match="cannot be created"):
        open_store(blocker / "class.sqlite3")


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "class.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(ClassStoreError, match="newer than this program"):
        open_store(path)


def test_the_rate_limiter_refills_and_forgets_the_oldest_key():
    now = [0.0]
    limit = RateLimiter(burst=2, per_s=10.0, max_keys=2, clock=lambda: now[0])
    assert [limit.allow("a") for _ in range(3)] == [True, True, False]
    assert limit.wait_s("a") == pytest.approx(10.0)
    now[0] = 10.0
    assert limit.allow("a") and not limit.allow("a")
    limit.allow("b")
    limit.allow("c")  # "a" is forgotten: a fresh bucket
    assert limit.allow("a")
    with pytest.raises(ValueError, match="burst"):
        RateLimiter(burst=0, per_s=1.0)
