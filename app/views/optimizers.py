"""Lesson: optimizers (paper §4.3) — RMSProp vs Adam with momentum on the critic."""

from __future__ import annotations

import math

import streamlit as st

from app import cached_run, shell
from lessons import optimizers as lesson
from plots import optimizers as plots

SLUG = "optimizers"


@st.cache_data(show_spinner=False, max_entries=32)
def run_both(beta1: float, lr: float, steps: int):
    """Both seeded runs, cached by the controls; a progress bar shows while they train."""
    return cached_run.run_with_progress(lesson, "compare", dict(beta1=beta1, lr=lr, steps=steps))


def _w1(value: float) -> str:
    return "no such reads" if math.isnan(value) else f"{value:.3f}"



def _signed(x: float) -> str:
    """``+0.123`` / ``-0.123``, and ``0.000`` (never ``-0.000``) for a difference that rounds to nothing."""
    return f"{x:+.3f}" if round(x, 3) != 0 else "0.000"


st.title(lesson.TITLE)
st.markdown(lesson.INTRO)
st.markdown(lesson.UPDATES)

st.subheader("The same WGAN, two optimizers")
values = shell.controls_ui(SLUG, lesson.CONTROLS, columns=3)
rms, adam = run_both(values["beta1"], values["lr"], values["steps"])

st.plotly_chart(plots.cosine_and_w1((rms, adam)), width="stretch", key=f"{SLUG}.cosine")


cols = st.columns(2) + st.columns(2)  # two metrics a row: their labels are long
cols[0].metric("Negative-cosine steps — RMSProp", f"{rms.negative_share:.1%}")
cols[1].metric(f"Negative-cosine steps — {adam.name}", f"{adam.negative_share:.1%}",
               help="Share of all critic updates of the run whose step pointed against the gradient.")
cols[2].metric("Final exact W1 — RMSProp", f"{rms.final_w1:.3f}")
cols[3].metric(f"Final exact W1 — {adam.name}", f"{adam.final_w1:.3f}",
               delta=f"{_signed(adam.final_w1 - rms.final_w1)} vs RMSProp", delta_color="inverse")
st.markdown(lesson.findings(rms, adam))
st.markdown(
    f"**When one of Adam's critic steps turns against the gradient** (shaded reads): its samples' exact W1 averages "
    f"**{_w1(adam.w1_where(True))}** at those reads, against **{_w1(adam.w1_where(False))}** at the others "
    f"(RMSProp's whole run averages **{_w1(rms.w1_where(False))}**)."
)
st.markdown(lesson.WHY_NONSTATIONARY)
st.plotly_chart(plots.estimates((rms, adam)), width="stretch", key=f"{SLUG}.estimates")

shell.footer(SLUG, lesson)
