"""Figure builders of the "Training on images" lesson: sample grids, the W-estimate curve with
thumbnails on it, and the class-coverage curves."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from plots import METHOD_COLOURS, base_layout
from plots.live import mark_changes


def _rgb(grid: np.ndarray) -> np.ndarray:
    """Grey ``(H, W, 1)`` tiles drawn as RGB."""
    return np.repeat(grid, 3, axis=2) if grid.shape[2] == 1 else grid


def sample_grid(grid: np.ndarray, title: str, height: int = 420) -> go.Figure:
    """A tiled uint8 grid ``(H, W, C)`` as an image without axes."""
    fig = go.Figure(go.Image(z=_rgb(grid), hoverinfo="skip"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    return base_layout(fig, title, height=height)


#: Thumbnails across the width of the W-curve: each is this share of the x-span wide.
THUMB_WIDTH = 1 / 9


def spaced_thumbnails(steps, min_gap: float) -> list[int]:
    """Indices of ``steps`` (ascending) kept so that kept neighbours are at least ``min_gap`` apart:
    thumbnails as wide as ``min_gap`` and centred on their steps then never overlap."""
    kept: list[int] = []
    for i, step in enumerate(steps):
        if not kept or step - steps[kept[-1]] >= min_gap:
            kept.append(i)
    return kept


def w_curve(curve: dict, title: str, thumb_steps=(), thumbs=(), colour: str = METHOD_COLOURS["wgan"],
            height: int = 380, changes=()) -> go.Figure:
    """The critic's estimate (faint: raw, bold: median-filtered) with sample thumbnails on the curve, laid
    out so that no two overlap, and the slider ``changes`` marked."""
    fig = go.Figure()
    steps, raw, filtered = curve["steps"], curve["raw"], curve["filtered"]
    fig.add_scatter(x=steps, y=raw, mode="lines", name="raw", line=dict(color=colour, width=1), opacity=0.35)
    fig.add_scatter(x=steps, y=filtered, mode="lines+markers", name="median-filtered", line=dict(color=colour, width=3))
    if len(steps) and len(thumbs):
        lo, hi = float(np.min(raw)), float(np.max(raw))
        span_y = (hi - lo) or max(abs(hi), 1e-3)
        span_x = float(max(steps.max() - steps.min(), 1))
        fig.update_yaxes(range=[lo - 0.1 * span_y, hi + 0.45 * span_y])
        fig.update_xaxes(range=[steps.min() - span_x * THUMB_WIDTH / 2, steps.max() + span_x * THUMB_WIDTH / 2])
        for i in spaced_thumbnails(list(thumb_steps), span_x * THUMB_WIDTH):
            step = thumb_steps[i]
            y = float(np.interp(step, steps, filtered))
            fig.add_layout_image(source=Image.fromarray(_rgb(thumbs[i])), x=step, y=y, xref="x", yref="y",
                                 sizex=span_x * THUMB_WIDTH, sizey=0.3 * span_y, xanchor="center",
                                 yanchor="bottom", layer="above")
    fig.update_xaxes(title="generator step")
    fig.update_yaxes(title="E f(x) − E f(g(z))")
    mark_changes(fig, changes)
    return base_layout(fig, title, height=height)


def coverage_curves(logs: list[dict], title: str = "Classes covered and class KL", height: int = 300,
                    changes=()) -> go.Figure:
    """``classes_covered`` (left axis) and ``class_kl`` (right axis) against the generator step, with the
    slider ``changes`` marked."""
    rows = [e for e in logs if "classes_covered" in e]
    x = [e["g_step"] for e in rows]
    fig = go.Figure()
    fig.add_scatter(x=x, y=[e["classes_covered"] for e in rows], name="classes covered (of 10)", mode="lines+markers",
                    line=dict(color="#2ca02c"))
    fig.add_scatter(x=x, y=[e["class_kl"] for e in rows], name="KL(class histogram ‖ uniform)", yaxis="y2",
                    mode="lines", line=dict(color="#d62728", dash="dot"))
    fig.update_layout(yaxis=dict(title="classes", range=[0, 10.5]),
                      yaxis2=dict(title="nats", overlaying="y", side="right", range=[0, 2.4]))
    fig.update_xaxes(title="generator step")
    mark_changes(fig, changes)
    return base_layout(fig, title, height=height)
