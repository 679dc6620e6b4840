"""Recorded runs: the directory layout, a faithful round trip, replay and resume from the checkpoint."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from wgan_core.config import TrainConfig
from wgan_core.runs import SUMMARY_KEYS, RunRecorder, list_runs, load_run, record_run
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
    (tmp_path / "a" / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match="malformed"):
        load_run(tmp_path / "a")
    assert list_runs(tmp_path) == [tmp_path / "a"]
    assert list_runs(tmp_path / "missing") == []
