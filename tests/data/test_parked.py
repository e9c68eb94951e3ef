"""Parked events listed for an operator and put back to run (data.parked): a fresh round of
attempts, first in its sender's lane, parked again if it fails them, every attempt and
parking still counted, each putting back on record. Or discarded for good: never run, off the
list, still counted, on record with the operator's reason."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from data import inbox, parked, retention
from data.db import Store
from data.models import AuditEvent, InboxEvent, InboxStatus
from tests.helpers import T0, load
from tests.helpers.inbox import claim, finish, park, receive, row_of

MINUTE = timedelta(minutes=1)


async def test_a_parked_event_put_back_runs_again_with_a_fresh_round_of_attempts(
    store: Store,
) -> None:
    await receive(store, "a1", lane="slack:ANNA")
    await receive(store, "a2", lane="slack:ANNA")
    at = await park(store, "a1")
    # Parked: the sender's next event goes on.
    assert await claim(store, at) == ["a2"]
    assert await finish(store, "a2")
    async with store.read() as session:
        [shown] = await parked.listed(session)
    assert (shown.key, shown.attempts, shown.error) == ("a1", inbox.MAX_ATTEMPTS, "boom")

    async with store.transaction() as session:
        assert await parked.retry(session, keys=None, now=T0 + at) == ["a1"]
    row = await row_of(store, "a1")
    assert (row.status, row.retries, row.next_attempt_at) == (
        InboxStatus.PENDING.value, 1, T0 + at
    )
    async with store.read() as session:
        assert await parked.listed(session) == []
    # MAX_ATTEMPTS more: retried after a failure, parked again after the last.
    at = await park(store, "a1", at)
    async with store.read() as session:
        assert [row.key for row in await parked.listed(session)] == ["a1"]
        # Every attempt and both parkings are counted.
        assert await inbox.tally(session) == inbox.Tally(
            done=1, failed=2 * inbox.MAX_ATTEMPTS, parked=2
        )
    # Put back once more, it runs to the end.
    async with store.transaction() as session:
        assert await parked.retry(session, keys=["a1"], now=T0 + at) == ["a1"]
    assert await claim(store, at) == ["a1"]
    assert await finish(store, "a1")
    async with store.read() as session:
        assert await inbox.tally(session) == inbox.Tally(
            done=2, failed=2 * inbox.MAX_ATTEMPTS, parked=2
        )
    records = await load(store, AuditEvent, AuditEvent.action == "inbox.retried")
    assert [(r.actor_id, r.subject, r.details["attempts"], r.details["error"]) for r in records] == [
        (None, "inbox:a1", inbox.MAX_ATTEMPTS, "boom"),
        (None, "inbox:a1", 2 * inbox.MAX_ATTEMPTS, "boom"),
    ]


async def test_a_stopped_process_parks_a_put_back_event_only_after_its_fresh_round(
    store: Store,
) -> None:
    await receive(store, "a1")
    await park(store, "a1")
    async with store.transaction() as session:
        await parked.retry(session, keys=["a1"], now=T0)
    for attempt in range(1, inbox.MAX_ATTEMPTS + 1):
        assert await claim(store, attempt * MINUTE, worker="host:9") == ["a1"]
        # Its process was killed while running it.
        async with store.transaction() as session:
            await inbox.release(session, worker="host:9", stopped=True)
        status = (await row_of(store, "a1")).status
        assert status == (InboxStatus.PARKED if attempt == inbox.MAX_ATTEMPTS
                          else InboxStatus.PENDING).value


async def test_only_the_named_parked_events_are_put_back_first_in_their_lanes(
    store: Store,
) -> None:
    for key, lane in (("a1", "slack:ANNA"), ("b1", "slack:BO"), ("c1", "slack:CILLA")):
        await receive(store, key, lane=lane)
    at = await park(store, "a1")
    at = await park(store, "b1", at)
    assert await claim(store, at, key="c1") == ["c1"]
    assert await finish(store, "c1")
    # Anna writes again while her first event is parked.
    await receive(store, "a2", lane="slack:ANNA")

    async with store.transaction() as session:
        # Not parked (done), unknown, or named twice: left alone, or put back once.
        assert await parked.retry(session, keys=["c1", "zz", "a1", "a1"], now=T0 + at) == ["a1"]
    assert (await row_of(store, "b1")).status == InboxStatus.PARKED.value
    assert (await row_of(store, "c1")).status == InboxStatus.DONE.value
    # Put back, the parked event runs before what its sender said after it.
    assert await claim(store, at) == ["a1"]
    assert await claim(store, at) == []
    assert await finish(store, "a1")
    assert await claim(store, at) == ["a2"]
    assert len(await load(store, AuditEvent, AuditEvent.action == "inbox.retried")) == 1


@pytest.mark.parametrize(("act", "action"), [
    (parked.retry, "inbox.retried"), (parked.discard, "inbox.discarded"),
])
async def test_two_operators_at_once_put_back_or_discard_each_event_once(
    store: Store, act: Callable[..., Awaitable[list[str]]], action: str
) -> None:
    await receive(store, "a1")
    at = await park(store, "a1")

    async def operator() -> list[str]:
        async with store.transaction() as session:
            return await act(session, keys=None, now=T0 + at)

    first, second = await asyncio.gather(operator(), operator())

    assert sorted([*first, *second]) == ["a1"]
    [row] = await load(store, InboxEvent)
    assert row.retries == (1 if act is parked.retry else 0)
    assert len(await load(store, AuditEvent, AuditEvent.action == action)) == 1


async def test_a_discarded_event_never_runs_and_still_counts_as_parked(store: Store) -> None:
    await receive(store, "a1", lane="slack:ANNA")
    await receive(store, "b1", lane="slack:BO")
    at = await park(store, "a1")
    at = await park(store, "b1", at)

    async with store.transaction() as session:
        # Only the named parked event; one not parked is left alone.
        assert await parked.discard(
            session, keys=["a1", "zz"], now=T0 + at, reason="  Client bug\u200b 42\n(fixed) "
        ) == ["a1"]
    row = await row_of(store, "a1")
    assert (row.status, row.done_at, row.error) == (InboxStatus.DISCARDED.value, T0 + at, "boom")
    async with store.read() as session:
        assert [r.key for r in await parked.listed(session)] == ["b1"]
        assert (await inbox.counts(session))[InboxStatus.DISCARDED.value] == 1
        assert await inbox.tally(session) == inbox.Tally(
            done=0, failed=2 * inbox.MAX_ATTEMPTS, parked=2
        )
    # Nothing runs it again, and it can be neither put back nor discarded twice.
    assert await claim(store, at + timedelta(days=1)) == []
    async with store.transaction() as session:
        assert await parked.retry(session, keys=["a1"], now=T0 + at) == []
        assert await parked.discard(session, keys=None, now=T0 + at) == ["b1"]
    records = await load(store, AuditEvent, AuditEvent.action == "inbox.discarded")
    assert [(r.actor_id, r.subject, r.details["attempts"], r.details["error"],
             r.details["reason"]) for r in records] == [
        (None, "inbox:a1", inbox.MAX_ATTEMPTS, "boom", "Client bug 42 (fixed)"),
        (None, "inbox:b1", inbox.MAX_ATTEMPTS, "boom", ""),
    ]
    assert len(await load(store, AuditEvent, AuditEvent.action == "inbox.retried")) == 0


async def test_discarded_events_go_with_the_retention_and_their_parkings_still_count(
    store: Store,
) -> None:
    await receive(store, "a1")
    at = await park(store, "a1")
    async with store.transaction() as session:
        await parked.retry(session, keys=["a1"], now=T0 + at)
    at = await park(store, "a1", at)
    async with store.transaction() as session:
        assert await parked.discard(session, keys=["a1"], now=T0 + at) == ["a1"]
    async with store.read() as session:
        before = await inbox.tally(session)
    assert before == inbox.Tally(done=0, failed=2 * inbox.MAX_ATTEMPTS, parked=2)

    pruned = await retention.prune(store, now=T0 + at + timedelta(days=100), days=90)

    assert pruned.inbox == 1
    assert await load(store, InboxEvent) == []
    async with store.read() as session:
        assert await inbox.tally(session) == before
