"""AppTest of the live panel's messages: a paused run that gave its slot back, a resumed run queued
behind a full class, the queued notice on a Ray cluster, and a run that really diverges (its message,
and its last good figures)."""

from __future__ import annotations

import functools

from streamlit.testing.v1 import AppTest

from tests.helpers import session_job, wait_for
from wgan_core.config import TrainConfig, preset
from wgan_core.live import REGISTRY, Job
from wgan_core.trainer import Trainer

#: The largest learning rates the config allows: the critic's weights overflow within a few steps.
DIVERGING = dict(dataset="8gaussians", width=32, depth=3, batch_size=64, device="cpu", seed=0, eval_samples=64,
                 loss="wgan-gp", optimizer="rmsprop", lr=1.0, critic_lr_ratio=1000.0, lambda_gp=1000.0)


def tiny_members(seed: int = 0, *, device: str) -> dict:
    return {"wgan": Trainer(preset("toy-wgan", seed=seed, width=16, depth=2, batch_size=32, eval_samples=64,
                                   device=device))}


def diverging_members(live_values: dict, *, device: str) -> dict:
    """One WGAN-GP member at learning rates that really diverge (its name takes no slider value)."""
    return {"diverging": Trainer(TrainConfig(**dict(DIVERGING, device=device)))}


def diverging_page() -> None:
    import functools

    import streamlit as st
    import test_live_page

    import lessons.mode_collapse as lesson
    from app import live  # AppTest.from_function runs this body as a script of its own

    panel = live.LivePanel("mode_collapse", lesson.LIVE_CONTROLS, route=lesson.hparam_changes, settings={},
                           make_members=functools.partial(test_live_page.diverging_members), log_every=5)
    panel.controls()
    panel.poll(lambda job: st.write(f"figures of step {job.latest_snapshot()[0]}"))


class QueuedJob:
    """What the queued notice reads of a job: waiting third in line, behind a registry whose backend is
    ``backend`` (a fake: the notice needs only its name and its cap)."""

    status, holds_slot, kind, pid = "queued", False, "cpu", None

    def __init__(self, backend: str, cap: int):
        self.registry = type("Registry", (), {"backend": type("Backend", (), {"name": backend})(),
                                              "cap": lambda registry, kind: cap})()

    def queue_position(self) -> int:
        return 3


def queued_page(backend: str, cap: int) -> None:
    import test_live_page

    import lessons.mode_collapse as lesson
    from app import live

    panel = live.LivePanel("mode_collapse", lesson.LIVE_CONTROLS, route=lesson.hparam_changes, settings={},
                           make_members=lesson.build_members)
    panel.status_ui(test_live_page.QueuedJob(backend, cap))


def test_the_queued_notice_names_this_servers_slots_or_the_class_clusters():
    notices = {}
    for backend, cap in (("process", 2), ("ray", 12), ("ray", 1)):
        at = AppTest.from_function(queued_page, args=(backend, cap), default_timeout=60).run()
        assert not at.exception
        notices[backend, cap] = [w.value for w in at.warning]
    assert notices["process", 2] == ["Queued: all 2 CPU training slots of this server are busy (you are number 3 "
                                     "in line). Your run starts by itself when a slot frees."]
    assert notices["ray", 12] == ["Queued: all 12 CPU training slots of the class's cluster are busy (you are "
                                  "number 3 in line). Your run starts by itself when a slot frees."]
    assert notices["ray", 1][0].startswith("Queued: the one CPU training slot of the class's cluster is busy")


def test_a_paused_run_gives_its_slot_back_and_resume_waits_in_line_when_the_class_is_full(app_test, monkeypatch):
    monkeypatch.setenv("WGAN_PAUSE_GRACE_S", "0.5")
    monkeypatch.setattr(REGISTRY, "max_jobs", 1)
    at = app_test("mode_collapse")
    at.button(key="mode_collapse.live.step").click().run()
    job = session_job(at)
    wait_for(lambda: job.steps == 1 and not job.holds_slot)
    at.run()
    assert not at.exception
    assert any("gave its training slot back to the class" in i.value for i in at.info)
    # Another student takes the slot and pauses too, but within their own (long) grace: they keep it.
    other = Job(functools.partial(tiny_members), label="images", client="10.0.0.9", pause_grace=600)
    other.step(1)
    wait_for(lambda: other.steps == 1)
    try:
        at.button(key="mode_collapse.live.start").click().run()
        assert job.status == "queued"
        assert any("number 1 in line" in w.value and "resumes where it left off" in w.value for w in at.warning)
        other.stop()
        wait_for(lambda: job.status == "running" and job.steps > 1)
    finally:
        other.stop()
        job.stop()


def test_a_diverging_run_shows_its_message_and_keeps_its_last_good_figures():
    at = AppTest.from_function(diverging_page, default_timeout=120).run()
    assert not at.exception
    at.button(key="mode_collapse.live.start").click().run()
    job = session_job(at)
    assert job.join(90) and job.status == "failed" and job.failure == "diverged"
    at.run()
    assert not at.exception
    message = next(e.value for e in at.error)
    assert message.startswith(f"The run {job.error}: its losses or weights stopped being finite")
    assert job.error.startswith("diverged at step 5 (")
    assert "figures of step 0" in [m.value for m in at.markdown]  # the last good snapshot is still drawn


def test_png_export_renders_on_click_and_a_second_click_at_once_is_refused(app_test):
    at = app_test("mode_collapse")
    at.button(key="mode_collapse.live.step").click().run()
    job = session_job(at)
    try:
        wait_for(lambda: job.steps == 1 and job.latest_snapshot() is not None and job.latest_snapshot()[0] == 1)
        at.run()
        render = at.button(key="mode_collapse.export.panel-wgan.render")
        assert render.label == "Render panel-wgan (PNG)"
        render.click().run()
        assert not at.exception and not at.warning
        png = at.session_state["mode_collapse.export.panel-wgan.png"]
        assert png[:8] == b"\x89PNG\r\n\x1a\n"  # rendered in the server, now offered for download
        at.button(key="mode_collapse.export.panel-gan.render").click().run()  # at once: over the limit
        assert any("one PNG export every 10 s per student" in w.value for w in at.warning)
        assert "mode_collapse.export.panel-gan.png" not in at.session_state
    finally:
        job.stop()


def test_an_unreachable_ray_cluster_is_named_once_on_the_live_page_and_other_lessons_work(app_test, monkeypatch):
    from wgan_core.live import registry as registry_module

    monkeypatch.setenv("WGAN_RAY_ADDRESS", "127.0.0.1:9")  # loopback, where nothing listens
    monkeypatch.setattr(registry_module, "_default", None)  # the app's registry is built anew from the settings
    at = app_test("mode_collapse")
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "cannot reach the Ray cluster at 127.0.0.1:9" in errors[0]
    assert at.button(key="mode_collapse.live.start").disabled and at.button(key="mode_collapse.live.step").disabled
    other = app_test("parallel_lines")
    assert not other.exception and not other.error
