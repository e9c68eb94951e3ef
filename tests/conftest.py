"""Databases for tests: every data test runs on SQLite and on PostgreSQL.

`database_url` is a new, empty database of each kind; `store` is one brought to the newest
schema by the real migrations (data.migrate). SQLite databases are files under tmp_path.
PostgreSQL databases are made on the server named by KONTOBOT_TEST_POSTGRES_URL (default: the
local one), one per test with a unique name (made while the test before it runs, and dropped
while the test after it runs: tests/helpers/pg_databases.py). When that variable is set,
an unreachable server fails the PostgreSQL tests; when it is not, they are skipped, and the
summary says why.
"""

from __future__ import annotations

import asyncio
import os
import shutil
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
from tests.helpers import SECRET, Cast, make_cast
from tests.helpers.pg_databases import Databases

# Apps built in tests run no nudge scheduler: nudge tests sweep with an explicit `now`.
os.environ.setdefault("KONTOBOT_SCHEDULER", "off")
# Apps built in tests sign with a known key, so tests can mint links the app accepts (no key
# file is written in the working directory). The `kontobot` subprocesses get none of the
# KONTOBOT_ variables (tests/helpers/server.py): they make their key file, as in production.
os.environ["KONTOBOT_SECRET_KEY"] = SECRET

POSTGRES_ENV = "KONTOBOT_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

# Asked once per run: server URL -> why it cannot be used (None when it can).
_postgres_problem: dict[str, str | None] = {}


def _admin_engine(server: str) -> AsyncEngine:
    # CREATE/DROP DATABASE cannot run in a transaction; no pool, so nothing outlives its use.
    return create_async_engine(
        async_url(server),
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
        connect_args={"timeout": 5},
    )


async def _execute(server: str, statement: str) -> None:
    engine = _admin_engine(server)
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def _postgres_server() -> str:
    """The server to make test databases on; skips or fails the test when it cannot be used."""
    explicit = os.environ.get(POSTGRES_ENV)
    server = explicit or DEFAULT_POSTGRES_URL
    if server not in _postgres_problem:
        try:
            await _execute(server, "SELECT 1")
            _postgres_problem[server] = None
        except Exception as error:  # whatever stops us connecting makes it unreachable
            _postgres_problem[server] = f"{type(error).__name__}: {error}"
    problem = _postgres_problem[server]
    if problem is not None:
        shown = make_url(server).render_as_string(hide_password=True)
        message = f"PostgreSQL not reachable at {shown} ({problem})"
        if explicit:
            pytest.fail(f"{message}; {POSTGRES_ENV} is set, so the PostgreSQL tests must run")
        pytest.skip(f"{message}; set {POSTGRES_ENV} to require them")
    return server


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A new, empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kontobot.db'}"
        return
    server = await _postgres_server()
    name = await _databases.take(server)
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        _databases.drop(server, name)


# Each PostgreSQL test's database, made while the test before it runs.
_databases = Databases(_execute)

# Migrated once per run and copied for each test: a copy is far quicker than migrating anew.
_templates: dict[str, str] = {}


async def _migrated(url: str) -> None:
    store = Store.from_url(url)
    try:
        await migrate.upgrade(store.engine)
    finally:
        await store.close()


async def _template(kind: str, server: str, scratch: Path) -> str:
    key = f"{kind}:{server}"
    if key not in _templates:
        if kind == "sqlite":
            path = scratch / "template.db"
            await _migrated(f"sqlite:///{path}")
            _templates[key] = str(path)
        else:
            name = f"kontobot_template_{uuid4().hex}"
            await _execute(server, f'CREATE DATABASE "{name}"')
            _templates[key] = name
            await _migrated(make_url(server).set(database=name).render_as_string(False))
    return _templates[key]


def pytest_sessionfinish(session: pytest.Session) -> None:
    _databases.close()
    for key, name in _templates.items():
        kind, _, server = key.partition(":")
        if kind == "postgresql":
            asyncio.run(_execute(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Store]:
    """A database of each kind at the newest schema, made by the migrations (run once, on a
    template that each test's database is copied from)."""
    if request.param == "sqlite":
        template = await _template("sqlite", "", tmp_path_factory.getbasetemp())
        path = tmp_path / "kontobot.db"
        shutil.copyfile(template, path)
        url = f"sqlite:///{path}"
        name = None
    else:
        server = await _postgres_server()
        template = await _template("postgresql", server, tmp_path)
        name = await _databases.take(server, template)
        url = make_url(server).set(database=name).render_as_string(hide_password=False)
    store = Store.from_url(url)
    try:
        yield store
    finally:
        await store.close()
        if name is not None:
            _databases.drop(server, name)


@pytest.fixture
async def cast(store: Store) -> Cast:
    """The people around a typical request (tests.helpers.Cast), in `store`."""
    return await make_cast(store)


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """`--dist loadscope` with the slowest modules first (tests/helpers/scheduling.py)."""
    if config.getoption("dist") != "loadscope":
        return None
    from tests.helpers.scheduling import HeavyFirst

    return HeavyFirst(config, log)
