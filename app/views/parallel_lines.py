"""Lesson 2 view: learning parallel lines (paper Example 1, Figure 1).

The closed forms and the sample estimates do not depend on the current θ, so they are cached: moving
the θ slider only redraws. Each figure is built once per setting of its controls and shared by every
session (``st.cache_resource``, keyed by the values it is drawn from: nothing mutates it), so a class
that follows the teacher onto this page only draws them.
"""

from __future__ import annotations

import streamlit as st

from app import precomputed, shell
from lessons import parallel_lines as lesson
from plots import parallel_lines as plots

SLUG = "parallel_lines"


@st.cache_data(show_spinner=False, max_entries=1)
def closed_forms():
    return lesson.closed_form_curves(lesson.THETA_GRID), lesson.derivative_curves(lesson.THETA_GRID)


@st.cache_data(show_spinner="Estimating every distance from samples over a grid of θ and several seeds…",
               max_entries=32)
def sample_estimates(n: int) -> lesson.Estimates:
    return precomputed.run(lesson, "estimate_curves", {"n": n})


@st.cache_resource(show_spinner=False, max_entries=4)
def divergence_figure_base(estimates: lesson.Estimates) -> dict:
    return plots.divergence_base(lesson.THETA_GRID, closed_forms()[0], estimates, lesson.NAMES, lesson.LABELS)


@st.cache_resource(show_spinner=False, max_entries=32)
def divergence_figure(estimates: lesson.Estimates, theta: float):
    value, _ = lesson.at_theta(theta)
    return plots.divergences(divergence_figure_base(estimates), theta, value, lesson.NAMES)


@st.cache_resource(show_spinner=False, max_entries=1)
def derivative_figure_base() -> dict:
    return plots.derivative_base(lesson.THETA_GRID, closed_forms()[1], lesson.NAMES, lesson.LABELS)


@st.cache_resource(show_spinner=False, max_entries=32)
def derivative_figure(theta: float):
    return plots.derivatives(derivative_figure_base(), theta, len(lesson.NAMES))


@st.cache_resource(show_spinner=False, max_entries=32)
def lines_figure(theta: float):
    real, fake = lesson.sample_lines(theta)
    return plots.lines(real, fake, theta)


@st.cache_data(show_spinner=False, max_entries=256)
def descent_runs(theta0: float, lr: float, decay: bool):
    return {name: lesson.gradient_descent(name, theta0, lr, decay=decay) for name in ("W", "JS")}


@st.cache_resource(show_spinner=False, max_entries=32)
def descent_figure(theta0: float, lr: float, decay: bool, step: int):
    return plots.descent(descent_runs(theta0, lr, decay), step, lesson.LABELS)


st.title(lesson.TITLE)
st.markdown(lesson.MOTIVATION)
st.markdown(lesson.CLOSED_FORMS)
st.latex(lesson.CLOSED_FORMS_LATEX)
st.markdown(lesson.CLOSED_FORMS_AFTER)

values = shell.controls_ui(SLUG, lesson.CONTROLS, columns=2)
theta, n = values["theta"], values["n"]

left, right = st.columns([2, 3])
left.plotly_chart(lines_figure(theta), key="lines_chart")
with right:
    value, slope = lesson.at_theta(theta)
    cols = st.columns(len(lesson.NAMES))
    for col, name in zip(cols, lesson.NAMES, strict=True):
        shown = "+∞" if value[name] == float("inf") else f"{value[name]:.3f}"
        col.metric(lesson.LABELS[name].replace(" (earth mover)", ""), shown)
    w_slope = "undefined (kink)" if theta == 0 else f"{slope['W']:+.0f}"
    js_slope = "undefined (jump)" if theta == 0 else f"{slope['JS']:.0f}"
    st.markdown(f"At θ = {theta:.2f}: ∂W/∂θ = **{w_slope}**, ∂JS/∂θ = **{js_slope}**. "
                "Move θ and watch: W follows it, the other four do not move until θ is exactly 0.")

st.markdown(lesson.ESTIMATES)
st.plotly_chart(divergence_figure(sample_estimates(n), theta), key="divergence_chart")

st.markdown(lesson.DERIVATIVES)
st.plotly_chart(derivative_figure(theta), key="derivative_chart")

st.markdown(lesson.DESCENT)
gd = shell.controls_ui(SLUG, lesson.DESCENT_CONTROLS, columns=3)
runs = descent_runs(theta, gd["lr"], gd["decay"])
st.plotly_chart(descent_figure(theta, gd["lr"], gd["decay"], gd["step"]), key="descent_chart")
st.caption(f"Start θ₀ = {theta:.2f} (the θ slider above). After {gd['step']} steps: "
           f"θ = {runs['W'][gd['step']]:.3f} under W, θ = {runs['JS'][gd['step']]:.3f} under JS.")

shell.footer(SLUG, lesson)
