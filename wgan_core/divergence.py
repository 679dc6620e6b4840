"""Divergence: a run whose losses or weights stop being finite.

The trainer checks at its metrics interval (the values are read to the host there anyway), never
with a per-step synchronisation. A diverged run raises :class:`DivergedError`; the CLI prints its
message, a live job fails with it and keeps its last good snapshot, a lesson shows it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

__all__ = ["DivergedError", "check_finite"]


class DivergedError(RuntimeError):
    """A run diverged: ``str(err)`` is ``"diverged at step N (critic loss nan)"``.

    Attributes
    ----------
    step : int
        The generator iteration at which the non-finite value was seen.
    what : str
        What was not finite, in words (``"critic loss"``, ``"critic weights"``, ...).
    value : float
    """

    def __init__(self, step: int, what: str, value: float):
        self.step, self.what, self.value = int(step), what, float(value)
        super().__init__(f"diverged at step {self.step} ({what} {self.value})")

    def __reduce__(self):  # so the error pickles across a worker's pipe with its fields
        return (DivergedError, (self.step, self.what, self.value))


def check_finite(step: int, values: Mapping[str, float]) -> None:
    """Raise :class:`DivergedError` for the first value in ``values`` that is NaN or infinite.

    ``values`` maps a name in words (``"critic loss"``) to a float; ``None`` entries are skipped.
    """
    for what, value in values.items():
        if value is not None and not math.isfinite(float(value)):
            raise DivergedError(step, what, float(value))
