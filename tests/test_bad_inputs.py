"""Bad input, one case per line: each gets a clear message naming the problem, runs no code it was
handed, and loses nothing (the files it was given are unchanged afterwards).

A case writes the user's files into ``inp`` (``setup``; compared byte for byte before and after the
attempt), then ``attempt(inp, work)`` returns the message the user sees (``work`` holds caches).
"""

from __future__ import annotations

import json
import os
import pickle
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from lessons import Choice, Slider, Toggle
from wgan_core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from wgan_core.config import TrainConfig, preset

N = Slider("n", "samples", 100, 2000, 500, step=100, integer=True)
METHOD = Choice("method", "method", ("wgan", "gan"), "wgan")
DECAY = Toggle("decay", "decay", False)
#: A file the malicious payloads would create: it must never appear.
MARKER = "payload-ran"


@dataclass(frozen=True)
class Bad:
    id: str
    attempt: Callable[[Path, Path], str]  # (inp, work) -> the message the user sees
    message: str  # a regular expression the message must match
    setup: Callable[[Path, Path], None] = lambda inp, work: None  # writes the user's files into inp


def raised(kind: type[BaseException], function, *args, **kwargs) -> str:
    with pytest.raises(kind) as info:
        function(*args, **kwargs)
    return str(info.value)


def _link_script():
    import streamlit as st

    from app import shell
    from lessons import Choice, Slider

    shell.controls_ui("demo", (Slider("n", "samples", 100, 2000, 500, step=100, integer=True),
                               Choice("method", "method", ("wgan", "gan"), "wgan")))
    st.write("ok")


def toast(query: dict[str, str]) -> str:
    """The toast of the controls page opened with ``query`` (Markdown escapes removed)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_link_script, default_timeout=60)
    at.query_params.update(query)
    at.run()
    assert not at.exception
    (shown,) = at.toast
    return shown.value.replace("\\", "")


class Payload:
    """Unpickling this calls os.system, which would create ``path``."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return os.system, (f"touch {self.path}",)


def write_malicious_checkpoint(inp: Path, work: Path) -> None:
    torch.save({"critic": {"w": torch.zeros(2)}, "extra": Payload(work / MARKER)}, inp / "checkpoint.pt")


def write_malicious_pickle(inp: Path, work: Path) -> None:
    (inp / "checkpoint.pt").write_bytes(pickle.dumps(Payload(work / MARKER), protocol=2))


def write_truncated_checkpoint(inp: Path, work: Path) -> None:
    whole = save_checkpoint(work / "whole.pt", {"w": torch.arange(1000.0)}).read_bytes()
    (inp / "checkpoint.pt").write_bytes(whole[: len(whole) // 2])


def load_the_checkpoint(inp: Path, work: Path) -> str:
    return raised(CheckpointError, load_checkpoint, inp / "checkpoint.pt")


def write_corrupt_lmdb(inp: Path, work: Path) -> None:
    (inp / "bedroom_train_lmdb").mkdir()
    (inp / "bedroom_train_lmdb" / "data.mdb").write_bytes(b"not an lmdb at all " * 400)


def write_text_lmdb(inp: Path, work: Path) -> None:
    import lmdb

    env = lmdb.open(str(inp / "bedroom_train_lmdb"), map_size=1 << 20)
    with env.begin(write=True) as txn:
        txn.put(b"0001", b"plain text, no image")
    env.close()


def open_lmdb(inp: Path, work: Path) -> str:
    import lmdb

    from wgan_core.images.lsun import LSUNDataset

    return raised((lmdb.Error, ValueError), LSUNDataset, inp / "bedroom_train_lmdb", cache_dir=work)


def read_first_image(inp: Path, work: Path) -> str:
    from wgan_core.images.lsun import LSUNDataset
    from wgan_core.images.preprocess import CorruptImageError

    dataset = LSUNDataset(inp / "bedroom_train_lmdb", cache_dir=work)
    return raised(CorruptImageError, dataset.__getitem__, 0)


def write_run(inp: Path, work: Path, *, finish: bool = True, metrics: str | None = None,
              summary: dict | None = None, config_text: str | None = None) -> None:
    """A run directory ``inp/run`` as the recorder writes it, then spoiled as asked."""
    from wgan_core.runs import RunRecorder

    recorder = RunRecorder(inp / "run", TrainConfig())
    recorder.log({"g_step": 1, "critic_loss": -0.1})
    if finish:
        recorder.finish({"g_steps": 1})
    if metrics is not None:
        (inp / "run" / "metrics.jsonl").write_text(metrics, encoding="utf-8")
    if summary is not None:
        (inp / "run" / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    if config_text is not None:
        (inp / "run" / "config.json").write_text(config_text, encoding="utf-8")


def spoiled_run(**spoil):
    return lambda inp, work: write_run(inp, work, **spoil)


def load_the_run(inp: Path, work: Path) -> str:
    from wgan_core.runs import load_run

    return raised(ValueError, load_run, inp / "run")


def scan_the_runs(inp: Path, work: Path) -> str:
    """What the run list says of the spoiled run: skipped, with the reason."""
    from wgan_core.runs import scan_runs

    good, skipped = scan_runs(inp)
    assert good == [] and list(skipped) == [inp / "run"]
    return skipped[inp / "run"]


def only_config(inp: Path, work: Path) -> None:
    from wgan_core.runs import write_json

    write_json(inp / "run" / "config.json", TrainConfig().to_dict())


def write_good_checkpoint(inp: Path, work: Path) -> None:
    save_checkpoint(inp / "checkpoint.pt", {"critic": {"w": torch.ones(3)}, "step": 1})


def save_diverged_weights(inp: Path, work: Path) -> str:
    weights = {"critic": {"w": torch.tensor([1.0, float("nan"), 2.0])}, "step": 2}
    return raised(CheckpointError, save_checkpoint, inp / "checkpoint.pt", weights)


def diverging_run(inp: Path, work: Path) -> str:
    """A learning rate that really diverges (lr 1, critic at 1000x, λ = 1000): weights overflow in steps."""
    from wgan_core.divergence import DivergedError
    from wgan_core.trainer import Trainer

    config = TrainConfig(dataset="8gaussians", width=32, depth=3, batch_size=64, device="cpu", seed=0,
                         eval_samples=64, loss="wgan-gp", optimizer="rmsprop", lr=1.0, critic_lr_ratio=1000.0,
                         lambda_gp=1000.0)
    return raised(DivergedError, lambda: list(Trainer(config).run(50, metrics_every=5)))


def cli(*flags: str):
    """What ``python -m wgan_core train-toy FLAGS`` prints on stderr (it must exit with status 2)."""
    def attempt(inp: Path, work: Path) -> str:
        import contextlib
        import io

        from wgan_core.cli import main

        err = io.StringIO()
        argv = ["train-toy", *(f.format(inp=inp) for f in flags), "--steps", "5", "--no-progress", "--threads", "1"]
        with contextlib.redirect_stderr(err):
            assert main(argv) == 2
        assert not (inp / "new").exists()
        return err.getvalue()

    return attempt


def write_two_runs(inp: Path, work: Path) -> None:
    """A small recorded toy run ``good`` and, beside it, ``run`` (being recorded: no summary yet)."""
    from wgan_core.runs import record_run
    from wgan_core.trainer import Trainer

    config = TrainConfig(dataset="8gaussians", width=16, depth=2, batch_size=32, eval_samples=64, metrics_every=2,
                         device="cpu")
    record_run(Trainer(config), inp / "good", steps=4)
    write_run(inp, work, finish=False)


def _replay_script():
    from app import replay

    replay.replay_ui("demo")


def replay_page(query: dict[str, str]):
    """The replay block over ``inp`` opened with ``query``: its skipped-runs line and any toast."""
    def attempt(inp: Path, work: Path) -> str:
        from streamlit.testing.v1 import AppTest

        old = os.environ.get("WGAN_RUNS_DIR")
        os.environ["WGAN_RUNS_DIR"] = str(inp)
        try:
            at = AppTest.from_function(_replay_script, default_timeout=60)
            at.query_params.update(query)
            at.run()
        finally:
            os.environ.pop("WGAN_RUNS_DIR") if old is None else os.environ.update(WGAN_RUNS_DIR=old)
        assert not at.exception, at.exception
        assert at.select_slider(key="demo.replay.step").value == 4  # a bad step falls back to the last one
        return " | ".join([c.value for c in at.caption] + [t.value.replace("\\", "") for t in at.toast])

    return attempt


def missing_dataset(kind: str):
    def case(inp: Path, work: Path) -> str:
        from wgan_core.data import build_data

        return raised(ValueError, build_data, TrainConfig(dataset=kind, data_root=str(inp / "nowhere")), "cpu")

    return case


def config(**changes):
    return lambda inp, work: raised(ValueError, TrainConfig, **changes)


def parse(control, text: str):
    return lambda inp, work: raised(ValueError, control.parse, text)


CASES = [
    # --- URL values -----------------------------------------------------------------------------
    Bad("url-not-a-number", parse(N, "abc"), r"^n='abc' is not a number$"),
    Bad("url-nan", parse(N, "nan"), r"^n='nan' is not a number$"),
    Bad("url-inf", parse(N, "inf"), r"^n='inf' is not a number$"),
    Bad("url-huge", parse(N, "1e400"), r"^n='1e400' is outside \[100, 2000\]$"),
    Bad("url-out-of-range", parse(N, "-5"), r"^n='-5' is outside \[100, 2000\]$"),
    Bad("url-superscript-digit", parse(N, "²"), r"^n='²' is not a number$"),
    Bad("url-arabic-indic-digits", parse(N, "١٢٠٠"), r"^n='١٢٠٠' is not a number$"),
    Bad("url-empty", parse(N, ""), r"^n='' is not a number$"),
    Bad("url-underscored", parse(N, "1_000"), r"^n='1_000' is not a number$"),
    Bad("url-unknown-choice", parse(METHOD, "hinge"), r"^method='hinge' is not one of wgan, gan$"),
    Bad("url-not-a-toggle", parse(DECAY, "maybe"), r"^decay='maybe' is not on or off"),
    Bad("url-long-value-cut", parse(METHOD, "x" * 5000), r"^method='x{40}…' is not one of"),
    Bad("url-off-grid-snapped", lambda inp, work: toast({"n": "1999"}),
        r"n=`'1999'` is not a value of the slider: snapped to the nearest one, 2000"),
    Bad("url-markdown-link", lambda inp, work: toast({"method": "[click](http://evil.example)"}),
        r"Ignored the link's value: method=`'\[click\]\(http://evil.example\)'` is not one of wgan, gan\. Using wgan"),
    Bad("url-replay-step-superscript", replay_page({"replay_step": "²"}),
        r"Skipped 1 recorded run — `run`: it is still being recorded or was cut short \(no summary\.json yet\)",
        write_two_runs),
    Bad("url-replay-run-outside-the-runs", replay_page({"replay_run": "../../etc", "replay_step": "-1"}),
        r"Ignored the link's value: replay_run=`'\.\./\.\./etc'` is not one of good\. Using good\.", write_two_runs),
    # --- checkpoints ----------------------------------------------------------------------------
    Bad("checkpoint-malicious-pickle-in-torch-file", load_the_checkpoint,
        r"checkpoint\.pt is not a weights-only checkpoint: .*could run code, so it will not be loaded",
        write_malicious_checkpoint),
    Bad("checkpoint-plain-malicious-pickle", load_the_checkpoint,
        r"checkpoint\.pt is not a weights-only checkpoint: .*could run code, so it will not be loaded",
        write_malicious_pickle),
    Bad("checkpoint-diverged-weights-never-stored", save_diverged_weights, r"critic/w holds NaN or inf",
        write_good_checkpoint),
    Bad("checkpoint-truncated", load_the_checkpoint, r"checkpoint\.pt is corrupt", write_truncated_checkpoint),
    Bad("checkpoint-missing", lambda inp, work: raised(CheckpointError, load_checkpoint, inp / "none.pt"),
        r"checkpoint .*none\.pt does not exist"),
    # --- training -------------------------------------------------------------------------------
    Bad("run-diverges", diverging_run,
        r"^diverged at step 5 \((critic loss|gradient penalty|critic weights|generator weights) (nan|-?inf)\)$"),
    Bad("cli-flag-out-of-range", cli("--clip-value", "100", "--out", "{inp}/new"),
        r"^wgan_core: error: clip_value must be in \(0\.0, 10\.0\]; got 100\.0$"),
    Bad("cli-out-already-holds-a-run", cli("--out", "{inp}/run"),
        r"^wgan_core: error: out_dir .*/in/run already holds a recorded run; choose another directory$", spoiled_run()),
    # --- recorded runs --------------------------------------------------------------------------
    Bad("run-only-config", load_the_run, r"run is not a replayable run: metrics\.jsonl is missing", only_config),
    Bad("run-being-recorded", load_the_run, r"still being recorded or was cut short \(no summary\.json yet\)",
        spoiled_run(finish=False)),
    Bad("run-torn-metrics-line", load_the_run, r"metrics\.jsonl ends in a cut line \(torn while written\)",
        spoiled_run(metrics='{"g_step": 1}\n{"g_st')),
    Bad("run-metrics-not-json", load_the_run, r"line 2 of its metrics\.jsonl is not JSON",
        spoiled_run(metrics='{"g_step": 1}\nnot json\n')),
    Bad("run-unknown-format", load_the_run, r"unknown format \(99; this version reads 1\)",
        spoiled_run(summary={"format": 99})),
    Bad("run-config-malformed", load_the_run, r"its config\.json is malformed JSON", spoiled_run(config_text="{")),
    Bad("run-config-from-a-newer-version", scan_the_runs,
        r"^unknown version \(warp_drive is not a TrainConfig field\)$", spoiled_run(config_text='{"warp_drive": 1}')),
    Bad("run-list-skips-torn-run", scan_the_runs, r"^its metrics\.jsonl ends in a cut line",
        spoiled_run(metrics='{"g_step": 1')),
    # --- image data -----------------------------------------------------------------------------
    Bad("lmdb-corrupt", open_lmdb, r"bedroom_train_lmdb: MDB_INVALID: File is not an LMDB file", write_corrupt_lmdb),
    Bad("lmdb-non-image-entry", read_first_image, r"could not decode image LSUN key '0001' in bedroom_train_lmdb",
        write_text_lmdb),
    Bad("lmdb-folder-without-data", open_lmdb, r"bedroom_train_lmdb is not an lmdb directory \(no data\.mdb\)",
        lambda inp, work: (inp / "bedroom_train_lmdb").mkdir()),
    Bad("dataset-missing-lsun", missing_dataset("lsun"), r"data_root.*nowhere.*bedroom_train_lmdb"),
    Bad("dataset-missing-folder", missing_dataset("folder"), r"image folder .*nowhere does not exist"),
    Bad("dataset-lsun-without-root", config(dataset="lsun"), r"^data_root must be set for dataset lsun$"),
    # --- configuration values -------------------------------------------------------------------
    Bad("config-negative-lr", config(lr=-1.0), r"^lr must be in \(0\.0, 1\.0\]; got -1"),
    Bad("config-n-critic-zero", config(n_critic=0), r"^n_critic must be between 1 and 100; got 0$"),
    Bad("config-clip-nan", config(clip_value=float("nan")), r"^clip_value must be a finite number; got nan$"),
    Bad("config-lambda-inf", config(lambda_gp=float("inf")), r"^lambda_gp must be a finite number; got inf$"),
    Bad("config-batch-zero", config(batch_size=0), r"^batch_size must be between 1 and 65536; got 0$"),
    Bad("config-unknown-dataset", config(dataset="cifar"), r"^dataset must be one of .*; got 'cifar'$"),
    Bad("config-unknown-loss", config(loss="hinge"), r"^loss must be one of .*; got 'hinge'$"),
    Bad("config-betas-not-a-pair", config(betas=(0.5,)), r"^betas must be a pair \(beta1, beta2\); got \(0\.5,\)$"),
    Bad("config-unknown-field", lambda inp, work: raised(ValueError, TrainConfig.from_dict, {"lr": 1e-3, "evil": 1}),
        r"^evil is not a TrainConfig field$"),
    Bad("config-unknown-preset", lambda inp, work: raised(ValueError, preset, "toy-nope"), r"^preset must be one of "),
]


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_list_is_long_and_every_id_is_unique():
    assert len(CASES) >= 25
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("bad", CASES, ids=lambda c: c.id)
def test_bad_input_gets_a_clear_message_runs_no_code_and_loses_nothing(bad, tmp_path):
    inp, work = tmp_path / "in", tmp_path / "work"
    inp.mkdir()
    work.mkdir()
    bad.setup(inp, work)
    before = _files(inp)
    message = bad.attempt(inp, work)
    assert re.search(bad.message, message), message
    assert not re.search(r"weights_only\W+(set to\W+)?False", message), message  # never advise running the file's code
    assert not list(tmp_path.rglob(MARKER)), "the payload ran"
    assert _files(inp) == before, "the user's files changed"
