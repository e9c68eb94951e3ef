"""The `store` fixture: every data test runs on SQLite and on PostgreSQL.

Each test gets a database of its own, brought up to date by the real migrations: a SQLite file
under tmp_path, or a new PostgreSQL database on the server named by KONTOBOT_TEST_POSTGRES_URL
(default: the local one), dropped afterwards. When that variable is set, an unreachable server
fails the PostgreSQL tests; when it is not, they are skipped and the summary says why.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from data import migrate
from data.db import Store, async_url
from tests.helpers import Cast, make_cast

POSTGRES_ENV = "KONTOBOT_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

# Whether the server answered, asked once per run: url -> why not (None when it did).
_postgres_problem: dict[str, str | None] = {}


def _admin_engine(url: str) -> AsyncEngine:
    # CREATE/DROP DATABASE cannot run in a transaction; no pool, so nothing outlives the test.
    return create_async_engine(
        async_url(url),
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
        connect_args={"timeout": 5},
    )


async def _check_postgres(url: str) -> str | None:
    if url not in _postgres_problem:
        engine = _admin_engine(url)
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            _postgres_problem[url] = None
        except Exception as error:  # any failure to connect means "not reachable"
            _postgres_problem[url] = f"{type(error).__name__}: {error}"
        finally:
            await engine.dispose()
    return _postgres_problem[url]


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    explicit = os.environ.get(POSTGRES_ENV)
    server = explicit or DEFAULT_POSTGRES_URL
    shown = make_url(server).render_as_string(hide_password=True)
    problem = await _check_postgres(server)
    if problem is not None:
        message = f"PostgreSQL not reachable at {shown} ({problem})"
        if explicit:
            pytest.fail(f"{message}; {POSTGRES_ENV} is set, so PostgreSQL tests must run")
        pytest.skip(f"{message}; set {POSTGRES_ENV} to require it")
    name = f"kontobot_test_{uuid4().hex}"
    admin = _admin_engine(server)
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server).set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a new, empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kontobot.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """A migrated database of each kind."""
    store = Store.from_url(database_url)
    try:
        await migrate.upgrade(store.engine)
        yield store
    finally:
        await store.close()


@pytest.fixture
async def cast(store: Store) -> Cast:
    return await make_cast(store)
