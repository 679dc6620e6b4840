"""Figures of the lesson "Learning parallel lines" (paper Example 1, Figure 1).

Infinite values (KL for θ ≠ 0) cannot be drawn; they are placed on a level labelled "+∞" at the top of
their panel. Jumps are drawn as jumps: a curve is split at θ = 0 and its value there is a separate dot.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from plots import FAKE, REAL, SERIES, base_layout

#: Legends of the multi-panel figures go below the panels, clear of the subplot titles.
COLOURS = dict(zip(("W", "JS", "KL", "KL_reverse", "TV"), SERIES, strict=False))


def _figure(data: list[dict], layout: dict) -> go.Figure:
    """Wrap figure parts that are already valid plotly JSON, skipping plotly's per-property validation.

    Validation costs about 0.1 s per figure; a θ change redraws four figures, so the θ-independent
    parts are built (and validated) once, and the few θ-dependent traces are added as plain dicts.
    Each trace is passed as a copy of its dict: plotly takes a trace's ``type`` out of the dict it is
    given while it builds the trace, and the cached parts are shared by every session's thread.
    """
    return go.Figure({"data": [dict(trace) for trace in data], "layout": layout}, _validate=False)


def _vline(x: float, panels: int, colour: str = "#ffbf00") -> list[dict]:
    """A vertical dotted line at ``x`` on each of ``panels`` side-by-side subplots."""
    return [
        {"type": "line", "x0": x, "x1": x, "y0": 0, "y1": 1, "xref": "x" if k == 1 else f"x{k}",
         "yref": "y domain" if k == 1 else f"y{k} domain", "line": {"color": colour, "width": 2, "dash": "dot"}}
        for k in range(1, panels + 1)
    ]


@lru_cache(maxsize=1)
def _lines_layout() -> dict:
    fig = go.Figure()
    fig.update_xaxes(range=[-1.1, 1.1], title="x", zeroline=False)
    fig.update_yaxes(range=[-0.05, 1.05], title="z")
    base_layout(fig, title="The two distributions", height=400)  # θ is added per redraw (below)
    return fig.to_dict()["layout"]


def lines(real: np.ndarray, fake: np.ndarray, theta: float) -> go.Figure:
    """The data segment (0, z) and the model segment (θ, z) with sample points on each."""
    data = [
        {"type": "scatter", "x": [0, 0], "y": [0, 1], "mode": "lines", "line": {"color": REAL, "width": 4},
         "name": "P₀: (0, Z)"},
        {"type": "scatter", "x": [theta, theta], "y": [0, 1], "mode": "lines", "line": {"color": FAKE, "width": 4},
         "name": "P_θ: (θ, Z)"},
        {"type": "scatter", "x": real[:, 0].tolist(), "y": real[:, 1].tolist(), "mode": "markers",
         "marker": {"color": REAL, "size": 6}, "showlegend": False, "hoverinfo": "skip"},
        {"type": "scatter", "x": fake[:, 0].tolist(), "y": fake[:, 1].tolist(), "mode": "markers",
         "marker": {"color": FAKE, "size": 6}, "showlegend": False, "hoverinfo": "skip"},
    ]
    annotations = []
    if theta != 0:
        annotations = [
            {"x": 0, "y": 0.5, "ax": theta, "ay": 0.5, "xref": "x", "yref": "y", "axref": "x", "ayref": "y",
             "showarrow": True, "arrowhead": 3, "arrowwidth": 2, "arrowcolor": "#555", "text": ""},
            {"x": theta / 2, "y": 0.5, "yshift": 16, "showarrow": False, "text": f"|θ| = {abs(theta):.2f}",
             "bgcolor": "rgba(255, 255, 255, 0.9)"},
        ]
    layout = {**_lines_layout(), "annotations": annotations,
              "title": {"text": f"The two distributions at θ = {theta:.2f}"}}
    return _figure(data, layout)


def _cap(values: np.ndarray, level: float) -> np.ndarray:
    return np.where(np.isinf(values), level, values)


def divergence_base(thetas, curves: dict, estimates, names, labels: dict) -> dict:
    """The θ-independent part of the distance panels, as plotly JSON (cacheable).

    One panel per distance: the closed form (a line on each side of 0, and a dot for the value at 0)
    and the sample estimates (mean ± std over seeds). ``layout.meta.levels`` holds, per panel, the
    height at which ``inf`` is drawn (None where nothing is infinite).
    """
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=[labels[n] for n in names],
                        horizontal_spacing=0.05)
    left, right, zero = thetas < 0, thetas > 0, thetas == 0
    levels = []
    for col, name in enumerate(names, start=1):
        colour = COLOURS[name]
        exact, mean, std = curves[name], estimates.mean(name), estimates.std(name)
        finite = np.concatenate([exact[np.isfinite(exact)], mean[np.isfinite(mean)]])
        has_inf = bool(np.isinf(exact).any() or np.isinf(mean).any())
        level = max(1.0, 1.25 * float(finite.max())) if has_inf else None
        levels.append(level)
        shown = _cap(exact, level) if has_inf else exact
        first = col == 1
        for part in (left, right):
            fig.add_scatter(x=thetas[part], y=shown[part], mode="lines", line=dict(color=colour, width=2.5),
                            name="closed form", legendgroup="closed", showlegend=first and part is left,
                            row=1, col=col)
        fig.add_scatter(x=thetas[zero], y=shown[zero], mode="markers", marker=dict(color=colour, size=9),
                        name="value at θ = 0", legendgroup="zero", showlegend=first, row=1, col=col)
        est = _cap(mean, level) if has_inf else mean
        symbols = np.where(np.isinf(mean), "triangle-up", "circle")
        fig.add_scatter(x=estimates.thetas, y=est, mode="markers", error_y=dict(type="data", array=std),
                        marker=dict(color="black", size=7, symbol=symbols, line=dict(width=1, color="white")),
                        name=f"sample estimate (n = {estimates.n}, mean ± std over seeds)",
                        legendgroup="est", showlegend=first, row=1, col=col)
        if has_inf:
            fig.update_yaxes(tickvals=[0, level / 2, level], ticktext=["0", f"{level / 2:.2g}", "+∞"],
                             range=[-0.05 * level, 1.12 * level], row=1, col=col)
        else:
            top = float(np.nanmax(np.concatenate([shown, est + std])))
            fig.update_yaxes(range=[-0.05 * top, 1.12 * top], row=1, col=col)
    fig.update_xaxes(title="θ", range=[-1.08, 1.08])
    base_layout(fig, height=400)
    fig.update_layout(meta={"levels": levels})
    return fig.to_dict()


def divergences(base: dict, theta: float, values: dict, names) -> go.Figure:
    """``base`` from :func:`divergence_base` plus the current θ: a dotted line and a diamond per panel."""
    levels = base["layout"]["meta"]["levels"]
    marks = []
    for k, (name, level) in enumerate(zip(names, levels, strict=True), start=1):
        y = level if np.isinf(values[name]) else values[name]
        marks.append({"type": "scatter", "x": [theta], "y": [y], "mode": "markers", "name": "current θ",
                      "legendgroup": "now", "showlegend": k == 1, "xaxis": "x" if k == 1 else f"x{k}",
                      "yaxis": "y" if k == 1 else f"y{k}",
                      "marker": {"color": "#ffbf00", "size": 13, "symbol": "diamond",
                                 "line": {"width": 1.5, "color": "black"}}})
    layout = {**base["layout"], "shapes": _vline(theta, len(names))}
    return _figure(base["data"] + marks, layout)


def derivative_base(thetas, slopes: dict, names, labels: dict) -> dict:
    """∂ρ/∂θ per distance as plotly JSON: lines left and right of 0, an open circle and a note at 0."""
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=[f"∂/∂θ {labels[n]}" for n in names],
                        horizontal_spacing=0.05)
    left, right = thetas < 0, thetas > 0
    for col, name in enumerate(names, start=1):
        colour = COLOURS[name]
        for part in (left, right):
            fig.add_scatter(x=thetas[part], y=slopes[name][part], mode="lines", line=dict(color=colour, width=2.5),
                            showlegend=False, row=1, col=col)
        # The derivative does not exist at 0: mark the hole, never a value.
        ends = [slopes[name][left][-1], slopes[name][right][0]]
        fig.add_scatter(x=[0, 0], y=ends, mode="markers", showlegend=False, hoverinfo="text",
                        hovertext="undefined at θ = 0", marker=dict(symbol="circle-open", size=10, color=colour),
                        row=1, col=col)
        fig.add_annotation(x=0, y=1.35, text="undefined<br>at 0", showarrow=False, font=dict(size=11),
                           row=1, col=col)
    fig.update_xaxes(title="θ", range=[-1.08, 1.08])
    fig.update_yaxes(range=[-1.3, 1.6], tickvals=[-1, 0, 1])
    return base_layout(fig, height=300, showlegend=False).to_dict()


def derivatives(base: dict, theta: float, panels: int) -> go.Figure:
    """``base`` from :func:`derivative_base` with a dotted line at the current θ."""
    return _figure(base["data"], {**base["layout"], "shapes": _vline(theta, panels)})


@lru_cache(maxsize=1)
def _descent_layout() -> dict:
    fig = make_subplots(rows=1, cols=2, column_widths=[0.62, 0.38],
                        subplot_titles=("θ_t during gradient descent", "the lines at step t"))
    fig.update_xaxes(title="step t", row=1, col=1)
    fig.update_yaxes(title="θ", row=1, col=1)
    fig.update_xaxes(range=[-1.1, 1.1], title="x", row=1, col=2)
    fig.update_yaxes(range=[-0.02, 1.02], showticklabels=False, row=1, col=2)
    base_layout(fig, height=380)
    return fig.to_dict()["layout"]


def descent(runs: dict[str, np.ndarray], step: int, labels: dict) -> go.Figure:
    """Left: θ_t against t for each run. Right: where each run's line stands at step t."""
    data: list[dict] = []
    notes = []
    for i, (name, path) in enumerate(runs.items()):
        colour, now = COLOURS[name], float(path[step])
        data += [
            {"type": "scatter", "x": list(range(path.size)), "y": path.tolist(), "mode": "lines+markers",
             "line": {"color": colour, "width": 2}, "marker": {"size": 5}, "name": f"descent on {labels[name]}"},
            {"type": "scatter", "x": [step], "y": [now], "mode": "markers", "showlegend": False,
             "marker": {"color": colour, "size": 13, "symbol": "diamond", "line": {"width": 1, "color": "black"}}},
            {"type": "scatter", "x": [now, now], "y": [0.05 + 0.5 * i, 0.45 + 0.5 * i], "mode": "lines",
             "showlegend": False, "line": {"color": colour, "width": 5}, "xaxis": "x2", "yaxis": "y2"},
        ]
        notes.append({"x": now, "y": 0.25 + 0.5 * i, "xref": "x2", "yref": "y2", "xanchor": "left",
                      "showarrow": False, "text": f" θ = {now:.3f} ({labels[name]})"})
    data.append({"type": "scatter", "x": [0, 0], "y": [0, 1], "mode": "lines", "name": "data line P₀",
                 "line": {"color": REAL, "width": 5}, "xaxis": "x2", "yaxis": "y2"})
    layout = _descent_layout()
    titles = [dict(a) for a in layout["annotations"]]
    titles[1]["text"] = f"the lines at step t = {step}"
    shape = {"type": "line", "x0": step, "x1": step, "y0": 0, "y1": 1, "xref": "x", "yref": "y domain",
             "line": {"color": "#999", "dash": "dot"}}
    return _figure(data, {**layout, "annotations": titles + notes, "shapes": [shape]})
