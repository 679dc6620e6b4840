"""Figures of the clipping-vs-penalty lesson: the clip-c sweep and the critic's value surface."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from plots import FAKE, REAL, SERIES, base_layout


def sweep(result) -> go.Figure:
    """Three panels against c (log axes): gradient at fakes, share of weights at ±c, iterations to 90 %."""
    fig = make_subplots(rows=1, cols=3, subplot_titles=(
        "critic gradient at generated points", "weights at ±c", "critic iterations to 90 % of Ŵ"))
    c = result.clips
    fig.add_scatter(x=c, y=result.grad_at_fake, mode="lines+markers", row=1, col=1, name="mean ‖∇ₓf‖",
                    line=dict(color=SERIES[0]))
    fig.add_scatter(x=c, y=result.at_limit, mode="lines+markers", row=1, col=2, name="share at ±c",
                    line=dict(color=SERIES[1]))
    fig.add_scatter(x=c, y=result.iters_to_90, mode="lines+markers", row=1, col=3, name="iterations",
                    line=dict(color=SERIES[2]))
    fig.update_xaxes(type="log", title="clip c", dtick=1)  # 10⁻³ … 1: one tick per decade
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_yaxes(range=[0, 1.02], row=1, col=2)
    return base_layout(fig, None, height=330, showlegend=False)


def scale_vs_c(result, fit) -> go.Figure:
    r"""The critic estimate $\widehat W$ against $c$ on log–log axes, with the fitted line $\widehat W = e^b c^k$."""
    c, est = result.clips, result.estimate
    fig = go.Figure()
    shown = est > 0
    fig.add_scatter(x=c[shown & ~fit.used], y=est[shown & ~fit.used], mode="markers", name="not saturated",
                    marker=dict(color="#999", size=9, symbol="circle-open"))
    fig.add_scatter(x=c[fit.used], y=est[fit.used], mode="markers", name="weights saturated (fitted)",
                    marker=dict(color=SERIES[0], size=9))
    line = np.geomspace(c.min(), c.max(), 50)
    fig.add_scatter(x=line, y=np.exp(fit.intercept) * line ** fit.slope, mode="lines",
                    name=f"fit: Ŵ ∝ c^{fit.slope:.2f}", line=dict(color=SERIES[1], dash="dash"))
    fig.update_xaxes(type="log", title="clip c", dtick=1)  # 10⁻³ … 1: one tick per decade
    fig.update_yaxes(type="log", title="critic estimate Ŵ", range=[np.log10(est[shown].min()) - 0.5,
                                                                    np.log10(est[shown].max()) + 0.5])
    return base_layout(fig, "The critic's scale against c (log–log)", height=360)


def traces(result) -> go.Figure:
    """Ŵ after each critic iteration, divided by its final value, one line per c."""
    fig = go.Figure()
    colours = sample_colorscale("Viridis", np.linspace(0.0, 0.9, len(result.clips)))  # one per c, in order
    for i, c in enumerate(result.clips):
        fig.add_scatter(y=result.traces[i], mode="lines", name=f"c = {c:g}", line=dict(color=colours[i]))
    fig.add_hline(y=0.9, line_dash="dot", line_color="#888")
    fig.update_xaxes(title="critic iteration (generator frozen)")
    fig.update_yaxes(title="Ŵ / final Ŵ")
    return base_layout(fig, "How fast the clipped critic converges", height=330)


def value_surface(snapshot: dict, title: str, height: int = 380) -> go.Figure:
    """The critic's value $f(x)$ on the snapshot's grid, with real (×) and generated (•) samples."""
    field = snapshot["field"]
    fig = go.Figure(go.Contour(x=field["x"], y=field["y"], z=field["z"], colorscale="RdBu_r", ncontours=20,
                               colorbar=dict(title="f(x)", thickness=12)))
    r, s = snapshot["real"], snapshot["samples"]
    fig.add_scatter(x=r[:, 0], y=r[:, 1], mode="markers", name="real", marker=dict(color=REAL, size=3, symbol="x"))
    fig.add_scatter(x=s[:, 0], y=s[:, 1], mode="markers", name="generated", marker=dict(color=FAKE, size=3))
    fig.update_yaxes(scaleanchor="x")
    return base_layout(fig, title, height=height)


def weight_marks(weights: dict) -> tuple[float, ...]:
    """±c of a weight histogram (empty when the critic is not clipped)."""
    c = float(weights.get("clip_value", np.nan))
    return () if np.isnan(c) else (-c, c)
