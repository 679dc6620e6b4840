"""Figures of the lesson "The GAN game and the optimal discriminator"."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from plots import FAKE, REAL, base_layout

D_STAR = "#2ca02c"


def densities_and_d_star(x: np.ndarray, p_r: np.ndarray, p_g: np.ndarray, d_star: np.ndarray) -> go.Figure:
    """Top: the two densities. Bottom: $D^*(x)$ on [0, 1] with the 1/2 line (blank where undefined)."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.55, 0.45])
    fig.add_trace(go.Scatter(x=x, y=p_r, name="p_r (real)", line=dict(color=REAL, width=2),
                             fill="tozeroy", fillcolor="rgba(31,119,180,0.15)"), row=1, col=1)
    fig.add_trace(go.Scatter(x=x, y=p_g, name="p_g (generator)", line=dict(color=FAKE, width=2),
                             fill="tozeroy", fillcolor="rgba(214,39,40,0.12)"), row=1, col=1)
    fig.add_trace(go.Scatter(x=x, y=d_star, name="D*(x) = p_r/(p_r+p_g)", line=dict(color=D_STAR, width=2.5),
                             connectgaps=False), row=2, col=1)
    fig.add_hline(y=0.5, line=dict(color="grey", dash="dot"), row=2, col=1)
    fig.update_yaxes(title_text="density", row=1, col=1)
    fig.update_yaxes(title_text="D*(x)", range=[-0.05, 1.05], row=2, col=1)
    fig.update_xaxes(title_text="x", row=2, col=1)
    fig.update_xaxes(range=[-7.5, 7.5])
    return base_layout(fig, height=520)


def js_sweep(sweep: dict[str, np.ndarray], current_mean: float, current_js: float, ceiling: float) -> go.Figure:
    """JS divergence against the generator's mean, with the log 2 ceiling and the current position."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=sweep["gen_mean"], y=sweep["js"], name="JS(p_r, p_g)",
                             line=dict(color=D_STAR, width=2.5)))
    fig.add_hline(y=ceiling, line=dict(color="grey", dash="dash"),
                  annotation_text="log 2 (disjoint supports)", annotation_position="bottom right")
    fig.add_trace(go.Scatter(x=[current_mean], y=[current_js], mode="markers", name="current generator",
                             marker=dict(color=FAKE, size=12, symbol="diamond")))
    fig.update_xaxes(title_text="generator mean")
    fig.update_yaxes(title_text="JS divergence", range=[0, 0.75])
    return base_layout(fig, height=340)
