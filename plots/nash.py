"""Figures of the lesson "Hard to reach a Nash equilibrium"."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from plots import SERIES, base_layout

SIMULTANEOUS = "#d62728"
ALTERNATING = "#2ca02c"
FLOW = "grey"


def phase_portrait(sim, alt=None, flow: tuple[np.ndarray, np.ndarray] | None = None) -> go.Figure:
    """The iterates in the (x, y) plane, the gradient-flow circle and the equilibrium."""
    fig = go.Figure()
    if flow is not None:
        fig.add_trace(go.Scatter(x=flow[0], y=flow[1], name="gradient flow (η → 0)", mode="lines",
                                 line=dict(color=FLOW, dash="dot")))
    if alt is not None:
        fig.add_trace(go.Scatter(x=alt.x, y=alt.y, name="alternating", mode="lines+markers",
                                 line=dict(color=ALTERNATING, width=1.5), marker=dict(size=3)))
    fig.add_trace(go.Scatter(x=sim.x, y=sim.y, name="simultaneous", mode="lines+markers",
                             line=dict(color=SIMULTANEOUS, width=1.5), marker=dict(size=3)))
    fig.add_trace(go.Scatter(x=[sim.x[0]], y=[sim.y[0]], name="start", mode="markers",
                             marker=dict(color="black", size=10, symbol="circle-open")))
    fig.add_trace(go.Scatter(x=[0], y=[0], name="Nash equilibrium", mode="markers",
                             marker=dict(color="black", size=12, symbol="star")))
    fig.update_xaxes(title_text="x (minimises xy)", zeroline=True)
    fig.update_yaxes(title_text="y (minimises −xy)", zeroline=True, scaleanchor="x", scaleratio=1)
    return base_layout(fig, height=460)


def radius(sim, theory: np.ndarray, alt=None) -> go.Figure:
    """Distance from the equilibrium against iterations, on a log scale, with the exact prediction."""
    t = np.arange(len(sim.x))
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=t, y=sim.radius, name="simultaneous", line=dict(color=SIMULTANEOUS, width=2.5)))
    fig.add_trace(go.Scatter(x=t, y=theory, name="(1+η²)^(t/2)·r₀", line=dict(color="black", dash="dash")))
    if alt is not None:
        fig.add_trace(go.Scatter(x=t, y=alt.radius, name="alternating", line=dict(color=ALTERNATING, width=2)))
    fig.update_xaxes(title_text="iteration t")
    fig.update_yaxes(title_text="radius √(x²+y²)", type="log")
    return base_layout(fig, height=460)


def coordinates(traj) -> go.Figure:
    """x_t and y_t against iterations (the picture of Weng's Fig. 3)."""
    t = np.arange(len(traj.x))
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=t, y=traj.x, name="x", line=dict(color=SERIES[5], width=2)))
    fig.add_trace(go.Scatter(x=t, y=traj.y, name="y", line=dict(color=SERIES[2], width=2)))
    fig.add_hline(y=0, line=dict(color="grey", width=1))
    fig.update_xaxes(title_text="iteration t")
    fig.update_yaxes(title_text=f"{traj.scheme} updates")
    return base_layout(fig, height=300)
