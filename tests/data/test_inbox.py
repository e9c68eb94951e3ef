"""The durable inbox: stored once per delivery id, one sender's rows in order and one at a
time, leases that run out, bounded retries that end parked."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from data import inbox, retention
from data.db import Store
from data.models import InboxEvent, InboxStatus
from tests.helpers import T0, load
from tests.helpers.inbox import SECOND, claim, finish, receive, row_of
from tests.helpers.kinds import POSTGRESQL_ONLY


async def test_a_delivery_id_is_stored_once(store: Store) -> None:
    assert await receive(store, "slack:event:Ev1")
    assert not await receive(store, "slack:event:Ev1")
    assert [r.key for r in await load(store, InboxEvent)] == ["slack:event:Ev1"]


async def test_one_senders_events_run_one_at_a_time_in_order(store: Store) -> None:
    for key in ("a1", "a2", "a3"):
        await receive(store, key, lane="slack:ANNA")
    await receive(store, "b1", lane="slack:BJORN")
    # The first of each lane, side by side; never a sender's second before their first is done.
    assert await claim(store) == ["a1", "b1"]
    assert await claim(store) == []
    assert await claim(store, key="a2") == []
    assert await finish(store, "a1")
    assert await claim(store) == ["a2"]
    assert await finish(store, "a2")
    assert await finish(store, "b1")
    assert await claim(store) == ["a3"]


async def test_a_lease_that_runs_out_is_taken_over(store: Store) -> None:
    await receive(store, "a1")
    assert await claim(store, worker="dead") == ["a1"]
    assert await claim(store, inbox.LEASE - SECOND, worker="w2") == []
    assert await claim(store, inbox.LEASE + SECOND, worker="w2") == ["a1"]
    # The first worker wakes up late: its turn must not count (its transaction rolls back).
    assert not await finish(store, "a1", worker="dead")
    assert await finish(store, "a1", worker="w2")
    assert (await row_of(store, "a1")).status == InboxStatus.DONE.value


async def test_a_renewed_lease_is_kept(store: Store) -> None:
    await receive(store, "a1")
    await claim(store)
    row = await row_of(store, "a1")
    assert row.id is not None
    async with store.transaction() as session:
        await inbox.renew(session, ids=[row.id], worker="w1", now=T0 + inbox.LEASE - SECOND)
    assert await claim(store, inbox.LEASE + SECOND, worker="w2") == []


async def test_a_failing_event_is_retried_then_parked_and_the_sender_goes_on(store: Store) -> None:
    await receive(store, "poison")
    await receive(store, "later")
    at = timedelta(0)
    for attempt in range(1, inbox.MAX_ATTEMPTS + 1):
        assert await claim(store, at) == ["poison"]
        row = await row_of(store, "poison")
        assert row.id is not None and row.attempts == attempt
        async with store.transaction() as session:
            parked = await inbox.fail(
                session, row_id=row.id, worker="w1", now=T0 + at, error="KeyError: 'x'"
            )
        assert parked == (attempt == inbox.MAX_ATTEMPTS)
        if not parked:
            # Backing off: neither it nor the sender's later event runs meanwhile.
            assert await claim(store, at) == []
        at += timedelta(minutes=1)
    row = await row_of(store, "poison")
    assert (row.status, row.error) == (InboxStatus.PARKED.value, "KeyError: 'x'")
    assert await claim(store, at) == ["later"]


async def test_released_rows_run_again_without_losing_an_attempt(store: Store) -> None:
    await receive(store, "a1")
    await claim(store)
    async with store.transaction() as session:
        assert await inbox.release(session, worker="w1") == 1
    row = await row_of(store, "a1")
    assert (row.status, row.attempts, row.claimed_by) == (InboxStatus.PENDING.value, 0, None)
    assert await claim(store, worker="w2") == ["a1"]


async def test_rows_of_a_stopped_process_count_the_attempt_and_end_parked(store: Store) -> None:
    await receive(store, "crasher")
    for attempt in range(1, inbox.MAX_ATTEMPTS + 1):
        assert await claim(store, worker=f"host:{attempt}") == ["crasher"]
        async with store.transaction() as session:
            await inbox.release(session, worker=f"host:{attempt}", stopped=True)
        row = await row_of(store, "crasher")
        assert row.attempts == attempt
    assert row.status == InboxStatus.PARKED.value
    assert await claim(store) == []


async def test_the_tally_counts_what_every_worker_did(store: Store) -> None:
    for key, lane in (("a1", "slack:A"), ("b1", "slack:B"), ("c1", "slack:C"), ("d1", "slack:D")):
        await receive(store, key, lane=lane)
    assert await claim(store, worker="host:1", key="a1") == ["a1"]
    assert await finish(store, "a1", worker="host:1")
    # Another process's worker: one failure then a retry that finishes.
    assert await claim(store, worker="host:2", key="b1") == ["b1"]
    b1 = await row_of(store, "b1")
    assert b1.id is not None
    async with store.transaction() as session:
        await inbox.fail(session, row_id=b1.id, worker="host:2", now=T0, error="boom")
    assert await claim(store, timedelta(minutes=1), worker="host:2", key="b1") == ["b1"]
    assert await finish(store, "b1", worker="host:2")
    # One parked after every attempt; one running now (its attempt is not a failure yet).
    at = timedelta(0)
    for _ in range(inbox.MAX_ATTEMPTS):
        assert await claim(store, at, worker="host:3", key="c1") == ["c1"]
        c1 = await row_of(store, "c1")
        assert c1.id is not None
        async with store.transaction() as session:
            await inbox.fail(session, row_id=c1.id, worker="host:3", now=T0 + at, error="x")
        at += timedelta(minutes=1)
    assert await claim(store, worker="host:4", key="d1") == ["d1"]
    async with store.read() as session:
        tally = await inbox.tally(session)
    assert tally == inbox.Tally(done=2, failed=1 + inbox.MAX_ATTEMPTS, parked=1)
    # The done and parked rows deleted as old (data.retention) are counted still: a total
    # never falls.
    assert (await retention.prune(store, now=T0 + timedelta(days=100), days=90)).inbox == 3
    assert [row.key for row in await load(store, InboxEvent)] == ["d1"]
    async with store.read() as session:
        assert await inbox.tally(session) == tally


async def crash_every_time(store: Store, key: str) -> timedelta:
    """Run `key` until it has used up its attempts, each time in a process (on another
    machine) that stops while running it and leaves its lease to run out; the time after."""
    at = timedelta(0)
    for attempt in range(1, inbox.MAX_ATTEMPTS + 1):
        assert await claim(store, at, worker=f"elsewhere:{attempt}") == [key]
        at += inbox.LEASE + SECOND
    return at


async def test_a_row_whose_lease_ran_out_on_its_last_attempt_is_parked_not_claimed(
    store: Store,
) -> None:
    await receive(store, "crasher")
    await receive(store, "later")
    at = await crash_every_time(store, "crasher")
    async with store.read() as session:
        assert await inbox.waiting(session, now=T0 + at) == inbox.Waiting(
            to_claim=False, to_park=True
        )
    assert await claim(store, at) == []
    async with store.transaction() as session:
        [row] = await inbox.park_stopped(session, now=T0 + at)
    assert (row.key, row.attempts) == ("crasher", inbox.MAX_ATTEMPTS)
    row = await row_of(store, "crasher")
    assert (row.status, row.claimed_by, row.claimed_until, row.error) == (
        InboxStatus.PARKED.value, None, None, "its process stopped while running it, every time"
    )
    # Parked once; the sender's later event goes on.
    async with store.transaction() as session:
        assert await inbox.park_stopped(session, now=T0 + at) == []
        assert await inbox.waiting(session, now=T0 + at) == inbox.Waiting(
            to_claim=True, to_park=False
        )
    assert await claim(store, at) == ["later"]


async def test_a_row_whose_lease_ran_out_with_attempts_left_is_claimed_not_parked(
    store: Store,
) -> None:
    await receive(store, "a1")
    assert await claim(store, worker="elsewhere:1") == ["a1"]
    # Not yet run out; then run out, with attempts left.
    async with store.read() as session:
        assert await inbox.waiting(session, now=T0 + SECOND) == inbox.Waiting(False, False)
        assert await inbox.waiting(session, now=T0 + inbox.LEASE + SECOND) == inbox.Waiting(
            to_claim=True, to_park=False
        )
    async with store.transaction() as session:
        assert await inbox.park_stopped(session, now=T0 + inbox.LEASE + SECOND) == []
    assert await claim(store, inbox.LEASE + SECOND) == ["a1"]
    assert (await row_of(store, "a1")).attempts == 2


@POSTGRESQL_ONLY
async def test_two_processes_parking_at_once_park_each_row_once(store: Store) -> None:
    """The second skips the row the first is parking (it does not wait for it and then park
    it again): only one of them tells its sender."""
    await receive(store, "crasher")
    now = T0 + await crash_every_time(store, "crasher")
    async with store.transaction() as first:
        assert [row.key for row in await inbox.park_stopped(first, now=now)] == ["crasher"]
        # The first has not committed yet. A timeout, not a pause: waiting for the first's
        # lock would never end, as the first commits only after this.
        async with asyncio.timeout(10), store.transaction() as second:
            assert await inbox.park_stopped(second, now=now) == []
    async with store.transaction() as third:
        assert await inbox.park_stopped(third, now=now) == []
    assert (await row_of(store, "crasher")).status == InboxStatus.PARKED.value
