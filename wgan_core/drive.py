"""THE outer loop of every run: step, measure when due, then the callbacks.

:meth:`wgan_core.trainer.Trainer.run` (and through it :func:`wgan_core.runs.record_run` and the image
runs), the live job's :class:`wgan_core.live.loop.Loop` and the notebooks' live cells all train
through :func:`drive`. What differs between them is passed in: what one step is (one trainer, or every
member of a comparison in turn), when a measurement is due, what a measurement is, and ``gate``, which
may block (a paused live job waits there) or end the run early (a stop).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

__all__ = ["drive"]

T = TypeVar("T")


def drive(step: Callable[[], None], steps: int | None, measure: Callable[[], T], due: Callable[[int], bool],
          gate: Callable[[], bool] | None = None, callbacks: Sequence[Callable[[int], None]] = ()) -> Iterator[T]:
    """Call ``step()`` up to ``steps`` times (None: until ``gate`` ends it), yielding ``measure()``.

    Before each step ``gate()`` (if given) is asked: True lets the step go, False ends the run; it may
    block meanwhile. After step ``n`` (counted from 1 in this call), ``measure()`` is yielded when
    ``due(n)`` or ``n == steps`` (the last step is always measured); then, once the consumer has handled
    that measurement, each of ``callbacks`` is called with ``n``.
    """
    done = 0
    while (steps is None or done < steps) and (gate is None or gate()):
        step()
        done += 1
        if due(done) or done == steps:
            yield measure()
        for callback in callbacks:
            callback(done)
