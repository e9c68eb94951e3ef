"""The inbox's spool on SQLite (data/spool.py): an event is on disk, in a file of its own,
before its platform is acknowledged, whoever holds the database's write lock; a key the spool
or the inbox has is not spooled again; what is spooled comes back in the order it came."""

from __future__ import annotations

import asyncio
import sqlite3

from data import inbox
from data.db import Store
from data.spool import Spool
from tests.helpers import T0
from tests.helpers.kinds import SQLITE_ONLY

# The spool is SQLite's (PostgreSQL's intake never waits for a turn).
pytestmark = SQLITE_ONLY


def incoming(key: str, lane: str = "slack:U1") -> inbox.Incoming:
    return inbox.Incoming(key=key, platform="slack", lane=lane, payload={"n": key}, now=T0)


def spool_of(store: Store) -> Spool:
    assert store.spool is not None
    return store.spool


def write_lock(database: str) -> sqlite3.Connection:
    """The database's write lock, held (as a turn in progress holds it) until closed."""
    db = sqlite3.connect(database, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    return db


async def test_an_event_is_spooled_while_a_turn_holds_the_databases_write_lock(
    store: Store,
) -> None:
    spool = spool_of(store)
    assert store.gate is not None
    held = write_lock(store.gate.database)
    try:
        # Not a wait for the lock: at once, and on disk.
        async with asyncio.timeout(5):
            assert await spool.put([incoming("k1"), incoming("k2", lane="slack:U2")]) == {
                "k1", "k2"
            }
        with sqlite3.connect(spool.path) as other:
            assert other.execute("SELECT key FROM spooled ORDER BY id").fetchall() == [
                ("k1",), ("k2",)
            ]
    finally:
        held.close()


async def test_what_is_spooled_comes_back_in_order_as_it_came(store: Store) -> None:
    spool = spool_of(store)
    events = [incoming(f"k{n}", lane=f"slack:U{n % 2}") for n in range(5)]
    await spool.put(events[:3])
    await spool.put(events[3:])
    taken = await spool.take(4)
    assert [event for _, event in taken] == events[:4]
    await spool.drop([row_id for row_id, _ in taken[:2]])
    assert [event.key for _, event in await spool.take(10)] == ["k2", "k3", "k4"]
    assert await spool.count() == 3


async def test_a_key_the_spool_or_the_inbox_has_is_not_spooled_again(
    store: Store,
) -> None:
    spool = spool_of(store)
    async with store.transaction() as session:
        assert await inbox.receive_many(session, [incoming("in-the-inbox")]) == {"in-the-inbox"}
    assert await spool.put([incoming("k1"), incoming("k1"), incoming("in-the-inbox")]) == {"k1"}
    assert await spool.put([incoming("k1"), incoming("k2")]) == {"k2"}
    assert [event.key for _, event in await spool.take(10)] == ["k1", "k2"]


async def test_a_spool_left_behind_is_read_by_the_next_process(store: Store) -> None:
    await spool_of(store).put([incoming("k1")])
    assert store.gate is not None
    later = Store.from_url(f"sqlite:///{store.gate.database}")
    try:
        assert [event for _, event in await spool_of(later).take(10)] == [incoming("k1")]
    finally:
        await later.close()
