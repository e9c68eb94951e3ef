"""The migrations and the models agree, on both databases; serve's start-up check."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import TextClause, bindparam, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SAWarning
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel, UTCDateTime, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import migrate
from data.db import Store, create_engine
from data.models import Account, Outbox
from tests.helpers import T0, decide, make_cast, make_person, submit


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
    with warnings.catch_warnings():
        # SQLAlchemy does not read back an index on an expression from SQLite (the open
        # accounts' lower-cased handles): it says so, and alembic leaves it out of the
        # comparison there (test_one_open_account_per_handle checks it on both databases).
        warnings.filterwarnings(
            "ignore", r"Skipped unsupported reflection of expression-based index", SAWarning
        )
        warnings.filterwarnings(
            "ignore", r"autogenerate skipping metadata-specified expression-based index",
            UserWarning,
        )
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


async def test_people_made_before_linking_are_merged_by_email(engine: AsyncEngine) -> None:
    """Migration 0005_one_person_per_human: duplicates made by the old behaviour (a person per
    identity) become one person, with everything that named them; the web chat's are kept."""
    async with engine.begin() as connection:
        await connection.run_sync(
            lambda sync: command.upgrade(migrate.config(sync), "0003_dashboard")
        )
    at = T0

    def timed(statement: str) -> TextClause:
        return text(statement).bindparams(bindparam("at", type_=UTCDateTime()))
    async with engine.begin() as connection:
        for row in (
            (1, "Anna Berg", "anna.berg@ki.se", None, "slack"),
            (2, "Anna Berg (KI)", " Anna.Berg@KI.se", "sv", "teams"),
            (3, "Anna on the web", "anna.berg@ki.se", None, "web"),
            (4, "Dan Holm", "dan.holm@ki.se", None, "slack"),
        ):
            await connection.execute(
                timed(
                    "INSERT INTO person (id, display_name, email, locale, last_platform,"
                    " created_at, updated_at) VALUES (:id, :name, :email, :locale, :platform,"
                    " :at, :at)"
                ),
                {"id": row[0], "name": row[1], "email": row[2], "locale": row[3],
                 "platform": row[4], "at": at},
            )
            await connection.execute(
                text(
                    "INSERT INTO chat_identity (person_id, platform, external_id, address)"
                    " VALUES (:id, :platform, :ext, '{}')"
                ),
                {"id": row[0], "platform": row[4], "ext": f"ext-{row[0]}"},
            )
        for person_id, role in ((1, "comms"), (2, "director"), (2, "comms")):
            await connection.execute(
                text("INSERT INTO role_assignment (person_id, role) VALUES (:p, :r)"),
                {"p": person_id, "r": role},
            )
        # Anna's Teams self asked Dan to approve; her Slack self is on the team.
        await connection.execute(
            timed(
                "INSERT INTO account_request (id, requester_id, platform, handle, unit, scope,"
                " purpose, objectives, target_group, benefit, team_ids, manager_id,"
                " monitoring, holiday_cover, response_time, acknowledgements, status, stage,"
                " approver_id, round, created_at, updated_at, stage_started_at) VALUES"
                " (1, 2, 'instagram', 'ki_x', 'u', 'unit', 'p', 'o', 't', 'b', '[1]', 4,"
                " 'm', 'h', '24h', '[]', 'pending', 'manager', 4, 1, :at, :at, :at)"
            ),
            {"at": at},
        )
        await connection.execute(
            timed(
                "INSERT INTO dialog_state (person_id, dialog, step, data, history, turn,"
                " updated_at) VALUES (2, 'open_account', 'handle', '{}', '[]', 1, :at)"
            ),
            {"at": at},
        )
    await migrate.upgrade(engine)
    assert await migrate.status(engine) == "current"

    async with engine.connect() as connection:
        people = (
            await connection.execute(text("SELECT id, email, locale FROM person ORDER BY id"))
        ).all()
        assert [tuple(p) for p in people] == [
            (1, "anna.berg@ki.se", "sv"), (3, "anna.berg@ki.se", None), (4, "dan.holm@ki.se", None)
        ]
        identities = (
            await connection.execute(
                text("SELECT platform, person_id FROM chat_identity ORDER BY platform, person_id")
            )
        ).all()
        assert [tuple(i) for i in identities] == [
            ("slack", 1), ("slack", 4), ("teams", 1), ("web", 3)
        ]
        roles = (
            await connection.execute(
                text("SELECT person_id, role, source FROM role_assignment ORDER BY role, source")
            )
        ).all()
        assert [tuple(r) for r in roles] == [
            (1, "comms", "slack"), (1, "comms", "teams"), (1, "director", "teams")
        ]
        request = (
            await connection.execute(
                text("SELECT requester_id, team_ids, approver_id FROM account_request")
            )
        ).one()
        assert (request[0], request[2]) == (1, 4)
        assert request[1] in ([], "[]")
        assert (await connection.execute(text("SELECT person_id FROM dialog_state"))).all() == [
            (1,)
        ]
        events = (
            await connection.execute(
                text("SELECT action, subject, actor_id FROM audit_event")
            )
        ).all()
        assert [tuple(e) for e in events] == [("person.merged", "person:1", None)]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_outbox_times_a_sweep_wrote_are_found_after_upgrading(engine: AsyncEngine) -> None:
    """Migration 0019_outbox_times: times the sqlite3 module stored for a sweep's digests
    ("...+00:00") become SQLAlchemy's, so that a query comparing them finds the rows."""
    async with engine.begin() as connection:
        await connection.run_sync(
            lambda sync: command.upgrade(migrate.config(sync), "0018_question_times")
        )
        await connection.execute(text(
            "INSERT INTO outbox (key, kind, params, status, attempts, next_attempt_at,"
            " delivered, created_at, not_after) VALUES"
            " ('nudge_rota:@comms:2027-03-01', 'nudge_rota', '{}', 'pending', 0,"
            " '2027-03-01 13:30:00.250000+00:00', '{}', '2027-03-01 13:30:00+00:00',"
            " '2027-03-01 17:00:00+00:00')"
        ))
    await migrate.upgrade(engine)
    ends = T0.replace(year=2027, month=3, day=1, hour=17, minute=0, second=0, microsecond=0)
    async with AsyncSession(engine) as session:
        [row] = (await session.exec(select(Outbox).where(Outbox.not_after == ends))).all()
        assert row.created_at == ends.replace(hour=13, minute=30)
        assert row.next_attempt_at == ends.replace(hour=13, minute=30, microsecond=250000)
        assert (await session.exec(
            select(Outbox.key).where(Outbox.created_at == ends.replace(hour=13, minute=30))
        )).all() == [row.key]


async def test_open_accounts_sharing_a_handle_stop_the_upgrade_that_would_forbid_it(
    engine: AsyncEngine, database_url: str
) -> None:
    """Migration 0023_account_open_handle_unique: two open accounts with one handle (as a race
    could make before the register locked handles) are named, for an operator to close one,
    and the upgrade stops; closed, the upgrade goes through."""
    await migrate.upgrade(engine)
    store = Store.from_url(database_url)
    try:
        cast = await make_cast(store)
        numbers: list[Account | None] = []
        for handle in ("ki_twice", "ki_other"):
            request = await submit(store, cast, T0, handle=handle)
            assert request.id is not None
            numbers.append((await decide(store, request.id, cast.manager, now=T0)).account)
    finally:
        await store.close()
    async with engine.begin() as connection:
        await connection.run_sync(
            lambda sync: command.downgrade(migrate.config(sync), "0022_outbox_approval_cards")
        )
        await connection.execute(
            text("UPDATE account SET handle = 'KI_Twice' WHERE handle = 'ki_other'")
        )

    with pytest.raises(RuntimeError, match="open accounts share a handle") as refused:
        await migrate.upgrade(engine)
    first, second = (account.number for account in numbers if account is not None)
    assert f"instagram ki_twice: {first}, {second}" in str(refused.value)
    assert await migrate.status(engine) != "current"

    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE account SET status = 'closed' WHERE number = :number"), {"number": second}
        )
    await migrate.upgrade(engine)
    assert await migrate.status(engine) == "current"
