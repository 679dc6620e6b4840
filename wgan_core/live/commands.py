"""The commands a job sends its loop, and THE one place that turns a command into an action.

A command is a small tuple (it crosses the worker's pipe as it is):

* ``("run", bool)`` — train continuously, or pause;
* ``("step", n)`` — pause, then do ``n`` more generator steps;
* ``("hparams", seq, member, changes)`` — change hyper-parameters (``seq`` numbers the change, so the
  server shows only the answer to the latest);
* ``("stop",)`` — end the loop.

``run`` and ``step`` make the loop train, so they need a slot: a job's supervisor holds them back
while it has none (:class:`wgan_core.live.supervisor.Supervisor`); ``hparams`` and ``stop`` always pass.
The worker's answers are events (:mod:`wgan_core.live.events`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import events

STOP = ("stop",)
#: Commands that make the loop train, held back while the job holds no slot.
NEEDS_SLOT = ("run", "step")


def run(running: bool) -> tuple:
    return ("run", bool(running))


def step(n: int) -> tuple:
    return ("step", int(n))


def hparams(seq: int, member: str | None, changes: dict[str, Any]) -> tuple:
    return ("hparams", int(seq), member, dict(changes))


def apply(loop, command: tuple, reply: Callable[[tuple], None]) -> bool:
    """Act on ``command`` in ``loop`` (a :class:`wgan_core.live.loop.Loop`); True when it was the stop.

    ``reply`` receives the answer to a hyper-parameter change: :func:`wgan_core.live.events.hparams`.
    """
    kind = command[0]
    if kind == "run":
        loop.set_running(command[1])
    elif kind == "step":
        loop.add_steps(command[1])
    elif kind == "hparams":
        _, seq, member, changes = command
        try:
            values = loop.set_hparams(member, changes)
        except Exception:  # validated by the server already; keep serving commands, report the truth
            values = loop.hparams()
        reply(events.hparams(seq, values))
    elif kind == "stop":
        loop.wake()
        return True
    else:
        raise ValueError(f"unknown job command {command!r}")
    return False
