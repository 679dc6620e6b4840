"""ipywidgets controls made from a lesson's control specs, and the panel that shows them, for the notebooks.

``control(lesson, "theta", theta)`` is the slider of the lesson's ``theta`` spec (its label, range, step
and scale), starting at the notebook's current value. ``explore(draw, theta=control(...))`` shows the
controls above what ``draw(theta=...)`` returns and draws again when one moves. ipywidgets is imported
only here, in a kernel.

Why not ``ipywidgets.interact``: it runs the function at once inside an Output widget
(``with out: ...``). With no widget front end attached (papermill, ``jupyter nbconvert --execute``,
nbclient), nbclient plays the Output widget itself and answers every output routed into it with a
message sent on the kernel's shell socket, while it waits on that same socket for the cell's reply; a
send can swallow the socket's wake-up for that reply, and the run stalls until the cell timeout or for
good. :func:`explore` routes nothing through the front end while a cell runs: it sets the Output
widget's ``outputs`` from the kernel, which every runner only records.
"""

from __future__ import annotations

import json
from typing import Any

from lessons import Choice, Slider, Toggle

PLOTLY_MIME = "application/vnd.plotly.v1+json"
#: CSS classes of the Output widgets: an :func:`explore` panel's, and each figure's of a :class:`Redraw`.
PANEL_CLASS, FIGURE_CLASS = "lesson-panel", "lesson-figure"


def _spec(module, key: str):
    from lessons.notebooks import lesson_controls

    for spec in lesson_controls(module):
        if spec.key == key:
            return spec
    raise ValueError(f"{key} is not a control of {module.__name__}")


def control(module, key: str, value: Any = None):
    """The widget for control ``key`` of the lesson ``module`` (value: the spec's default when None)."""
    import ipywidgets as w

    spec = _spec(module, key)
    value = spec.default if value is None else value
    style = {"description_width": "initial"}
    layout = w.Layout(width="480px")
    if isinstance(spec, Toggle):
        return w.Checkbox(value=bool(value), description=spec.label, style=style)
    if isinstance(spec, Choice):
        options = [(spec.labels.get(o, o), o) for o in spec.options]
        return w.Dropdown(options=options, value=value, description=spec.label, style=style, layout=layout)
    if not isinstance(spec, Slider):  # pragma: no cover - a programming error
        raise TypeError(f"unknown control {spec!r}")
    common = dict(description=spec.label, continuous_update=False, style=style, layout=layout)
    if spec.log:
        options = spec.options()
        nearest = min(options, key=lambda v: abs(v - float(value)))
        return w.SelectionSlider(options=[(f"{v:.3g}", v) for v in options], value=nearest, **common)
    if spec.integer:
        return w.IntSlider(value=int(value), min=int(spec.min), max=int(spec.max), step=int(spec.step or 1), **common)
    step = spec.step if spec.step is not None else (spec.max - spec.min) / 100
    return w.FloatSlider(value=float(value), min=float(spec.min), max=float(spec.max), step=step, **common)


def progress_bar(desc: str, total: int = 1000):
    """A ``tqdm.auto`` bar and a lesson-style ``progress(fraction, message)`` callback that moves it."""
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc=desc, bar_format="{l_bar}{bar}| {elapsed}<{remaining}")

    def progress(fraction: float, message: str = "") -> None:
        bar.n = min(total, int(round(fraction * total)))
        if message:
            bar.set_postfix_str(message, refresh=False)
        bar.refresh()

    return bar, progress


class Redraw:
    """Show figures once, then draw them again in the same place: ``redraw({name: figure})``.

    Each figure has an Output widget whose ``outputs`` the kernel sets, as in :func:`explore`. Not display
    ids: a plotly figure shows itself through its own ``_ipython_display_``, which drops the display id, so
    each "update" added one more figure below the others; and JupyterLab keeps a plotly output's first
    drawing through an ``update_display_data`` (it hands the new data to the output's renderer, and
    plotly's renderer leaves a graph it has drawn as it is). New ``outputs`` of an Output widget are
    cleared and added again by the front end, so each redraw is drawn anew; headless runners record the
    last one in the widget state.
    """

    def __init__(self):
        self.views: dict[str, Any] = {}

    def __call__(self, figures: dict[str, Any]) -> None:
        import ipywidgets as w
        from IPython.display import display

        for name, fig in figures.items():
            if name not in self.views:
                self.views[name] = w.Output()
                self.views[name].add_class(FIGURE_CLASS)
                display(self.views[name])
            self.views[name].outputs = (_output(fig),)


def _output(item: Any) -> dict:
    """One Output-widget output (nbformat dict) for ``item``: a string is a line of text, else a plotly figure."""
    if isinstance(item, str):
        return {"output_type": "stream", "name": "stdout", "text": item + "\n"}
    if not hasattr(item, "to_json"):
        raise TypeError(f"explore shows plotly figures and strings; got {type(item).__name__}")
    # the figure's own JSON under plotly's MIME type (what its renderer displays); lessons import no plotly
    return {"output_type": "display_data", "data": {PLOTLY_MIME: json.loads(item.to_json())}, "metadata": {}}


def explore(draw, /, *, run_button: bool = False, **controls) -> None:
    """Show ``controls`` and, below them, what ``draw(**values)`` returns (plotly figures, lines of text).

    Without ``run_button`` the panel draws at once and again whenever a control changes; with it (for
    drawings that train, taking seconds) the panel starts empty and draws when *Run* is pressed. The
    drawing is set as the ``outputs`` of an Output widget from the kernel, never captured through the
    front end (see the module docstring), so headless runners pass the cell at once. An error while
    drawing in the cell raises; after a widget event it is shown in the panel, where the reader sees it.
    """
    import ipywidgets as w
    from IPython.display import display

    out = w.Output()
    out.add_class(PANEL_CLASS)
    button = w.Button(description="Run", button_style="primary") if run_button else None

    def show():
        values = {key: c.value for key, c in controls.items()}
        out.outputs = tuple(_output(item) for item in draw(**values))

    def on_event(*_):
        if button is not None:
            button.disabled, button.description = True, "Running…"
        try:
            show()
        except Exception as error:  # a callback's exception would go to the kernel log, unseen
            out.outputs = ({"output_type": "stream", "name": "stderr", "text": f"{type(error).__name__}: {error}\n"},)
        finally:
            if button is not None:
                button.disabled, button.description = False, "Run"

    if button is None:
        show()
        for c in controls.values():
            c.observe(on_event, names="value")
    else:
        button.on_click(on_event)
    display(w.VBox([*controls.values(), *([button] if button else []), out]))
