"""bench/gpu_check.py: its dry run on the CPU runs every part of the GPU check at tiny size and prints
one valid JSON report; without a GPU the real check refuses to pretend."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("environment", "cuda_tests", "image_throughput", "lsun_200", "live_jobs", "torchrun_2gpu")


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_dry_run_runs_every_part_on_the_cpu_and_prints_one_json():
    out = subprocess.run([sys.executable, "bench/gpu_check.py", "--dry-run"], cwd=ROOT, capture_output=True,
                         text=True, timeout=400)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    report = json.loads(out.stdout)  # the whole of stdout is one JSON object
    assert report["dry_run"] is True and report["ok"] is True
    assert tuple(report["parts"]) == PARTS
    parts = report["parts"]
    assert all(p["status"] == "ok" for p in parts.values()), parts
    assert parts["environment"]["modules"]["POT"] is True
    assert parts["cuda_tests"]["counts"]["passed"] >= 1
    tp = parts["image_throughput"]
    assert tp["eager_g_steps_per_s"] > 0 and tp["trainer_g_steps_per_s"] > 0 and tp["target_speedup"] == 3.0
    assert parts["lsun_200"]["g_step"] == parts["lsun_200"]["steps"]
    assert {j["status"] for j in parts["live_jobs"]["jobs"]} == {"finished"}
    assert parts["live_jobs"]["profile"] == "classroom" and parts["live_jobs"]["device"] == "cpu"
    assert parts["torchrun_2gpu"]["world_size"] == 2
    assert report["seconds"] < report["budget_s"]


@pytest.mark.skipif(torch.cuda.device_count() > 0, reason="checks the machine without a GPU")
def test_the_real_check_without_a_gpu_says_so():
    report = load("gpu_check").check(dry_run=False)
    assert report["ok"] is False and "no CUDA GPU" in report["reason"]
    assert list(report["parts"]) == ["environment"]


def test_a_part_lists_the_packages_it_lacks(monkeypatch):
    check = load("gpu_check")
    monkeypatch.setattr(check, "have", lambda module: module not in ("ot", "sklearn"))
    assert check.missing("live_jobs") == ["scikit-learn", "POT"]
    assert check.missing("image_throughput") == []


def test_the_bf16_peak_comes_from_the_device_name():
    bench = load("image_throughput")
    assert bench.bf16_peak("NVIDIA H200") == 989.0
    assert bench.bf16_peak("NVIDIA H100 PCIe") == 756.0
    assert bench.bf16_peak("NVIDIA A100-SXM4-80GB") == 312.0
    assert bench.bf16_peak("Some Future GPU") is None
