"""The live panel's controls follow the run's state: Start → Pause → Resume, Step, Stop (the run ends,
its figures stay), New run (a fresh start); a paused run reads "paused at step N" with no rate; the rate
counts running time only; the applied hyper-parameters show under the run; slider changes are recorded
with their step for the charts to mark; a paused run's figures stop redrawing once its last step is drawn."""

from __future__ import annotations

import pytest

import lessons.clipping_vs_gp as lesson
from app.live_state import RunningRate, drawing, hparams_text
from plots.images import spaced_thumbnails
from plots.live import curves
from tests.helpers import session_job, wait_for

SLUG = "clipping_vs_gp"


def _labels(at) -> dict[str, tuple[str, bool]]:
    """Live buttons shown: key suffix -> (label, disabled)."""
    return {b.key.rsplit(".", 1)[1]: (b.label, b.disabled) for b in at.button if b.key and ".live." in b.key}


def _progress_text(at) -> str:
    (bar,) = at.get("progress")
    return bar.proto.text


class _Shown:
    """What :func:`drawing` reads of a job."""

    def __init__(self, status: str, steps: int, snapshot_step: int | None):
        self.status, self.steps, self._snapshot = status, steps, snapshot_step

    def latest_snapshot(self):
        return None if self._snapshot is None else (self._snapshot, {})


@pytest.mark.parametrize("status, steps, snapshot_step, redraws", [
    ("running", 40, 20, True), ("running", 0, None, True),     # a running job: every DRAW_SECONDS
    ("paused", 40, 20, True), ("paused", 1, None, True),       # paused before its last step's snapshot came
    ("paused", 40, 40, False),                                 # paused and drawn: nothing changes any more
    ("queued", 0, None, False), ("finished", 40, 40, False), ("stopped", 40, 20, False)])
def test_figures_redraw_while_they_can_change(status, steps, snapshot_step, redraws):
    assert drawing(_Shown(status, steps, snapshot_step)) is redraws
    assert drawing(None) is False


def test_running_rate_counts_running_time_only():
    meter = RunningRate()
    meter.update("running", 0, 0.0)
    meter.update("running", 100, 1.0)     # 100 steps in 1 s of running
    meter.update("paused", 120, 2.0)      # an interval that ends paused does not count
    meter.update("paused", 120, 60.0)     # a minute of pause: the rate must not fall
    assert meter.rate == pytest.approx(100.0)
    meter.update("running", 120, 61.0)
    meter.update("running", 220, 62.0)
    assert meter.rate == pytest.approx(100.0)
    assert RunningRate().rate is None


def test_hparams_text_reads_the_applied_values_in_order():
    assert hparams_text({"lr": 5e-4, "n_critic": 5, "clip_value": 0.01}) == "c = 0.01 · n_critic = 5 · α = 0.0005"
    assert hparams_text({"lambda_gp": 10.0}) == "λ = 10"


def test_a_slider_change_is_marked_with_its_value_on_a_time_series_chart():
    logs = [{"member": "wgan", "g_step": s, "critic_estimate_eval": 0.1 * s} for s in range(1, 50)]
    fig = curves(logs, "critic_estimate_eval", "critic estimate", changes=[(20, "c = 0.03")])
    assert [s.x0 for s in fig.layout.shapes] == [20]
    assert [a.text for a in fig.layout.annotations] == ["c = 0.03"]


def test_thumbnails_are_spaced_so_that_none_overlap():
    steps = [0, 5, 10, 50, 55, 100, 160, 161, 300]
    kept = spaced_thumbnails(steps, 40)
    centres = [steps[i] for i in kept]
    assert centres == [0, 50, 100, 160, 300]
    assert all(b - a >= 40 for a, b in zip(centres, centres[1:], strict=False))


def test_buttons_follow_the_state_of_the_run(app_test):
    at = app_test(SLUG, timeout=300)
    assert not at.exception
    assert _labels(at) == {"start": ("Start", False), "step": ("Step", False), "stop": ("Stop", True),
                           "reset": ("New run", True)}
    at.button(key=f"{SLUG}.live.step").click().run()
    job = session_job(at)
    wait_for(lambda: job.status == "paused" and job.steps == 1 and job.latest_snapshot() is not None)
    at.run()
    assert not at.exception
    assert _labels(at)["start"] == ("Resume", False)
    text = _progress_text(at)
    assert text.startswith("paused at step 1") and "/s" not in text, text
    applied = " ".join(c.value for c in at.caption if c.value.startswith("Applied now"))
    assert "wgan: c = 0.01 · n_critic = 5" in applied and "wgan-gp: λ = " in applied, applied

    # a slider moved after the run began is recorded with the step it applies from
    c = next(x for x in lesson.LIVE_CONTROLS if x.key == "clip_value").options()[20]
    at.select_slider(key=f"{SLUG}.clip_value").set_value(c).run()
    assert at.session_state["live.changes"][1] == [(1, f"c = {c:.3g}")]

    at.button(key=f"{SLUG}.live.start").click().run()  # Resume
    wait_for(lambda: job.status == "running")
    at.run()
    assert _labels(at)["pause"] == ("Pause", False) and "start" not in _labels(at)
    at.button(key=f"{SLUG}.live.stop").click().run()
    wait_for(lambda: job.status == "stopped")
    at.run()
    assert session_job(at) is job  # Stop keeps the run, and so its figures
    labels = _labels(at)
    assert labels["start"] == ("Start", True) and labels["stop"][1] and labels["reset"] == ("New run", False)
    assert _progress_text(at).startswith("stopped at step")
    at.button(key=f"{SLUG}.live.reset").click().run()
    assert session_job(at) is None and _labels(at)["start"] == ("Start", False)
    assert not at.exception
