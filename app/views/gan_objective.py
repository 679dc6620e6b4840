"""Lesson view: the GAN game and the optimal discriminator.

The analysis and its two figures are built once per setting of the six sliders and shared by every
session (``st.cache_resource``: nothing mutates them), so a class that follows the teacher onto this
page only draws them.
"""

from __future__ import annotations

import streamlit as st

import lessons.gan_objective as lesson
from app import shell
from plots import gan_objective as plots

SLUG = "gan_objective"


# About 1 MB per setting of the six sliders (the densities on a fine grid): a bounded number, for an hour.
@st.cache_resource(show_spinner=False, max_entries=32, ttl=3600)
def analysis_and_figures(key: tuple[tuple[str, float], ...]):
    """(the analysis, the densities figure, the JS sweep figure) for the slider values ``key``."""
    values = dict(key)
    result, sweep = lesson.analyse_controls(values), lesson.sweep_controls(values)
    return (result, plots.densities_and_d_star(result.x, result.p_r, result.p_g, result.d_star),
            plots.js_sweep(sweep, values["gen_mean"], result.js, lesson.LOG_2))


st.title(lesson.TITLE)
st.markdown(lesson.INTRO)

with st.container(border=True):
    st.markdown("**Shape the densities**")
    values = shell.controls_ui(SLUG, lesson.CONTROLS, columns=3)
result, densities_figure, sweep_figure = analysis_and_figures(tuple(sorted(values.items())))

st.plotly_chart(densities_figure, key="gan_objective_densities")
st.markdown(lesson.OPTIMAL_D)

st.markdown(lesson.IDENTITY)
left, mid, right = st.columns(3)
left.metric("L(G, D*) by quadrature", f"{result.value:.6f}")
mid.metric("2·JS − 2·log 2", f"{result.identity_rhs:.6f}")
right.metric("|difference|", f"{result.identity_gap:.1e}")
st.caption(f"JS(p_r, p_g) = {result.js:.6f}  ·  log 2 = {lesson.LOG_2:.6f}  ·  "
           f"minimum of L: −2·log 2 = {-2 * lesson.LOG_2:.6f}")

st.markdown(lesson.PERFECT)
st.plotly_chart(sweep_figure, key="gan_objective_sweep")

shell.footer(SLUG, lesson)
