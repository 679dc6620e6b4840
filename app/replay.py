"""Replay of recorded runs: every lesson can show a run trained earlier, with a timeline scrubber.

Runs are directories written by :func:`wgan_core.runs.record_run` (the CLI's ``--out``). The server
decides where they live — :func:`wgan_core.runs.runs_root`: ``WGAN_RUNS_DIR``, else ``runs/`` in the
directory the server was started in — and the page offers only the complete runs found there (no path
is ever typed in the browser); one line names the runs it skipped and why (still being recorded, a
torn log, an unknown version). Usage from a view::

    from app import replay
    replay.replay_ui(SLUG)                              # any recorded run
    replay.replay_ui(SLUG, accept=lambda cfg: cfg.is_toy)   # only some runs

The run and the scrubber position are mirrored in the URL (``replay_run``, ``replay_step``; a step
that is not plain ASCII digits of a recorded step is ignored).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from app import live_export, shell
from lessons import Choice
from plots import live as live_plots
from wgan_core.runs import RecordedRun, load_run, runs_root, scan_runs

CURVES = (("w1_exact", "exact W₁"), ("critic_estimate", "critic estimate Ŵ"), ("modes", "modes covered"),
          ("grad_norm_max", "Lipschitz meter"))


_STEP = re.compile(r"[0-9]{1,12}")  # "²".isdigit() is True but int("²") raises: ASCII digits only


@st.cache_resource(show_spinner=False, max_entries=16)
def _load(path: str, stamp: float) -> RecordedRun:
    """Load a run once per (path, modification time of its metrics)."""
    return load_run(path)


def _run_names(root: Path, accept: Callable | None) -> tuple[dict[str, Path], dict[str, str]]:
    """``({name: path} of the replayable runs this view accepts, {skipped name: why})``."""
    good, skipped = scan_runs(root)
    names = {}
    for path in good:
        name = str(path.relative_to(root))
        try:
            run = _load(str(path), _stamp(path))
        except (ValueError, OSError) as exc:  # changed since it was scanned
            skipped[path] = str(exc)
            continue
        if accept is None or accept(run.config):
            names[name] = path
    return names, {str(p.relative_to(root)): why for p, why in skipped.items()}


def skipped_note(skipped: dict[str, str]) -> None:
    """One line naming the recorded runs that are not offered, and why (nothing when none was skipped)."""
    if skipped:
        shown = "; ".join(f"`{name}`: {why}" for name, why in list(skipped.items())[:3])
        more = f"; and {len(skipped) - 3} more" if len(skipped) > 3 else ""
        st.caption(f"Skipped {len(skipped)} recorded run{'s' if len(skipped) > 1 else ''} — {shown}{more}.")


def _stamp(path: Path) -> float:
    return (path / "metrics.jsonl").stat().st_mtime


def _scrubber(slug: str, steps: list[int]) -> int:
    """A select-slider over the run's snapshot steps, seeded from and mirrored to ``replay_step``."""
    key = f"{slug}.replay.step"
    if key not in st.session_state or st.session_state[key] not in steps:
        raw = st.query_params.get("replay_step") or ""
        st.session_state[key] = int(raw) if _STEP.fullmatch(raw) and int(raw) in steps else steps[-1]
    step = st.select_slider("Timeline (generator step)", options=steps, key=key,
                            help="Scrub through the snapshots the run recorded.")
    shell.sync_url({"replay_step": step})
    return step


def snapshot_view(run: RecordedRun, step: int) -> None:
    """Draw one recorded snapshot: samples over the critic field (2-D toys), weights and gradient norms."""
    snap = run.snapshot(step)
    cols = st.columns(3)
    if "field" in snap and "y" in snap["field"]:
        cols[0].plotly_chart(live_plots.snapshot_figure(snap, f"step {step}: samples over f(x)"),
                             key=f"replay.snap.{run.path.name}", width="stretch")
    if "weights" in snap:
        w = snap["weights"]
        cols[1].plotly_chart(live_plots.histogram(w["counts"], w["edges"], "critic weights", "#2ca02c",
                                                  xtitle="w"), key=f"replay.w.{run.path.name}", width="stretch")
    if "grad_norms" in snap:
        g = snap["grad_norms"]
        cols[2].plotly_chart(live_plots.histogram(g["counts"], g["edges"], "‖∇ₓf‖ at interpolates", "#9467bd",
                                                  marks=(1.0,), xtitle="gradient norm"),
                             key=f"replay.g.{run.path.name}", width="stretch")


#: How a teacher records runs that the lesson's replay section then offers (for the page's
#: "For instructors" section: the replay section itself shows only when there is a run to replay).
HOW_TO_RECORD = ("**Recorded runs.** A run recorded on this server appears in a *Replay a recorded run* "
                 "section of its lesson, for every student. Record one before class with "
                 "`python -m wgan_core train-toy --out runs/NAME` (image runs: `python -m wgan_core "
                 "train-images --out runs/NAME`, on a GPU machine for instance); the runs folder is "
                 "`WGAN_RUNS_DIR`, by default `runs/` where the server starts.")


def replay_ui(slug: str, accept: Callable | None = None, title: str = "Replay a recorded run") -> RecordedRun | None:
    """The replay block: pick a run, scrub its timeline, see its curves up to that step and its snapshot.
    Nothing at all when the server holds no run to replay (:data:`HOW_TO_RECORD` says how to record one)."""
    root = runs_root()
    names, skipped = _run_names(root, accept)
    if not names:
        return None
    st.subheader(title)
    skipped_note(skipped)
    choice = Choice("replay_run", "Recorded run", tuple(names), next(iter(names)))
    name = shell.control_ui(slug, choice)
    shell.sync_url({"replay_run": name})
    try:
        run = _load(str(names[name]), _stamp(names[name]))
    except (ValueError, OSError) as exc:  # removed or rewritten since the list was made
        st.warning(f"Run `{name}` cannot be replayed: {exc}")
        return None
    cfg = run.config
    st.caption(f"{cfg.loss} on {cfg.dataset} · n_critic {cfg.n_critic} · c {cfg.clip_value:g} · "
               f"λ {cfg.lambda_gp:g} · {cfg.optimizer} α {cfg.lr:g} · seed {cfg.seed} · "
               f"{len(run.metrics)} logs, {len(run.snapshot_steps)} snapshots")
    if not run.snapshot_steps:
        st.warning("This run recorded no snapshots.")
        return run
    step = _scrubber(slug, run.snapshot_steps)
    rows = [{"member": cfg.loss, **m} for m in run.metrics if m.get("g_step", 0) <= step]
    shown = [(k, t) for k, t in CURVES if any(r.get(k) is not None for r in run.metrics)]
    for col, (key, label) in zip(st.columns(max(1, len(shown))), shown, strict=False):
        col.plotly_chart(live_plots.curves(rows, key, label, height=260), key=f"{slug}.replay.{key}",
                         width="stretch")
    try:
        snapshot_view(run, step)
    except (ValueError, OSError) as exc:
        st.warning(f"The snapshot at step {step} of `{name}` cannot be read: {exc}")
    st.download_button("Run metrics (CSV)", data=lambda: live_export.metrics_csv(run.metrics), on_click="ignore",
                       file_name=f"{Path(name).name}-metrics.csv", mime="text/csv", key=f"{slug}.replay.csv")
    return run
