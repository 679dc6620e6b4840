"""AppTest: the mode-collapse page runs a live job that starts, pauses, steps, follows the sliders,
stops, and is released with its session."""

from __future__ import annotations

import gc

import lessons.mode_collapse as lesson
from tests.helpers import session_job, wait_for


def test_page_renders_and_url_restores_the_controls(app_test):
    at = app_test("mode_collapse", run=False)
    at.query_params["dataset"] = "swissroll"
    at.query_params["clip_value"] = "0.01"
    at.run()
    assert not at.exception
    assert at.selectbox(key="mode_collapse.dataset").value == "swissroll"
    assert at.select_slider(key="mode_collapse.clip_value").value == 0.01
    assert any("Press **Start**" in i.value for i in at.info)
    value = next(c for c in lesson.LIVE_CONTROLS if c.key == "clip_value").options()[3]
    at.select_slider(key="mode_collapse.clip_value").set_value(value).run()
    assert float(at.query_params["clip_value"]) == value


def test_live_job_start_pause_step_slider_stop_and_session_release(app_test):
    at = app_test("mode_collapse", run=False)
    at.run()
    at.button(key="mode_collapse.live.step").click().run()
    job = session_job(at)
    assert job is not None and job.label == "mode_collapse"
    wait_for(lambda: job.steps == 1 and job.latest_snapshot() is not None and job.latest_snapshot()[0] == 1)
    at.run()
    assert not at.exception
    wgan_rows = [e for e in job.logs() if e["member"] == "wgan"]
    assert job.status == "paused" and wgan_rows[-1]["g_step"] == 1  # the trainer (in its worker) did one step
    assert len(at.metric) >= 9  # modes, high quality and exact W1 for each of the three methods
    assert any("clip c = 0.05" in c.value for c in at.caption)

    at.button(key="mode_collapse.live.start").click().run()
    wait_for(lambda: job.status == "running" and job.steps >= 2)
    at.select_slider(key="mode_collapse.clip_value").set_value(0.01).run()  # applied to the running job
    assert job.hparams()["wgan"]["clip_value"] == 0.01
    assert job.hparams()["wgan-gp"]["clip_value"] == 0.01  # its preset's c, untouched (it does not clip)
    at.button(key="mode_collapse.live.pause").click().run()
    wait_for(lambda: job.status == "paused")
    steps = job.steps
    at.button(key="mode_collapse.live.step").click().run()
    wait_for(lambda: job.steps == steps + 1)
    at.run()
    assert any("clip c = 0.01" in c.value for c in at.caption)

    at.button(key="mode_collapse.live.reset").click().run()  # Reset stops the job and frees its slot
    assert job.join(30) and job.status == "stopped" and session_job(at) is None

    at.button(key="mode_collapse.live.start").click().run()
    second = session_job(at)
    wait_for(lambda: second.status == "running")
    del at
    gc.collect()  # the session state goes away: its lease stops the job
    assert second.join(30) and second.status == "stopped" and second.stop_reason == "the session ended"


def test_changing_the_dataset_resets_the_run(app_test):
    at = app_test("mode_collapse", run=False)
    at.run()
    at.button(key="mode_collapse.live.step").click().run()
    job = session_job(at)
    at.selectbox(key="mode_collapse.dataset").set_value("25gaussians").run()
    assert job.join(30) and job.status == "stopped" and "settings changed" in job.stop_reason
    assert session_job(at) is None and not at.exception
