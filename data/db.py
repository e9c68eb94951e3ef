"""Engines and sessions for SQLite (the embedded default) and PostgreSQL.

Two kinds of transaction:

- `Store.transaction()` writes. On SQLite it begins with `BEGIN IMMEDIATE`, taking the write
  lock at once: a deferred transaction that reads first and writes later must upgrade its lock,
  and when another writer got there first SQLite fails it with "database is locked" at once
  (its snapshot is stale; waiting cannot help). Taken at BEGIN, writers queue instead, each
  waiting up to the busy timeout.
- `Store.read()` only reads: a deferred transaction (plain `BEGIN`; `BEGIN READ ONLY` on
  PostgreSQL) that takes no write lock, is always rolled back, and refuses to write (SQLite's
  `PRAGMA query_only` is on for the connection while it reads). A long read, such as a
  dashboard page over the whole register, then never holds up a turn or a sweep, and reads
  never queue behind writers.

That needs SQLite's write-ahead log: in its default rollback-journal mode a reader still blocks
a writer's commit. A file database is switched to WAL by the engine's first writing
transaction (the mode is kept in the file, so this happens once per database); reading alone
leaves the file as it is, so a database we refuse to use stays untouched. `synchronous` stays
FULL: a commit is on disk before we tell a platform we have its message, power cut or not.

Who writes next on a SQLite file is decided before SQLite is asked (`WriteGate`): SQLite's own
wait for the write lock is a busy handler that sleeps and polls, so a writer that arrives while
another process commits transaction after transaction (the turn processes) keeps missing the
moment the lock is free, for seconds. An urgent writer (storing an incoming event before the
platform is acknowledged, `transaction(urgent=True)`) waits at most for the transaction in
progress, and then writes before any other writer begins.

Nor does an urgent writer wait for a checkpoint (copying the write-ahead log back into the
database file). SQLite's automatic one runs in whichever commit takes the log past 1,000 pages,
while that writer still holds the gate: 60-90 ms on the machine of bench/README.md, which the
acknowledgement arriving then waited for. Here a writer that is not urgent starts a
checkpoint, at most every CHECKPOINT_EVERY seconds, once it has let go of the gate, in a task,
a thread and on a connection of its own (a passive checkpoint blocks no writer or reader);
SQLite's own is kept only as a backstop for a log that nobody else checkpoints
(AUTOCHECKPOINT pages).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import math
import os
import sqlite3
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.util import await_only
from sqlmodel.ext.asyncio.session import AsyncSession

from data.spool import Spool, owner_only

log = logging.getLogger(__name__)

# How long a SQLite statement waits for another connection's lock before "database is locked".
BUSY_TIMEOUT = 30.0
# The execution option that marks a SQLite connection's transactions as read-only.
_READ = "kontobot_read"
# Connection.info key: PRAGMA query_only is on for this DBAPI connection.
_QUERY_ONLY = "kontobot_query_only"
# The execution option that carries a writing transaction's place at the gate (GateTurn).
_GATE = "kontobot_gate"
# How often (seconds) a SQLite writer that is not urgent checkpoints after its transaction.
CHECKPOINT_EVERY = 0.5
# SQLite's automatic checkpoint, in pages of the write-ahead log: a backstop (its default is
# 1,000 pages, 4 MiB; the writers' checkpoints keep the log far below this).
AUTOCHECKPOINT = 10_000


def async_url(url: str) -> URL:
    """Accept plain URLs (`sqlite:///x.db`, `postgresql://u@h/db`) and pick the async driver."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg")
    raise UnsupportedDatabase(f"unsupported database {backend!r}: use sqlite:// or postgresql://")


class UnsupportedDatabase(ValueError):
    """A database URL of a kind kontobot does not run on."""


class NoDatabase(RuntimeError):
    """A SQLite file that is not there, where one was expected."""


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def create_engine(
    url: str, *, busy_timeout: float = BUSY_TIMEOUT, create: bool = True
) -> AsyncEngine:
    """`busy_timeout` (seconds, SQLite only): how long to wait for another connection's lock.
    Without `create`, a SQLite file that is not there is NoDatabase, not made (with its
    folders) by the first connection. A failed statement's error never carries the values it
    was given (`hide_parameters`): errors are logged, and the values are people's addresses
    and the public's questions."""
    target = async_url(url)
    if target.get_backend_name() == "sqlite":
        on_disk = bool(target.database) and target.database != ":memory:"
        if on_disk:
            assert target.database is not None
            path = Path(target.database)
            if not create and not path.is_file():
                raise NoDatabase(
                    f"no database at {path}: check KONTOBOT_DATABASE_URL, or make one with "
                    "`kontobot migrate`"
                )
            path.parent.mkdir(parents=True, exist_ok=True)
            owner_only(path)
        engine = create_async_engine(
            target, connect_args={"timeout": busy_timeout}, hide_parameters=True
        )
        _sqlite_transactions(engine, busy_timeout=busy_timeout, wal=on_disk)
        return engine
    return create_async_engine(target, pool_pre_ping=True, hide_parameters=True)


def _sqlite_transactions(engine: AsyncEngine, *, busy_timeout: float, wal: bool) -> None:
    # The module docstring says why: writers lock at BEGIN, readers never lock, WAL between.
    wal_pending = [wal]

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling off: the "begin" listener below begins.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT}")
        cursor.close()
        # SQLite's lower() folds ASCII only; the register's search and sort fold all of
        # Unicode, as PostgreSQL's lower() does (data.dashboard_register).
        dbapi_connection.create_function("kb_fold", 1, _fold, deterministic=True)

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        if conn.get_execution_options().get(_READ):
            conn.exec_driver_sql("BEGIN")
            if not conn.info.get(_QUERY_ONLY):
                conn.exec_driver_sql("PRAGMA query_only=ON")
                conn.info[_QUERY_ONLY] = True
            return
        if wal_pending[0]:
            # Outside any transaction, as SQLite requires; waits out other connections' locks.
            mode = conn.exec_driver_sql("PRAGMA journal_mode=WAL").scalar()
            if str(mode).lower() != "wal":
                log.warning("SQLite kept journal mode %s: reads will block writers", mode)
            wal_pending[0] = False
        if conn.info.pop(_QUERY_ONLY, False):
            # This connection last served a read; it writes now.
            conn.exec_driver_sql("PRAGMA query_only=OFF")
        turn = conn.get_execution_options().get(_GATE)
        if turn is not None:
            # In SQLAlchemy's greenlet: this waits on the event loop, not blocking it.
            await_only(turn.enter())
        conn.exec_driver_sql("BEGIN IMMEDIATE")


@asynccontextmanager
async def reading(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection whose transactions only read (see the module docstring)."""
    async with engine.connect() as connection:
        if is_sqlite(engine):
            await connection.execution_options(**{_READ: True})
        else:
            # BEGIN READ ONLY; SQLAlchemy resets it when the connection goes back to the pool.
            await connection.execution_options(postgresql_readonly=True)
        yield connection


def _fold(value: str | None) -> str | None:
    return None if value is None else value.casefold()


# Threads that wait for the gate's locks (a blocking flock must not block the event loop); one
# per waiting transaction, so more than a process ever has waiting at once.
_GATE_THREADS = ThreadPoolExecutor(max_workers=64, thread_name_prefix="kontobot-gate")


def _flock(fd: int, operation: int, *, wait: bool) -> bool:
    try:
        fcntl.flock(fd, operation if wait else operation | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class WriteGate:
    """The order in which writers begin on one SQLite file, across processes: urgent writers
    first. Two lock files beside the database (flock: per open file, released by the kernel
    when a process dies, and a waiter is woken the moment a lock is free, never polled):

    - `<db>-writers`: held exclusively by whoever writes now (every writer, from before its
      BEGIN IMMEDIATE until its commit or rollback), so writers queue here, in the kernel.
    - `<db>-urgent`: held shared by each urgent writer while it waits for the writers' lock.
      A writer that is not urgent takes it exclusively for an instant once it holds the
      writers' lock; when it cannot, an urgent writer waits, so it lets go and waits until the
      urgent writers waiting have the writers' lock. An urgent writer thus waits only for the
      transaction in progress; the others wait only for the urgent writers that were waiting
      (not for every acknowledgement that overlaps another, which would starve the turns).

    Every writer gets through, urgent or not; only SQLite's BEGIN IMMEDIATE makes writers
    exclusive, so a writer that bypasses the gate (a migration) is merely not ordered."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.writers = f"{database}-writers"
        self.urgent = f"{database}-urgent"

    @staticmethod
    def _open(path: str) -> int:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)

    def take(self, *, urgent: bool, wait: bool) -> list[int] | None:
        """The held locks' descriptors (closing them lets go), or None when `wait` is False and
        the gate is not free now."""
        held: list[int] = []
        try:
            if urgent:
                held.append(self._open(self.urgent))
                if not _flock(held[0], fcntl.LOCK_SH, wait=wait):
                    return self.let_go(held)
                writers = self._open(self.writers)
                held.append(writers)
                if not _flock(writers, fcntl.LOCK_EX, wait=wait):
                    return self.let_go(held)
                # It writes now: no longer waiting, so other writers need not wait for it.
                os.close(held[0])
                return [writers]
            held.append(self._open(self.writers))
            while True:
                if not _flock(held[0], fcntl.LOCK_EX, wait=wait):
                    return self.let_go(held)
                if self._no_urgent_writer(wait=False):
                    return held
                fcntl.flock(held[0], fcntl.LOCK_UN)
                if not wait:
                    return self.let_go(held)
                self._no_urgent_writer(wait=True)
        except BaseException:
            self.let_go(held)
            raise

    def _no_urgent_writer(self, *, wait: bool) -> bool:
        probe = self._open(self.urgent)
        try:
            return _flock(probe, fcntl.LOCK_EX, wait=wait)
        finally:
            os.close(probe)

    @staticmethod
    def let_go(held: list[int]) -> None:
        for fd in reversed(held):
            os.close(fd)
        held.clear()

    async def enter(self, *, urgent: bool, patience: float) -> list[int]:
        """Wait (at most `patience` seconds) until this writer may begin; the held locks."""
        held = self.take(urgent=urgent, wait=False)
        if held is not None:
            return held
        waiting = asyncio.get_running_loop().run_in_executor(
            _GATE_THREADS, lambda: self.take(urgent=urgent, wait=True)
        )
        try:
            async with asyncio.timeout(patience):
                held = await asyncio.shield(waiting)
        except BaseException:
            # Cancelled or out of time while a thread still waits: what it takes is let go.
            waiting.add_done_callback(
                lambda done: done.cancelled()
                or done.exception() is not None
                or self.let_go(done.result() or [])
            )
            raise
        assert held is not None
        return held


def _checkpoint_file(path: str, timeout: float) -> None:
    """A passive checkpoint of the SQLite file at `path`, on a connection of its own: it takes
    no connection a writer or a reader may be waiting for, and none of the pool's settings."""
    with contextlib.closing(sqlite3.connect(path, timeout=timeout, isolation_level=None)) as db:
        db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


class GateTurn:
    """One writing transaction's place at a `WriteGate`: taken when it begins, let go when it
    has ended."""

    def __init__(self, gate: WriteGate, *, urgent: bool, patience: float) -> None:
        self.gate = gate
        self.urgent = urgent
        self.patience = patience
        self.held: list[int] = []

    async def enter(self) -> None:
        if not self.held:
            self.held = await self.gate.enter(urgent=self.urgent, patience=self.patience)

    def let_go(self) -> None:
        WriteGate.let_go(self.held)


class Store:
    """Hands out sessions: one writing transaction per `transaction()` block, one read-only
    transaction per `read()` block."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        database = engine.url.database if is_sqlite(engine) else None
        self.gate = WriteGate(database) if database and database != ":memory:" else None
        self.busy_timeout = BUSY_TIMEOUT
        self._storing: AsyncEngine | None = None
        self._spool: Spool | None = None
        # How often its writers checkpoint a SQLite file, and when they last did (monotonic).
        self.checkpoint_every = CHECKPOINT_EVERY
        self._checkpointed = -math.inf
        self._checkpointing: asyncio.Task[None] | None = None

    @classmethod
    def from_url(
        cls, url: str, *, busy_timeout: float = BUSY_TIMEOUT, create: bool = True
    ) -> Store:
        """The store of the database at `url` (`create`: see create_engine)."""
        store = cls(create_engine(url, busy_timeout=busy_timeout, create=create))
        store.busy_timeout = busy_timeout
        return store

    @asynccontextmanager
    async def transaction(self, *, urgent: bool = False) -> AsyncIterator[AsyncSession]:
        """A writing transaction. An `urgent` one (storing what a platform waits for us to
        acknowledge) begins before any other writer waiting on SQLite (see `WriteGate`)."""
        if self.gate is None:
            async with (
                AsyncSession(self.engine, expire_on_commit=False) as session,
                session.begin(),
            ):
                yield session
            return
        # Taken where the transaction really begins (its first statement), as SQLite's lock.
        turn = GateTurn(self.gate, urgent=urgent, patience=self.busy_timeout)
        try:
            async with (
                AsyncSession(
                    self.engine.execution_options(**{_GATE: turn}), expire_on_commit=False
                ) as session,
                session.begin(),
            ):
                yield session
        finally:
            turn.let_go()
        if not urgent:
            self._checkpoint_soon()

    def _checkpoint_soon(self) -> None:
        """Copy the write-ahead log back into the database file (a passive checkpoint, outside
        the gate: see the module docstring), unless done in the last `checkpoint_every` s or
        under way. In a task of its own: the writer goes on meanwhile (its transaction is
        committed; a turn sends its replies), and is never cancelled in the middle of it."""
        started = time.monotonic()
        if started - self._checkpointed < self.checkpoint_every or not self.settled_now():
            return
        self._checkpointed = started
        self._checkpointing = asyncio.create_task(self._checkpoint())

    def settled_now(self) -> bool:
        """No checkpoint is under way."""
        return self._checkpointing is None or self._checkpointing.done()

    async def settle(self) -> None:
        """Wait for a checkpoint under way to end."""
        if self._checkpointing is not None:
            await self._checkpointing

    async def _checkpoint(self) -> None:
        assert self.gate is not None
        try:
            await asyncio.to_thread(_checkpoint_file, self.gate.database, self.busy_timeout)
        except Exception:
            # What was written is committed; the next writer (or SQLite's backstop) tries again.
            log.warning("SQLite checkpoint failed", exc_info=True)

    @property
    def storing_engine(self) -> AsyncEngine:
        """The engine `storing()` writes through: on PostgreSQL a small pool of its own whose
        statements commit themselves; on SQLite the store's engine."""
        if is_sqlite(self.engine):
            return self.engine
        if self._storing is None:
            # One writer at a time uses it (hub/intake.py); a second connection for safety.
            self._storing = create_async_engine(
                self.engine.url,
                pool_size=1,
                max_overflow=1,
                pool_pre_ping=True,
                isolation_level="AUTOCOMMIT",
            )
        return self._storing

    @asynccontextmanager
    async def storing(self) -> AsyncIterator[AsyncSession]:
        """For a single statement that must be on disk before its caller answers anyone (the
        inbox's intake). On SQLite an urgent `transaction()`. On PostgreSQL the statement is
        its own transaction (autocommit, on `storing_engine`): when its result arrives it is
        committed, its WAL flushed (synchronous_commit stays on), with one round trip instead
        of BEGIN, the statement and COMMIT (and the pool's liveness ping in a transaction of
        its own: three more); and it never waits for a connection that pages, exports or
        turns hold. Give it one statement only: two would commit one by one."""
        if is_sqlite(self.engine):
            async with self.transaction(urgent=True) as session:
                yield session
            return
        async with (
            AsyncSession(self.storing_engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reading only: it never takes the write lock, a write in it fails, and
        it is rolled back at the end. For whatever only looks (pages, exports, lookups)."""
        async with (
            reading(self.engine) as connection,
            AsyncSession(connection, expire_on_commit=False) as session,
        ):
            yield session

    @property
    def spool(self) -> Spool | None:
        """Where the inbox's intake commits incoming events first on a SQLite file
        (data/spool.py); None on PostgreSQL, whose intake does not wait for the turns."""
        if self.gate is None:
            return None
        if self._spool is None:
            self._spool = Spool(self.gate.database, busy_timeout=self.busy_timeout)
        return self._spool

    async def close(self) -> None:
        await self.settle()
        if self._spool is not None:
            await self._spool.close()
            self._spool = None
        if self._storing is not None:
            await self._storing.dispose()
        await self.engine.dispose()
