"""Figures of the lesson "Measuring the distance between distributions"."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from plots import FAKE, REAL, base_layout


def piles(result, moves: list[tuple[int, int, float]]) -> go.Figure:
    """P's and Q's piles as bars, and the plan's moves as arrows labelled with the amount moved."""
    fig = go.Figure()
    pos = result.positions
    fig.add_bar(x=pos - 0.18, y=result.p, width=0.34, name="P (start)", marker_color=REAL,
                text=[f"{v:g}" for v in result.p], textposition="outside")
    fig.add_bar(x=pos + 0.18, y=result.q, width=0.34, name="Q (target)", marker_color=FAKE,
                text=[f"{v:g}" for v in result.q], textposition="outside")
    top = float(max(result.p.max(), result.q.max()))
    level = top + 1.5
    for src, dst, amount in moves:
        if src == dst:
            continue  # dirt that stays where it is costs nothing and gets no arrow
        if result.equal_totals:
            amount_text = f"{amount:.3g} shovelful" + ("" if amount == 1 else "s")
        else:
            amount_text = f"{amount:.0%} of the mass"
        fig.add_annotation(
            x=pos[dst - 1] + 0.18, y=level, ax=pos[src - 1] - 0.18, ay=level, xref="x", yref="y",
            axref="x", ayref="y", showarrow=True, arrowhead=3, arrowsize=1.2, arrowwidth=2,
            arrowcolor="#444", text="",
        )
        fig.add_annotation(x=(pos[src - 1] + pos[dst - 1]) / 2, y=level, yshift=10, showarrow=False,
                           text=f"{amount_text} × distance {abs(dst - src)}", font=dict(size=12))
        level += 1.4
    fig.update_xaxes(tickvals=pos, ticktext=[f"pile {int(p)}" for p in pos], range=[0.4, 4.6])
    fig.update_yaxes(title="shovelfuls", range=[0, level + 1.0])
    base_layout(fig, title="The piles and the optimal moves (from P's piles to Q's piles)", height=440,
                barmode="overlay")
    return fig


def plan_heatmap(result) -> go.Figure:
    """The transport plan γ as a matrix: rows are P's piles, columns Q's piles."""
    labels_p = [f"P{i + 1}" for i in range(result.plan.shape[0])]
    labels_q = [f"Q{j + 1}" for j in range(result.plan.shape[1])]
    fmt = "%{z:.3g}" if result.equal_totals else "%{z:.1%}"
    fig = go.Figure(go.Heatmap(
        z=result.plan, x=labels_q, y=labels_p, colorscale="Blues", texttemplate=fmt, showscale=False,
        hovertemplate="from %{y} to %{x}: %{z:.3g}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed", title="from P's pile")
    fig.update_xaxes(title="to Q's pile")
    return base_layout(fig, title="Optimal transport plan γ (network simplex)", height=420)


def gaussians(cmp) -> go.Figure:
    """Left: the two densities. Right: the integrands of KL(P‖Q) and KL(Q‖P)."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("densities", "integrands of the two KLs"))
    fig.add_scatter(x=cmp.x, y=cmp.p, name="p (P)", line=dict(color=REAL, width=2.5), row=1, col=1)
    fig.add_scatter(x=cmp.x, y=cmp.q, name="q (Q)", line=dict(color=FAKE, width=2.5), row=1, col=1)
    fig.add_scatter(x=cmp.x, y=cmp.kl_pq_integrand, name="p log(p/q)  → KL(P‖Q)", fill="tozeroy",
                    line=dict(color=REAL, width=1.5), opacity=0.6, row=1, col=2)
    fig.add_scatter(x=cmp.x, y=cmp.kl_qp_integrand, name="q log(q/p)  → KL(Q‖P)", fill="tozeroy",
                    line=dict(color=FAKE, width=1.5), opacity=0.6, row=1, col=2)
    fig.update_xaxes(title="x")
    base_layout(fig, height=420)
    return fig


def number(value: float, digits: int = 4) -> str:
    """A value for display: ``∞`` for infinity, else ``digits`` significant digits."""
    return "∞" if np.isinf(value) else f"{value:.{digits}g}"


def table_rows(cmp) -> list[dict[str, str]]:
    """Rows of the Gaussian comparison table (formatting only)."""

    def fmt(v: float) -> str:
        return "—" if v is None or not np.isfinite(v) else f"{v:.6f}"

    return [
        {"quantity": "KL(P‖Q)", "closed form": fmt(cmp.kl_pq), "numerical integral": fmt(cmp.kl_pq_numeric)},
        {"quantity": "KL(Q‖P)", "closed form": fmt(cmp.kl_qp), "numerical integral": fmt(cmp.kl_qp_numeric)},
        {"quantity": "JS(P, Q)", "closed form": "—", "numerical integral": fmt(cmp.js_numeric)},
        {"quantity": "TV δ(P, Q)", "closed form": "—", "numerical integral": fmt(cmp.tv_numeric)},
        {"quantity": "W1(P, Q) = ∫|F_P − F_Q|", "closed form": "—", "numerical integral": fmt(cmp.w1_numeric)},
    ]
