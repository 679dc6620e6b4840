"""Figure builders shared by the live lessons: metric curves per member, histograms of a snapshot."""

from __future__ import annotations

import plotly.graph_objects as go

from plots import FAKE, METHOD_COLOURS, REAL, SERIES, base_layout


def _colour(member: str, i: int) -> str:
    return METHOD_COLOURS.get(member, SERIES[i % len(SERIES)])


def mark_changes(fig: go.Figure, changes=()) -> go.Figure:
    """A dotted vertical line at each slider change ``(generator step, "c = 0.003")``, labelled with the
    new value, so that a jump in a curve reads as the change that caused it."""
    for step, text in changes:
        fig.add_vline(x=step, line_dash="dot", line_color="#555", line_width=1, annotation_text=text,
                      annotation_position="top left", annotation_font_size=11, annotation_textangle=-90)
    return fig


def curves(logs: list[dict], key: str, title: str, labels: dict[str, str] | None = None,
           ylog: bool = False, height: int = 300, changes=()) -> go.Figure:
    """``key`` against ``g_step``, one line per member of the logs (members without the key are skipped),
    with the slider ``changes`` marked (:func:`mark_changes`)."""
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
    mark_changes(fig, changes)
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


def snapshot_figure(snapshot: dict, title: str, height: int = 360) -> go.Figure:
    """A 2-D snapshot: the critic field as a contour, real (×) and generated (•) samples."""
    field = snapshot["field"]
    fig = go.Figure(go.Contour(x=field["x"], y=field["y"], z=field["z"], colorscale="Greys", opacity=0.6,
                               showscale=False, hoverinfo="skip"))
    r, s = snapshot["real"], snapshot["samples"]
    fig.add_scatter(x=r[:, 0], y=r[:, 1], mode="markers", name="real",
                    marker=dict(color=REAL, size=3, symbol="x"))
    fig.add_scatter(x=s[:, 0], y=s[:, 1], mode="markers", name="generated", marker=dict(color=FAKE, size=3))
    fig.update_yaxes(scaleanchor="x")
    return base_layout(fig, title, height=height)
