"""Lesson view: hard to reach a Nash equilibrium (the x·y game).

The game is a few hundred scalar updates, but its four figures cost more to build than the game to
play: both are made once per setting of the sliders and shared by every session (``st.cache_resource``:
nothing mutates them), so a class that follows the teacher onto this page only draws them.
"""

from __future__ import annotations

import streamlit as st

import lessons.nash as lesson
from app import shell
from plots import nash as plots

SLUG = "nash"


@st.cache_resource(show_spinner=False, max_entries=64)
def game_and_figures(key: tuple) -> tuple[dict, dict]:
    """(the game for the slider values ``key``, its figures by name)."""
    game = lesson.play(dict(key))
    sim, alt = game["simultaneous"], game.get("alternating")
    figures = {"phase": plots.phase_portrait(sim, alt, game["flow"]),
               "radius": plots.radius(sim, game["theory_radius"], alt),
               "coords_sim": plots.coordinates(sim)}
    if alt is not None:
        figures["coords_alt"] = plots.coordinates(alt)
    return game, figures


st.title(lesson.TITLE)
st.markdown(lesson.INTRO)

with st.container(border=True):
    values = shell.controls_ui(SLUG, lesson.CONTROLS, columns=3)
game, figures = game_and_figures(tuple(sorted(values.items())))
sim, alt = game["simultaneous"], game.get("alternating")

left, right = st.columns(2)
left.plotly_chart(figures["phase"], key="nash_phase")
right.plotly_chart(figures["radius"], key="nash_radius")

a, b, c = st.columns(3)
a.metric("Start radius r₀", f"{sim.radius[0]:.3f}")
b.metric(f"Simultaneous radius after {len(sim.x) - 1} steps", f"{sim.radius[-1]:.4g}",
         delta=f"×{game['growth_per_step']:.5f} per step", delta_color="inverse")
if alt is not None:
    c.metric("Alternating: spread of Q = x²+y²−ηxy", f"{float(game['invariant'].max() - game['invariant'].min()):.1e}")

st.markdown(lesson.DYNAMICS)
st.plotly_chart(figures["coords_sim"], key="nash_coords_sim")
if alt is not None:
    st.plotly_chart(figures["coords_alt"], key="nash_coords_alt")

shell.footer(SLUG, lesson)
