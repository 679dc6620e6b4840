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
    with pytest.raises(CheckpointError, match="not a weights-only checkpoint"):
        load_checkpoint(evil)


class Marker:
    """Unpickling this would create ``path``: the proof that a load ran the file's code."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


def test_a_malicious_pickle_is_refused_without_running_it_and_without_torchs_advice(tmp_path):
    marker = tmp_path / "ran"
    for name, write in (("plain.pt", lambda fh: pickle.dump({"w": Marker(marker)}, fh)),
                        ("torch.pt", lambda fh: torch.save({"w": Marker(marker)}, fh))):
        path = tmp_path / name
        with path.open("wb") as fh:
            write(fh)
        with pytest.raises(CheckpointError) as err:
            load_checkpoint(path)
        message = str(err.value)
        assert not marker.exists()  # nothing in the file was run
        assert name in message and "will not be loaded" in message and "could run code" in message
        assert "weights_only=False" not in message and "weights_only" not in message


def test_non_finite_tensors_are_refused_and_the_old_file_kept(tmp_path):
    path = save_checkpoint(tmp_path / "ck.pt", {"critic": {"w": torch.ones(3)}})
    for bad in (float("nan"), float("inf")):
        with pytest.raises(CheckpointError, match=r"critic/w holds NaN or inf.*diverged"):
            save_checkpoint(path, {"critic": {"w": torch.tensor([1.0, bad])}, "step": 3})
    assert torch.equal(load_checkpoint(path)["critic"]["w"], torch.ones(3))
    assert [p.name for p in tmp_path.iterdir()] == ["ck.pt"]
    save_checkpoint(path, {"steps": torch.tensor([1, 2]), "w": torch.zeros(2)})  # integers need no check
