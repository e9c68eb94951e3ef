"""The migrations and the models agree, on both databases; serve's start-up check."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from data import migrate
from data.db import create_engine
from tests.helpers import T0, make_person


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on an empty database, made as the application makes it."""
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


def differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, SQLModel.metadata))


def tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_upgrade_makes_an_empty_database_current(engine: AsyncEngine) -> None:
    assert await migrate.status(engine) == "empty"
    await migrate.upgrade(engine)
    assert await migrate.status(engine) == "current"
    async with engine.connect() as connection:
        assert await connection.run_sync(tables) == {
            *SQLModel.metadata.tables,
            migrate.VERSION_TABLE,
        }
        version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    assert version == migrate.head()


async def test_the_migrations_build_what_the_models_describe(engine: AsyncEngine) -> None:
    await migrate.upgrade(engine)
    async with engine.connect() as connection:
        assert await connection.run_sync(differences) == []


async def test_upgrade_twice_changes_nothing(engine: AsyncEngine) -> None:
    await migrate.upgrade(engine)
    async with engine.begin() as connection, AsyncSession(bind=connection) as session:
        await make_person(session, T0, "Anna Berg")
    await migrate.upgrade(engine)
    assert await migrate.status(engine) == "current"
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM person")) == 1


async def test_two_processes_migrating_at_once(engine: AsyncEngine, database_url: str) -> None:
    # Two bot processes starting on one new database: both succeed, the schema is made once.
    # (Unserialised, the second blocks on the first's tables; in one process, Alembic's global
    # context then sends the first's statements down the blocked connection: hence the timeout.)
    other = create_engine(database_url)
    try:
        async with asyncio.timeout(60):
            await asyncio.gather(migrate.upgrade(engine), migrate.upgrade(other))
    finally:
        await other.dispose()
    assert await migrate.status(engine) == "current"


async def test_downgrade_to_nothing_and_back(engine: AsyncEngine) -> None:
    await migrate.upgrade(engine)
    async with engine.begin() as connection:
        await connection.run_sync(lambda sync: command.downgrade(migrate.config(sync), "base"))
    async with engine.connect() as connection:
        assert await connection.run_sync(tables) <= {migrate.VERSION_TABLE}
    assert await migrate.status(engine) == "empty"
    await migrate.upgrade(engine)
    assert await migrate.status(engine) == "current"


async def test_ensure_current_sets_up_an_empty_database(engine: AsyncEngine) -> None:
    await migrate.ensure_current(engine)
    assert await migrate.status(engine) == "current"
    await migrate.ensure_current(engine)  # and then leaves it be


async def test_ensure_current_refuses_an_outdated_schema(engine: AsyncEngine) -> None:
    first = list(ScriptDirectory.from_config(migrate.config()).walk_revisions())[-1].revision
    if first == migrate.head():
        pytest.skip("one revision only: no schema can be behind")
    async with engine.begin() as connection:
        await connection.run_sync(
            lambda sync: command.upgrade(migrate.config(sync), first)
        )
    assert await migrate.status(engine) == "behind"
    with pytest.raises(RuntimeError, match="database schema is behind: run `kontobot migrate`"):
        await migrate.ensure_current(engine)
    await migrate.migrate(engine)
    assert await migrate.status(engine) == "current"


async def test_a_revision_we_do_not_know_is_refused(engine: AsyncEngine) -> None:
    await migrate.upgrade(engine)
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = '9999_newer'"))
    assert await migrate.status(engine) == "unknown"
    for attempt in (migrate.ensure_current, migrate.migrate):
        with pytest.raises(RuntimeError, match="does not know"):
            await attempt(engine)


async def test_tables_no_migration_made_are_not_empty(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.tables["person"].create)
    assert await migrate.status(engine) == "foreign"
    for attempt in (migrate.ensure_current, migrate.migrate):
        with pytest.raises(RuntimeError, match="did not create"):
            await attempt(engine)


def test_revisions_form_one_line_from_the_first() -> None:
    script = ScriptDirectory.from_config(migrate.config())
    revisions = list(script.walk_revisions())
    assert revisions[-1].revision == "0001_initial"
    assert revisions[-1].down_revision is None
    assert len(script.get_heads()) == 1
