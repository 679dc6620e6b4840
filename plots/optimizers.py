"""Figures of the lesson "Optimizers" (paper §4.3): RMSProp vs Adam on the critic."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from plots import SERIES, base_layout

COLOURS = {"rmsprop": SERIES[0], "adam": SERIES[2]}
NEGATIVE = "rgba(214, 39, 40, 0.10)"


def _negative_spans(run) -> list[tuple[float, float]]:
    """Generator-step intervals covered by the reads whose cosine is negative."""
    spans = []
    half = float(run.steps[1] - run.steps[0]) / 2 if len(run.steps) > 1 else 0.5
    for step, neg in zip(run.steps, run.negative, strict=True):
        if neg:
            lo, hi = float(step) - half, float(step) + half
            if spans and lo <= spans[-1][1] + 1e-9:
                spans[-1] = (spans[-1][0], hi)
            else:
                spans.append((lo, hi))
    return spans


def cosine_and_w1(runs) -> go.Figure:
    """Top: the critic's update cosine over time (mean and minimum per read). Bottom: exact W1.

    Reads during which one of Adam's critic steps had a negative cosine are shaded in both panels, so
    one can read what the run did while (and after) its optimizer pointed against the gradient.
    """
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=("cos(critic step, critic gradient): mean and worst step per read",
                                        "exact W1 of the samples"))
    for run in runs:
        colour = COLOURS.get(run.optimizer, SERIES[3])
        fig.add_trace(go.Scatter(x=run.steps, y=run.cosine, mode="lines", name=run.name,
                                 line=dict(color=colour, width=2), legendgroup=run.name), row=1, col=1)
        fig.add_trace(go.Scatter(x=run.steps, y=run.cosine_min, mode="lines", name=f"{run.name}: worst step",
                                 line=dict(color=colour, width=1, dash="dot"), legendgroup=run.name),
                      row=1, col=1)
        fig.add_trace(go.Scatter(x=run.steps, y=run.w1, mode="lines", name=run.name, showlegend=False,
                                 line=dict(color=colour, width=2), legendgroup=run.name), row=2, col=1)
    for run in runs:
        if run.optimizer != "adam":
            continue
        for lo, hi in _negative_spans(run):
            for row in (1, 2):
                fig.add_vrect(x0=lo, x1=hi, fillcolor=NEGATIVE, line_width=0, layer="below", row=row, col=1)
    fig.add_hline(y=0, line=dict(color="#888888", dash="dash", width=1), row=1, col=1)
    base_layout(fig, height=600)
    fig.update_yaxes(range=[-1.05, 1.05], row=1, col=1)
    fig.update_yaxes(rangemode="tozero", row=2, col=1)
    fig.update_xaxes(title_text="generator iteration", row=2, col=1)
    return fig


def estimates(runs) -> go.Figure:
    """The critic estimate E f(x) − E f(g(z)) of both runs (the loss a practitioner would watch)."""
    fig = go.Figure()
    for run in runs:
        fig.add_trace(go.Scatter(x=run.steps, y=run.estimate, mode="lines", name=run.name,
                                 line=dict(color=COLOURS.get(run.optimizer, SERIES[3]), width=2)))
    base_layout(fig, height=300, xaxis_title="generator iteration", yaxis_title="critic estimate Ŵ")
    return fig
