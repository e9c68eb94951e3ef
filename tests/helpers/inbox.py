"""Inbox rows driven as the workers drive them (data.inbox), for the data tests."""

from __future__ import annotations

from datetime import timedelta

from data import inbox
from data.db import Store
from data.models import InboxEvent
from tests.helpers import T0, load

SECOND = timedelta(seconds=1)


async def receive(store: Store, key: str, lane: str = "slack:U1") -> bool:
    async with store.transaction() as session:
        return await inbox.receive(
            session, key=key, platform="slack", lane=lane, payload={"n": key}, now=T0
        )


async def claim(
    store: Store, at: timedelta = timedelta(0), worker: str = "w1", limit: int = 10, key: str | None = None
) -> list[str]:
    async with store.transaction() as session:
        rows = await inbox.claim(session, now=T0 + at, worker=worker, limit=limit, key=key)
        return [row.key for row in rows]


async def row_of(store: Store, key: str) -> InboxEvent:
    [row] = await load(store, InboxEvent, InboxEvent.key == key)
    return row


async def finish(store: Store, key: str, worker: str = "w1") -> bool:
    row = await row_of(store, key)
    assert row.id is not None
    async with store.transaction() as session:
        return await inbox.finish(session, row_id=row.id, worker=worker, now=T0)


async def fail(
    store: Store, key: str, at: timedelta = timedelta(0), worker: str = "w1", error: str = "boom"
) -> bool:
    """The turn of `key` failed at T0 + `at`; True when the event was parked."""
    row = await row_of(store, key)
    assert row.id is not None
    async with store.transaction() as session:
        return await inbox.fail(session, row_id=row.id, worker=worker, now=T0 + at, error=error)


async def park(store: Store, key: str, start: timedelta = timedelta(0), error: str = "boom") -> timedelta:
    """Run `key` until it is parked, each attempt failing; the time after the last."""
    at = start
    for attempt in range(1, inbox.MAX_ATTEMPTS + 1):
        assert await claim(store, at, key=key) == [key]
        assert await fail(store, key, at, error=error) is (attempt == inbox.MAX_ATTEMPTS)
        at += timedelta(minutes=1)
    return at
