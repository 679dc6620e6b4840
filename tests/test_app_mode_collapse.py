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


DEVELOPER_TEXT = ("python -m", "wgan_core.", "WGAN_", "bench/", "lessons figure", "METHOD_PRESETS")


def test_the_recorded_seeds_show_the_table_and_developer_text_stays_with_the_instructors(app_test):
    at = app_test("mode_collapse")
    assert not at.exception
    assert "What the recorded seeds show" in [h.value for h in at.subheader]
    assert any(lesson.table_markdown() == m.value for m in at.markdown)
    seed = at.select_slider(key="mode_collapse.recorded_seed")
    assert list(seed.options) == [str(s) for s in lesson.findings()["seed_list"]]
    seed.set_value(lesson.findings()["seed_list"][-1]).run()
    assert not at.exception
    (instructors,) = [e for e in at.expander if e.label == "For instructors"]
    inside = {m.value for m in instructors.markdown}
    assert any("python -m wgan_core compare" in text for text in inside)
    outside = [m.value for m in at.markdown if m.value not in inside] + [c.value for c in at.caption]
    outside = [t for t in outside if not t.startswith("Live runs train on")]  # the shared live panel's line
    leaks = [(needle, text[:80]) for text in outside for needle in DEVELOPER_TEXT if needle in text]
    assert not leaks
    assert not any("No recorded runs" in i.value for i in at.info)  # no empty replay block


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
    line = next(m.value for m in at.markdown if m.value.startswith("**Modes covered in this run**"))
    for method, row in lesson.run_summary(job.logs()).items():  # the run's own summary, app-side
        assert f"{lesson.METHOD_LABELS[method]}: {row['modes']} of 8 now" in line
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
