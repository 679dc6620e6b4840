"""The class's list of live jobs, as the teacher's panel shows it: on this server's own admission, every
job of the registry (new, queued, running); with an admission that serves several app servers, the
other servers' jobs too, whose Stop the admission passes on to the server that holds them."""

from __future__ import annotations

import functools

from tests.helpers import another_servers_job, unlocked_panel, wait_for
from tests.live_factories import tiny_members
from wgan_core import live
from wgan_core.live import REGISTRY
from wgan_core.live.admission import ROW_FIELDS


def test_a_local_registry_lists_its_jobs_and_its_admission_lists_the_slots_and_the_line():
    registry = live.JobRegistry(1, jobs_per_client=0)
    make = functools.partial(live.Job, registry=registry, idle_timeout=600.0)
    running, queued, new = (make(functools.partial(tiny_members, seed=s), label=f"lesson{s}") for s in range(3))
    try:
        running.start()
        wait_for(lambda: running.steps > 0 or running.status == "failed", timeout=120)
        queued.start()
        wait_for(lambda: queued.queue_position() == 1)
        rows = registry.class_jobs()
        assert [(r["label"], r["status"], r["here"]) for r in rows] == [
            ("lesson0", "running", True), ("lesson1", "queued", True), ("lesson2", "new", True)]
        slots = registry.admission.jobs()
        assert [(r["id"], r["holds_slot"], r["here"]) for r in slots] == [(running.id, True, True),
                                                                          (queued.id, False, True)]
        assert set(slots[0]) == {*ROW_FIELDS, "server", "here"}
    finally:
        for job in (running, queued, new):
            job.stop(wait=None)
        for job in (running, queued, new):
            assert job.join(60)
    assert registry.class_jobs() == [] and registry.admission.jobs() == []


def test_the_panel_lists_another_servers_job_and_its_stop_goes_through_the_admission(app_test, monkeypatch):
    _, asked = another_servers_job(monkeypatch, REGISTRY)
    mine = live.Job(functools.partial(tiny_members), registry=REGISTRY, label="clipping_vs_gp", client="10.1.2.3")
    try:
        at = unlocked_panel(app_test)
        cells = [m.value for m in at.markdown]
        assert {"Weight clipping vs gradient penalty", "10.1.2.3", "Mixture of Gaussians and mode collapse",
                "10.9.9.9", "420", "running · CPU", "2 min"} <= set(cells)
        assert [c.value for c in at.caption if c.value == "on another app server"] == ["on another app server"]
        stops = [b.key for b in at.button if b.label == "Stop"]
        assert stops == [f"teacher.stop.{mine.id}", "teacher.stop.b41c2e07:7"]
        at.button(key="teacher.stop.b41c2e07:7").click().run()
        assert asked == [("b41c2e07:7", "stopped by the teacher")] and mine.status == "new"
    finally:
        mine.stop()
