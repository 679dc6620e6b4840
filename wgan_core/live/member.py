"""What a job trains: its *members*, and the one filter that routes hyper-parameter changes to them.

A member is anything with the shape of :class:`JobMember` — :class:`wgan_core.trainer.Trainer`
itself, or an adapter around one (the clipping lesson's frozen generator, the images lesson's
``ImageRun``). A job steps its members in turn, so a side-by-side comparison is one job.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

from wgan_core.config import validate_hparam

#: Hyper-parameters a running job may change (the paper's names).
LIVE_HPARAMS = ("clip_value", "n_critic", "lr", "lambda_gp")


@runtime_checkable
class JobMember(Protocol):
    """The contract between a job's loop and what it trains.

    ``g_step`` counts the member's generator iterations (an adapter may count its own rounds).
    ``step()`` does one generator iteration (with its ``n_critic`` critic iterations) and may raise
    :class:`wgan_core.divergence.DivergedError`. ``set_hparams(**changes)`` is thread-safe and takes
    effect from the next step; ``hparams()`` returns the current live values (a dict whose keys say
    which of :data:`LIVE_HPARAMS` the member has). ``metrics()`` and ``snapshot()`` return plain data
    (numbers, lists, numpy arrays) that pickle across a worker's pipe.
    """

    g_step: int

    def step(self) -> None: ...

    def set_hparams(self, **changes: Any) -> None: ...

    def hparams(self) -> dict: ...

    def metrics(self) -> dict: ...

    def snapshot(self) -> dict: ...


def check_members(members: Any) -> dict[str, JobMember]:
    """``members`` as a dict, after checking it is a non-empty mapping of :class:`JobMember` objects."""
    if not isinstance(members, Mapping) or not members:
        raise ValueError(f"a job needs a non-empty dict of members (name -> trainer); got {members!r}")
    for name, member in members.items():
        if not isinstance(member, JobMember):
            missing = [m for m in ("g_step", "step", "set_hparams", "hparams", "metrics", "snapshot")
                       if not hasattr(member, m)]
            raise ValueError(f"member {name!r} ({type(member).__name__}) is not a job member: it lacks {missing}")
    return dict(members)


def check_picklable(objects: Mapping[str, Any]) -> None:
    """ValueError naming the first of ``objects`` (``{what: object}``: a job's factory, its arguments,
    ...) that does not pickle: a worker process or a Ray actor receives them pickled."""
    for what, obj in objects.items():
        try:
            pickle.dumps(obj)
        except Exception as exc:
            raise ValueError(f"a job needs a picklable {what} (a module-level function or a functools.partial "
                             f"of one, plain-data arguments); {what} {obj!r} is not: "
                             f"{type(exc).__name__}: {exc}") from exc

def member_logs(members: Mapping[str, JobMember],
                extra_metrics: Callable[[str, Any], dict] | None = None) -> list[dict]:
    """THE log round of a job's members: one dict per member, ``{"member": name, **member.metrics()}``
    with the member's own ``g_step`` (an adapter's count wins over its trainer's) and ``critic_steps``
    (when the member has them and its metrics do not), plus ``extra_metrics(name, member)``."""
    logs = []
    for name, member in members.items():
        entry = {"member": name, **member.metrics(), "g_step": int(member.g_step)}
        if "critic_steps" not in entry and hasattr(member, "critic_steps"):
            entry["critic_steps"] = int(member.critic_steps)
        if extra_metrics is not None:
            entry.update(extra_metrics(name, member))
        logs.append(entry)
    return logs

def route_hparams(current: Mapping[str, Mapping[str, Any]], member: str | None, changes: Mapping[str, Any],
                  only_changed: bool = False) -> dict[str, dict[str, Any]]:
    """THE per-member filter: ``{name: the changes that member has}`` for ``member`` (None: every member).

    ``current`` maps each member's name to its hyper-parameters; a member takes only the names its
    ``hparams()`` reports, and with ``only_changed`` only values that differ from its own. A
    :class:`~wgan_core.trainer.Trainer` reports all of :data:`LIVE_HPARAMS` whatever its loss (a GAN's
    trainer keeps a ``clip_value`` it never uses), so for trainers the filter passes every name; an
    adapter that reports fewer names gets only those.
    """
    if member is not None and member not in current:
        raise ValueError(f"no member {member!r}; members are {sorted(current)}")
    names = [member] if member is not None else list(current)
    return {name: {k: v for k, v in changes.items()
                   if k in current[name] and not (only_changed and current[name][k] == v)}
            for name in names}


class HparamMirror:
    """The server's copy of a job's hyper-parameters: changes show at once and go to the worker.

    Before the worker has reported its members, changes are held and shown as given; when it reports
    (:meth:`adopt`), the held ones that still change something are sent. Every change sent is numbered,
    and only the worker's answer to the latest replaces the copy (an older answer would undo a newer
    change). ``send(seq, member, changes)`` delivers one change to the worker.
    """

    def __init__(self, send: Callable[[int, str | None, dict], None]):
        self._send = send
        self._lock = threading.Lock()
        self.values: dict[str, dict] = {}  # replaced member by member, never mutated: safe to copy unlocked
        self.known = False
        self._early: list[tuple[str | None, dict]] = []
        self._seq = 0

    def copy(self) -> dict[str, dict]:
        return {name: dict(h) for name, h in list(self.values.items())}

    def change(self, member: str | None, changes: dict[str, Any]) -> dict[str, dict]:
        """Validate ``changes`` (ValueError names a name that is not live or a bad value), record and send
        them; returns the members' values after."""
        unknown = sorted(set(changes) - set(LIVE_HPARAMS))
        if unknown:
            raise ValueError(f"cannot change {unknown} live; live hyper-parameters are {LIVE_HPARAMS}")
        for name, value in changes.items():
            validate_hparam(name, value)
        with self._lock:
            if not self.known:
                self._early.append((member, dict(changes)))
                if member is not None:
                    self.values[member] = {**self.values.get(member, {}), **changes}
                return {name: dict(h) for name, h in self.values.items() if member in (None, name)}
            routed = route_hparams(self.values, member, changes)
            for name, accepted in routed.items():
                self.values[name] = {**self.values[name], **accepted}
            self._seq += 1
            self._send(self._seq, member, dict(changes))
            return {name: dict(self.values[name]) for name in routed}

    def adopt(self, reported: Mapping[str, Mapping[str, Any]]) -> list[str]:
        """The worker built its members: take their values, send the held changes; returns what was dropped."""
        dropped = []
        with self._lock:
            values = {name: dict(h) for name, h in reported.items()}
            for member, changes in self._early:
                try:
                    routed = route_hparams(values, member, changes, only_changed=True)
                except ValueError as exc:
                    dropped.append(str(exc))
                    continue
                for name, accepted in routed.items():
                    if accepted:
                        values[name].update(accepted)
                        self._seq += 1
                        self._send(self._seq, name, accepted)
            self._early.clear()
            self.values, self.known = values, True
        return dropped

    def answer(self, seq: int, values: Mapping[str, Mapping[str, Any]]) -> None:
        """The worker's values after change ``seq``."""
        with self._lock:
            if seq == self._seq:  # else a newer change is on its way; keep showing that one
                self.values = {**self.values, **{name: dict(h) for name, h in values.items()}}
