"""The teacher's cockpit apart from drawing: Prepare the class computes each missing heavy default in
one background thread, reporting progress, and names a failure; Stop all stops every active run of the
class (another app server's too, through the admission), Pause all this server's."""

from __future__ import annotations

import functools
import time

from app import cockpit, precomputed
from tests.helpers import another_servers_job, unlocked_panel, wait_for
from tests.live_factories import tiny_members
from wgan_core import live
from wgan_core.live import REGISTRY


def wait_done(preparer: cockpit.Preparer, timeout: float = 30.0) -> cockpit.Preparation:
    deadline = time.monotonic() + timeout
    while preparer.state.running and time.monotonic() < deadline:
        time.sleep(0.02)
    return preparer.state


def test_prepare_computes_each_missing_default_with_progress(monkeypatch):
    calls, seen = [], []

    def fake_run(module, function, kwargs, progress=None, waiting=None):
        calls.append((module.__name__, function, kwargs, progress is not None))
        if progress is not None:
            progress(0.5, "half")
            seen.append(preparer.state.overall)

    monkeypatch.setattr(precomputed, "run", fake_run)
    preparer = cockpit.Preparer()
    assert preparer.start(["optimizers", "parallel_lines"])
    state = wait_done(preparer)
    assert not state.running and state.error is None and state.done == ["optimizers", "parallel_lines"]
    assert state.overall == 1.0 and seen == [0.25]  # half of the first of two lessons
    assert calls[0][:3] == ("lessons.optimizers", "compare", precomputed.defaults_of("optimizers"))
    assert calls[0][3] and not calls[1][3]  # parallel_lines' estimate takes no progress callback


def test_prepare_names_the_lesson_that_failed_and_runs_one_at_a_time(monkeypatch):
    def failing_run(module, function, kwargs, progress=None, waiting=None):
        time.sleep(0.2)
        raise RuntimeError("out of disk")

    monkeypatch.setattr(precomputed, "run", failing_run)
    preparer = cockpit.Preparer()
    assert preparer.start(["optimizers", "meaningful_loss"])
    assert not preparer.start(["optimizers"])  # one preparation at a time
    state = wait_done(preparer)
    assert state.error == "optimizers: out of disk" and state.done == []


def test_stop_all_stops_every_active_run_of_the_class_and_pause_all_this_servers(monkeypatch):
    class FakeJob:
        def __init__(self, status):
            self.status, self.actions = status, []

        def pause(self):
            self.actions.append(("pause",))

    rows = [{"id": 1, "status": "running", "here": True}, {"id": 2, "status": "new", "here": True},
            {"id": 3, "status": "paused", "here": True}, {"key": "b41c2e07:7", "status": "queued", "here": False},
            {"key": "b41c2e07:8", "status": "running", "here": False}]
    stopped = []
    monkeypatch.setattr(cockpit.REGISTRY, "class_jobs", lambda: rows)
    monkeypatch.setattr(cockpit.REGISTRY, "stop_job", lambda row, reason: stopped.append((row, reason)))
    assert cockpit.stop_all() == 4  # the other server's two too; the job never started is no run to stop
    assert [r for r, _ in stopped] == [rows[0], rows[2], rows[3], rows[4]]
    assert {reason for _, reason in stopped} == {"stopped by the teacher"}
    jobs = [FakeJob("running"), FakeJob("paused"), FakeJob("queued")]
    monkeypatch.setattr(cockpit.REGISTRY, "active_jobs", lambda: jobs)
    assert cockpit.pause_all() == 2 and jobs[1].actions == []  # this server's running and queued runs


def test_the_panels_stop_all_reaches_another_servers_run(app_test, monkeypatch):
    _, asked = another_servers_job(monkeypatch, REGISTRY)
    mine = live.Job(functools.partial(tiny_members), registry=REGISTRY, label="clipping_vs_gp", client="10.1.2.3",
                    idle_timeout=600.0)
    try:
        mine.step(1)
        wait_for(lambda: mine.steps == 1 or mine.status == "failed", timeout=120)
        at = unlocked_panel(app_test)
        assert "other app servers" in at.button(key="teacher.stop_all").help
        assert "this app server only" in at.button(key="teacher.pause_all").help
        at.button(key="teacher.stop_all").click().run()
        assert not at.exception and [t.value for t in at.toast] == ["Stopped 2 live run(s)."]
        assert asked == [("b41c2e07:7", "stopped by the teacher")]
        assert mine.join(60) and mine.status == "stopped" and mine.stop_reason == "stopped by the teacher"
    finally:
        mine.stop()
