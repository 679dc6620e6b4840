"""The embedded class store: one SQLite file (standard-library ``sqlite3``) in WAL mode.

* Where: ``$WGAN_CLASS_DB``, else ``classroom.sqlite3`` in the runs directory (:func:`default_path`).
* Concurrency: WAL (readers never wait for the writer) and a busy timeout, so sessions answering at
  once queue for the write lock instead of failing; every write is one short transaction.
* Schema: versioned by ``PRAGMA user_version``; :data:`MIGRATIONS` brings an older file up to date.
* Every statement is a named entry of :data:`SQL` with ``?`` parameters; no text is ever pasted in.
* A corrupt or unwritable file raises :class:`ClassStoreError` naming the file and the reason.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from ..jsonready import json_ready
from .store import MAX_TEXT_CHARS, Answer, BoardRun, ClassStoreError, PredictionsClosed, Presentation

#: Seconds a writer waits for the lock before the store reports itself busy.
BUSY_TIMEOUT_S = 10.0

#: Schema steps; ``MIGRATIONS[k]`` takes a file from ``user_version`` k to k + 1.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE presentation (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        presenter TEXT NOT NULL, slug TEXT NOT NULL, query TEXT NOT NULL,
        version INTEGER NOT NULL, updated REAL NOT NULL);
    CREATE TABLE answers (
        student TEXT NOT NULL, slug TEXT NOT NULL, exercise INTEGER NOT NULL,
        choice TEXT, text TEXT, updated REAL NOT NULL,
        PRIMARY KEY (student, slug, exercise));
    CREATE TABLE reveals (
        slug TEXT NOT NULL, exercise INTEGER NOT NULL, at REAL NOT NULL,
        PRIMARY KEY (slug, exercise));
    CREATE TABLE board (
        id INTEGER PRIMARY KEY AUTOINCREMENT, slug TEXT NOT NULL, student TEXT NOT NULL,
        posted REAL NOT NULL, settings TEXT NOT NULL, measured TEXT NOT NULL);
    CREATE INDEX board_by_slug ON board (slug, id);
    CREATE TABLE presence (
        student TEXT PRIMARY KEY, slug TEXT NOT NULL, seen REAL NOT NULL);
    """,
)

#: Every statement the store runs, by name.
SQL: dict[str, str] = {
    "presentation": "SELECT presenter, slug, query, version, updated FROM presentation WHERE id = 1",
    "present": "INSERT INTO presentation (id, presenter, slug, query, version, updated) VALUES (1, ?, ?, ?, 1, ?) "
               "ON CONFLICT (id) DO UPDATE SET presenter = excluded.presenter, slug = excluded.slug, "
               "query = excluded.query, version = presentation.version + 1, updated = excluded.updated",
    "move": "UPDATE presentation SET slug = ?, query = ?, version = version + 1, updated = ? "
            "WHERE id = 1 AND presenter = ? AND (slug != ? OR query != ?)",
    "stop_presenting": "DELETE FROM presentation WHERE id = 1",
    "is_revealed": "SELECT 1 FROM reveals WHERE slug = ? AND exercise = ?",
    "answer": "INSERT INTO answers (student, slug, exercise, choice, text, updated) VALUES (?, ?, ?, ?, ?, ?) "
              "ON CONFLICT (student, slug, exercise) DO UPDATE SET choice = excluded.choice, "
              "text = excluded.text, updated = excluded.updated",
    "answer_of": "SELECT student, slug, exercise, choice, text, updated FROM answers "
                 "WHERE student = ? AND slug = ? AND exercise = ?",
    "answers": "SELECT student, slug, exercise, choice, text, updated FROM answers WHERE slug = ? "
               "ORDER BY updated, student",
    "reveal": "INSERT OR IGNORE INTO reveals (slug, exercise, at) VALUES (?, ?, ?)",
    "revealed": "SELECT exercise FROM reveals WHERE slug = ?",
    "clear_answers": "DELETE FROM answers WHERE slug = ?",
    "clear_reveals": "DELETE FROM reveals WHERE slug = ?",
    "post_run": "INSERT INTO board (slug, student, posted, settings, measured) VALUES (?, ?, ?, ?, ?)",
    "board": "SELECT id, slug, student, posted, settings, measured FROM board WHERE slug = ? ORDER BY id",
    "clear_board": "DELETE FROM board WHERE slug = ?",
    "seen": "INSERT INTO presence (student, slug, seen) VALUES (?, ?, ?) "
            "ON CONFLICT (student) DO UPDATE SET slug = excluded.slug, seen = excluded.seen",
    "students_by_lesson": "SELECT slug, COUNT(*) FROM presence WHERE seen >= ? GROUP BY slug",
    "forget_absent": "DELETE FROM presence WHERE seen < ?",
}


def default_path() -> Path:
    """``$WGAN_CLASS_DB``, else ``<runs directory>/classroom.sqlite3``."""
    from wgan_core.runs import runs_root  # lazily: it imports torch, which a store does not need

    env = os.environ.get("WGAN_CLASS_DB")
    return Path(env).expanduser().resolve() if env else runs_root() / "classroom.sqlite3"


def open_store(path: str | Path | None = None) -> SQLiteClassStore:
    """The class store at ``path`` (default :func:`default_path`), created or migrated as needed."""
    return SQLiteClassStore(default_path() if path is None else Path(path))


def _dumps(value: dict) -> str:
    """JSON text of a dict of plain values (control values, as the URL holds them)."""
    return json.dumps(value, sort_keys=True, allow_nan=False)


def _dumps_measured(value: dict) -> str:
    """JSON text of a run's settings or measurements (numpy scalars as numbers, NaN and inf as null)."""
    return _dumps(json_ready(value))


class SQLiteClassStore:
    """:class:`~wgan_core.classroom.store.ClassStore` in one SQLite file; safe across threads and
    processes (one connection per thread)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ClassStoreError(f"The class database {self.path} cannot be created: {exc}") from exc
        self._run(self._migrate)

    # plumbing -----------------------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                   check_same_thread=True)
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._local.conn = conn
        return conn

    def _run(self, fn, *args):
        """``fn(conn, *args)``; any SQLite failure becomes a :class:`ClassStoreError` that names the file."""
        try:
            return fn(self._connection(), *args)
        except sqlite3.Error as exc:
            self._forget_connection()
            raise ClassStoreError(f"The class database {self.path} cannot be used ({exc}). Class features "
                                  "are off until it is repaired or moved (WGAN_CLASS_DB).") from exc

    def _forget_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            try:
                conn.close()
            except sqlite3.Error:
                pass

    def _write(self, *named: tuple[str, tuple]) -> list[sqlite3.Cursor]:
        """Run the named statements in one immediate transaction."""
        def run(conn):
            conn.execute("BEGIN IMMEDIATE")
            try:
                cursors = [conn.execute(SQL[name], params) for name, params in named]
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return cursors
        return self._run(run)

    def _read(self, name: str, params: tuple = ()) -> list[tuple]:
        return self._run(lambda conn: conn.execute(SQL[name], params).fetchall())

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise sqlite3.DatabaseError(f"schema version {version} is newer than this program's "
                                            f"{len(MIGRATIONS)}")
            for step in range(version, len(MIGRATIONS)):
                for statement in filter(str.strip, MIGRATIONS[step].split(";")):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # presentation -------------------------------------------------------------------------------
    def presentation(self) -> Presentation | None:
        rows = self._read("presentation")
        if not rows:
            return None
        presenter, slug, query, version, updated = rows[0]
        return Presentation(presenter, slug, json.loads(query), version, updated)

    def start_presenting(self, presenter: str, slug: str, query: dict[str, str]) -> Presentation:
        self._write(("present", (presenter, slug, _dumps(query), time.time())))
        return self.presentation()

    def move(self, presenter: str, slug: str, query: dict[str, str]) -> Presentation | None:
        text = _dumps(query)
        self._write(("move", (slug, text, time.time(), presenter, slug, text)))
        current = self.presentation()
        return current if current is not None and current.presenter == presenter else None

    def stop_presenting(self) -> None:
        self._write(("stop_presenting", ()))

    # answers ------------------------------------------------------------------------------------
    def submit_answer(self, student: str, slug: str, exercise: int, *, choice: str | None = None,
                      text: str | None = None) -> Answer:
        if (choice is None) == (text is None) or not (choice or (text or "").strip()):
            raise ValueError("A prediction is either a choice or a text, and not empty.")
        if text is not None and len(text) > MAX_TEXT_CHARS:
            raise ValueError(f"A written prediction has at most {MAX_TEXT_CHARS} characters, this one has {len(text)}.")
        now = time.time()

        def run(conn):
            conn.execute("BEGIN IMMEDIATE")
            try:
                if conn.execute(SQL["is_revealed"], (slug, exercise)).fetchone():
                    raise PredictionsClosed("The answer has been revealed to the class: predictions are closed.")
                conn.execute(SQL["answer"], (student, slug, exercise, choice, text, now))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        self._run(run)
        return Answer(student, slug, exercise, choice, text, now)

    def answer_of(self, student: str, slug: str, exercise: int) -> Answer | None:
        rows = self._read("answer_of", (student, slug, exercise))
        return Answer(*rows[0]) if rows else None

    def answers(self, slug: str) -> list[Answer]:
        return [Answer(*row) for row in self._read("answers", (slug,))]

    def reveal(self, slug: str, exercise: int) -> None:
        self._write(("reveal", (slug, exercise, time.time())))

    def revealed(self, slug: str) -> frozenset[int]:
        return frozenset(row[0] for row in self._read("revealed", (slug,)))

    def clear_answers(self, slug: str) -> None:
        self._write(("clear_answers", (slug,)), ("clear_reveals", (slug,)))

    # boards -------------------------------------------------------------------------------------
    def post_run(self, slug: str, student: str, settings: dict[str, Any], measured: dict[str, Any]) -> int:
        row = (slug, student, time.time(), _dumps_measured(settings), _dumps_measured(measured))
        (cursor,) = self._write(("post_run", row))
        return int(cursor.lastrowid)

    def board(self, slug: str) -> list[BoardRun]:
        return [BoardRun(i, s, student, posted, json.loads(settings), json.loads(measured))
                for i, s, student, posted, settings, measured in self._read("board", (slug,))]

    def clear_board(self, slug: str) -> None:
        self._write(("clear_board", (slug,)))

    # presence -----------------------------------------------------------------------------------
    def seen(self, student: str, slug: str) -> None:
        now = time.time()
        self._write(("seen", (student, slug, now)), ("forget_absent", (now - 3600.0,)))

    def students_by_lesson(self, within_s: float = 30.0) -> dict[str, int]:
        return dict(self._read("students_by_lesson", (time.time() - within_s,)))
