"""AppTest: the images page renders, mirrors its controls in the URL, steps a live digits run, and
replays a run and a checkpoint recorded by the CLI (picked from lists, never typed paths)."""

from __future__ import annotations

import time

import pytest
import torch

import lessons.images as lesson
from app import live, shell


@pytest.fixture(scope="module")
def runs_root(tmp_path_factory):
    from wgan_core.images.cli import main

    root = tmp_path_factory.mktemp("runs")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert main(["--steps", "4", "--ngf", "4", "--ndf", "4", "--z-dim", "8", "--batch-size", "8", "--device",
                     "cpu", "--metrics-every", "1", "--grid-every", "2", "--eval-samples", "32", "--no-progress",
                     "--out", str(root / "recorded")]) == 0
    finally:
        torch.set_num_threads(threads)
    return root


def _release(at) -> None:
    if live.STATE_KEY in at.session_state:
        at.session_state[live.STATE_KEY].release("test over")


def test_page_renders_and_the_url_restores_and_records_the_controls(tmp_path, monkeypatch, app_test):
    monkeypatch.setenv("WGAN_RUNS_DIR", str(tmp_path / "empty"))
    at = app_test("images", run=False)
    at.query_params["generator"] = "mlp"
    at.query_params["method"] = "gan"
    at.query_params["n_critic"] = "3"
    at.run()
    assert not at.exception
    assert at.selectbox(key="images.generator").value == "mlp"
    assert at.selectbox(key="images.method").value == "gan"
    assert at.slider(key="images.n_critic").value == 3
    # no recorded run: no replay section; the teacher's section says how to record one
    assert "Replay a recorded run" not in [h.value for h in at.subheader]
    assert not any("recorded" in i.value for i in at.info)
    (instructors,) = [e for e in at.expander if e.label == shell.INSTRUCTORS_TITLE]
    assert any("train-images --out" in m.value for m in instructors.markdown)
    at.selectbox(key="images.generator").select("dcgan").run()
    assert at.query_params["generator"] == "dcgan"
    value = lesson.LIVE_CONTROLS[0].options()[5]
    at.select_slider(key="images.clip_value").set_value(value).run()
    assert float(at.query_params["clip_value"]) == value
    assert not at.exception


def test_step_trains_live_and_shows_samples_curve_and_coverage(tmp_path, monkeypatch, app_test):
    monkeypatch.setenv("WGAN_RUNS_DIR", str(tmp_path / "empty"))
    at = app_test("images")
    charts_before = len(at.get("plotly_chart"))
    at.button(key="images.live.step").click().run()
    deadline = time.monotonic() + 90
    while len(at.metric) < 4:  # the step-0 log has no critic estimate yet; the step-1 log does
        assert time.monotonic() < deadline, "the live step did not produce metrics"
        time.sleep(1)
        at.run()
    labels = [m.label for m in at.metric]
    assert labels == ["classes covered", "class KL", "exact W₁ in pixels", "critic estimate"]
    # grid, W curve, coverage curve: live charts (app/live_chart.py), a component updated in place
    assert len(at.get("plotly_chart")) == charts_before and len(at.get("bidi_component")) == 3
    assert not at.exception
    _release(at)


def test_replay_and_checkpoint_come_from_the_runs_directory(runs_root, monkeypatch, app_test):
    monkeypatch.setenv("WGAN_RUNS_DIR", str(runs_root))
    at = app_test("images")
    assert at.selectbox(key="images.replay.run").options == ["recorded"]
    assert at.select_slider(key="images.replay.step").value == 4
    charts = len(at.get("plotly_chart"))
    at.select_slider(key="images.replay.step").set_value(2).run()
    assert not at.exception and len(at.get("plotly_chart")) == charts
    at.button(key="images.ckpt.go").click().run()
    assert not at.exception and not at.error
    assert len(at.get("plotly_chart")) == charts + 1
    (runs_root / "recorded" / "checkpoint.pt").write_bytes(b"not a checkpoint")
    at.button(key="images.ckpt.go").click().run()
    assert not at.exception and "corrupt" in at.error[0].value


def test_half_written_and_torn_image_runs_are_skipped_with_one_line(runs_root, tmp_path, monkeypatch, app_test):
    import shutil

    root = tmp_path / "runs"
    shutil.copytree(runs_root / "recorded", root / "recorded")
    shutil.copytree(runs_root / "recorded", root / "torn")
    (root / "torn" / "metrics.jsonl").write_text('{"g_step": 1}\n{"g_st')
    (root / "half").mkdir()
    shutil.copy(runs_root / "recorded" / "config.json", root / "half" / "config.json")  # a run starting now
    (root / "recorded" / "snapshots" / "²².npz").write_bytes(b"x")  # a name int() cannot read
    monkeypatch.setenv("WGAN_RUNS_DIR", str(root))
    at = app_test("images")
    assert not at.exception
    assert at.selectbox(key="images.replay.run").options == ["recorded"]
    note = [c.value for c in at.caption if c.value.startswith("Skipped")]
    assert len(note) == 1 and "`half`: " in note[0] and "`torn`: " in note[0] and "cut line" in note[0]
    assert at.subheader.values[-2:] == ["What to notice", "Exercises"]
