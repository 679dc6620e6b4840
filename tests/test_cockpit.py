"""The teacher's cockpit apart from drawing: Prepare the class computes each missing heavy default in
one background thread, reporting progress, and names a failure; Stop all / Pause all act only on
active runs."""

from __future__ import annotations

import time

from app import cockpit, precomputed


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


def test_stop_all_and_pause_all_touch_only_active_runs(monkeypatch):
    class FakeJob:
        def __init__(self, status):
            self.status, self.actions = status, []

        def stop(self, reason, wait=None):
            self.actions.append(("stop", reason))

        def pause(self):
            self.actions.append(("pause",))

    jobs = [FakeJob("running"), FakeJob("paused"), FakeJob("queued")]
    monkeypatch.setattr(cockpit.REGISTRY, "active_jobs", lambda: jobs)
    assert cockpit.pause_all() == 2 and jobs[1].actions == []
    assert cockpit.stop_all() == 3
    assert all(j.actions[-1] == ("stop", "stopped by the teacher") for j in jobs)
