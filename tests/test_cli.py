"""CLI: train-toy and compare write their summaries; bad flags give one clean line and exit 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from wgan_core.cli import main

FAST = ["--steps", "4", "--width", "16", "--depth", "2", "--batch-size", "32", "--metrics-every", "2",
        "--eval-samples", "64", "--device", "cpu", "--no-progress"]


def test_train_toy_writes_summary(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train-toy", "--dataset", "8gaussians", "--loss", "wgan", "--n-critic", "2", "--clip-value",
                 "0.02", "--lr", "0.001", "--seed", "3", *FAST, "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    for key in ("g_steps_per_s", "modes", "hq_share", "w1_exact", "critic_estimate", "seconds"):
        assert summary[key] is not None
    config = json.loads((out / "config.json").read_text())
    assert (config["n_critic"], config["clip_value"], config["lr"], config["seed"]) == (2, 0.02, 0.001, 3)
    assert "recorded in" in capsys.readouterr().out


def test_compare_writes_one_entry_per_method_and_a_verdict(tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", "--dataset", "8gaussians", *FAST, "--jobs", "2", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    for method in ("gan", "wgan", "wgan-gp"):
        assert set(summary[method]) >= {"g_steps_per_s", "modes", "hq_share", "w1_exact", "critic_estimate", "seconds"}
        assert (out / method / "checkpoint.pt").is_file()
    assert summary["verdict"].startswith("verdict: ")
    assert summary["verdict"] in capsys.readouterr().out


@pytest.mark.parametrize("argv, needle", [
    (["train-toy", "--steps", "zero"], "--steps"),
    (["train-toy", "--steps", "0"], "positive"),
    (["train-toy", "--loss", "hinge"], "--loss"),
    (["train-toy", "--lr", "-1", "--steps", "1"], "lr must be"),
    (["train-toy", "--n-critic", "0", "--steps", "1"], "n_critic"),
    (["compare", "--width", "0", "--steps", "1", "--jobs", "1"], "width"),
    (["compare", "--jobs", "0"], "--jobs"),
    (["fly"], "invalid choice"),
    ([], "required"),
])
def test_bad_flags_are_one_clean_line(argv, needle, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_unwritable_out_is_a_clean_error(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["train-toy", *FAST, "--out", str(blocker / "run")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("wgan_core: error:") and "Traceback" not in err


def test_existing_run_dir_and_help_via_module(tmp_path):
    out = tmp_path / "r"
    assert main(["train-toy", *FAST, "--out", str(out)]) == 0
    proc = subprocess.run([sys.executable, "-m", "wgan_core", "train-toy", *FAST, "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "already holds" in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "wgan_core", "train-toy", "--help"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0
    for flag in ("--dataset", "--loss", "--n-critic", "--clip-value", "--lambda-gp", "--lr", "--out"):
        assert flag in proc.stdout
