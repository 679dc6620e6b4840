"""Lessons of the WGAN classroom: text (markdown with LaTeX) and pure, seeded compute.

Each lesson is one module ``lessons/<slug>.py``. It never imports streamlit or plotly. Besides its
compute functions it exposes

* ``TITLE`` — the page title;
* ``SUMMARY`` — one sentence for the home page;
* ``CONTROLS`` — the widgets of the lesson as :class:`Slider` / :class:`Choice` / :class:`Toggle`
  specs (their defaults live here, never in the app);
* ``WHAT_TO_NOTICE`` — a list of markdown bullets;
* ``EXERCISES`` — two or three :class:`Exercise` (predict, then reveal).

:data:`COURSE` lists every lesson of the course in teaching order. The app shows a lesson only when
both its module and its view (``app/views/<slug>.py``) exist, so no placeholder page is ever shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from importlib.util import find_spec
from typing import Any


@dataclass(frozen=True)
class Slider:
    """A numeric control. With ``log=True`` it moves over a geometric grid of ``steps`` values."""

    key: str
    label: str
    min: float
    max: float
    default: float
    step: float | None = None
    log: bool = False
    steps: int = 41
    help: str = ""
    integer: bool = False

    def options(self) -> list[float]:
        """Values offered by a log-scale slider (rounded to 3 significant digits)."""
        import math

        lo, hi = math.log10(self.min), math.log10(self.max)
        vals = [10 ** (lo + (hi - lo) * i / (self.steps - 1)) for i in range(self.steps)]
        vals = [float(f"{v:.3g}") for v in vals]
        if self.default not in vals:
            vals = sorted(set(vals) | {float(self.default)})
        return vals

    def parse(self, text: str) -> float | int:
        """Parse a URL value; raise ValueError if it is not a number inside [min, max]."""
        value = float(text)
        if not (self.min <= value <= self.max):
            raise ValueError(f"{self.key}={value} is outside [{self.min}, {self.max}]")
        if self.log:
            value = min(self.options(), key=lambda v: abs(v - value))
        return int(round(value)) if self.integer else value


@dataclass(frozen=True)
class Choice:
    """A choice among fixed options (strings)."""

    key: str
    label: str
    options: tuple[str, ...]
    default: str
    help: str = ""
    labels: dict[str, str] = field(default_factory=dict)

    def parse(self, text: str) -> str:
        if text not in self.options:
            raise ValueError(f"{self.key}={text!r} is not one of {self.options}")
        return text


@dataclass(frozen=True)
class Toggle:
    """An on/off control."""

    key: str
    label: str
    default: bool
    help: str = ""

    def parse(self, text: str) -> bool:
        if text.lower() in ("1", "true", "on", "yes"):
            return True
        if text.lower() in ("0", "false", "off", "no"):
            return False
        raise ValueError(f"{self.key}={text!r} is not a boolean")


Control = Slider | Choice | Toggle


@dataclass(frozen=True)
class Exercise:
    """A predict-then-reveal exercise. ``choices`` (optional) turns the prediction into a pick."""

    question: str
    answer: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class LessonInfo:
    slug: str
    title: str
    icon: str


#: Every lesson of the course, in teaching order (DEVELOPERS.md).
COURSE: tuple[LessonInfo, ...] = (
    LessonInfo("distances", "Measuring the distance between distributions", ":material/straighten:"),
    LessonInfo("parallel_lines", "Learning parallel lines", ":material/view_week:"),
    LessonInfo("gan_objective", "The GAN game and the optimal discriminator", ":material/sports_esports:"),
    LessonInfo("nash", "Hard to reach a Nash equilibrium", ":material/cyclone:"),
    LessonInfo("vanishing_gradients", "Low-dimensional supports and vanishing gradients", ":material/trending_down:"),
    LessonInfo("optimal_critic", "Optimal discriminator vs critic", ":material/show_chart:"),
    LessonInfo("mode_collapse", "Mixture of Gaussians and mode collapse", ":material/blur_circular:"),
    LessonInfo("meaningful_loss", "A loss that means something", ":material/monitoring:"),
    LessonInfo("clipping_vs_gp", "Weight clipping vs gradient penalty", ":material/content_cut:"),
    LessonInfo("optimizers", "Optimizers", ":material/speed:"),
    LessonInfo("images", "Training on images", ":material/image:"),
)


def lesson_module(slug: str) -> Any:
    """Import ``lessons.<slug>``."""
    return import_module(f"lessons.{slug}")


def has_module(slug: str) -> bool:
    return find_spec(f"lessons.{slug}") is not None


def defaults(controls: list[Control] | tuple[Control, ...]) -> dict[str, Any]:
    """Default value of every control, by key."""
    return {c.key: c.default for c in controls}
