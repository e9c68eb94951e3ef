"""Nothing Slack was told we received is lost: the real server, stopped or killed right after
its acknowledgements, runs every acknowledged turn exactly once after it starts again; two
server processes on one PostgreSQL database share the work without losing, repeating or
reordering anyone's turns.

Slack never retries a request we acknowledged, so these tests send each request once.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from data.db import Store
from data.models import DialogState, InboxStatus
from dialogs.i18n import Translator
from tests.helpers import count
from tests.helpers.fake_slack import FakeSlack
from tests.helpers.kinds import only_on
from tests.helpers.server import killed, stop
from tests.helpers.slack_server import (
    command,
    direct_message,
    fake_slack,
    inbox_rows,
    post,
    spooled,
    start,
    user_id,
)

EN = Translator("en")
PEOPLE = 40
FIRST_QUESTION = "Which platform is the account on?"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with fake_slack(PEOPLE) as slack:
        yield slack


async def everyone_asked_once(fake: FakeSlack) -> None:
    await fake.wait_for(
        lambda: all(fake.dm(user_id(n)) for n in range(PEOPLE)), 90, "a question to everyone"
    )
    for n in range(PEOPLE):
        [question] = fake.dm(user_id(n))
        assert EN(FIRST_QUESTION) in question.all_text()


@pytest.mark.parametrize("how", ["sigterm", "sigkill"])
async def test_acknowledged_commands_survive_a_restart(
    fake: FakeSlack, database_url: str, tmp_path: Path, how: str
) -> None:
    # Every turn waits for Slack's users.info: when the server stops, none has finished.
    gate = fake.hold("users.info")
    first = await start(fake, database_url, tmp_path, name="first")
    async with aiohttp.ClientSession() as http:
        await asyncio.gather(
            *(
                post(http, first, command(user_id(n), "open-account", f"trigger.{n}"))
                for n in range(PEOPLE)
            )
        )
    # All 40 acknowledged; now the server goes away.
    if how == "sigterm":
        # A service manager's SIGTERM.
        assert await asyncio.to_thread(stop, first, 30) == 0
    else:
        await asyncio.to_thread(killed, first)
    assert not any(fake.dm(user_id(n)) for n in range(PEOPLE))
    rows = await inbox_rows(database_url)
    # Each on disk: in the inbox, or on SQLite still in the spool (moved at the next start).
    assert len({r.key for r in rows} | await spooled(database_url)) == PEOPLE
    assert all(row.status != InboxStatus.DONE.value for row in rows)

    gate.set()
    second = await start(fake, database_url, tmp_path, name="second")
    try:
        await everyone_asked_once(fake)
    finally:
        assert await asyncio.to_thread(stop, second, 30) == 0
    assert [r.status for r in await inbox_rows(database_url)] == [InboxStatus.DONE.value] * PEOPLE
    assert "Traceback" not in first.output() + second.output()


@only_on("sqlite", "database_url")
async def test_on_sqlite_what_a_killed_server_had_only_spooled_runs_after_it_starts_again(
    fake: FakeSlack, database_url: str, tmp_path: Path
) -> None:
    """Acknowledged while a turn held SQLite's write lock, so spooled and not yet moved into
    the inbox (hub/intake.py) when the server is killed: the next start moves it and runs it."""
    first = await start(fake, database_url, tmp_path, name="first")
    database = database_url.removeprefix("sqlite:///")
    held = sqlite3.connect(database, isolation_level=None)
    try:
        held.execute("BEGIN IMMEDIATE")
        async with aiohttp.ClientSession() as http:
            await post(http, first, command(user_id(0), "open-account", "trigger.0"))
        await asyncio.to_thread(killed, first)
    finally:
        held.close()
    assert await inbox_rows(database_url) == []
    assert await spooled(database_url) == {"slack:command:trigger.0"}
    second = await start(fake, database_url, tmp_path, name="second")
    try:
        await fake.wait_for(lambda: fake.dm(user_id(0)), 30, "the question")
    finally:
        assert await asyncio.to_thread(stop, second, 30) == 0
    [question] = fake.dm(user_id(0))
    assert EN(FIRST_QUESTION) in question.all_text()
    assert [r.status for r in await inbox_rows(database_url)] == [InboxStatus.DONE.value]
    assert await spooled(database_url) == set()


# (Several processes share one database on PostgreSQL; on SQLite one process does the work.)
@only_on("postgresql", "database_url")
async def test_two_processes_share_the_work_in_each_persons_order(
    fake: FakeSlack, database_url: str, tmp_path: Path
) -> None:
    servers = [
        await start(fake, database_url, tmp_path, name="a"),
        await start(fake, database_url, tmp_path, name="b"),
    ]
    try:
        async with aiohttp.ClientSession() as http:

            async def person(n: int) -> None:
                # Three events in order, to both servers in turn: started, cancelled, asked
                # again. Out of order, a dialog would be left open or never started.
                user = user_id(n)
                await post(http, servers[n % 2], command(user, "open-account", f"t.{n}.1"))
                await post(http, servers[(n + 1) % 2], direct_message(user, "cancel", f"Ev{n}02"))
                await post(http, servers[n % 2], command(user, "accounts", f"t.{n}.3"))

            await asyncio.gather(*(person(n) for n in range(PEOPLE)))
        await fake.wait_for(
            lambda: all(len(fake.dm(user_id(n))) >= 3 for n in range(PEOPLE)),
            120,
            "three answers to everyone",
        )
    finally:
        # One SIGTERM each, as a service manager stops them.
        for server in servers:
            server.process.send_signal(signal.SIGTERM)
        codes = [await asyncio.to_thread(server.process.wait, 30) for server in servers]
    assert codes == [0, 0], [server.output()[-2000:] for server in servers]
    for n in range(PEOPLE):
        first, cancelled, accounts = fake.dm(user_id(n))
        assert EN(FIRST_QUESTION) in first.all_text()
        assert FIRST_QUESTION not in cancelled.all_text()
        assert FIRST_QUESTION not in accounts.all_text()
    rows = await inbox_rows(database_url)
    assert len(rows) == 3 * PEOPLE
    assert {r.status for r in rows} == {InboxStatus.DONE.value}
    # Every event was claimed by a turn process of one of the two servers. Which ones did the
    # work is up to timing: a worker that finishes a turn claims the next runnable event in the
    # same transaction, so one process may take them all (what counts is above: none lost, none
    # repeated, each person's order kept).
    claimants = {r.claimed_by for r in rows}
    assert None not in claimants and 1 <= len(claimants) <= 2, claimants
    store = Store.from_url(database_url)
    try:
        assert await count(store, DialogState) == 0
    finally:
        await store.close()

