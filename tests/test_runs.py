"""Recorded runs: the directory layout, a faithful round trip, replay and resume from the checkpoint."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from wgan_core.config import TrainConfig
from wgan_core.runs import (
    SUMMARY_KEYS,
    RunRecorder,
    list_runs,
    load_run,
    new_run_dir,
    record_run,
    runs_root,
    scan_runs,
    write_json,
)
from wgan_core.trainer import Trainer


def tiny(**kw) -> TrainConfig:
    base = dict(dataset="8gaussians", loss="wgan", width=16, depth=2, batch_size=32, device="cpu", seed=1,
                metrics_every=4, eval_samples=64)
    return TrainConfig(**{**base, **kw})


def test_record_and_load_round_trip(tmp_path):
    trainer = Trainer(tiny())
    seen = []
    summary = record_run(trainer, tmp_path / "run", steps=8, callback=seen.append)
    files = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert files == ["checkpoint.pt", "config.json", "metrics.jsonl", "snapshots", "summary.json"]
    for key in SUMMARY_KEYS:
        assert key in summary
    run = load_run(tmp_path / "run")
    assert run.config == trainer.config
    assert [m["g_step"] for m in run.metrics] == [4, 8] == [m["g_step"] for m in seen]
    assert run.metrics[-1]["w1_exact"] == pytest.approx(seen[-1]["w1_exact"])
    assert run.summary == json.loads((tmp_path / "run" / "summary.json").read_text())
    assert run.snapshot_steps == [0, 4, 8]
    snap = run.snapshot(8)
    live = trainer.snapshot()
    np.testing.assert_allclose(snap["samples"], live["samples"])
    assert snap["field"]["z"].shape == live["field"]["z"].shape and snap["g_step"] == 8
    steps, w1 = run.series("w1_exact")
    assert steps.tolist() == [4, 8] and np.all(w1 > 0)
    with pytest.raises(ValueError, match="no snapshot"):
        run.snapshot(5)
    with pytest.raises(ValueError, match="not recorded"):
        run.series("fid")


def test_replayed_trainer_resumes_like_the_original(tmp_path):
    original = Trainer(tiny(loss="wgan-gp"))
    record_run(original, tmp_path / "r", steps=4)
    restored = load_run(tmp_path / "r").trainer()
    assert restored.g_step == 4
    for _ in range(3):
        original.step()
        restored.step()
    for a, b in zip(original.generator.parameters(), restored.generator.parameters(), strict=True):
        assert torch.equal(a, b)


def test_recorder_refuses_reuse_and_bad_dirs(tmp_path):
    RunRecorder(tmp_path / "a", tiny())
    with pytest.raises(ValueError, match="already holds"):
        RunRecorder(tmp_path / "a", tiny())
    with pytest.raises(ValueError, match="config.json is missing"):
        load_run(tmp_path / "nothing")
    assert list_runs(tmp_path / "missing") == [] and scan_runs(tmp_path / "missing") == ([], {})


@pytest.fixture
def recorded(tmp_path):
    """A root with one complete run ``good`` and a copy of it to break, ``bad``."""
    record_run(Trainer(tiny()), tmp_path / "good", steps=4)
    shutil.copytree(tmp_path / "good", tmp_path / "bad")
    return tmp_path


def _skipped(root) -> dict[str, str]:
    good, skipped = scan_runs(root)
    assert [p.name for p in good] == ["good"]
    return {p.name: why for p, why in skipped.items()}


def test_a_run_being_recorded_is_skipped_with_its_reason(recorded):
    (recorded / "bad" / "summary.json").unlink()  # what a run in progress looks like: no summary yet
    (recorded / "bad" / "metrics.jsonl").write_text("")
    assert "still being recorded" in _skipped(recorded)["bad"]
    with pytest.raises(ValueError, match="bad is not a replayable run: it is still being recorded"):
        load_run(recorded / "bad")
    rec = RunRecorder(recorded / "live", tiny())  # only config.json and an empty log so far
    rec.log({"g_step": 1})
    assert "still being recorded" in _skipped(recorded)["live"]


def test_a_torn_metrics_line_is_skipped_and_named(recorded):
    log = recorded / "bad" / "metrics.jsonl"
    log.write_text(log.read_text()[:-7])  # the writer was cut in the middle of its last line
    assert "cut line" in _skipped(recorded)["bad"]
    log.write_text('{"g_step": 4}\n{not json\n')
    assert "line 2" in _skipped(recorded)["bad"]
    with pytest.raises(ValueError, match="line 2 of its metrics.jsonl is not JSON"):
        load_run(recorded / "bad")


@pytest.mark.parametrize("file, change, needle", [
    ("summary.json", lambda d: {**d, "format": 99}, "unknown format (99"),
    ("config.json", lambda d: {**d, "spectral_norm": True}, "unknown version (spectral_norm is not a TrainConfig"),
    ("config.json", lambda d: "{not json", "malformed JSON"),
])
def test_runs_of_another_version_or_malformed_are_skipped(recorded, file, change, needle):
    path = recorded / "bad" / file
    new = change(json.loads(path.read_text()))
    path.write_text(new if isinstance(new, str) else json.dumps(new))
    assert needle in _skipped(recorded)["bad"]
    with pytest.raises(ValueError, match="is not a replayable run"):
        load_run(recorded / "bad")


def test_snapshots_are_atomic_and_odd_names_are_ignored(recorded):
    snaps = recorded / "good" / "snapshots"
    (snaps / "²².npz").write_bytes(b"x")                    # "²".isdigit() is True, int("²") raises
    (snaps / ".000004.npz.123.tmp").write_bytes(b"partial")  # an interrupted atomic write
    (snaps / "notes.npz").write_bytes(b"x")
    assert load_run(recorded / "good").snapshot_steps == [0, 4]
    assert not [p for p in snaps.iterdir() if p.name.startswith(".") and p.name != ".000004.npz.123.tmp"]


def test_runs_root_is_the_env_or_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("WGAN_RUNS_DIR", str(tmp_path / "r"))
    assert runs_root() == tmp_path / "r"
    assert new_run_dir("toy-wgan").parent == tmp_path / "r"
    monkeypatch.delenv("WGAN_RUNS_DIR")
    monkeypatch.chdir(tmp_path)
    assert runs_root() == tmp_path.resolve() / "runs"


def test_write_json_is_json_ready_and_atomic(tmp_path):
    path = write_json(tmp_path / "x" / "s.json", {"a": np.float32(1.5), "b": float("nan"), "c": (1, 2)})
    assert json.loads(path.read_text()) == {"a": 1.5, "b": None, "c": [1, 2]}
    assert [p.name for p in path.parent.iterdir()] == ["s.json"]


def test_an_image_run_recorded_before_the_one_recorder_still_replays(tmp_path):
    """The image CLI's earlier writer: sorted JSON, 64 grid images per snapshot, a summary with no
    ``format``. Its runs load, and their grids are drawn from the first GRID_IMAGES samples."""
    from wgan_core.images.grid import GRID_IMAGES
    from wgan_core.images.replay import list_image_runs, load_image_run, run_grid

    run = tmp_path / "old-run"
    (run / "snapshots").mkdir(parents=True)
    config = TrainConfig(dataset="digits", image_size=32, generator="mlp", critic_arch="mlp", device="cpu")
    (run / "config.json").write_text(json.dumps(config.to_dict(), indent=2, sort_keys=True))
    (run / "metrics.jsonl").write_text('{"g_step": 50, "critic_estimate": 0.5}\n')
    samples = np.random.default_rng(0).integers(0, 256, (64, 1, 32, 32), dtype=np.uint8)
    np.savez_compressed(run / "snapshots" / "000050.npz", g_step=50, samples=samples)
    (run / "summary.json").write_text(json.dumps({"g_step": 50, "critic_estimate": 0.5}, sort_keys=True))
    assert list_image_runs(tmp_path) == ["old-run"]
    loaded = load_image_run("old-run", tmp_path)
    assert loaded.snapshot_steps == [50] and loaded.logs[0]["critic_estimate"] == 0.5
    side = int(np.ceil(np.sqrt(GRID_IMAGES)))
    assert run_grid(loaded, 50).shape == (side * 32 + (side + 1) * 2, side * 32 + (side + 1) * 2, 1)
