"""Group commit for the inbox (hub/intake.py): events arriving together share one transaction,
each caller is answered only once its event is committed, a failed commit answers every caller
in it with the error. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.util import await_only

from data import inbox
from data.db import Store, is_sqlite
from data.models import InboxEvent
from hub.intake import Intake
from tests.helpers import T0, load


def incoming(key: str, lane: str = "slack:U1") -> inbox.Incoming:
    return inbox.Incoming(key=key, platform="slack", lane=lane, payload={"n": key}, now=T0)


def commits(store: Store) -> list[int]:
    """One entry per transaction the intake commits from now on."""
    seen: list[int] = []
    event.listen(store.storing_engine.sync_engine, "commit", lambda _connection: seen.append(1))
    return seen


@pytest.fixture
async def other(store: Store) -> Any:
    """A second engine on the same database: what it sees is committed."""
    second = Store.from_url(store.engine.url.render_as_string(hide_password=False))
    yield second
    await second.close()


async def committed(store: Store, key: str) -> bool:
    async with store.read() as session:
        return await inbox.by_key(session, key) is not None


async def test_events_arriving_together_share_one_commit_each_answered_once_committed(
    store: Store, other: Store
) -> None:
    intake = Intake(store)
    done = commits(store)
    answered: list[str] = []
    # What had been answered when the commit began: it lets the loop run first, so a caller
    # answered before the commit would be counted.
    answered_before_commit: list[list[str]] = []

    def before_commit(_connection: Any) -> None:
        await_only(asyncio.sleep(0))
        answered_before_commit.append(list(answered))

    event.listen(store.storing_engine.sync_engine, "commit", before_commit)
    statements: list[str] = []
    event.listen(
        store.storing_engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _cursor, statement, *_rest: statements.append(statement),
    )

    async def one(key: str) -> tuple[bool, bool]:
        new = await intake.store_one(incoming(key, lane=f"slack:{key}"))
        answered.append(key)
        # The moment it is answered (when a platform would be acknowledged), it is on disk.
        return new, await committed(other, key)

    keys = [f"slack:event:Ev{n}" for n in range(20)]
    assert await asyncio.gather(*(one(key) for key in keys)) == [(True, True)] * 20
    assert len(done) == 1
    assert answered_before_commit == [[]]
    # One INSERT of the twenty rows.
    assert len([s for s in statements if s.startswith("INSERT")]) == 1
    assert sorted(r.key for r in await load(store, InboxEvent)) == sorted(keys)
    assert (intake.stats.transactions, intake.stats.events, intake.stats.largest) == (1, 20, 20)


async def test_events_arriving_while_a_batch_commits_go_into_the_next(store: Store) -> None:
    intake = Intake(store, batch=3)
    done = commits(store)
    answers = await asyncio.gather(*(intake.store_one(incoming(f"k{n}")) for n in range(7)))
    assert answers == [True] * 7
    # 3 + 3 + 1: each batch at most `batch` events, every event in one of them.
    assert len(done) == 3
    # Once idle, the next event starts a transaction of its own at once.
    assert await intake.store_one(incoming("k7"))
    assert len(done) == 4
    assert len(await load(store, InboxEvent)) == 8


async def test_a_key_twice_in_one_batch_or_again_later_is_stored_once(store: Store) -> None:
    intake = Intake(store)
    first = await asyncio.gather(
        intake.store_one(incoming("slack:event:Ev1")),
        intake.store_one(incoming("slack:event:Ev1")),
        intake.store_one(incoming("slack:event:Ev2")),
    )
    assert first == [True, False, True]
    assert not await intake.store_one(incoming("slack:event:Ev1"))
    assert sorted(r.key for r in await load(store, InboxEvent)) == [
        "slack:event:Ev1",
        "slack:event:Ev2",
    ]


@pytest.mark.parametrize("failing", ["statement", "commit"])
async def test_a_failed_write_answers_every_caller_in_its_batch_with_the_error(
    store: Store, other: Store, failing: str
) -> None:
    if failing == "commit" and not is_sqlite(store.engine):
        pytest.skip("on PostgreSQL the intake's statement commits itself (Store.storing)")
    intake = Intake(store)
    failures = [RuntimeError("the disk is full")]

    def fail(*_args: Any) -> None:
        if failures:
            raise failures.pop()

    hook = "before_cursor_execute" if failing == "statement" else "commit"
    event.listen(store.storing_engine.sync_engine, hook, fail)
    answers = await asyncio.gather(
        *(intake.store_one(incoming(f"k{n}", lane=f"slack:U{n}")) for n in range(5)),
        return_exceptions=True,
    )
    assert [str(a) for a in answers] == ["the disk is full"] * 5
    assert all(isinstance(a, RuntimeError) for a in answers)
    # None of them was stored: their platforms, unacknowledged, send them again.
    assert not any([await committed(other, f"k{n}") for n in range(5)])
    # The next batch is stored as usual, the failed events too when they come again.
    assert await asyncio.gather(intake.store_one(incoming("k0")), intake.store_one(incoming("k9")))
    assert sorted(r.key for r in await load(store, InboxEvent)) == ["k0", "k9"]


async def test_on_postgresql_the_intakes_statement_is_committed_when_it_returns(
    store: Store, other: Store
) -> None:
    """One round trip: no BEGIN or COMMIT around it, on a pool the pages and turns do not use."""
    if is_sqlite(store.engine):
        pytest.skip("SQLite stores in an urgent transaction")
    assert store.storing_engine is not store.engine
    async with store.storing() as session:
        assert await inbox.receive_many(session, [incoming("k1")]) == {"k1"}
        # Still inside the block: another connection sees it already.
        assert await committed(other, "k1")
