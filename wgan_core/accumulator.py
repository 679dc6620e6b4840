"""Per-step losses summed on the device and read back to the host only at the metrics interval.

A step adds its losses with in-place device additions (no host synchronisation);
:meth:`LossAccumulator.drain` reads every sum in one transfer, returns the interval means and starts
a new interval. :func:`wgan_core.metrics.collect_metrics` reads the trainer only through it.
"""

from __future__ import annotations

import torch

__all__ = ["LossAccumulator"]

_SUMS = ("critic_loss", "gradient_penalty", "generator_loss", "update_cosine", "update_cosine_negative")


class LossAccumulator:
    """Interval sums of the critic loss, gradient penalty, generator loss and update cosine.

    Parameters
    ----------
    device : torch.device
        Where the sums live (the trainer's device).
    """

    def __init__(self, device: torch.device):
        self.device = device
        self.reset()

    def reset(self) -> None:
        """Start a new interval: every sum and count back to zero."""
        self._sums = {key: torch.zeros((), device=self.device) for key in _SUMS}
        self._cosine_min = torch.ones((), device=self.device)
        self._counts = dict.fromkeys(_SUMS, 0)
        self._seconds, self._steps = 0.0, 0

    def _add(self, key: str, value: torch.Tensor) -> None:
        self._sums[key] += value
        self._counts[key] += 1

    def add_critic(self, loss: torch.Tensor, penalty: torch.Tensor | None = None) -> None:
        """One critic update's loss (without the penalty) and, for WGAN-GP, its penalty."""
        self._add("critic_loss", loss)
        if penalty is not None:
            self._add("gradient_penalty", penalty)

    def add_generator(self, loss: torch.Tensor) -> None:
        """One generator update's loss."""
        self._add("generator_loss", loss)

    def add_cosine(self, cosine: torch.Tensor) -> None:
        """One update cosine: the interval keeps its mean, its share of negatives and its minimum
        (the mean hides single negative steps)."""
        self._add("update_cosine", cosine)
        self._add("update_cosine_negative", (cosine < 0).to(cosine.dtype))
        self._cosine_min = torch.minimum(self._cosine_min, cosine)

    def add_step_time(self, seconds: float) -> None:
        """Wall time of one generator iteration (for ``g_steps_per_s``)."""
        self._seconds += seconds
        self._steps += 1

    @property
    def steps(self) -> int:
        """Generator iterations in the current interval."""
        return self._steps

    def drain(self) -> dict[str, float]:
        """The interval's means as floats (one host read), then :meth:`reset`.

        Keys, each present only when the interval had such a value: ``critic_loss``,
        ``gradient_penalty``, ``generator_loss``, ``update_cosine``, ``update_cosine_negative``,
        ``update_cosine_min`` and ``g_steps_per_s``.
        """
        values = torch.stack([*self._sums.values(), self._cosine_min]).tolist()
        out = {key: total / self._counts[key] for key, total in zip(_SUMS, values, strict=False)
               if self._counts[key]}
        if self._counts["update_cosine"]:
            out["update_cosine_min"] = values[-1]
        if self._seconds > 0:
            out["g_steps_per_s"] = self._steps / self._seconds
        self.reset()
        return out
