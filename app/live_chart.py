"""Live charts that update in place: one plotly.js plot per key, redrawn with ``Plotly.react``.

``st.plotly_chart`` identifies a chart by a hash of its whole figure, so every redraw of a live
figure (new data every 2 s) mounts a new chart and keeps the old one for a moment beside it: the
page briefly holds two of each chart, then none while the new one lays itself out, and panels blink.
:func:`live_chart` mounts one small Streamlit component per ``key`` instead; its identity is the key
alone, so later redraws reach the same element, whose script hands the new figure to
``Plotly.react`` — plotly.js updates the existing plot (axes, zoom and size stay) and never remounts.

plotly.js itself is the copy Streamlit ships for ``st.plotly_chart`` (its ``PlotlyChart`` bundle, which
defines ``window.Plotly`` when loaded); the component imports that bundle once per page.
"""

from __future__ import annotations

import functools
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

#: The component's script: parse the figure, load plotly.js once, draw or update the plot in place.
_JS = r"""
let plotly = null;
function loadPlotly(bundle) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!plotly) plotly = import(new URL(bundle, document.baseURI).href).then(() => window.Plotly);
  return plotly;
}
export default function (component) {
  const { parentElement, data } = component;
  let gd = parentElement.querySelector(".wgan-live-chart");
  if (!gd) {
    gd = document.createElement("div");
    gd.className = "wgan-live-chart";
    parentElement.appendChild(gd);
  }
  if (gd.dataset.version === data.version) return;  // this figure is drawn (or being drawn) already
  gd.dataset.version = data.version;
  const figure = JSON.parse(data.figure);
  loadPlotly(data.bundle).then((Plotly) => {
    if (gd.dataset.version !== data.version) return;  // a newer figure arrived meanwhile
    figure.layout = { ...figure.layout, autosize: true };
    Plotly.react(gd, figure.data, figure.layout, { displaylogo: false, responsive: true });
  });
}
"""

_CSS = ".wgan-live-chart { width: 100%; }"


@functools.cache
def _bundle() -> str:
    """The path, relative to the app's root URL, of Streamlit's plotly.js bundle."""
    js = Path(st.__file__).parent / "static" / "static" / "js"
    found = sorted(js.glob("PlotlyChart.*.js"))
    if not found:
        raise RuntimeError(f"no PlotlyChart.*.js bundle in {js}: this Streamlit version ships plotly.js "
                           "differently; live charts cannot load it")
    return f"static/js/{found[0].name}"


@functools.cache
def _component():
    return st.components.v2.component("wgan_live_chart", js=_JS, css=_CSS, isolate_styles=False)


def live_chart(fig: go.Figure, key: str, container=None) -> None:
    """Draw ``fig`` under ``key``; a later call with the same key updates that plot in place.

    ``container`` is where to draw (a column, say); by default the current one.
    """
    spec = fig.to_json(validate=False)
    data = {"figure": spec, "version": str(hash(spec)), "bundle": _bundle()}
    mount = functools.partial(_component(), key=key, data=data, height=int(fig.layout.height or 450))
    if container is None:
        mount()
    else:
        with container:
            mount()
