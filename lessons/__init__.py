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

import math
import re
from dataclasses import dataclass, field
from importlib import import_module
from importlib.util import find_spec
from typing import Any

#: A number as a link writes it: ASCII digits only, no "nan", "inf", "1_000", "²" or "٣" (which
#: ``float`` alone would take), no spaces.
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)
#: Longest piece of a link's value repeated in an error message.
SHOWN_CHARS = 40


def shown(text: str) -> str:
    """``text`` as an error message repeats it: quoted, and cut to :data:`SHOWN_CHARS` characters."""
    return repr(text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…")


@dataclass(frozen=True)
class Slider:
    """A numeric control over a finite grid: ``min + k·step`` (``step`` defaults to 1 for integers and
    to 0.01, Streamlit's own default, otherwise), or with ``log=True`` a geometric grid of ``steps``
    values. A link can set only what the slider can: :meth:`parse` moves a value onto the grid."""

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

    @property
    def grid_step(self) -> float:
        """Spacing of a linear slider's values."""
        if self.step is not None:
            return self.step
        return 1 if self.integer else 0.01

    def options(self) -> list[float]:
        """Values offered by a log-scale slider (rounded to 3 significant digits)."""
        lo, hi = math.log10(self.min), math.log10(self.max)
        vals = [10 ** (lo + (hi - lo) * i / (self.steps - 1)) for i in range(self.steps)]
        vals = [float(f"{v:.3g}") for v in vals]
        if self.default not in vals:
            vals = sorted(set(vals) | {float(self.default)})
        return vals

    def snap(self, value: float) -> float | int:
        """The slider's value nearest to ``value`` (which must lie inside [min, max])."""
        if self.log:
            value = min(self.options(), key=lambda v: abs(v - value))
        else:
            step = self.grid_step
            top = math.floor((self.max - self.min) / step + 1e-9)
            k = min(max(math.floor((value - self.min) / step + 0.5), 0), top)  # halves round up
            value = round(self.min + k * step, 10)  # 10 decimals: -1 + 133 * 0.01 is 0.33, not 0.33000000000000007
        return int(round(value)) if self.integer else float(value)

    def parse(self, text: str) -> float | int:
        """The grid value nearest to a link's number; ValueError if ``text`` is not a plain number
        (NaN, inf and non-ASCII digits are not) or lies outside [min, max]."""
        if not _NUMBER.fullmatch(text):
            raise ValueError(f"{self.key}={shown(text)} is not a number")
        value = float(text)
        if not (self.min <= value <= self.max):
            raise ValueError(f"{self.key}={shown(text)} is outside [{self.min:g}, {self.max:g}]")
        return self.snap(value)

    def on_grid(self, text: str) -> bool:
        """Whether a link's (valid) number is a value of the slider as it stands, without snapping."""
        value = float(text)
        return math.isclose(self.snap(value), value, rel_tol=1e-9, abs_tol=1e-12)


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
        """``text`` itself if it is one of the options; ValueError otherwise."""
        if text not in self.options:
            raise ValueError(f"{self.key}={shown(text)} is not one of {', '.join(self.options)}")
        return text


@dataclass(frozen=True)
class Toggle:
    """An on/off control."""

    key: str
    label: str
    default: bool
    help: str = ""

    def parse(self, text: str) -> bool:
        """True for 1/true/on/yes, False for 0/false/off/no (any case); ValueError otherwise."""
        if text.lower() in ("1", "true", "on", "yes"):
            return True
        if text.lower() in ("0", "false", "off", "no"):
            return False
        raise ValueError(f"{self.key}={shown(text)} is not on or off (1/0, true/false, on/off, yes/no)")


Control = Slider | Choice | Toggle


@dataclass(frozen=True)
class Exercise:
    """A predict-then-reveal exercise. ``choices`` (optional) turns the prediction into a pick, and
    ``correct`` names the right one (so a revealed pick can be told Right or Not quite)."""

    question: str
    answer: str
    choices: tuple[str, ...] = ()
    correct: str | None = None

    def __post_init__(self):
        if self.choices and self.correct not in self.choices:
            raise ValueError(f"the exercise {shown(self.question)} names its correct choice {self.correct!r}, "
                             f"which is not one of its choices {self.choices}")
        if not self.choices and self.correct is not None:
            raise ValueError(f"the exercise {shown(self.question)} has a correct choice but no choices")


@dataclass(frozen=True)
class LessonInfo:
    slug: str
    title: str
    icon: str


#: Every lesson of the course, in teaching order.
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
