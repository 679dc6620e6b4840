"""Figures of the lesson "Optimal discriminator vs critic" (paper Fig 3)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from plots import FAKE, METHOD_COLOURS, REAL, base_layout

DISC = METHOD_COLOURS["gan"]
CRITIC = METHOD_COLOURS["wgan"]
ZONE = "rgba(214, 39, 40, 0.08)"


def _zones(mask: np.ndarray, grid: np.ndarray) -> list[tuple[float, float]]:
    """Contiguous runs of ``True`` in ``mask`` as (start, end) intervals of ``grid``."""
    runs, start = [], None
    for i, flag in enumerate(mask):
        if flag and start is None:
            start = i
        if not flag and start is not None:
            runs.append((float(grid[start]), float(grid[i - 1])))
            start = None
    if start is not None:
        runs.append((float(grid[start]), float(grid[-1])))
    return runs


def _shade(fig: go.Figure, result) -> None:
    for i, (lo, hi) in enumerate(_zones(result.saturated, result.grid)):
        label = dict(annotation_text="D saturated", annotation_position="top left",
                     annotation_font_color=DISC) if i == 0 else {}
        fig.add_vrect(x0=lo, x1=hi, fillcolor=ZONE, line_width=0, layer="below", **label)


def functions(result) -> go.Figure:
    """Data and fake histograms, D(x), and f(x) rescaled to [0, 1] (Fig 3's picture)."""
    fig = go.Figure()
    bins = dict(start=float(result.grid[0]), end=float(result.grid[-1]), size=0.1)
    fig.add_trace(go.Histogram(x=result.real, xbins=bins, histnorm="probability density", name="data P_r",
                               marker_color=REAL, opacity=0.35, yaxis="y2"))
    fig.add_trace(go.Histogram(x=result.fake, xbins=bins, histnorm="probability density", name="fake P_θ",
                               marker_color=FAKE, opacity=0.35, yaxis="y2"))
    fig.add_trace(go.Scatter(x=result.grid, y=result.disc, name="discriminator D(x)",
                             line=dict(color=DISC, width=3)))
    fig.add_trace(go.Scatter(x=result.grid, y=result.critic_unit, name="critic f(x), rescaled",
                             line=dict(color=CRITIC, width=3),
                             customdata=result.critic, hovertemplate="x=%{x:.2f}<br>f=%{customdata:.3g}"))
    fig.add_trace(go.Scatter(x=result.grid, y=result.optimum_unit, name="exact optimal critic, rescaled",
                             line=dict(color=CRITIC, width=2, dash="dash")))
    for x in result.crossings:
        fig.add_vline(x=float(x), line_dash="dot", line_color="#888", annotation_text="CDFs cross",
                      annotation_position="bottom right")
    _shade(fig, result)
    base_layout(fig, height=400, barmode="overlay",
                xaxis_title="x", yaxis=dict(title="D(x)  ·  (f − min f) / range f", range=[-0.03, 1.03]),
                yaxis2=dict(title="density", overlaying="y", side="right", showgrid=False, rangemode="tozero"))
    return fig


def slopes(result) -> go.Figure:
    """Range-normalised |∇D| and |∇f| across x, on a log axis, with the fake samples as a rug."""
    floor = 1e-6  # a log axis cannot show exact zeros; anything below is drawn at the floor
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=result.grid, y=np.maximum(result.disc_slope, floor), name="|∇D| (normalised)",
                             line=dict(color=DISC, width=3)))
    fig.add_trace(go.Scatter(x=result.grid, y=np.maximum(result.critic_slope, floor),
                             name="|∇f| (normalised)", line=dict(color=CRITIC, width=3)))
    rug = result.fake[:200]
    fig.add_trace(go.Scatter(x=rug, y=np.full(rug.shape, floor), mode="markers", name="fake samples",
                             marker=dict(color=FAKE, symbol="line-ns-open", size=10)))
    _shade(fig, result)
    base_layout(fig, height=360, xaxis_title="x",
                yaxis=dict(title="slope relative to own range", type="log", exponentformat="power"))
    return fig
