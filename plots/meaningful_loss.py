"""Figures of the lesson "A loss that means something" (paper Figs 4–5)."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from plots import FAKE, METHOD_COLOURS, REAL, base_layout

TRUTH = "#444444"


def curve(run, smoothed) -> go.Figure:
    """One run: its loss-based estimate (median-filtered) and the exact W1 of its samples.

    ``run`` is a ``lessons.meaningful_loss.RunCurves``; ``smoothed`` its filtered estimate, shape (K,).
    Snapshot steps are marked on the estimate curve and numbered like the sample panels.
    """
    colour = METHOD_COLOURS.get(run.loss, FAKE)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=run.steps, y=run.estimate, mode="lines", name="raw", showlegend=False,
                             line=dict(color=colour, width=1), opacity=0.3), secondary_y=False)
    fig.add_trace(go.Scatter(x=run.steps, y=smoothed, mode="lines", name=run.estimate_label,
                             line=dict(color=colour, width=3)), secondary_y=False)
    fig.add_trace(go.Scatter(x=run.steps, y=run.w1, mode="lines", name="exact W1 of the samples",
                             line=dict(color=TRUTH, width=2, dash="dot")), secondary_y=True)
    marks = [int(abs(run.steps - s).argmin()) for s in run.snapshot_steps]
    fig.add_trace(go.Scatter(x=run.steps[marks], y=smoothed[marks], mode="markers+text", name="snapshots",
                             text=[str(i + 1) for i in range(len(marks))], textposition="top center",
                             marker=dict(color=colour, size=11, line=dict(color="white", width=1)),
                             showlegend=False), secondary_y=False)
    base_layout(fig, title=f"{run.name} — Spearman ρ(estimate, exact W1) = {run.rho:+.2f}", height=330,
                xaxis_title="generator iteration")
    fig.update_yaxes(title_text=run.estimate_label, secondary_y=False)
    fig.update_yaxes(title_text="exact W1", secondary_y=True, showgrid=False, rangemode="tozero")
    return fig


def snapshots(run, real, extent: float) -> go.Figure:
    """The run's samples at the marked steps, beside the data (grey)."""
    k = len(run.snapshot_steps)
    extent = max(extent, 1.05 * float(abs(run.snapshots).max()))  # zoom out if the samples ran away
    fig = make_subplots(rows=1, cols=k, subplot_titles=[f"{i + 1}: iteration {int(s)}"
                                                        for i, s in enumerate(run.snapshot_steps)],
                        horizontal_spacing=0.02)
    colour = METHOD_COLOURS.get(run.loss, FAKE)
    for i in range(k):
        fig.add_trace(go.Scattergl(x=real[:, 0], y=real[:, 1], mode="markers", name="data",
                                   marker=dict(color=REAL, size=3, opacity=0.25), showlegend=i == 0),
                      row=1, col=i + 1)
        pts = run.snapshots[i]
        fig.add_trace(go.Scattergl(x=pts[:, 0], y=pts[:, 1], mode="markers", name="samples",
                                   marker=dict(color=colour, size=3, opacity=0.6), showlegend=i == 0),
                      row=1, col=i + 1)
    fig.update_xaxes(range=[-extent, extent], showticklabels=False)
    fig.update_yaxes(range=[-extent, extent], showticklabels=False)
    base_layout(fig, height=240, showlegend=False)  # data in blue, samples in the run's colour
    fig.update_layout(margin=dict(l=10, r=10, t=40, b=10))
    return fig
