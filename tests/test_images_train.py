"""Image training through the one Trainer: every architecture x loss steps, clipping covers batch norm
as configured, coverage improves on the digits, the CLI records a run and resumes bit-exactly, and
bad checkpoints are refused without running code."""

from __future__ import annotations

import json

import pytest
import torch

from wgan_core.config import preset
from wgan_core.images.models import batchnorm_parameters
from wgan_core.trainer import Trainer

TINY = dict(dataset="digits", ngf=4, ndf=4, z_dim=8, batch_size=8, device="cpu", eval_samples=32)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _config(loss: str, **kw):
    return preset("gp-paper" if loss == "wgan-gp" else "paper", loss=loss, **{**TINY, **kw})


@pytest.mark.parametrize("generator", ["dcgan", "dcgan-nobn", "mlp"])
@pytest.mark.parametrize("loss", ["wgan", "gan", "wgan-gp"])
def test_one_step_per_architecture_and_loss(generator, loss):
    trainer = Trainer(_config(loss, generator=generator, seed=1))
    before = [p.detach().clone() for p in trainer.generator.parameters()]
    trainer.step()
    assert trainer.g_step == 1 and trainer.critic_steps == 5
    assert any(not torch.equal(a, b) for a, b in zip(before, trainer.generator.parameters(), strict=True))
    if loss == "wgan":  # Algorithm 1, line 7: every critic weight inside [-c, c]
        assert max(p.abs().max().item() for p in trainer.critic.parameters()) <= 0.01 + 1e-12
    if loss == "wgan-gp":
        assert not batchnorm_parameters(trainer.critic)
    log = trainer.metrics()
    assert {"critic_estimate", "classes_covered", "class_kl", "w1_pixels"} <= set(log)


def test_batch_norm_parameters_are_clipped_only_when_asked():
    for clamp_bn in (True, False):
        trainer = Trainer(_config("wgan", clamp_bn=clamp_bn, seed=2))
        trainer.step()
        bn_max = max(p.abs().max().item() for p in batchnorm_parameters(trainer.critic))
        assert (bn_max <= 0.01 + 1e-12) == clamp_bn  # γ starts near 1, so unclipped it stays large


def test_wgan_class_coverage_improves_over_a_short_seeded_run():
    # Fig 7's generator (no batch norm, constant filters): its samples do not depend on running
    # statistics, and the WGAN still learns with it.
    config = preset("paper", dataset="digits", generator="dcgan-nobn", ngf=16, ndf=16, z_dim=32, batch_size=32,
                    device="cpu", eval_samples=256, lr=1e-3, clip_value=0.05, seed=0)
    trainer = Trainer(config)
    start = trainer.metrics()
    *_, end = trainer.run(30, metrics_every=30)
    assert start["classes_covered"] <= 2
    assert end["classes_covered"] >= start["classes_covered"] + 3
    assert end["class_kl"] < start["class_kl"] - 0.5
    assert end["w1_pixels"] < start["w1_pixels"]


CLI = ["--ngf", "4", "--ndf", "4", "--z-dim", "8", "--batch-size", "8", "--device", "cpu", "--metrics-every", "2",
       "--grid-every", "3", "--checkpoint-every", "2", "--eval-samples", "32", "--no-progress"]


def _cli(*args) -> int:
    from wgan_core.images.cli import main

    return main([*CLI, *args])


def _same(a, b) -> bool:
    """Bit-for-bit equality of nested dicts/lists of tensors and plain values."""
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(map(_same, a, b))
    return a == b


def test_cli_records_a_run_and_resumes_bit_exactly(tmp_path):
    from wgan_core.images.train import load_image_checkpoint

    straight, split = tmp_path / "straight", tmp_path / "split"
    assert _cli("--steps", "4", "--out", str(straight)) == 0
    summary = json.loads((straight / "summary.json").read_text())
    assert summary["g_step"] == 4 and summary["g_steps_per_s"] > 0
    assert {"critic_estimate", "critic_estimate_median", "classes_covered", "class_kl", "w1_pixels"} <= set(summary)
    assert sorted(p.name for p in (straight / "samples").iterdir()) == ["000003.png", "000004.png"]
    assert len((straight / "metrics.jsonl").read_text().splitlines()) == 2
    assert _cli("--steps", "2", "--out", str(split)) == 0
    assert _cli("--steps", "4", "--resume", str(split / "checkpoint.pt")) == 0
    a, b = load_image_checkpoint(straight / "checkpoint.pt"), load_image_checkpoint(split / "checkpoint.pt")
    for part in ("generator", "critic", "opt_g", "opt_c", "rng", "data"):
        assert _same(a["trainer"][part], b["trainer"][part]), part
    assert a["trainer"]["critic_steps"] == b["trainer"]["critic_steps"] == 20
    assert json.loads((split / "summary.json").read_text())["resumed_from"].endswith("checkpoint.pt")


def test_cli_rejects_bad_flags_with_a_message(tmp_path, capsys):
    assert _cli("--steps", "1", "--dataset", "lsun", "--out", str(tmp_path / "x")) == 2
    assert "data_root" in capsys.readouterr().err
    assert _cli("--steps", "1", "--clip-value", "-1", "--out", str(tmp_path / "y")) == 2
    assert "clip_value" in capsys.readouterr().err


class _Boom:
    def __reduce__(self):
        import os

        return (os.system, ("touch PWNED",))


def test_corrupt_truncated_and_malicious_checkpoints_are_refused(tmp_path, monkeypatch, capsys):
    from wgan_core.checkpoint import CheckpointError
    from wgan_core.images.train import load_image_checkpoint

    monkeypatch.chdir(tmp_path)
    assert _cli("--steps", "2", "--out", str(tmp_path / "run")) == 0
    good = (tmp_path / "run" / "checkpoint.pt").read_bytes()
    (tmp_path / "truncated.pt").write_bytes(good[: len(good) // 2])
    (tmp_path / "garbage.pt").write_bytes(b"\x00not a checkpoint" * 10)
    torch.save({"format": "wgan-classroom/images-1", "payload": _Boom()}, tmp_path / "evil.pt")
    torch.save({"format": "something else"}, tmp_path / "foreign.pt")
    for name in ("truncated.pt", "garbage.pt", "evil.pt", "foreign.pt"):
        with pytest.raises(CheckpointError):
            load_image_checkpoint(tmp_path / name)
    assert not (tmp_path / "PWNED").exists()
    capsys.readouterr()
    assert _cli("--steps", "3", "--resume", str(tmp_path / "evil.pt")) == 2
    assert "evil.pt" in capsys.readouterr().err
    assert not (tmp_path / "PWNED").exists()
