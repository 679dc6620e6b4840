"""The class results board: every ended run of a lesson, clip c (log axis) against a measured value,
coloured by method; methods without a clip (GAN, WGAN-GP) as a dashed line at their mean."""

from __future__ import annotations

import html

import plotly.graph_objects as go

from plots import METHOD_COLOURS, SERIES, base_layout


def _hover(settings: dict) -> str:
    """The run's settings, one per line (escaped: plotly's hover reads HTML)."""
    return "<br>".join(html.escape(f"{k} = {v}") for k, v in sorted(settings.items()))


def board_figure(rows: list[dict], measured: str, title: str, labels: dict[str, str] | None = None) -> go.Figure:
    """``rows``: one dict per run with ``method``, ``clip_value`` (or None), ``measured`` value,
    ``own`` (bool) and ``settings`` (for the hover). The viewer's own runs are drawn as stars."""
    labels = labels or {}
    fig = go.Figure()
    methods = list(dict.fromkeys(r["method"] for r in rows))
    for i, method in enumerate(methods):
        colour = METHOD_COLOURS.get(method, SERIES[i % len(SERIES)])
        mine = [r for r in rows if r["method"] == method and r.get(measured) is not None]
        clipped = [r for r in mine if r.get("clip_value")]
        name = html.escape(labels.get(method, method))
        if clipped:
            fig.add_scatter(x=[r["clip_value"] for r in clipped], y=[r[measured] for r in clipped], mode="markers",
                            name=name, marker=dict(color=colour, size=[14 if r["own"] else 9 for r in clipped],
                                                   symbol=["star" if r["own"] else "circle" for r in clipped]),
                            hovertext=[_hover(r["settings"]) for r in clipped], hoverinfo="text+y")
        unclipped = [r for r in mine if not r.get("clip_value")]
        if unclipped:
            mean = sum(r[measured] for r in unclipped) / len(unclipped)
            fig.add_hline(y=mean, line=dict(color=colour, dash="dash"),
                          annotation_text=f"{name}: mean of {len(unclipped)} run{'s' * (len(unclipped) > 1)}")
    fig.update_xaxes(type="log", title="clip c")
    fig.update_yaxes(title=measured)
    return base_layout(fig, title, height=320)
