"""The class results board of a live lesson: each ended run of the class (its settings and last
measured values), plotted, tabled, downloadable, and summed up in a sentence filled from the board.

A view calls :func:`class_board_ui` once per full run, after its live panel::

    board.class_board_ui(SLUG, panel.job, settings)

It posts this session's run of the lesson when it ends — finished, or stopped — or when it is reset
or replaced after at least :data:`MIN_STEPS` generator steps; each member of a comparison (GAN, WGAN,
WGAN-GP) is one point. Posting needs the class store; without it the section says the board is off.
"""

from __future__ import annotations

import csv
import io

import streamlit as st

from app import classroom
from plots.board import board_figure
from wgan_core.live import ENDED, LIVE_HPARAMS

#: Seconds between redraws of the board (other students' runs appear without a click).
REFRESH_S = 5.0
#: A reset or replaced run is posted only after this many generator steps.
MIN_STEPS = 50
#: Last measured values a run posts (those its logs have).
MEASURED = ("critic_estimate", "w1_exact", "modes", "hq_share", "classes_covered", "class_kl")
#: Page settings a run posts (those the lesson has).
SETTINGS = ("seed", "dataset", "generator", "method", "official_schedule")
#: The live lessons that have a class board.
BOARD_LESSONS = ("mode_collapse", "clipping_vs_gp", "images")
WATCHED = "board.watched"  # slug -> (job, page settings) of this session's latest run
POSTED = "board.posted"  # ids of this session's jobs already posted (or judged not worth posting)
#: Stop reasons of a run that the student threw away (posted only after MIN_STEPS).
DISCARDED = ("reset", "a new run started", "the lesson's settings changed")


def run_points(job, settings: dict) -> list[tuple[dict, dict]]:
    """(settings, measured) of each member of ``job`` from its last log round."""
    last = {e["member"]: e for e in job.logs()}
    hparams = job.hparams()
    points = []
    for member, row in last.items():
        posted = {"method": member, "steps": int(row.get("g_step", job.steps))}
        posted |= {k: v for k, v in hparams.get(member, {}).items() if k in LIVE_HPARAMS}
        posted |= {k: settings[k] for k in SETTINGS if k in settings and k != "method"}
        points.append((posted, {k: row[k] for k in MEASURED if row.get(k) is not None}))
    return points


def worth_posting(job) -> bool:
    """Whether an ended (or ending) run goes on the board."""
    if job.status == "failed" or not job.logs():
        return False
    if job.status == "finished":
        return True
    thrown_away = any(job.stop_reason.startswith(reason) for reason in DISCARDED)
    return job.steps >= MIN_STEPS if thrown_away else job.steps >= 1


def _post(slug: str, student: str, settings: dict, measured: dict) -> None:
    classroom.call(lambda s: s.post_run(slug, student, settings, measured))


def track(slug: str, job, settings: dict) -> None:
    """Post this session's previous or current run of ``slug`` once it has ended."""
    watched = st.session_state.setdefault(WATCHED, {})
    posted = st.session_state.setdefault(POSTED, set())
    earlier = watched.get(slug)
    for candidate, page_settings in ([earlier] if earlier else []) + ([(job, settings)] if job is not None else []):
        ended = candidate.status in ENDED or bool(candidate.stop_reason)
        if ended and candidate.id not in posted:
            posted.add(candidate.id)
            if worth_posting(candidate):
                for run_settings, measured in run_points(candidate, page_settings):
                    _post(slug, classroom.student_id(), run_settings, measured)
    if job is not None:
        watched[slug] = (job, dict(settings))


def board_rows(runs, me: str) -> list[dict]:
    return [{"method": r.settings.get("method", "?"), "clip_value": r.settings.get("clip_value"),
             "own": r.student == me, "settings": r.settings, **r.measured} for r in runs]


def summary(rows: list[dict], students: int) -> str:
    """What the board holds, in a sentence or two: counts, and the lowest exact W1 with its settings."""
    methods = {}
    for r in rows:
        methods[r["method"]] = methods.get(r["method"], 0) + 1
    counts = ", ".join(f"{n} {m}" for m, n in methods.items())
    text = f"The board holds {len(rows)} run{'s' * (len(rows) != 1)} from {students} session" \
           f"{'s' * (students != 1)} ({counts})."
    with_w1 = [r for r in rows if r.get("w1_exact") is not None]
    if with_w1:
        best, worst = min(with_w1, key=lambda r: r["w1_exact"]), max(with_w1, key=lambda r: r["w1_exact"])
        clip = lambda r: f" at c = {r['clip_value']:g}" if r.get("clip_value") else ""  # noqa: E731
        text += (f" Lowest exact W₁: {best['w1_exact']:.3f} ({best['method']}{clip(best)}, "
                 f"{best['settings'].get('steps')} steps); highest: {worst['w1_exact']:.3f} "
                 f"({worst['method']}{clip(worst)}).")
    clipped = sorted({r["clip_value"] for r in rows if r.get("clip_value")})
    if len(clipped) > 1:
        text += f" Clipped runs span c = {clipped[0]:g} to {clipped[-1]:g}."
    return text


def csv_bytes(rows: list[dict]) -> bytes:
    columns = sorted({k for r in rows for k in r["settings"]}) + [k for k in MEASURED if any(k in r for r in rows)]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for r in rows:
        writer.writerow({**r["settings"], **{k: r.get(k) for k in MEASURED}})
    return out.getvalue().encode("utf-8")


def class_board_ui(slug: str, job, settings: dict, labels: dict[str, str] | None = None) -> None:
    """The **Class results** section: posts this session's ended run, then plots the class's runs,
    redrawn every :data:`REFRESH_S` seconds, so the class's runs appear as they end."""
    track(slug, job, settings)
    st.subheader("Class results")
    if classroom.store() is None:
        st.caption("The class board is off on this server (its class database cannot be used).")
        return

    @st.fragment(run_every=REFRESH_S)
    def board_section() -> None:
        _board(slug, labels)

    board_section()


def _board(slug: str, labels: dict[str, str] | None) -> None:
    runs = classroom.call(lambda s: s.board(slug), [])
    if not runs:
        st.caption(f"No run on the class's board yet. A run that ends (finished, stopped, or reset after at "
                   f"least {MIN_STEPS} steps) appears here, with everyone else's.")
        return
    rows = board_rows(runs, classroom.student_id())
    st.markdown(summary(rows, len({r.student for r in runs})))
    measures = [k for k in ("w1_exact", "modes", "classes_covered") if any(r.get(k) is not None for r in rows)]
    for col, measured in zip(st.columns(len(measures) or 1), measures, strict=False):
        with col:
            st.plotly_chart(board_figure(rows, measured, f"clip c vs {measured}", labels),
                            key=f"{slug}.board.{measured}")
    st.caption("Each point is one run's last measurement; stars are yours. Runs without a clip (GAN, WGAN-GP) "
               "are the dashed line at their mean.")
    st.dataframe([{**r["settings"], **{k: r.get(k) for k in MEASURED if k in r}} for r in rows], hide_index=True)
    st.download_button("Download the board (CSV)", csv_bytes(rows), file_name=f"{slug}-class-board.csv",
                       mime="text/csv", key=f"{slug}.board.csv", icon=":material/download:")
