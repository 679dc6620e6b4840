"""Plotly figure builders, one module per lesson (``plots/<slug>.py``), plus shared styling.

Builders take plain data (from ``lessons``/``wgan_core``) and return ``go.Figure``; they compute no
maths beyond what drawing needs.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

#: Colours used across lessons: the data distribution, the model, and the methods.
REAL = "#1f77b4"
FAKE = "#d62728"
METHOD_COLOURS = {"gan": "#d62728", "gan-minimax": "#ff7f0e", "wgan": "#2ca02c", "wgan-gp": "#9467bd"}
SERIES = ["#2ca02c", "#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#1f77b4"]
#: The template of every figure, set once as plotly's default: passing ``template=`` to each figure
#: validates a deep copy of the whole template every time (≈ 20-30 ms a figure), which was most of the
#: server's work while live pages redraw (bench/RESULTS.md, classroom load).
pio.templates.default = "plotly_white"


def base_layout(fig: go.Figure, title: str | None = None, height: int = 380, **kwargs) -> go.Figure:
    fig.update_layout(
        title=title, height=height, margin=dict(l=50, r=20, t=50 if title else 20, b=45),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0), **kwargs,
    )
    return fig
