"""CLI: train-toy and compare write their summaries; bad flags give one clean line and exit 2."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from wgan_core.cli import build_parser, main, toy_config
from wgan_core.config import METHOD_PRESETS, PRESETS
from wgan_core.runs import check_run

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
        assert set(summary[method]) >= {"g_steps_per_s", "modes", "hq_share", "w1_exact", "critic_estimate", "seconds",
                                        "modes_mean_late", "modes_visited"}
        assert 0 <= summary[method]["modes_mean_late"] <= 8 and 0 <= summary[method]["modes_visited"] <= 8
        assert summary[method]["modes_visited"] >= summary[method]["modes"]
        assert (out / method / "checkpoint.pt").is_file()
    assert summary["verdict"].startswith("verdict: this run: ")
    assert "no seed table at this data set and budget" in summary["verdict"]  # 4 steps: not a recorded budget
    assert summary["verdict"] in capsys.readouterr().out
    for method in ("gan", "wgan", "wgan-gp"):  # the methods' presets, and the cores shared by the 2 jobs
        config = json.loads((out / method / "config.json").read_text())
        assert config["lr"] == PRESETS[METHOD_PRESETS[method]]["lr"]
        assert config["cpu_threads"] == max(1, (os.cpu_count() or 1) // 2)


def test_compare_is_a_library_function_returning_data(tmp_path):
    from wgan_core.compare import COMPARE_METHODS, compare

    result = compare("8gaussians-narrow", 1, 4, out=tmp_path / "c", device="cpu",
                     overrides=dict(width=16, depth=2, batch_size=32, metrics_every=2, eval_samples=64))
    assert tuple(result.results) == COMPARE_METHODS and result.verdict.startswith("verdict: ")
    assert json.loads((tmp_path / "c" / "summary.json").read_text())["verdict"] == result.verdict
    for method, row in result.results.items():
        config = json.loads((tmp_path / "c" / method / "config.json").read_text())
        assert config["dataset"] == "8gaussians-narrow" and row["g_steps"] == 4


def test_a_single_run_uses_every_core_unless_told():
    parser = build_parser()
    assert toy_config(parser.parse_args(["train-toy"])).cpu_threads == (os.cpu_count() or 1)
    assert toy_config(parser.parse_args(["train-toy", "--threads", "1"])).cpu_threads == 1


def test_a_diverging_run_stops_with_one_line_and_status_3(tmp_path, capsys):
    """A learning rate that really diverges (critic lr 1000, λ = 1000): found at the first metrics read."""
    out = tmp_path / "diverged"
    assert main(["train-toy", "--loss", "wgan-gp", "--optimizer", "rmsprop", "--lr", "1", "--critic-lr-ratio", "1000",
                 "--lambda-gp", "1000", "--steps", "50", "--metrics-every", "5", "--width", "32", "--depth", "3",
                 "--batch-size", "64", "--eval-samples", "64", "--device", "cpu", "--no-progress", "--threads", "1",
                 "--out", str(out)]) == 3
    err = capsys.readouterr().err
    assert re.fullmatch(r"wgan_core: diverged at step 5 \((critic loss|gradient penalty|critic weights) "
                        r"(nan|inf|-inf)\)\n", err), err
    assert "cut short" in check_run(out)  # no summary: the run is not offered for replay


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


def test_a_diverging_image_run_stops_with_one_line_and_status_3(tmp_path, capsys):
    assert main(["train-images", "--loss", "wgan-gp", "--optimizer", "rmsprop", "--lr", "1", "--critic-lr-ratio",
                 "1000", "--lambda-gp", "1000", "--ngf", "4", "--ndf", "4", "--z-dim", "8", "--batch-size", "8",
                 "--eval-samples", "32", "--device", "cpu", "--steps", "10", "--metrics-every", "5", "--grid-every",
                 "100", "--checkpoint-every", "100", "--threads", "1", "--no-progress",
                 "--out", str(tmp_path / "i")]) == 3
    err = capsys.readouterr().err
    assert re.fullmatch(r"train-images: diverged at step 5 \([a-z ]+ (nan|inf|-inf)\)\n", err), err
