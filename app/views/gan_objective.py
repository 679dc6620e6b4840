"""Lesson view: the GAN game and the optimal discriminator."""

from __future__ import annotations

import streamlit as st

import lessons.gan_objective as lesson
from app import shell
from plots import gan_objective as plots

SLUG = "gan_objective"


# About 256 KB per setting of the six sliders: a bounded number, for an hour.
@st.cache_data(show_spinner=False, max_entries=64, ttl=3600)
def cached_analysis(values: tuple[tuple[str, float], ...]) -> lesson.OptimalDResult:
    return lesson.analyse_controls(dict(values))


@st.cache_data(show_spinner=False, max_entries=64, ttl=3600)
def cached_sweep(values: tuple[tuple[str, float], ...]) -> dict:
    return lesson.sweep_controls(dict(values))


st.title(lesson.TITLE)
st.markdown(lesson.INTRO)

with st.container(border=True):
    st.markdown("**Shape the densities**")
    values = shell.controls_ui(SLUG, lesson.CONTROLS, columns=3)
key = tuple(sorted(values.items()))
result = cached_analysis(key)

st.plotly_chart(plots.densities_and_d_star(result.x, result.p_r, result.p_g, result.d_star),
                key="gan_objective_densities")
st.markdown(lesson.OPTIMAL_D)

st.markdown(lesson.IDENTITY)
left, mid, right = st.columns(3)
left.metric("L(G, D*) by quadrature", f"{result.value:.6f}")
mid.metric("2·JS − 2·log 2", f"{result.identity_rhs:.6f}")
right.metric("|difference|", f"{result.identity_gap:.1e}")
st.caption(f"JS(p_r, p_g) = {result.js:.6f}  ·  log 2 = {lesson.LOG_2:.6f}  ·  "
           f"minimum of L: −2·log 2 = {-2 * lesson.LOG_2:.6f}")

st.markdown(lesson.PERFECT)
st.plotly_chart(plots.js_sweep(cached_sweep(key), values["gen_mean"], result.js, lesson.LOG_2),
                key="gan_objective_sweep")

shell.footer(SLUG, lesson)
