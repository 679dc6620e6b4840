"""Replay: recorded runs from the server's runs directory, picked from a list, scrubbed, mirrored in the URL."""

from __future__ import annotations

import pytest

from wgan_core import live
from wgan_core.config import preset
from wgan_core.runs import RunRecorder, record_run
from wgan_core.trainer import Trainer

live.configure_torch_threads()


@pytest.fixture(scope="module")
def runs_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    cfg = preset("toy-wgan", width=16, depth=2, batch_size=32, eval_samples=64, metrics_every=4, device="cpu")
    record_run(Trainer(cfg), root / "wgan-8g", steps=8)
    record_run(Trainer(cfg.replace(loss="wgan-gp", seed=1)), root / "class" / "gp-8g", steps=8)
    return root


def test_replay_lists_the_servers_runs_and_scrubs_the_timeline(runs_root, monkeypatch, app_test):
    monkeypatch.setenv("WGAN_RUNS_DIR", str(runs_root))
    at = app_test("mode_collapse")
    assert not at.exception
    pick = at.selectbox(key="mode_collapse.replay_run")
    assert sorted(pick.options) == ["class/gp-8g", "wgan-8g"]  # names relative to the runs directory
    scrub = at.select_slider(key="mode_collapse.replay.step")
    assert [int(o) for o in scrub.options] == [0, 4, 8] and scrub.value == 8
    assert at.query_params["replay_run"] == pick.value
    scrub.set_value(4).run()
    assert at.query_params["replay_step"] == "4" and not at.exception
    pick.set_value("wgan-8g").run()
    assert any("wgan on 8gaussians" in c.value for c in at.caption)


def test_a_shared_link_restores_run_and_step(runs_root, monkeypatch, app_test):
    monkeypatch.setenv("WGAN_RUNS_DIR", str(runs_root))
    at = app_test("mode_collapse", {"replay_run": "class/gp-8g", "replay_step": "0"})
    assert at.selectbox(key="mode_collapse.replay_run").value == "class/gp-8g"
    assert at.select_slider(key="mode_collapse.replay.step").value == 0
    assert any("wgan-gp on 8gaussians" in c.value for c in at.caption)


def test_an_empty_runs_directory_shows_no_replay_section(tmp_path, monkeypatch, app_test):
    monkeypatch.setenv("WGAN_RUNS_DIR", str(tmp_path))
    at = app_test("mode_collapse")
    assert not at.exception
    assert "Replay a recorded run" not in [h.value for h in at.subheader]
    assert not any("No recorded runs" in i.value for i in at.info)


def test_a_crafted_replay_step_is_ignored(runs_root, monkeypatch, app_test):
    """`?replay_step=%C2%B2` ("²": str.isdigit() says yes, int() raises) and other non-steps are ignored."""
    monkeypatch.setenv("WGAN_RUNS_DIR", str(runs_root))
    for raw in ("²", "٣", "4.0", "-4", "9" * 40, "5"):
        at = app_test("mode_collapse", {"replay_run": "wgan-8g", "replay_step": raw})
        assert not at.exception, raw
        assert at.select_slider(key="mode_collapse.replay.step").value == 8  # the last step instead


def test_half_written_torn_and_unknown_runs_are_skipped_with_one_line(runs_root, tmp_path, monkeypatch,
                                                                      app_test):
    import json
    import shutil

    root = tmp_path / "runs"
    shutil.copytree(runs_root / "wgan-8g", root / "good")
    shutil.copytree(runs_root / "wgan-8g", root / "torn")
    shutil.copytree(runs_root / "wgan-8g", root / "newer")
    RunRecorder(root / "recording", preset("toy-wgan", device="cpu"))  # only config.json and an empty log yet
    log = root / "torn" / "metrics.jsonl"
    log.write_text(log.read_text()[:-5])
    summary = json.loads((root / "newer" / "summary.json").read_text())
    (root / "newer" / "summary.json").write_text(json.dumps({**summary, "format": 2}))
    monkeypatch.setenv("WGAN_RUNS_DIR", str(root))
    at = app_test("mode_collapse")
    assert not at.exception
    assert at.selectbox(key="mode_collapse.replay_run").options == ["good"]
    note = [c.value for c in at.caption if c.value.startswith("Skipped")]
    assert len(note) == 1 and note[0].startswith("Skipped 3 recorded runs")
    for name, why in (("newer", "unknown format"), ("recording", "still being recorded"), ("torn", "cut line")):
        assert f"`{name}`: " in note[0] and why in note[0]
    assert at.subheader.values[-2:] == ["What to notice", "Exercises"]  # the rest of the page is drawn


def test_an_unreadable_snapshot_is_one_warning(runs_root, tmp_path, monkeypatch, app_test):
    import shutil

    root = tmp_path / "runs"
    shutil.copytree(runs_root / "wgan-8g", root / "good")
    (root / "good" / "snapshots" / "000008.npz").write_bytes(b"not an npz")
    monkeypatch.setenv("WGAN_RUNS_DIR", str(root))
    at = app_test("mode_collapse")
    assert not at.exception
    assert any("cannot be read" in w.value for w in at.warning)
    assert at.subheader.values[-2:] == ["What to notice", "Exercises"]
