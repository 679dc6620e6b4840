"""Lesson view: low-dimensional supports and vanishing gradients.

The run's three figures are built once per run and shared by every session (``st.cache_resource``
keyed by the run's values: nothing mutates them), so a class that follows the teacher onto this page
only draws them.
"""

from __future__ import annotations

import streamlit as st

import lessons.vanishing_gradients as lesson
from app import cached_run, shell
from plots import vanishing_gradients as plots

SLUG = "vanishing_gradients"


@st.cache_data(show_spinner=False, max_entries=64)
def run_experiment(key: tuple) -> lesson.VanishingResult:
    """The seeded experiment for one setting of the controls; a progress bar shows while it trains."""
    return cached_run.run_with_progress(lesson, "run_controls", {"values": dict(key)})


@st.cache_resource(show_spinner=False, max_entries=16)
def figures(result: lesson.VanishingResult) -> dict:
    """The figures of ``result`` by name."""
    return {"grad_norms": plots.grad_norms(result.iters, result.curves),
            "d_state": plots.discriminator_state(result.iters, result.curves["gan-minimax"], lesson.LOG_2),
            "fields": plots.fields(result.fields, result.real, result.fake)}


st.title(lesson.TITLE)
st.markdown(lesson.INTRO)

with st.container(border=True):
    values = shell.controls_ui(SLUG, lesson.CONTROLS, columns=3)

result = run_experiment(tuple(sorted(values.items())))
drawn = figures(result)

st.plotly_chart(drawn["grad_norms"], key="vanishing_grad_norms")
gan, wgan = result.curves["gan-minimax"]["grad_norm"], result.curves["wgan"]["grad_norm"]
a, b, c = st.columns(3)


def fall_metric(col, label: str, g, loss: str, **kwargs) -> None:
    text = result.fall_text(loss)  # "-3.2 orders of magnitude", or "no fall" (no arrow, never "-0.0")
    col.metric(f"{label} gradient at the end (peak {g.max():.1e})", f"{g[-1]:.1e}", delta=text,
               delta_arrow="off" if text == "no fall" else "auto", **kwargs)


fall_metric(a, "GAN", gan, "gan-minimax")
fall_metric(b, "WGAN", wgan, "wgan", delta_color="off")
c.metric("WGAN estimate E f(x) − E f(g(z))", f"{result.curves['wgan']['estimate'][-1]:.4f}")

st.markdown(lesson.WHY)
left, right = st.columns([2, 3])
with left:
    st.plotly_chart(drawn["d_state"], key="vanishing_d_state")
with right:
    st.plotly_chart(drawn["fields"], key="vanishing_fields")
st.markdown(lesson.EXPERIMENT)

shell.footer(SLUG, lesson)
