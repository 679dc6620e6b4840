"""Live hyperparameters: changed from any thread, applied by the training thread between steps.

A teacher or a student moves a slider while a run trains. :class:`LiveHparams` holds the values a
step uses and the changes waiting for the next step, behind one lock, so a step always sees one
consistent set.
"""

from __future__ import annotations

import threading

from .config import HPARAM_NAMES, TrainConfig, validate_hparam

__all__ = ["LiveHparams"]


class LiveHparams:
    """``clip_value``, ``n_critic``, ``lr`` and ``lambda_gp``, starting from ``config``'s values."""

    def __init__(self, config: TrainConfig):
        self._lock = threading.Lock()
        self._values = {name: getattr(config, name) for name in HPARAM_NAMES}
        self._pending: dict = {}

    def set(self, **changes) -> None:
        """Queue ``changes`` (validated like the config: ValueError names the field)."""
        for name, value in changes.items():
            validate_hparam(name, value)
        with self._lock:
            self._pending.update(changes)

    def current(self) -> dict:
        """The values, changes not applied yet included."""
        with self._lock:
            return {**self._values, **self._pending}

    def begin(self) -> tuple[dict, bool]:
        """Apply the queued changes; return a private copy of the values and whether ``lr`` changed."""
        with self._lock:
            lr_changed = "lr" in self._pending
            self._values.update(self._pending)
            self._pending.clear()
            return dict(self._values), lr_changed

    def load(self, values: dict) -> None:
        """Replace the values by saved ones (a resume); queued changes are dropped."""
        with self._lock:
            self._values.update(values)
            self._pending.clear()
