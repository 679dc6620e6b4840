"""Figures of the lesson "Low-dimensional supports and vanishing gradients"."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from plots import FAKE, METHOD_COLOURS, REAL, base_layout

LABELS = {"gan-minimax": "GAN, log(1 − D) generator loss", "wgan": "WGAN critic, −f generator loss"}


def grad_norms(iters: np.ndarray, curves: dict[str, dict[str, np.ndarray]]) -> go.Figure:
    """Generator-gradient norm against discriminator iterations, log scale (Weng's Fig. 5)."""
    fig = go.Figure()
    for loss, curve in curves.items():
        fig.add_trace(go.Scatter(x=iters, y=curve["grad_norm"], name=LABELS.get(loss, loss), mode="lines+markers",
                                 line=dict(color=METHOD_COLOURS.get(loss), width=2.5), marker=dict(size=4)))
    fig.update_xaxes(title_text="discriminator / critic iterations (generator fixed)")
    fig.update_yaxes(title_text="‖∇θ generator loss‖₂", type="log", exponentformat="power")
    return base_layout(fig, height=420)


def discriminator_state(iters: np.ndarray, gan: dict[str, np.ndarray], ceiling: float) -> go.Figure:
    """Mean D on real and on fake points, and the JS lower bound L/2 + log 2, as the discriminator trains."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=iters, y=gan["d_real"], name="mean D(real)", line=dict(color=REAL, width=2)))
    fig.add_trace(go.Scatter(x=iters, y=gan["d_fake"], name="mean D(fake)", line=dict(color=FAKE, width=2)))
    fig.add_trace(go.Scatter(x=iters, y=gan["js_estimate"], name="L/2 + log 2 (≤ JS)",
                             line=dict(color="black", dash="dash")))
    fig.add_hline(y=ceiling, line=dict(color="grey", dash="dot"), annotation_text="log 2",
                  annotation_position="bottom right")
    fig.update_xaxes(title_text="discriminator iterations")
    fig.update_yaxes(title_text="value", range=[-0.05, 1.05])
    return base_layout(fig, height=340)


def fields(fields_by_loss: dict[str, dict[str, np.ndarray]], real: np.ndarray, fake: np.ndarray) -> go.Figure:
    """Left: the trained discriminator D(x). Right: the trained WGAN critic f(x). Samples on top."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.2,
                        subplot_titles=("discriminator D(x) = σ(f(x))", "WGAN critic f(x)"))
    for col, loss in enumerate(("gan-minimax", "wgan"), start=1):
        field = fields_by_loss[loss]
        bar_x = 0.42 if col == 1 else 1.02
        fig.add_trace(go.Heatmap(x=field["x"], y=field["y"], z=field["z"], colorscale="RdBu", reversescale=False,
                                 zmin=0.0 if col == 1 else None, zmax=1.0 if col == 1 else None,
                                 colorbar=dict(x=bar_x, len=0.9, thickness=12), showscale=True), row=1, col=col)
        for pts, colour, name in ((real, REAL, "real"), (fake, FAKE, "generator")):
            fig.add_trace(go.Scatter(x=pts[:, 0], y=pts[:, 1], mode="markers", name=name, showlegend=col == 1,
                                     marker=dict(color=colour, size=4, line=dict(color="white", width=0.5))),
                          row=1, col=col)
    base_layout(fig, height=420)
    return fig
