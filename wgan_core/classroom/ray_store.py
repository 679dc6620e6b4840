"""The class store on a Ray cluster: one actor on the head node holds the class's SQLite file, and every
app server on the cluster reads and writes the class through it.

Chosen with ``WGAN_RAY_ADDRESS``, as the live jobs' Ray backend is
(:func:`wgan_core.classroom.open_class_store`). ``ray`` is imported only then, through the live
backend's :func:`~wgan_core.live.ray_backend.connect`, so an app server holds one connection to the
cluster for both.

* **One actor.** :class:`_StoreActor` is named ``wgan-class-store`` in the ``wgan-classroom``
  namespace and detached: it outlives the app server that made it, and the next server finds it by
  name. It asks for no CPU, and it is pinned to the head node (Ray's ``node:__internal_head__``
  resource, which only the head has), because a worker node may be lost.
* **One file.** The actor holds a :class:`~wgan_core.classroom.sqlite.SQLiteClassStore` at the head
  node's :func:`~wgan_core.classroom.sqlite.default_path`, worked out in the actor's own process:
  ``$WGAN_CLASS_DB`` as ``ray start --head`` saw it, else ``runs/classroom.sqlite3`` under the
  directory where the head was started. The head's settings name the file, not the app server that
  happened to start the actor, so a new actor (after ``ray kill``, or made by another server) opens
  the same file, and the class's state outlives every app server's restart.
* **Thin client.** :class:`RayClassStore` satisfies :class:`~wgan_core.classroom.store.ClassStore`.
  Each method is one actor call with a timeout. The actor's own errors come back as themselves
  (``ValueError``, :class:`~wgan_core.classroom.store.PredictionsClosed`, and a
  :class:`~wgan_core.classroom.store.ClassStoreError` naming the file). A cluster that cannot be
  reached, does not answer or lost the actor gives a
  :class:`~wgan_core.classroom.store.ClassStoreError` naming the cluster's address. A call that finds
  the actor gone is tried once more on a new one, unless it adds something (a board run, a new
  presentation) that it might then add twice.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

from .store import Answer, BoardRun, ClassStoreError, Presentation

STORE_NAME = "wgan-class-store"
#: Seconds one call waits for the store's answer.
CALL_TIMEOUT_S = 15.0
#: Seconds the first call, and the call that replaces a lost actor, wait: the actor may have to start
#: (a new Python process on the head node; more than CALL_TIMEOUT_S on a busy head).
START_TIMEOUT_S = 120.0
#: Calls that add something each time they run: never repeated after the actor was lost.
_NOT_REPEATED = frozenset({"post_run", "start_presenting"})


class _StoreActor:
    """The class's SQLite store, held in one process on the head node; opened on the first call, and
    tried again on the next call while it cannot be opened."""

    def __init__(self, path: str | None):
        self._path = path
        self._store = None

    def _opened(self):
        if self._store is None:
            from .sqlite import open_store

            self._store = open_store(self._path)
        return self._store

    def call(self, method: str, args: tuple, kwargs: dict) -> tuple[bool, Any]:
        """``(False, result)``, or ``(True, exception)`` for the store's own errors, which the client
        raises as they are (a Ray task error would carry Ray's traceback in its message)."""
        try:
            return False, getattr(self._opened(), method)(*args, **kwargs)
        except (ClassStoreError, ValueError) as exc:
            return True, exc

    def pid(self) -> int:
        """The actor's process id on the head node (what an operator's tools, or a test, look for)."""
        return os.getpid()


class RayClassStore:
    """:class:`~wgan_core.classroom.store.ClassStore` kept by the cluster at ``address``.

    ``path`` and ``name`` are for tests and special set-ups: the file on the head node when this
    client starts the actor (default: the head's :func:`~wgan_core.classroom.sqlite.default_path`), and
    the actor's name. Opening checks that the cluster answers and the file can be used.
    """

    def __init__(self, address: str, path: str | Path | None = None, name: str = STORE_NAME):
        self.address, self.name = address, name
        self._asked = None if path is None else str(path)
        self._lock = threading.Lock()
        self._ray = None
        self._actor_class = None
        self._actor = None
        self._call("presentation", timeout=START_TIMEOUT_S)

    # plumbing -----------------------------------------------------------------------------------
    def _connected(self):
        from wgan_core.live.ray_backend import ClusterUnreachable, connect

        with self._lock:
            if self._ray is None:
                try:
                    self._ray = connect(self.address)
                except ClusterUnreachable as exc:
                    raise ClassStoreError(f"The class store is kept on the Ray cluster, and {exc}. Class "
                                          "features are off until the cluster answers.") from exc
            return self._ray

    def _handle(self, ray, dead=None):
        """The store's actor, found by name or started; after ``dead`` was lost, a new one (the cluster
        lets go of a lost actor's name a moment after it is gone)."""
        from wgan_core.live.ray_backend import HEAD_NODE_RESOURCE, NAMESPACE

        deadline = time.monotonic() + CALL_TIMEOUT_S
        with self._lock:
            if self._actor_class is None:
                self._actor_class = ray.remote(_StoreActor).options(
                    name=self.name, namespace=NAMESPACE, lifetime="detached", get_if_exists=True, num_cpus=0,
                    max_concurrency=16, max_restarts=-1, resources={HEAD_NODE_RESOURCE: 0.001})
            while self._actor is None or (dead is not None and self._actor == dead):
                self._actor = self._actor_class.remote(self._asked)
                if dead is not None and self._actor == dead:
                    if time.monotonic() > deadline:
                        raise self._failure("still holds the name of the store's lost actor")
                    time.sleep(0.2)
            return self._actor

    def _failure(self, what: str, exc: BaseException | None = None) -> ClassStoreError:
        why = "" if exc is None else f" ({type(exc).__name__}: {str(exc).strip().splitlines()[0][:300]})"
        return ClassStoreError(f"The class store on the Ray cluster at {self.address} {what}{why}. Class "
                               "features are off until it answers.")

    def _call(self, method: str, *args, timeout: float | None = None, **kwargs):
        """``method(*args, **kwargs)`` on the actor, waiting ``timeout`` s (:data:`CALL_TIMEOUT_S`) for
        the answer; ClassStoreError when Ray fails."""
        timeout = CALL_TIMEOUT_S if timeout is None else timeout
        ray = self._connected()
        from ray.exceptions import ActorDiedError, GetTimeoutError, RayError, RayTaskError

        dead = None
        for attempt in range(2):
            actor = self._handle(ray, dead)
            wait = timeout if dead is None else max(timeout, START_TIMEOUT_S)  # a new actor starts a process
            try:
                failed, value = ray.get(actor.call.remote(method, args, kwargs), timeout=wait)
            except RayTaskError:
                raise  # a fault in the store's code: raised as its own type, as the local store would
            except GetTimeoutError as exc:
                raise self._failure(f"did not answer within {wait:g} s", exc) from exc
            except ActorDiedError as exc:
                dead = actor
                if attempt == 1 or method in _NOT_REPEATED:
                    raise self._failure("lost its actor", exc) from exc
                continue
            except RayError as exc:
                raise self._failure("cannot be used", exc) from exc
            if not failed:
                return value
            if isinstance(value, ClassStoreError):
                raise ClassStoreError(f"{value} (the file is on the head node of the Ray cluster at "
                                      f"{self.address})") from None
            raise value

    # presentation -------------------------------------------------------------------------------
    def presentation(self) -> Presentation | None:
        return self._call("presentation")

    def start_presenting(self, presenter: str, slug: str, query: dict[str, str]) -> Presentation:
        return self._call("start_presenting", presenter, slug, query)

    def move(self, presenter: str, slug: str, query: dict[str, str]) -> Presentation | None:
        return self._call("move", presenter, slug, query)

    def stop_presenting(self) -> None:
        self._call("stop_presenting")

    # answers ------------------------------------------------------------------------------------
    def submit_answer(self, student: str, slug: str, exercise: int, *, choice: str | None = None,
                      text: str | None = None) -> Answer:
        return self._call("submit_answer", student, slug, exercise, choice=choice, text=text)

    def answer_of(self, student: str, slug: str, exercise: int) -> Answer | None:
        return self._call("answer_of", student, slug, exercise)

    def answers(self, slug: str) -> list[Answer]:
        return self._call("answers", slug)

    def reveal(self, slug: str, exercise: int) -> None:
        self._call("reveal", slug, exercise)

    def revealed(self, slug: str) -> frozenset[int]:
        return self._call("revealed", slug)

    def clear_answers(self, slug: str) -> None:
        self._call("clear_answers", slug)

    # boards -------------------------------------------------------------------------------------
    def post_run(self, slug: str, student: str, settings: dict[str, Any], measured: dict[str, Any]) -> int:
        return self._call("post_run", slug, student, settings, measured)

    def board(self, slug: str) -> list[BoardRun]:
        return self._call("board", slug)

    def clear_board(self, slug: str) -> None:
        self._call("clear_board", slug)

    # presence -----------------------------------------------------------------------------------
    def seen(self, student: str, slug: str) -> None:
        self._call("seen", student, slug)

    def students_by_lesson(self, within_s: float = 30.0) -> dict[str, int]:
        return self._call("students_by_lesson", within_s)
