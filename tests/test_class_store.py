"""The class store's contract, run against both stores: the SQLite file (here) and the store a Ray
cluster keeps (inside a private network namespace). The interface holds, the state survives a restart
(a new process reads it back), and 30 writers at once lose nothing.

The SQLite file alone: a corrupt or unwritable file gives one clear error naming the file. The cluster
alone: two driver processes (two app servers) see one class, the class outlives its actor, and a
cluster that does not answer gives one clear error naming its address. The Ray cases run in the
namespace run of :mod:`tests.test_live_contract` (one cluster for both modules:
:func:`tests.test_live_contract.test_the_contract_holds_on_a_ray_cluster`).
"""

from __future__ import annotations

import ast
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import uuid

import pytest

from tests.conftest import ROOT, free_port
from tests.helpers import wait_for
from wgan_core.classroom import (
    ClassStore,
    ClassStoreError,
    PredictionsClosed,
    RateLimiter,
    SQLiteClassStore,
    default_path,
    open_class_store,
    open_store,
)
from wgan_core.classroom.sqlite import MIGRATIONS

IN_NAMESPACE = os.environ.get("WGAN_RAY_ADDRESS")  # set only by the namespace run
STORES = ["ray"] if IN_NAMESPACE else ["sqlite"]
#: A test of the SQLite file itself, or of the choice without a cluster: run once, outside the namespace.
without_cluster = pytest.mark.skipif(bool(IN_NAMESPACE), reason="runs outside the namespace run")
on_the_cluster = pytest.mark.skipif(not IN_NAMESPACE, reason="needs the Ray cluster of the namespace run")


def ray_store(tmp_path, name: str | None = None):
    """A class store on the namespace's cluster, with an actor and a file of its own (the head node is
    this machine, so a temporary path serves)."""
    from wgan_core.classroom.ray_store import RayClassStore

    return RayClassStore(IN_NAMESPACE, path=tmp_path / "class.sqlite3", name=name or f"class-{uuid.uuid4().hex[:8]}")


def store_actor(store):
    import ray

    from wgan_core.live.ray_backend import NAMESPACE

    return ray.get_actor(store.name, namespace=NAMESPACE)


@pytest.fixture(params=STORES)
def store(request, tmp_path):
    if request.param == "sqlite":
        yield open_store(tmp_path / "class.sqlite3")
        return
    made = ray_store(tmp_path)
    yield made
    import ray

    ray.kill(store_actor(made))  # each test's actor is a process on the head node: end it


def test_the_store_satisfies_the_interface_and_starts_empty(store):
    assert isinstance(store, ClassStore)
    assert store.presentation() is None and store.answers("nash") == [] and store.board("nash") == []
    assert store.revealed("nash") == frozenset() and store.students_by_lesson() == {}


@without_cluster
def test_the_sqlite_file_is_in_wal_mode_at_the_schema_version(store):
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


@without_cluster
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


def open_again(store) -> ClassStore:
    """Another handle on the same class, as another session or app server opens it."""
    if isinstance(store, SQLiteClassStore):
        return open_store(store.path)
    from wgan_core.classroom.ray_store import RayClassStore

    return RayClassStore(store.address, name=store.name)


#: A fresh process (a restarted server, or a second app server on the cluster) opens the class that
#: ``sys.argv[1:3]`` names (``sqlite PATH`` or ``ray NAME``), prints what it reads, and answers too.
READ_BACK = """
import os, sys
kind, where = sys.argv[1:3]
if kind == "sqlite":
    from wgan_core.classroom import open_store
    s = open_store(where)
else:
    from wgan_core.classroom.ray_store import RayClassStore
    s = RayClassStore(os.environ["WGAN_RAY_ADDRESS"], name=where)
p = s.presentation()
print(repr((p.slug, p.query, [a.choice for a in s.answers("nash")], sorted(s.revealed("nash")),
            [r.measured for r in s.board("images")])))
s.submit_answer("a student of the other process", "nash", 2, choice="B")
"""


def _python(code: str, *args: str, **env_vars: str | None) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter (a restarted server, another server process), with the
    environment changed by ``env_vars`` (None removes a variable)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **env_vars}
    env = {k: v for k, v in env.items() if v is not None}
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=180)


def test_everything_survives_a_restart_and_another_process_shares_the_class(store):
    store.start_presenting("teacher", "nash", {"eta": "0.3"})
    store.submit_answer("s1", "nash", 1, choice="A")
    store.reveal("nash", 1)
    store.post_run("images", "s1", {"method": "wgan"}, {"classes": 7})
    where = ("sqlite", str(store.path)) if isinstance(store, SQLiteClassStore) else ("ray", store.name)
    done = _python(READ_BACK, *where)
    assert done.returncode == 0, done.stderr[-2000:]
    assert ast.literal_eval(done.stdout.strip().splitlines()[-1]) == (
        "nash", {"eta": "0.3"}, ["A"], [1], [{"classes": 7}])
    assert store.answer_of("a student of the other process", "nash", 2).choice == "B"


def _answer_many(store, student, n):
    for k in range(1, n + 1):
        store.submit_answer(student, "nash", k, text=f"{student} answer {k}")
        store.seen(student, "nash")


def test_thirty_writers_at_once_lose_nothing(store):
    """20 threads and 10 processes on the SQLite file; 30 threads of one app server on the cluster's
    store (a second server's process is the test above)."""
    n_procs = 10 if isinstance(store, SQLiteClassStore) else 0
    threads = [threading.Thread(target=_answer_many, args=(open_again(store), f"t{i}", 5))
               for i in range(30 - n_procs)]
    code = ("import sys; from tests.test_class_store import _answer_many; from wgan_core.classroom import open_store; "
            "_answer_many(open_store(sys.argv[1]), sys.argv[2], 5)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", code, str(store.path), f"p{i}"], cwd=ROOT, env=env,
                              stderr=subprocess.PIPE, text=True) for i in range(n_procs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-2000:]
    answers = store.answers("nash")
    assert len(answers) == 30 * 5
    assert {(a.student, a.exercise) for a in answers} == {(f"{k}{i}", e) for k, n in (("t", 30 - n_procs),
                                                                                     ("p", n_procs))
                                                           for i in range(n) for e in range(1, 6)}
    assert store.students_by_lesson(within_s=3600.0) == {"nash": 30}


@without_cluster
def test_without_a_ray_address_the_class_is_the_sqlite_file_and_no_ray_is_imported(tmp_path):
    code = ("import sys; from wgan_core.classroom import open_class_store; s = open_class_store(); "
            "print(type(s).__name__, s.path, 'ray' in sys.modules)")
    done = _python(code, WGAN_RAY_ADDRESS=None, WGAN_CLASS_DB=str(tmp_path / "c.db"))
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["SQLiteClassStore", str(tmp_path / "c.db"), "False"]


@without_cluster
def test_a_cluster_that_cannot_be_reached_gives_one_clear_error_naming_it(monkeypatch):
    address = f"127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("WGAN_RAY_ADDRESS", address)
    with pytest.raises(ClassStoreError, match=rf"cannot reach the Ray cluster at {re.escape(address)}"):
        open_class_store()
    monkeypatch.setenv("WGAN_RAY_ADDRESS", "auto")
    with pytest.raises(ClassStoreError, match=r"WGAN_RAY_ADDRESS='auto' must be the cluster's host:port"):
        open_class_store()


def _gone(actor) -> bool:
    """Whether the store actor ``actor`` has ended (its calls fail)."""
    import ray

    try:
        ray.get(actor.call.remote("presentation", (), {}), timeout=30)
    except ray.exceptions.RayActorError:
        return True
    return False


@on_the_cluster
def test_the_class_outlives_its_store_actor(tmp_path):
    import ray

    store = ray_store(tmp_path)
    try:
        store.start_presenting("teacher", "nash", {"eta": "0.3"})
        store.submit_answer("s1", "nash", 1, choice="A")
        first = store_actor(store)
        ray.kill(first)
        wait_for(lambda: _gone(first), timeout=60)
        # The next call finds the actor gone: a new one opens the same file, and the call is answered.
        assert store.presentation().query == {"eta": "0.3"} and store.answer_of("s1", "nash", 1).choice == "A"
        second = store_actor(store)
        assert second != first
        assert open_again(store).answers("nash")[0].student == "s1"  # as a restarted app server sees it
        # A call that adds something is not repeated on the new actor (it may have run): it fails clearly.
        ray.kill(second)
        wait_for(lambda: _gone(second), timeout=60)
        with pytest.raises(ClassStoreError, match=rf"Ray cluster at {re.escape(IN_NAMESPACE)} lost its actor"):
            store.post_run("images", "s1", {"method": "wgan"}, {})
        assert store.board("images") == [] and store.presentation().slug == "nash"
    finally:
        ray.kill(store_actor(store))


@on_the_cluster
def test_a_store_that_does_not_answer_gives_one_clear_error_naming_the_cluster(tmp_path, monkeypatch):
    import ray

    from wgan_core.classroom import ray_store as module

    store = ray_store(tmp_path)
    actor = store_actor(store)
    pid = ray.get(actor.pid.remote(), timeout=30)
    monkeypatch.setattr(module, "CALL_TIMEOUT_S", 1.0)
    os.kill(pid, signal.SIGSTOP)  # the actor's process is frozen: calls wait
    try:
        with pytest.raises(ClassStoreError, match=rf"Ray cluster at {re.escape(IN_NAMESPACE)} did not answer "
                                                  r"within 1 s"):
            store.seen("s1", "nash")
    finally:
        os.kill(pid, signal.SIGCONT)
    assert store.presentation() is None  # it answers again
    wait_for(lambda: store.students_by_lesson() == {"nash": 1}, timeout=30)  # and runs the call that timed out
    ray.kill(actor)


@without_cluster
def test_a_corrupt_file_gives_one_clear_error(tmp_path):
    path = tmp_path / "class.sqlite3"
    path.write_bytes(b"this is not a database, it is a shopping list\n" * 200)
    with pytest.raises(ClassStoreError, match=r"class\.sqlite3 cannot be used .*not a database"):
        open_store(path)


@without_cluster
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


@without_cluster
def test_an_unwritable_place_gives_one_clear_error(tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_text("not a directory")
    with pytest.raises(ClassStoreError, match="cannot be created"):
        open_store(blocker / "class.sqlite3")


@without_cluster
def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "class.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(ClassStoreError, match="newer than this program"):
        open_store(path)


@without_cluster
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
