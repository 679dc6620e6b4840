"""DistributedDataParallel on CPU: ``torchrun --nproc_per_node=2`` with gloo, a few steps, tiny widths.

The run itself checks that both ranks made identical critic and generator step counts and hold
identical weights at the end (it fails otherwise); here we check that rank 0 alone recorded the
run, that the checkpoint carries each rank's own RNG stream, and that it resumes in one process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent


def test_two_gloo_processes_train_in_lockstep_and_rank0_records(tmp_path):
    out = tmp_path / "ddp"
    # --standalone: torchrun's rendezvous binds a free port itself (no window for another process to take it)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           "-m", "wgan_core.images.cli", "--device", "cpu", "--steps", "3", "--ngf", "4", "--ndf", "4",
           "--z-dim", "8", "--batch-size", "8", "--metrics-every", "3", "--eval-samples", "32", "--threads", "1",
           "--no-progress", "--out", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("run recorded in") == 1  # only rank 0 reports and writes
    summary = json.loads((out / "summary.json").read_text())
    assert summary["world_size"] == 2 and summary["g_step"] == 3 and summary["critic_steps"] == 15
    state = torch.load(out / "checkpoint.pt", weights_only=True)
    ranks = state["ranks"]
    assert len(ranks) == 2 and not torch.equal(ranks[0]["rng"]["noise"], ranks[1]["rng"]["noise"])
    assert "running_mean" in " ".join(state["trainer"]["critic"])  # batch-norm buffers were saved

    from wgan_core.images.cli import main

    assert main(["--device", "cpu", "--steps", "4", "--resume", str(out / "checkpoint.pt"), "--no-progress",
                 "--metrics-every", "1", "--eval-samples", "32"]) == 0
    assert json.loads((out / "summary.json").read_text())["g_step"] == 4
