"""A request the database could not store is answered 503, so that Slack sends an event again
(it does after any answer but a 2xx), and is logged as such: it was answered 400, "unreadable
payload", as if Slack had sent something wrong, and an event lost. On SQLite and on
PostgreSQL, the database itself refusing the write."""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from data.db import async_url
from data.models import InboxEvent
from data.spool import spool_path
from tests.bot.slack.rig import ANNA, SlackRig, running
from tests.bot.slack.test_security import FORM, MARK
from tests.helpers import load
from tests.helpers.fake_slack import dm_channel

# What the database says while it refuses (a trigger on the table the intake writes).
REFUSAL = "no room on the disk"
PG_TRIGGER = (
    "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$",
    "CREATE TRIGGER refuse BEFORE INSERT ON inbox_event "
    "FOR EACH STATEMENT EXECUTE FUNCTION refuse()",
)
PG_HEAL = ("DROP TRIGGER refuse ON inbox_event", "DROP FUNCTION refuse()")


@contextlib.asynccontextmanager
async def refusing(database_url: str) -> AsyncIterator[None]:
    """The database refuses every incoming event until the block ends: on SQLite the intake's
    spool (data/spool.py), on PostgreSQL the inbox."""
    if database_url.startswith("sqlite"):
        spool = spool_path(database_url.removeprefix("sqlite:///"))
        with contextlib.closing(sqlite3.connect(spool, isolation_level=None)) as db:
            db.execute("CREATE TRIGGER refuse BEFORE INSERT ON spooled "
                       f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END")
            try:
                yield
            finally:
                db.execute("DROP TRIGGER refuse")
        return
    engine = create_async_engine(
        async_url(database_url), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    try:
        async with engine.connect() as connection:
            for statement in PG_TRIGGER:
                await connection.execute(text(statement))
            try:
                yield
            finally:
                for statement in PG_HEAL:
                    await connection.execute(text(statement))
    finally:
        await engine.dispose()


def message(rig: SlackRig, event_id: str) -> str:
    return rig.event_body(
        {"type": "message", "channel": dm_channel(ANNA.id), "channel_type": "im",
         "user": ANNA.id, "text": f"help {MARK}", "ts": "9.1"},
        event_id=event_id,
    )


async def test_an_event_not_stored_is_answered_503_and_stored_when_slack_sends_it_again(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with running(database_url) as rig:
        # The control, which also makes the SQLite spool.
        assert (await rig.post(message(rig, "EvFIRST"), "application/json")).status == 200
        await rig.next_dm(ANNA.id, 0)
        await rig.settle()

        async with refusing(database_url):
            response = await rig.post(message(rig, "EvLOST"), "application/json")
            assert response.status == 503
            assert json.loads(await response.text()) == {"error": "not stored, try again"}
            command = await rig.post(rig.command_body(ANNA.id, "accounts"), FORM)
            assert command.status == 503
        keys = [e.key for e in await load(rig.store, InboxEvent)]
        assert keys == ["slack:event:EvFIRST"]

        # Slack sends the event again (X-Slack-Retry-Num), and it is stored and answered.
        again = await rig.post(message(rig, "EvLOST"), "application/json",
                               headers={"X-Slack-Retry-Num": "1",
                                        "X-Slack-Retry-Reason": "http_error"})
        assert (again.status, await again.text()) == (200, "")
        await rig.next_dm(ANNA.id, 1)
        await rig.settle()
        assert sorted(e.key for e in await load(rig.store, InboxEvent)) == [
            "slack:event:EvFIRST", "slack:event:EvLOST",
        ]
        assert len(rig.fake.dm(ANNA.id)) == 2

    # Said as what it is, once a request, and never with what was being stored (a
    # database's message may quote it).
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("bot.slack")]
    stored = [m for m in lines if "could not be stored" in m]
    assert len(stored) == 2
    assert all(m.startswith("Slack: a request could not be stored (") for m in stored)
    assert all(m.endswith("); answered 503 for Slack to send it again") for m in stored)
    assert not [m for m in lines if "unreadable" in m]
    assert MARK not in caplog.text and REFUSAL not in caplog.text
