"""Charts that read well: the title and the legend never share the top of a chart, ticks are plain
numbers or powers of ten (never SI prefixes such as "100µ"), distinct values of a sequential quantity get
distinct colours, and a change that rounds to nothing never reads "-0.0"."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lessons import clipping_vs_gp
from lessons.vanishing_gradients import fall_text
from plots import base_layout
from plots import clipping_vs_gp as clip_plots


def test_title_at_the_top_and_legend_at_the_bottom_of_the_chart():
    fig = base_layout(go.Figure([go.Scatter(y=[1, 2], name="a"), go.Scatter(y=[2, 1], name="b")]), "A title")
    title, legend = fig.layout.title, fig.layout.legend
    assert (title.yref, title.yanchor, title.y) == ("container", "top", 1)
    assert (legend.yref, legend.yanchor, legend.y) == ("container", "bottom", 0)


def test_every_axis_ticks_in_powers_of_ten_never_si_prefixes():
    fig = base_layout(make_subplots(rows=1, cols=3), "three panels")
    axes = [fig.layout[name] for name in fig.layout if name.startswith(("xaxis", "yaxis"))]
    assert len(axes) == 6 and all(axis.exponentformat == "power" for axis in axes)


def test_each_clip_value_has_its_own_colour():
    clips = np.array(clipping_vs_gp.SWEEP_CLIPS)
    fig = clip_plots.traces(SimpleNamespace(clips=clips, traces=np.ones((len(clips), 5))))
    colours = [trace.line.color for trace in fig.data]
    assert len(set(colours)) == len(clips), colours


def test_a_fall_that_rounds_to_nothing_never_reads_minus_zero():
    assert fall_text(3.24) == "-3.2 orders of magnitude"
    assert fall_text(0.0) == fall_text(0.04) == "no fall"
    assert "-0.0" not in fall_text(0.049)
