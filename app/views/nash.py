"""Lesson view: hard to reach a Nash equilibrium (the x·y game)."""

from __future__ import annotations

import streamlit as st

import lessons.nash as lesson
from app import shell
from plots import nash as plots

SLUG = "nash"

st.title(lesson.TITLE)
st.markdown(lesson.INTRO)

with st.container(border=True):
    values = shell.controls_ui(SLUG, lesson.CONTROLS, columns=3)
game = lesson.play(values)  # a few hundred scalar updates: instant, no cache needed
sim, alt = game["simultaneous"], game.get("alternating")

left, right = st.columns(2)
left.plotly_chart(plots.phase_portrait(sim, alt, game["flow"]), key="nash_phase")
right.plotly_chart(plots.radius(sim, game["theory_radius"], alt), key="nash_radius")

a, b, c = st.columns(3)
a.metric("Start radius r₀", f"{sim.radius[0]:.3f}")
b.metric(f"Simultaneous radius after {len(sim.x) - 1} steps", f"{sim.radius[-1]:.4g}",
         delta=f"×{game['growth_per_step']:.5f} per step", delta_color="inverse")
if alt is not None:
    c.metric("Alternating: spread of Q = x²+y²−ηxy", f"{float(game['invariant'].max() - game['invariant'].min()):.1e}")

st.markdown(lesson.DYNAMICS)
st.plotly_chart(plots.coordinates(sim), key="nash_coords_sim")
if alt is not None:
    st.plotly_chart(plots.coordinates(alt), key="nash_coords_alt")

shell.footer(SLUG, lesson)
