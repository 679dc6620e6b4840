"""The class's shared state: what the teacher presents, every student's answers, the results boards
and who is on which lesson.

=============  =====================================================================================
module         what it holds
=============  =====================================================================================
``store``      :class:`ClassStore`, the one interface (a ``typing.Protocol``), its records and errors
``sqlite``     :class:`SQLiteClassStore`, the embedded default (standard-library ``sqlite3``, WAL)
``ray_store``  :class:`~.ray_store.RayClassStore`, the class kept by a Ray cluster (``WGAN_RAY_ADDRESS``)
``ratelimit``  :class:`RateLimiter`, a bounded token bucket per key (answers, teacher-key attempts)
=============  =====================================================================================

:func:`open_class_store` is the one choice between them: with ``WGAN_RAY_ADDRESS`` set, the store on
that cluster, shared by every app server pointed at it; unset, the SQLite file at :func:`default_path`
(``$WGAN_CLASS_DB``, else ``classroom.sqlite3`` in the runs directory), and no Ray is started.
:func:`open_store` opens a SQLite file by its path.
"""

from .ratelimit import RateLimiter
from .sqlite import SQLiteClassStore, default_path, open_store
from .store import MAX_TEXT_CHARS, Answer, BoardRun, ClassStore, ClassStoreError, PredictionsClosed, Presentation

__all__ = ["MAX_TEXT_CHARS", "Answer", "BoardRun", "ClassStore", "ClassStoreError", "Presentation",
           "PredictionsClosed", "RateLimiter", "SQLiteClassStore", "default_path", "open_class_store", "open_store"]


def open_class_store() -> ClassStore:
    """The class's store: kept by the Ray cluster at ``WGAN_RAY_ADDRESS`` when that is set (the address
    is read where the live jobs read it, :mod:`wgan_core.live.settings`), else the SQLite file at
    :func:`default_path`. ClassStoreError names the problem (a bad address, a cluster that does not
    answer, a file that cannot be used)."""
    from wgan_core.live import settings

    try:
        address = settings.ray_address()
    except ValueError as exc:
        raise ClassStoreError(f"The class store cannot use the Ray cluster: {exc}.") from exc
    if address is None:
        return open_store()
    from .ray_store import RayClassStore

    return RayClassStore(address)
