"""The inbox's spool on SQLite: incoming events on disk, in a file of their own, before the
platform hears they arrived; then moved into the inbox.

SQLite has one write lock per file, and a turn holds it for its whole transaction (about 10
ms on the 2-core machine of bench/README.md, tens under load). An acknowledgement that commits
its event to the inbox waits for the turn in progress: its p50 was 12-15 ms against a bare
bolt app's 2 (bench/README.md, "The intake's spool"). So the intake commits events to a
second SQLite file beside the database (`<database>-spool`), whose write lock only the intake
and the move take, durably (synchronous FULL) before it answers; the hub then moves them into
the inbox in an ordinary writing transaction (hub/intake.py).

A row leaves the spool only once the inbox has it: a crash between the two commits moves it
again, and the inbox's unique key stores it once. Rows left by a process that stopped are
moved at the next start. A key the inbox holds already is not spooled again: the spool's
connection reads the database (attached read-only) in the statement that spools.

One connection, used from one thread of its own: the spool is the intake's alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from data.inbox import Incoming
from data.models import InboxEvent

# The inbox's table, named in _PUT.
assert InboxEvent.__tablename__ == "inbox_event"

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS spooled ("
    " id INTEGER PRIMARY KEY,"
    " key TEXT NOT NULL UNIQUE,"
    " platform TEXT NOT NULL,"
    " lane TEXT NOT NULL,"
    " payload TEXT NOT NULL,"
    " received_at TEXT NOT NULL)"
)

# Spooled unless the spool or the inbox has the key. (SQLite reads `ON CONFLICT` after an
# INSERT ... SELECT as an upsert only when the SELECT has a WHERE clause: it has.)
_PUT = (
    "INSERT INTO spooled (key, platform, lane, payload, received_at) "
    "SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM store.inbox_event WHERE key = ?) "
    "ON CONFLICT (key) DO NOTHING"
)


def spool_path(database: str) -> str:
    return f"{database}-spool"


def _uri(path: str) -> str:
    return "file:" + quote(str(Path(path).resolve()))


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection, begin: str) -> Iterator[None]:
    db.execute(begin)
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        raise


def owner_only(path: Path) -> None:
    """Make the SQLite file `path`, if it is not there yet, readable by its owner alone: the
    database and the spool hold names, e-mail addresses, questions from the public and chat
    transcripts (SQLite gives a database's -wal and -shm files its mode; the umask would give
    them to everyone). A file already there is left as its operator set it."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


class Spool:
    """The spool of the SQLite file `database` (see the module's docstring)."""

    def __init__(self, database: str, *, busy_timeout: float) -> None:
        self.database = database
        self.path = spool_path(database)
        self.busy_timeout = busy_timeout
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kontobot-spool")
        self._db: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            # Its owner's alone, as the database is: it holds events as they came.
            owner_only(Path(self.path))
            # URIs, so that the database can be attached read-only.
            db = sqlite3.connect(
                _uri(self.path), timeout=self.busy_timeout, isolation_level=None,
                check_same_thread=False, uri=True,
            )
            try:
                db.execute("PRAGMA journal_mode=WAL")
                # On disk before the caller answers anyone: what the inbox's urgent writer did.
                db.execute("PRAGMA synchronous=FULL")
                db.execute(_SCHEMA)
                db.execute("ATTACH DATABASE ? AS store", (_uri(self.database) + "?mode=ro",))
            except BaseException:
                db.close()
                raise
            self._db = db
        return self._db

    async def _run(self, work: object, *args: object) -> object:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, work, *args)  # type: ignore[arg-type]

    async def put(self, events: Sequence[Incoming]) -> set[str]:
        """Commit `events` (a key twice: its first event); the keys (at most 255 characters)
        neither the spool nor the inbox had."""
        found = await self._run(self._put, events)
        assert isinstance(found, set)
        return found

    def _put(self, events: Sequence[Incoming]) -> set[str]:
        db = self._connection()
        new: set[str] = set()
        # Deferred: the INSERT takes the spool's write lock and only reads the database.
        with _transaction(db, "BEGIN"):
            for event in events:
                key = event.key[:255]
                cursor = db.execute(_PUT, (
                    key, event.platform, event.lane[:255], json.dumps(event.payload),
                    event.now.isoformat(), key,
                ))
                if cursor.rowcount:
                    new.add(key)
        return new

    async def take(self, limit: int) -> list[tuple[int, Incoming]]:
        """The oldest `limit` spooled events, in the order they were spooled, with their ids."""
        rows = await self._run(self._take, limit)
        assert isinstance(rows, list)
        return rows

    def _take(self, limit: int) -> list[tuple[int, Incoming]]:
        rows = self._connection().execute(
            "SELECT id, key, platform, lane, payload, received_at FROM spooled "
            "ORDER BY id LIMIT ?", (limit,)
        ).fetchall()
        return [
            (row_id, Incoming(key, platform, lane, json.loads(payload),
                              datetime.fromisoformat(received_at)))
            for row_id, key, platform, lane, payload, received_at in rows
        ]

    async def drop(self, ids: Sequence[int]) -> None:
        """Forget these spooled events (the inbox has them)."""
        await self._run(self._drop, list(ids))

    def _drop(self, ids: list[int]) -> None:
        db = self._connection()
        with _transaction(db, "BEGIN IMMEDIATE"):
            db.executemany("DELETE FROM spooled WHERE id = ?", [(i,) for i in ids])

    async def count(self) -> int:
        """How many events wait in the spool."""
        return await self._one("SELECT count(*) FROM spooled", ()) or 0

    async def last(self) -> int | None:
        """The newest spooled event's id (None: the spool is empty)."""
        return await self._one("SELECT max(id) FROM spooled", ())

    async def waiting(self, *, up_to: int) -> bool:
        """Some event spooled with an id up to `up_to` is still here."""
        return await self._one("SELECT 1 FROM spooled WHERE id <= ? LIMIT 1", (up_to,)) is not None

    async def _one(self, query: str, parameters: tuple[object, ...]) -> int | None:
        def one() -> int | None:
            row = self._connection().execute(query, parameters).fetchone()
            return None if row is None else row[0]

        found = await self._run(one)
        assert found is None or isinstance(found, int)
        return found

    async def close(self) -> None:
        def close() -> None:
            if self._db is not None:
                self._db.close()
                self._db = None

        await self._run(close)
        self._thread.shutdown(wait=True)
