"""AppTest: the clipping-vs-penalty page draws the sweep, runs both critics live and follows the sliders."""

from __future__ import annotations

import gc

import lessons.clipping_vs_gp as lesson
from tests.helpers import session_job, wait_for


def option(key: str, index: int) -> float:
    return next(c for c in lesson.LIVE_CONTROLS if c.key == key).options()[index]


def test_sweep_and_url_state(app_test):
    at = app_test("clipping_vs_gp", timeout=300, run=False)
    lr = option("lr", 10)
    at.query_params["lr"] = str(lr)
    at.query_params["generator"] = "trained"
    at.run()
    assert not at.exception
    assert at.select_slider(key="clipping_vs_gp.lr").value == lr
    assert at.selectbox(key="clipping_vs_gp.generator").value == "trained"
    assert "Loss_D" in " ".join(m.value for m in at.markdown)
    at.toggle(key="clipping_vs_gp.official_schedule").set_value(True).run()
    assert at.query_params["official_schedule"] == "1"
    at.toggle(key="clipping_vs_gp.bn_demo").set_value(True).run()  # the batch-norm demonstration
    gamma = {m.label: float(m.value) for m in at.metric}["largest γ"]
    assert gamma <= 0.01 + 1e-6  # clamp_bn defaults to the official code's choice
    at.toggle(key="clipping_vs_gp.clamp_bn").set_value(False).run()
    assert {m.label: float(m.value) for m in at.metric}["largest γ"] > 0.5
    assert at.query_params["clamp_bn"] == "0" and not at.exception


def test_live_critics_follow_the_sliders_and_stop_with_the_session(app_test):
    at = app_test("clipping_vs_gp", timeout=300, run=False)
    at.run()
    at.button(key="clipping_vs_gp.live.step").click().run()
    job = session_job(at)
    wait_for(lambda: job.steps == 1 and job.latest_snapshot() is not None and job.latest_snapshot()[0] == 1)
    at.run()
    assert not at.exception
    # frozen generator (the default): one step = n_critic critic updates, the generator never moves
    row = [e for e in job.logs() if e["member"] == "wgan"][-1]
    assert row["g_step"] == 1 and row["critic_steps"] == 5 and "generator_loss" not in row
    metrics = {m.label for m in at.metric}
    assert {"Lipschitz meter", "critic estimate Ŵ", "exact W₁"} <= metrics
    at.button(key="clipping_vs_gp.live.start").click().run()
    wait_for(lambda: job.status == "running")
    c, lr = option("clip_value", 20), option("lr", 5)
    at.select_slider(key="clipping_vs_gp.clip_value").set_value(c).run()
    at.select_slider(key="clipping_vs_gp.lr").set_value(lr).run()
    hp = job.hparams()
    assert hp["wgan"]["clip_value"] == c and hp["wgan"]["lr"] == lr and hp["wgan-gp"]["lr"] == lr
    at.button(key="clipping_vs_gp.live.pause").click().run()
    wait_for(lambda: job.status == "paused")
    at.run()
    assert any(f"clip c = {c:.3g}" in cap.value for cap in at.caption)
    del at
    gc.collect()
    assert job.join(30) and job.status == "stopped" and job.stop_reason == "the session ended"
