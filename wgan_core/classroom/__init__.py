"""The class's shared state: what the teacher presents, every student's answers, the results boards
and who is on which lesson.

=============  =====================================================================================
module         what it holds
=============  =====================================================================================
``store``      :class:`ClassStore`, the one interface (a ``typing.Protocol``), its records and errors
``sqlite``     :class:`SQLiteClassStore`, the embedded default (standard-library ``sqlite3``, WAL)
``ratelimit``  :class:`RateLimiter`, a bounded token bucket per key (answers, teacher-key attempts)
=============  =====================================================================================

:func:`open_store` opens the default store at :func:`default_path` (``$WGAN_CLASS_DB``, else
``classroom.sqlite3`` in the runs directory). A cluster-wide store only has to satisfy :class:`ClassStore`.
"""

from .ratelimit import RateLimiter
from .sqlite import SQLiteClassStore, default_path, open_store
from .store import MAX_TEXT_CHARS, Answer, BoardRun, ClassStore, ClassStoreError, PredictionsClosed, Presentation

__all__ = ["MAX_TEXT_CHARS", "Answer", "BoardRun", "ClassStore", "ClassStoreError", "Presentation",
           "PredictionsClosed", "RateLimiter", "SQLiteClassStore", "default_path", "open_store"]
