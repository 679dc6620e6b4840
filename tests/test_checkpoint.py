"""Checkpoints: atomic writes, weights-only loads, clear errors for corrupt or malicious files."""

from __future__ import annotations

import os
import pickle

import pytest
import torch

from wgan_core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_round_trip_and_no_temp_left(tmp_path):
    obj = {"w": torch.arange(6.0).reshape(2, 3), "step": 7, "name": "wgan", "betas": (0.0, 0.9)}
    path = save_checkpoint(tmp_path / "sub" / "ck.pt", obj)
    back = load_checkpoint(path)
    assert torch.equal(back["w"], obj["w"]) and back["step"] == 7 and back["betas"] == (0.0, 0.9)
    save_checkpoint(path, {"step": 8})  # overwrite in place
    assert load_checkpoint(path)["step"] == 8
    assert sorted(p.name for p in path.parent.iterdir()) == ["ck.pt"]


def test_failed_write_keeps_the_old_file(tmp_path):
    path = save_checkpoint(tmp_path / "ck.pt", {"step": 1})
    with pytest.raises((AttributeError, TypeError, pickle.PicklingError)):
        save_checkpoint(path, {"bad": lambda: None})  # lambdas cannot be pickled
    assert load_checkpoint(path)["step"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["ck.pt"]


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_corrupt_missing_and_malicious(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "none.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="junk.pt"):
        load_checkpoint(junk)
    good = save_checkpoint(tmp_path / "t.pt", {"w": torch.ones(1000)})
    truncated = tmp_path / "trunc.pt"
    truncated.write_bytes(good.read_bytes()[:200])
    with pytest.raises(CheckpointError):
        load_checkpoint(truncated)
    evil = tmp_path / "evil.pt"
    with evil.open("wb") as fh:
        pickle.dump({"x": Evil()}, fh)
    with pytest.raises(CheckpointError, match="weights-only"):
        load_checkpoint(evil)
