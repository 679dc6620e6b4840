"""The interface of the class's store (:class:`ClassStore`) and the records it hands out.

Four concerns, each a few named operations:

* **presentation** — the lesson (slug and control values, as the URL holds them) that the presenting
  teacher's session has open, with a version number that grows on every move;
* **answers** — one prediction per student and exercise (a choice or a short text), changeable until
  the teacher reveals that exercise to the class;
* **boards** — ended live runs of a lesson (settings and last measured values), cleared by the teacher;
* **presence** — which lesson each (anonymous) student session was last seen on, and when.

Students are anonymous: a student is an opaque id made per browser session, never an address.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

#: Longest text prediction a student may submit.
MAX_TEXT_CHARS = 500


class ClassStoreError(RuntimeError):
    """The store cannot be read or written (corrupt file, no permission, disk full; a Ray cluster that
    does not answer). The message says which file or which cluster, and what went wrong; the lessons go
    on without the class features."""


class PredictionsClosed(ValueError):
    """The exercise has been revealed to the class: its predictions can no longer change."""


@dataclass(frozen=True)
class Presentation:
    """What the class follows: ``slug`` with its control values ``query`` (key → URL text).
    ``version`` grows by one on every move, so a follower can tell a move from a repeat."""

    presenter: str
    slug: str
    query: dict[str, str]
    version: int
    updated: float


@dataclass(frozen=True)
class Answer:
    """A student's prediction for exercise ``exercise`` (1-based) of lesson ``slug``: ``choice`` for a
    choice exercise, ``text`` for a written one."""

    student: str
    slug: str
    exercise: int
    choice: str | None
    text: str | None
    updated: float


@dataclass(frozen=True)
class BoardRun:
    """One ended live run on a lesson's board: its settings (method, clip c, λ, n_critic, learning
    rates, seed, steps) and its last measured values (critic estimate, exact W1, modes, ...)."""

    id: int
    slug: str
    student: str
    posted: float
    settings: dict[str, Any] = field(default_factory=dict)
    measured: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class ClassStore(Protocol):
    """The class's shared state. Every method raises :class:`ClassStoreError` when the store fails."""

    # presentation -------------------------------------------------------------------------------
    def presentation(self) -> Presentation | None:
        """The lesson the class follows, or None while no teacher presents."""

    def start_presenting(self, presenter: str, slug: str, query: dict[str, str]) -> Presentation:
        """Make ``presenter`` the presenting session, on ``slug`` with ``query``."""

    def move(self, presenter: str, slug: str, query: dict[str, str]) -> Presentation | None:
        """The presenter opened ``slug`` with ``query``: a new version if that differs from the
        current one. None (and nothing changes) when ``presenter`` is not the one presenting."""

    def stop_presenting(self) -> None:
        """No teacher presents any more: students go back to working alone."""

    # answers ------------------------------------------------------------------------------------
    def submit_answer(self, student: str, slug: str, exercise: int, *, choice: str | None = None,
                      text: str | None = None) -> Answer:
        """Store (or replace) the student's prediction; :class:`PredictionsClosed` after the reveal,
        ValueError for an empty prediction or a text over :data:`MAX_TEXT_CHARS` characters."""

    def answer_of(self, student: str, slug: str, exercise: int) -> Answer | None:
        """The student's stored prediction, if any."""

    def answers(self, slug: str) -> list[Answer]:
        """Every stored prediction for the lesson's exercises, oldest first."""

    def reveal(self, slug: str, exercise: int) -> None:
        """Open the exercise's answer on every student's page (and close its predictions)."""

    def revealed(self, slug: str) -> frozenset[int]:
        """The lesson's exercises revealed to the class."""

    def clear_answers(self, slug: str) -> None:
        """Forget the lesson's predictions and reveals (a new class starts the lesson afresh)."""

    # boards -------------------------------------------------------------------------------------
    def post_run(self, slug: str, student: str, settings: dict[str, Any], measured: dict[str, Any]) -> int:
        """Put an ended run on the lesson's board; its id."""

    def board(self, slug: str) -> list[BoardRun]:
        """The lesson's board, oldest run first."""

    def clear_board(self, slug: str) -> None:
        """Empty the lesson's board."""

    # presence -----------------------------------------------------------------------------------
    def seen(self, student: str, slug: str) -> None:
        """The student's page is on ``slug`` now."""

    def students_by_lesson(self, within_s: float = 30.0) -> dict[str, int]:
        """How many students were seen on each lesson in the last ``within_s`` seconds."""
