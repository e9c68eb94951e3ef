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
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

log = logging.getLogger(__name__)

# How long a SQLite statement waits for another connection's lock before "database is locked".
BUSY_TIMEOUT = 30.0
# The execution option that marks a SQLite connection's transactions as read-only.
_READ = "kontobot_read"
# Connection.info key: PRAGMA query_only is on for this DBAPI connection.
_QUERY_ONLY = "kontobot_query_only"


def async_url(url: str) -> URL:
    """Accept plain URLs (`sqlite:///x.db`, `postgresql://u@h/db`) and pick the async driver."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg")
    raise ValueError(f"unsupported database {backend!r}: use sqlite:// or postgresql://")


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def create_engine(url: str, *, busy_timeout: float = BUSY_TIMEOUT) -> AsyncEngine:
    """`busy_timeout` (seconds, SQLite only): how long to wait for another connection's lock."""
    target = async_url(url)
    if target.get_backend_name() == "sqlite":
        on_disk = bool(target.database) and target.database != ":memory:"
        if on_disk:
            assert target.database is not None
            Path(target.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(target, connect_args={"timeout": busy_timeout})
        _sqlite_transactions(engine, busy_timeout=busy_timeout, wal=on_disk)
        return engine
    return create_async_engine(target, pool_pre_ping=True)


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


class Store:
    """Hands out sessions: one writing transaction per `transaction()` block, one read-only
    transaction per `read()` block."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @classmethod
    def from_url(cls, url: str, *, busy_timeout: float = BUSY_TIMEOUT) -> Store:
        return cls(create_engine(url, busy_timeout=busy_timeout))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with AsyncSession(self.engine, expire_on_commit=False) as session, session.begin():
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

    async def close(self) -> None:
        await self.engine.dispose()
