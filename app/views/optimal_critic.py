"""Lesson: optimal discriminator vs critic (paper Fig 3).

The run's two figures are built once per run and shared by every session (``st.cache_resource`` keyed
by the run's values: nothing mutates them), so a class that follows the teacher onto this page only
draws them.
"""

from __future__ import annotations

import streamlit as st

from app import cached_run, shell
from lessons import optimal_critic as lesson
from plots import optimal_critic as plots

SLUG = "optimal_critic"


@st.cache_data(show_spinner=False, max_entries=32)
def run_fig3(fake_mean: float, iters: int, clip_value: float, fake_std: float):
    """The seeded experiment, cached by its controls; a progress bar shows while it trains."""
    return cached_run.run_with_progress(lesson, "fig3", dict(fake_mean=fake_mean, iters=iters, clip_value=clip_value,
                                                            fake_std=fake_std))


@st.cache_resource(show_spinner=False, max_entries=16)
def figures(result: lesson.Fig3Result):
    """(the functions figure, the slopes figure) of ``result``."""
    return plots.functions(result), plots.slopes(result)


st.title(lesson.TITLE)
st.markdown(lesson.INTRO)
st.markdown(lesson.EQUATIONS)

st.subheader("The experiment")
values = shell.controls_ui(SLUG, lesson.CONTROLS, columns=4)
result = run_fig3(values["fake_mean"], values["iters"], values["clip_value"], values["fake_std"])
functions_figure, slopes_figure = figures(result)

st.plotly_chart(functions_figure, width="stretch", key="functions")
st.markdown(lesson.shape_sentence(result))
st.markdown(lesson.FAIRNESS)
st.plotly_chart(slopes_figure, width="stretch", key="slopes")

left, mid, right = st.columns(3)
left.metric("|∇D| at fakes (normalised)", f"{result.disc_at_fake:.2e}",
            help=f"Median over the fake samples. Raw median |D'(x)| there: {result.disc_raw_at_fake:.2e}; "
                 f"share of fake samples where D is saturated: {result.saturated_share:.0%}")
mid.metric("|∇f| at fakes (normalised)", f"{result.critic_at_fake:.2f}",
           help=f"Median over the fake samples. Raw median |f'(x)| there: {result.critic_raw_at_fake:.2e}; "
                f"range of f: {result.critic_range:.2e}")
right.metric("Ratio |∇D| / |∇f|", f"{result.ratio:.1e}")
st.markdown(lesson.NON_SATURATING)

shell.footer(SLUG, lesson)
