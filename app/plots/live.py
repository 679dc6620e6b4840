"""Figure builders shared by the live lessons: metric curves per member, histograms of a snapshot."""

from __future__ import annotations

import plotly.graph_objects as go

from app.plots import METHOD_COLOURS, SERIES, base_layout


def _colour(member: str, i: int) -> str:
    return METHOD_COLOURS.get(member, SERIES[i % len(SERIES)])


def curves(logs: list[dict], key: str, title: str, labels: dict[str, str] | None = None,
           ylog: bool = False, height: int = 300) -> go.Figure:
    """``key`` against ``g_step``, one line per member of the logs (members without the key are skipped)."""
    labels = labels or {}
    fig = go.Figure()
    members = list(dict.fromkeys(e["member"] for e in logs))
    for i, member in enumerate(members):
        rows = [e for e in logs if e["member"] == member and e.get(key) is not None]
        if rows:
            fig.add_scatter(x=[e["g_step"] for e in rows], y=[e[key] for e in rows], mode="lines",
                            name=labels.get(member, member), line=dict(color=_colour(member, i)))
    fig.update_xaxes(title="generator step")
    if ylog:
        fig.update_yaxes(type="log")
    return base_layout(fig, title, height=height)


def histogram(counts, edges, title: str, colour: str, marks: tuple[float, ...] = (), mark_text: str = "",
              height: int = 280, xtitle: str = "") -> go.Figure:
    """A pre-binned histogram (``counts`` (B,), ``edges`` (B+1,)) with dashed vertical ``marks``."""
    centres = [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:], strict=True)]
    widths = [b - a for a, b in zip(edges[:-1], edges[1:], strict=True)]
    fig = go.Figure(go.Bar(x=centres, y=list(counts), width=widths, marker_color=colour, showlegend=False))
    for m in marks:
        fig.add_vline(x=m, line_dash="dash", line_color="#444", annotation_text=mark_text)
    fig.update_xaxes(title=xtitle)
    fig.update_yaxes(title="count")
    return base_layout(fig, title, height=height)
