r"""GAN vs WGAN vs WGAN-GP on one toy data set and seed: the comparison as a library function.

:func:`compare` trains each method of :data:`COMPARE_METHODS` from its preset in
:data:`wgan_core.config.METHOD_PRESETS` (its standard procedure), records each run, and returns a
:class:`Comparison`: per method the run's summary with its mode coverage as the literature reports
it (:func:`wgan_core.metrics.coverage_summary`), and a verdict. The verdict states this run's numbers,
and, where the seed table (:func:`seed_table`, measured by ``bench/mode_collapse_seeds.py``) holds
the same data set and budget, what happened over its seeds. No outcome is claimed from one seed.
The command line (``python -m wgan_core compare``) only parses flags and prints.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .config import METHOD_PRESETS, preset
from .metrics import COVERAGE_KEYS, coverage_summary

__all__ = ["COMPARE_METHODS", "COMPARE_STEPS", "Comparison", "compare", "verdict", "seed_table", "seed_findings",
           "table_markdown", "train_and_record", "SEED_TABLE"]

#: The methods `compare` trains, each from its preset in config.METHOD_PRESETS.
COMPARE_METHODS = tuple(METHOD_PRESETS)
#: compare's default number of generator iterations per method.
COMPARE_STEPS = 1500
#: Per-seed summaries measured by ``bench/mode_collapse_seeds.py`` (``--export``).
SEED_TABLE = Path(__file__).with_name("mode_collapse_seeds.json")


@dataclass
class Comparison:
    """What :func:`compare` returns: per-method summaries, the verdict, wall seconds, where it is recorded."""

    results: dict[str, dict]
    verdict: str
    seconds: float
    out: Path

    def summary(self) -> dict:
        """The content of ``summary.json``: each method's summary, the verdict and the seconds."""
        return {**self.results, "verdict": self.verdict, "seconds": self.seconds}


def _fmt(value, pattern: str = "{:.3f}") -> str:
    return "n/a" if value is None else pattern.format(value)


def train_and_record(config, out: Path, steps: int, progress: bool = False, label: str = "", snapshot_every=None,
                     position=None) -> dict:
    """Train and record one run (``runs.record_run``) with a progress bar; its summary, plus the mode
    coverage keys of :func:`~wgan_core.metrics.coverage_summary` on data with modes."""
    from tqdm import tqdm

    from .runs import record_run
    from .trainer import Trainer

    trainer = Trainer(config)
    logs: list[dict] = []
    with tqdm(total=steps, desc=f"{label:8s}", unit="G-step", disable=not progress, file=sys.stderr,
              position=position) as bar:
        def advance(log: dict) -> None:
            logs.append(log)
            bar.update(log["g_step"] - bar.n)
            bar.set_postfix(W1=_fmt(log.get("w1_exact")), modes=_fmt(log.get("modes"), "{:.0f}"))

        summary = record_run(trainer, out, steps, snapshot_every=snapshot_every, callback=advance)
    if any("mode_mass" in e for e in logs):
        summary.update(coverage_summary(logs, config.eval_samples))
    return summary


def seed_table(path: Path = SEED_TABLE) -> dict:
    """The bench's per-seed summaries: ``{"runs": [{method, dataset, seed, steps, cpu_s, **summary}], ...}``."""
    return json.loads(Path(path).read_text())


def seed_findings(dataset: str, steps: int, table: dict | None = None, n_modes: int = 8) -> dict | None:
    """What the seed table measured at ``dataset`` and ``steps``, counted over its seeds (None when it has
    no runs there). Keys: ``seeds``; per method ``{key: sorted values}`` for the summary keys; and counts
    of seeds: ``gan_fewer`` (the GAN's mean modes over the second half below WGAN-GP's), ``gan_hops``
    (the GAN visited at least one more mode than it held on average: its set of modes moved),
    ``gp_steady`` (WGAN-GP held all ``n_modes`` in every log of the second half), ``wgan_all``
    (the clipped WGAN covered all ``n_modes`` at the end)."""
    rows = [r for r in (table or seed_table())["runs"] if r["dataset"] == dataset and r["steps"] == steps]
    by = {m: {r["seed"]: r for r in rows if r["method"] == m} for m in COMPARE_METHODS}
    seeds = sorted(set.intersection(*(set(v) for v in by.values())))
    if not seeds:
        return None
    out: dict = {"dataset": dataset, "steps": steps, "seeds": len(seeds), "seed_list": seeds}
    for m in COMPARE_METHODS:
        out[m] = {k: sorted(by[m][s][k] for s in seeds) for k in COVERAGE_KEYS}
        out[m]["cpu_s"] = sorted(by[m][s]["cpu_s"] for s in seeds)
    gan, gp, wgan = by["gan"], by["wgan-gp"], by["wgan"]
    out["gan_fewer"] = sum(gan[s]["modes_mean_late"] < gp[s]["modes_mean_late"] for s in seeds)
    out["gan_hops"] = sum(gan[s]["modes_visited"] >= gan[s]["modes_mean_late"] + 1 for s in seeds)
    out["gp_steady"] = sum(gp[s]["modes_mean_late"] >= n_modes for s in seeds)
    out["wgan_all"] = sum(wgan[s]["modes"] >= n_modes for s in seeds)
    return out


def table_markdown(table: dict, labels: dict[str, str] | None = None) -> str:
    """The seed table as Markdown: per data set (widest σ first), budget and method, the median and the
    lowest–highest value over the seeds of each coverage key and of the CPU seconds per run."""
    import numpy as np

    from .data import make_toy

    labels = labels or {}
    datasets = sorted({r["dataset"] for r in table["runs"]}, key=lambda d: -make_toy(d).std)
    lines = ["| ring σ | steps | method | seeds | modes at the end | mean modes, 2nd half | modes visited | "
             "high quality | exact W₁ | CPU s per run |", "|" + "---|" * 10]
    for dataset in datasets:
        for steps in table["budgets"]:
            found = seed_findings(dataset, steps, table)
            if found is None:
                continue
            for method in COMPARE_METHODS:
                r = found[method]
                cells = [f"{np.median(r[k]):{p}} ({min(r[k]):{p}}–{max(r[k]):{p}})" for k, p in (
                    ("modes", ".0f"), ("modes_mean_late", ".1f"), ("modes_visited", ".0f"), ("hq_share", ".2f"),
                    ("w1_exact", ".3f"), ("cpu_s", ".0f"))]
                lines.append(f"| {make_toy(dataset).std:g} | {steps:,} | {labels.get(method, method)} | "
                             f"{found['seeds']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + f"\n\nMedian (lowest–highest) over the seeds; {table.get('machine', '')}."


def _table_line(dataset: str, steps: int, table: dict | None, n_modes: int) -> str | None:
    try:
        seen = seed_findings(dataset, steps, table, n_modes)
    except FileNotFoundError:
        return None
    if not seen:
        return None
    n = seen["seeds"]
    spread = ", ".join(f"{m} {min(v):.1f}–{max(v):.1f}"
                       for m, v in ((m, seen[m]["modes_mean_late"]) for m in COMPARE_METHODS))
    return (f"the bench's table at this data set and budget ({n} seeds): the GAN held fewer modes than WGAN-GP "
            f"on {seen['gan_fewer']} of {n} seeds (mean modes over the second half, lowest–highest seed: {spread}); "
            f"WGAN-GP held all {n_modes} throughout the second half on {seen['gp_steady']} of {n}; the clipped "
            f"WGAN covered all {n_modes} at the end on {seen['wgan_all']} of {n}")


def verdict(results: dict, n_modes: int | None, dataset: str | None = None, steps: int | None = None,
            table: dict | None = None) -> str:
    """One line: the method with the lowest exact W1 and each method's coverage in this run, then what
    the seed table measured at the same data set and budget (when it has them)."""
    best = min(results, key=lambda m: results[m]["w1_exact"] if results[m]["w1_exact"] is not None else 1e9)
    parts = [f"this run: best W1 {best} ({_fmt(results[best]['w1_exact'])})"]
    if n_modes:
        parts.append(", ".join(
            f"{m} {_fmt(r['modes'], '{:.0f}')}/{n_modes} modes at the end"
            + (f", {r['modes_mean_late']:.1f} on average over the second half" if "modes_mean_late" in r else "")
            + (f", {r['modes_visited']} ever covered" if r.get("modes_visited") is not None else "")
            + f" ({_fmt(r['hq_share'] and 100 * r['hq_share'], '{:.0f}')}% high quality)"
            for m, r in results.items()))
        short = [m for m, r in results.items() if m != "gan" and r["modes"] is not None and r["modes"] < n_modes]
        if short:  # the paper's claim is about a critic trained to optimality, i.e. about convergence
            steps_run = {r.get("g_steps") for m, r in results.items() if m in short} - {None}
            budget = f"{steps_run.pop()} generator steps" if len(steps_run) == 1 else "this budget"
            parts.append(", ".join(short) + f": not converged in {budget} (not all {n_modes} modes yet; the "
                         "paper's no-collapse claim is about a critic trained to convergence — try more --steps)")
        line = _table_line(dataset, steps, table, n_modes) if dataset and steps else None
        parts.append(line or "no seed table at this data set and budget: one seed shows one run, not a rule")
    return "verdict: " + "; ".join(parts)


def compare(dataset: str = "8gaussians", seed: int = 0, steps: int = COMPARE_STEPS, *, out: Path,
            device: str = "auto", jobs: int = 1, threads: int = 1, overrides: dict | None = None,
            progress: bool = False, fork: bool = False) -> Comparison:
    """Train every method of :data:`COMPARE_METHODS` on ``dataset`` and ``seed`` for ``steps`` generator
    steps, record each under ``out/<method>/``, write ``out/summary.json`` and return the comparison.

    ``jobs`` methods train at once in separate processes with ``threads`` CPU threads each; ``fork``
    lets those be forked (safe only from a fresh process that has computed nothing yet, on the CPU).
    """
    from .data import make_toy
    from .runs import write_json

    configs = {m: preset(METHOD_PRESETS[m], dataset=dataset, seed=seed, device=device, cpu_threads=threads,
                         **(overrides or {}))
               for m in COMPARE_METHODS}  # validate all before training
    start = time.perf_counter()
    jobs = min(jobs, len(COMPARE_METHODS))
    if jobs == 1:
        results = {m: train_and_record(cfg, out / m, steps, progress, m) for m, cfg in configs.items()}
    else:
        results = _train_in_processes(configs, out, steps, progress, jobs, fork)
    source = make_toy(dataset)
    n_modes = len(source.centers) if hasattr(source, "centers") else None
    result = Comparison(results, verdict(results, n_modes, dataset, steps), time.perf_counter() - start, out)
    write_json(out / "summary.json", result.summary())
    return result



def _train_in_processes(configs: dict, out: Path, steps: int, progress: bool, jobs: int, fork: bool) -> dict:
    """Independent runs, one process per method, so that they use the machine's cores."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from . import runs, trainer  # noqa: F401 - imported once here, inherited by forked workers
    from .models import resolve_device

    # Fork only where it is known to be safe and it pays: a fresh process (``python -m wgan_core``
    # that has only parsed flags: ``fork``) on Linux, training on the CPU. The workers then inherit
    # the imports instead of paying ~3 s each. A process that has already computed something may
    # have a running OpenMP thread team, and a forked child of it can hang at its first parallel
    # region (seen under pytest after a figure-3 run). Elsewhere the workers come from the live
    # jobs' forkserver (imports preloaded once). CUDA cannot be used after a fork.
    cpu = all(resolve_device(cfg.device).type == "cpu" for cfg in configs.values())
    if fork and cpu and sys.platform == "linux":
        context = multiprocessing.get_context("fork")
    else:
        from .live import worker_context

        context = _NamedWorkers(worker_context())
    with ProcessPoolExecutor(jobs, mp_context=context) as pool:
        # longest first (WGAN-GP's penalty makes its steps the dearest, GAN's n_critic = 1 the
        # cheapest): with fewer workers than methods the short runs share a worker meanwhile
        order = sorted(configs, key=COMPARE_METHODS.index, reverse=True)
        futures = {m: pool.submit(train_and_record, configs[m], out / m, steps, progress, m, None,
                                  COMPARE_METHODS.index(m)) for m in order}
        return {m: futures[m].result() for m in COMPARE_METHODS}


class _NamedWorkers:
    """A multiprocessing context whose processes carry the live workers' name, so that, like them, they
    never re-run the parent's ``__main__`` (after a Streamlit page ran in this process, that is the page
    script; see :mod:`wgan_core.live.worker`)."""

    def __init__(self, context):
        self._context = context

    def __getattr__(self, name: str):
        return getattr(self._context, name)

    def Process(self, *args, **kwargs):  # noqa: N802 - multiprocessing's name
        from .live import WORKER_NAME

        process = self._context.Process(*args, **kwargs)
        process.name = f"{WORKER_NAME}-compare-{process.name}"
        return process
