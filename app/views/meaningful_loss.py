"""Lesson: a loss that means something (paper §4.3, Figs 4–5)."""

from __future__ import annotations

import math

import streamlit as st

from app import cached_run, shell
from lessons import meaningful_loss as lesson
from plots import meaningful_loss as plots

SLUG = "meaningful_loss"


@st.cache_data(show_spinner=False, max_entries=16)
def run_three(dataset: str, steps: int, failed_lr: float):
    """The three seeded runs, cached by their controls; a progress bar shows while they train."""
    return cached_run.run_with_progress(lesson, "loss_curves", dict(dataset=dataset, steps=steps, failed_lr=failed_lr))


def _rho(value: float) -> str:
    return "n/a (flat)" if math.isnan(value) else f"{value:+.2f}"


st.title(lesson.TITLE)
st.markdown(lesson.INTRO)
st.markdown(lesson.EQUATIONS)

st.subheader("Three runs, one seed")
st.caption("Sample panels: the data in blue, the generator's samples (from a fixed noise batch) in the run's colour; "
           "the numbered markers on each curve are the moments the panels show.")
values = shell.controls_ui(SLUG, lesson.CONTROLS, columns=4)
st.markdown(lesson.settings_note())
result = run_three(values["dataset"], values["steps"], values["failed_lr"])
wgan, gan, failed = result.runs

st.markdown("**Spearman ρ between each run's loss and the exact W1 of its samples**")
cols = st.columns(3)
for col, run in zip(cols, result.runs, strict=True):
    col.metric(run.name, _rho(run.rho),
               help=f"Spearman correlation of the raw {run.estimate_label} with the exact W1 of the samples "
                    f"over {len(run.steps)} reads; +1 = the loss falls exactly when the samples improve.")
st.markdown(lesson.findings(result))

for run in (wgan, gan):
    st.plotly_chart(plots.curve(run, lesson.smooth(run, values["median_window"])), width="stretch",
                    key=f"{SLUG}.curve.{run.loss}")
    st.plotly_chart(plots.snapshots(run, result.real, result.extent), width="stretch",
                    key=f"{SLUG}.snaps.{run.loss}")

st.markdown(lesson.FAILED)
st.plotly_chart(plots.curve(failed, lesson.smooth(failed, values["median_window"])), width="stretch",
                key=f"{SLUG}.curve.failed")
st.plotly_chart(plots.snapshots(failed, result.real, result.extent), width="stretch", key=f"{SLUG}.snaps.failed")

shell.footer(SLUG, lesson)
