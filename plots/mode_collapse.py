"""Figures of the mode-collapse lesson: the paper's Fig 2 panel (KDE in green, samples in blue) over the
critic's contour with the generator's gradient arrows."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from plots import REAL, base_layout

KDE_GREEN = "#2ca02c"
SAMPLE_BLUE = "#1f77b4"


def method_panel(snapshot: dict, kde: tuple, title: str, arrow_scale: float = 0.25,
                 height: int = 420) -> go.Figure:
    """One method at one moment.

    ``snapshot`` is ``Trainer.snapshot()`` (``field`` x/y/z, ``samples``, ``real``, ``arrows``);
    ``kde`` is ``(x, y, density)``: the samples' density on a grid, shape ``(len(y), len(x))``.
    Arrows are drawn with a common length so the direction reads at any gradient size.
    """
    field = snapshot["field"]
    fig = go.Figure()
    fig.add_contour(x=field["x"], y=field["y"], z=field["z"], colorscale="Greys", opacity=0.55,
                    contours=dict(coloring="heatmap"), showscale=False, name="critic", hoverinfo="skip")
    kx, ky, kz = kde
    top = float(np.max(kz)) if np.size(kz) else 1.0
    fig.add_contour(x=kx, y=ky, z=kz, colorscale=[[0, KDE_GREEN], [1, KDE_GREEN]], showscale=False,
                    contours=dict(coloring="lines", start=0.05 * top, end=0.95 * top, size=0.15 * top),
                    line=dict(width=1.6), name="KDE of samples", showlegend=True, hoverinfo="skip")
    real = snapshot["real"]
    fig.add_scatter(x=real[:, 0], y=real[:, 1], mode="markers", name="real",
                    marker=dict(color=REAL, size=3, symbol="x", opacity=0.25))
    s = snapshot["samples"]
    fig.add_scatter(x=s[:, 0], y=s[:, 1], mode="markers", name="samples",
                    marker=dict(color=SAMPLE_BLUE, size=4, opacity=0.8))
    arrows = snapshot.get("arrows")
    if arrows is not None:
        x, u = arrows["x"], arrows["u"]
        span = float(np.ptp(field["x"]))
        norm = np.linalg.norm(u, axis=1, keepdims=True)
        unit = np.divide(u, norm, out=np.zeros_like(u), where=norm > 0) * arrow_scale * span / 4
        xs, ys = [], []
        for (a, b), (du, dv) in zip(x, unit, strict=True):
            xs += [a, a + du, None]
            ys += [b, b + dv, None]
        fig.add_scatter(x=xs, y=ys, mode="lines", name="−∇ generator loss", line=dict(color="#d62728", width=1))
    fig.update_xaxes(range=[field["x"][0], field["x"][-1]], showgrid=False)
    fig.update_yaxes(range=[field["y"][0], field["y"][-1]], showgrid=False, scaleanchor="x")
    base_layout(fig, title, height=height)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.08, x=0))
    return fig


def circle_vs_bumps(logs: list[dict], member: str, marks: dict[str, int | None]) -> go.Figure:
    """``ring_share`` and ``hq_share`` of one member against the generator step, with their ½ crossings."""
    rows = [e for e in logs if e["member"] == member and "ring_share" in e]
    fig = go.Figure()
    fig.add_scatter(x=[e["g_step"] for e in rows], y=[e["ring_share"] for e in rows], name="on the circle",
                    line=dict(color="#ff7f0e"))
    fig.add_scatter(x=[e["g_step"] for e in rows], y=[e.get("hq_share") for e in rows],
                    name="high quality (within 3σ of a mean)", line=dict(color=KDE_GREEN))
    fig.add_hline(y=0.5, line_dash="dot", line_color="#888")
    for name, step in marks.items():
        if step is not None:
            fig.add_vline(x=step, line_dash="dash", line_color="#444", annotation_text=f"{name}: step {step}")
    fig.update_xaxes(title="generator step")
    fig.update_yaxes(title="share of samples", range=[0, 1.02])
    return base_layout(fig, "WGAN: the circle first, the bumps second", height=320)


def mode_mass_heatmaps(traces: dict[str, tuple[list[int], list[list[float]]]], labels: dict[str, str],
                       title: str, height: int = 520) -> go.Figure:
    """Per method, the share of samples on each mode (rows) against the generator step (columns).

    ``traces`` maps a method to ``(steps, mass)`` with ``mass[t][k]`` the share of the samples of step
    ``steps[t]`` within 3σ of mode ``k``. One shared colour scale from 0 to twice the even share
    ($2/K$, larger shares saturate), so an even cover is a band of $K$ equal mid-bright rows, a mode held
    by a collapsing generator glows and the modes it left go dark.
    """
    from plotly.subplots import make_subplots

    methods = list(traces)
    fig = make_subplots(rows=max(len(methods), 1), cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=[labels.get(m, m) for m in methods])
    modes = max((len(mass[0]) for _, mass in traces.values() if mass), default=8)
    top = 2.0 / modes
    for i, method in enumerate(methods, start=1):
        steps, mass = traces[method]
        z = np.asarray(mass, dtype=float).T if len(mass) else np.zeros((modes, 0))
        fig.add_heatmap(x=steps, y=list(range(1, z.shape[0] + 1)), z=z, zmin=0.0, zmax=top, coloraxis="coloraxis",
                        hovertemplate="step %{x}<br>mode %{y}<br>share %{z:.3f}<extra></extra>", row=i, col=1)
        fig.update_yaxes(title_text="mode", tickmode="linear", tick0=1, dtick=1, row=i, col=1)
    fig.update_xaxes(title_text="generator step", tickformat="d", row=len(methods), col=1)
    fig.update_layout(coloraxis=dict(colorscale="Viridis", cmin=0.0, cmax=top,
                                     colorbar=dict(title="share of samples", tickformat=".2f")))
    base_layout(fig, title, height=height)
    return fig.update_layout(margin=dict(t=90))  # room for the title above the first method's subplot title
