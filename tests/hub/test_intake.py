"""Group commit for the inbox (hub/intake.py): events arriving together share one transaction,
each caller is answered only once its event is committed, a failed commit answers every caller
in it with the error. On SQLite and PostgreSQL; on SQLite the events are committed to the
spool (data/spool.py) and moved into the inbox after (tests/data/test_spool.py)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.util import await_only

from data import inbox
from data.db import Store
from data.models import InboxEvent
from hub.intake import Intake
from tests.helpers import T0, load
from tests.helpers.kinds import POSTGRESQL_ONLY, SQLITE_ONLY


def incoming(key: str, lane: str = "slack:U1") -> inbox.Incoming:
    return inbox.Incoming(key=key, platform="slack", lane=lane, payload={"n": key}, now=T0)


def on_spool_statement(store: Store, listener: Callable[[str], None]) -> None:
    """`listener` is given each statement the spool's connection runs from now on."""
    spool = store.spool
    assert spool is not None
    listeners: list[Callable[[str], None]] = spool.__dict__.setdefault("_listeners", [])
    if not listeners:
        spool._connection().set_trace_callback(lambda s: [each(s) for each in listeners])
    listeners.append(listener)


def on_commit(store: Store, callback: Callable[[], None]) -> None:
    """`callback` runs as each transaction of the intake commits: the spool's on SQLite, else
    the storing engine's."""
    if store.spool is not None:
        # The intake's transactions only: those that spool (INSERT), not the moves' deletes.
        inserting = [False]

        def traced(statement: str) -> None:
            if statement.startswith("INSERT"):
                inserting[0] = True
            elif statement in ("COMMIT", "ROLLBACK"):
                if statement == "COMMIT" and inserting[0]:
                    callback()
                inserting[0] = False

        on_spool_statement(store, traced)
    else:
        event.listen(store.storing_engine.sync_engine, "commit", lambda _connection: callback())


def commits(store: Store) -> list[int]:
    """One entry per transaction the intake commits from now on."""
    seen: list[int] = []
    on_commit(store, lambda: seen.append(1))
    return seen


def inserts(store: Store) -> list[str]:
    """The INSERT statements the intake runs from now on."""
    seen: list[str] = []

    def insert(statement: str) -> None:
        if statement.startswith("INSERT"):
            seen.append(statement)

    if store.spool is not None:
        on_spool_statement(store, insert)
    else:
        event.listen(
            store.storing_engine.sync_engine,
            "before_cursor_execute",
            lambda _c, _cursor, statement, *_rest: insert(statement),
        )
    return seen


@pytest.fixture
async def other(store: Store) -> Any:
    """A second engine on the same database: what it sees is committed."""
    second = Store.from_url(store.engine.url.render_as_string(hide_password=False))
    yield second
    await second.close()


async def committed(store: Store, key: str) -> bool:
    """`key` is on disk, as another process sees it: in the spool, or in the inbox (looked for
    in that order: a move commits to the inbox before it leaves the spool)."""
    if store.spool is not None:
        with sqlite3.connect(store.spool.path) as db:
            if db.execute("SELECT 1 FROM spooled WHERE key = ?", (key,)).fetchone():
                return True
    async with store.read() as session:
        return await inbox.by_key(session, key) is not None


async def stored(store: Store, intake: Intake) -> list[str]:
    """The inbox's keys, sorted, once what is spooled has been moved."""
    await intake.settle()
    return sorted(r.key for r in await load(store, InboxEvent))


async def test_events_arriving_together_share_one_commit_each_answered_once_committed(
    store: Store, other: Store
) -> None:
    intake = Intake(store)
    done = commits(store)
    answered: list[str] = []
    # What had been answered when the commit began: it lets the loop run first, so a caller
    # answered before the commit would be counted.
    answered_before_commit: list[list[str]] = []

    def before_commit() -> None:
        if store.spool is None:
            await_only(asyncio.sleep(0))
        # (On SQLite the spool commits in a thread of its own while the loop runs on.)
        answered_before_commit.append(list(answered))

    on_commit(store, before_commit)
    statements = inserts(store)

    async def one(key: str) -> tuple[bool, bool]:
        new = await intake.store_one(incoming(key, lane=f"slack:{key}"))
        answered.append(key)
        # The moment it is answered (when a platform would be acknowledged), it is on disk.
        return new, await committed(other, key)

    keys = [f"slack:event:Ev{n}" for n in range(20)]
    assert await asyncio.gather(*(one(key) for key in keys)) == [(True, True)] * 20
    assert len(done) == 1
    assert answered_before_commit == [[]]
    # One INSERT of the twenty rows (on SQLite's spool, one statement run for each).
    assert len(statements) == (20 if store.spool is not None else 1)
    assert await stored(store, intake) == sorted(keys)
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
    assert len(await stored(store, intake)) == 8


async def test_a_key_twice_in_one_batch_or_again_later_is_stored_once(store: Store) -> None:
    intake = Intake(store)
    first = await asyncio.gather(
        intake.store_one(incoming("slack:event:Ev1")),
        intake.store_one(incoming("slack:event:Ev1")),
        intake.store_one(incoming("slack:event:Ev2")),
    )
    assert first == [True, False, True]
    assert not await intake.store_one(incoming("slack:event:Ev1"))
    assert await stored(store, intake) == ["slack:event:Ev1", "slack:event:Ev2"]
    # Again once in the inbox (on SQLite: moved out of the spool).
    assert not await intake.store_one(incoming("slack:event:Ev2"))
    assert await stored(store, intake) == ["slack:event:Ev1", "slack:event:Ev2"]


async def test_a_failed_write_answers_every_caller_in_its_batch_with_the_error(
    store: Store, other: Store
) -> None:
    intake = Intake(store)
    errors: tuple[type[Exception], ...] = (RuntimeError,)
    if store.spool is not None:
        # The spool's INSERT fails, as a full disk would make it.
        await store.spool.count()
        errors = (sqlite3.Error,)
        with sqlite3.connect(store.spool.path) as db:
            db.execute(
                "CREATE TRIGGER full BEFORE INSERT ON spooled "
                "BEGIN SELECT RAISE(ABORT, 'the disk is full'); END"
            )
    else:
        failures = [RuntimeError("the disk is full")]

        def fail(*_args: Any) -> None:
            if failures:
                raise failures.pop()

        # (On PostgreSQL the intake's statement commits itself: Store.storing.)
        event.listen(store.storing_engine.sync_engine, "before_cursor_execute", fail)
    answers = await asyncio.gather(
        *(intake.store_one(incoming(f"k{n}", lane=f"slack:U{n}")) for n in range(5)),
        return_exceptions=True,
    )
    assert [str(a) for a in answers] == ["the disk is full"] * 5
    assert all(isinstance(a, errors) for a in answers)
    # None of them was stored: their platforms, unacknowledged, send them again.
    assert not any([await committed(other, f"k{n}") for n in range(5)])
    if store.spool is not None:
        with sqlite3.connect(store.spool.path) as db:
            db.execute("DROP TRIGGER full")
    # The next batch is stored as usual, the failed events too when they come again.
    assert await asyncio.gather(intake.store_one(incoming("k0")), intake.store_one(incoming("k9")))
    assert await stored(store, intake) == ["k0", "k9"]


@POSTGRESQL_ONLY
async def test_on_postgresql_the_intakes_statement_is_committed_when_it_returns(
    store: Store, other: Store
) -> None:
    """One round trip: no BEGIN or COMMIT around it, on a pool the pages and turns do not use."""
    assert store.storing_engine is not store.engine
    async with store.storing() as session:
        assert await inbox.receive_many(session, [incoming("k1")]) == {"k1"}
        # Still inside the block: another connection sees it already.
        assert await committed(other, "k1")


# --- the spool (SQLite) -------------------------------------------------------------------


def write_lock(database: str) -> sqlite3.Connection:
    """The database's write lock, held (as a turn in progress holds it) until closed."""
    db = sqlite3.connect(database, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    return db


def spooled_database(store: Store) -> str:
    """The SQLite database a spooling store writes to."""
    assert store.spool is not None and store.gate is not None
    return store.gate.database


@SQLITE_ONLY
async def test_on_sqlite_an_event_is_acknowledged_while_a_turn_holds_the_write_lock(
    store: Store, other: Store
) -> None:
    """The acknowledgement waited for the turn in progress (bench/README.md): now it waits for
    the spool alone, and the event reaches the inbox once the turn is done."""
    database = spooled_database(store)
    intake = Intake(store)
    moved: list[set[str]] = []
    intake.moved = moved.append
    held = write_lock(database)
    try:
        async with asyncio.timeout(5):
            assert await intake.store_one(incoming("k1"))
        assert await committed(other, "k1")
        assert moved == []
    finally:
        held.close()
    assert await stored(store, intake) == ["k1"]
    assert moved == [{"k1"}]
    assert store.spool is not None and await store.spool.count() == 0


@SQLITE_ONLY
async def test_what_a_stopped_process_spooled_is_moved_once_in_order_at_the_next_start(
    store: Store,
) -> None:
    assert store.spool is not None
    events = [incoming(f"k{n}") for n in range(3)]
    await store.spool.put(events)
    # k0 had reached the inbox, and the process stopped before it left the spool.
    async with store.transaction() as session:
        await inbox.receive_many(session, events[:1])
    intake = Intake(store)
    moved: list[set[str]] = []
    intake.moved = moved.append
    await intake.settle()
    rows = sorted(await load(store, InboxEvent), key=lambda row: row.id or 0)
    assert [row.key for row in rows] == ["k0", "k1", "k2"]
    assert moved == [{"k1", "k2"}]
    assert await store.spool.count() == 0


@SQLITE_ONLY
async def test_a_move_that_fails_is_tried_again_and_settling_says_why(store: Store) -> None:
    database = spooled_database(store)
    impatient = Store.from_url(f"sqlite:///{database}", busy_timeout=0.2)
    try:
        intake = Intake(impatient, move_retry=0.05)
        arrived = asyncio.Event()
        intake.moved = lambda _keys: arrived.set()
        held = write_lock(database)
        try:
            assert await intake.store_one(incoming("k1"))
            with pytest.raises(Exception, match="database is locked"):
                await intake.settle()
        finally:
            held.close()
        # Tried again on its own, without another event or a settle.
        async with asyncio.timeout(5):
            await arrived.wait()
        assert await stored(impatient, intake) == ["k1"]
        await intake.close()
    finally:
        await impatient.close()


@SQLITE_ONLY
async def test_settling_waits_for_what_was_spooled_before_it_not_for_a_stream_after(
    store: Store,
) -> None:
    """A Teams invoke run at once settles first (hub/turns.py): it must not wait for as long
    as other people's events keep arriving."""
    intake = Intake(store)
    assert await intake.store_one(incoming("before"))
    settled, flowing = asyncio.Event(), asyncio.Event()

    async def stream() -> int:
        n = 0
        while not settled.is_set():
            n += 1
            await intake.store_one(incoming(f"after{n}", lane=f"slack:U{n}"))
            if n == 3:
                flowing.set()
        return n

    streaming = asyncio.create_task(stream())
    # Events are arriving all along.
    await flowing.wait()
    async with asyncio.timeout(10):
        await intake.settle()
    settled.set()
    assert await streaming > 0
    assert await committed(store, "before")
    async with store.read() as session:
        assert await inbox.by_key(session, "before") is not None
    await intake.close()
