"""Plotly figure builders, one module per lesson (``plots/<slug>.py``), plus shared styling.

Builders take plain data (from ``lessons``/``wgan_core``) and return ``go.Figure``; they compute no
maths beyond what drawing needs. Every builder lays its figure out with :func:`base_layout`, which
also applies :data:`TEMPLATE`; importing this package changes no plotly setting (a notebook's own
figures keep its default template).
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

#: Colours used across lessons: the data distribution, the model, and the methods.
REAL = "#1f77b4"
FAKE = "#d62728"
METHOD_COLOURS = {"gan": "#d62728", "gan-minimax": "#ff7f0e", "wgan": "#2ca02c", "wgan-gp": "#9467bd"}
SERIES = ["#2ca02c", "#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#1f77b4"]
#: The template of every figure (a name registered in ``plotly.io.templates``).
TEMPLATE = "plotly_white"


def _apply_template(fig: go.Figure) -> None:
    """Set :data:`TEMPLATE` the way plotly sets its default template on a new figure: the registered
    (already valid) template object, unvalidated. ``update_layout(template=...)`` validates a deep
    copy of the whole template every time (≈ 20-30 ms a figure), which was most of the server's work
    while live pages redraw (bench/RESULTS.md, classroom load)."""
    layout = fig.layout
    layout._validate = False
    try:
        layout.template = pio.templates[TEMPLATE]
    finally:
        layout._validate = fig._validate


#: Ticks as plain numbers or powers of ten ("10⁻⁴"), never SI prefixes ("100µ", "10n").
TICKS = dict(exponentformat="power", separatethousands=False)
#: Bottom margin (px) below the x-axis title when a legend sits under the chart.
LEGEND_ROOM = 40


def base_layout(fig: go.Figure, title: str | None = None, height: int = 380, **kwargs) -> go.Figure:
    """Shared layout: :data:`TEMPLATE`, the title at the top, the legend as a row under the chart (so the
    two never meet, however many entries wrap), and power-of-ten ticks on every axis."""
    _apply_template(fig)
    legend = kwargs.get("showlegend", True) is not False  # traces may come after the layout: keep the room
    fig.update_layout(
        title=dict(text=title, x=0, xanchor="left", y=1, yanchor="top", yref="container", pad=dict(t=8, l=8)),
        height=height, margin=dict(l=50, r=20, t=40 if title else 20, b=45 + LEGEND_ROOM * bool(legend)),
        legend=dict(orientation="h", yref="container", yanchor="bottom", y=0, x=0), **kwargs,
    )
    fig.update_xaxes(**TICKS)
    fig.update_yaxes(**TICKS)
    return fig
