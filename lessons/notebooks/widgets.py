"""ipywidgets controls made from a lesson's control specs, for the notebooks' interactive cells.

``control(lesson, "theta", theta)`` is the slider of the lesson's ``theta`` spec (its label, range, step
and scale), starting at the notebook's current value. ipywidgets is imported only here, in a kernel.
"""

from __future__ import annotations

from typing import Any

from lessons import Choice, Slider, Toggle


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
    """Show figures once, then replace them in place: ``redraw({name: figure})`` (IPython display ids)."""

    def __init__(self):
        self.handles: dict[str, Any] = {}

    def __call__(self, figures: dict[str, Any]) -> None:
        from IPython.display import display

        for name, fig in figures.items():
            if name in self.handles:
                self.handles[name].update(fig)
            else:
                self.handles[name] = display(fig, display_id=True)
