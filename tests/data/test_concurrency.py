"""Two transactions at once, on both databases.

PostgreSQL runs them truly side by side: each first reads what a click handler would read, then
both go on together. SQLite takes its write lock at BEGIN (data.db), so there the second simply
queues behind the first; the outcome must be the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import TypeVar

import pytest
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from data import absence, archive, monitoring, outbox, requests
from data.db import Store, is_sqlite
from data.errors import Invalid, MovedOn
from data.models import (
    Absence,
    Account,
    ApprovalDecision,
    ArchiveRecord,
    Decision,
    MonitoringCheckIn,
    Outbox,
)
from data.workdays import Calendar
from tests.helpers import T0, Cast, count, load, submit
from tests.helpers.accounts import register

R = TypeVar("R")


async def side_by_side(
    store: Store, *work: Callable[[AsyncSession], Awaitable[R]], read_first: int | None = None
) -> list[R | BaseException]:
    """Run each piece of work in a transaction of its own, all at once."""
    ready = asyncio.Barrier(len(work))

    async def one(job: Callable[[AsyncSession], Awaitable[R]]) -> R:
        async with store.transaction() as session:
            if read_first is not None and not is_sqlite(store.engine):
                # Both transactions have seen the request as pending before either changes it.
                await requests.get_request(session, read_first)
            await ready.wait()
            return await job(session)

    return await asyncio.gather(*(one(job) for job in work), return_exceptions=True)


async def test_concurrent_registrations_get_distinct_numbers(store: Store, cast: Cast) -> None:
    ids = []
    for handle in ("ki_one", "ki_two", "ki_three"):
        request = await submit(store, cast, handle=handle)
        assert request.id is not None
        ids.append(request.id)

    def approve(request_id: int) -> Callable[[AsyncSession], Awaitable[requests.Outcome]]:
        async def job(session: AsyncSession) -> requests.Outcome:
            return await requests.decide(
                session,
                request_id=request_id,
                actor_id=cast.manager,
                decision=Decision.APPROVE,
                now=T0,
            )

        return job

    results = await side_by_side(store, *(approve(i) for i in ids), read_first=ids[0])
    numbers = []
    for result in results:
        assert isinstance(result, requests.Outcome), result
        assert result.account is not None
        numbers.append(result.account.number)
    assert sorted(numbers) == ["SOME-2027-0001", "SOME-2027-0002", "SOME-2027-0003"]
    assert sorted(a.number for a in await load(store, Account)) == sorted(numbers)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (Decision.APPROVE, Decision.APPROVE),
        (Decision.APPROVE, Decision.REJECT),
        (Decision.CHANGES, Decision.APPROVE),
    ],
)
async def test_two_clicks_on_one_card_decide_once(
    store: Store, cast: Cast, first: Decision, second: Decision
) -> None:
    request = await submit(store, cast)
    assert request.id is not None
    request_id = request.id

    def click(decision: Decision) -> Callable[[AsyncSession], Awaitable[requests.Outcome]]:
        async def job(session: AsyncSession) -> requests.Outcome:
            return await requests.decide(
                session,
                request_id=request_id,
                actor_id=cast.manager,
                decision=decision,
                now=T0,
                reason="Because.",
                expect_round=1,
                expect_stage="manager",
            )

        return job

    results = await side_by_side(store, click(first), click(second), read_first=request_id)
    done = [r for r in results if isinstance(r, requests.Outcome)]
    refused = [r for r in results if isinstance(r, MovedOn)]
    assert (len(done), len(refused)) == (1, 1), results
    winner = first if isinstance(results[0], requests.Outcome) else second
    [decision] = await load(store, ApprovalDecision)
    assert (decision.decision, decision.round, decision.stage) == (winner.value, 1, "manager")
    approved = winner is Decision.APPROVE
    assert await count(store, Account) == (1 if approved else 0)
    assert (done[0].account is not None) == approved
    # Exactly one notice to the requester, one card retired.
    assert await count(store, Outbox, Outbox.kind == "request_decided") == 1
    assert await count(store, Outbox, col(Outbox.key).endswith(":decided")) == 1


async def test_two_senders_never_claim_the_same_message(store: Store, cast: Cast) -> None:
    async with store.transaction() as session:
        for n in range(4):
            await outbox.enqueue(
                session, key=f"note:{n}", kind="note", now=T0, recipient_id=cast.colleague
            )

    async def claim(session: AsyncSession) -> list[int]:
        return [row.id for row in await outbox.claim_due(session, now=T0, limit=2) if row.id]

    first, second = await side_by_side(store, claim, claim)
    assert isinstance(first, list) and isinstance(second, list)
    assert set(first).isdisjoint(second)
    assert sorted(first + second) == [r.id for r in await load(store, Outbox)]


async def test_two_clicks_on_archived_record_one_archiving(store: Store, cast: Cast) -> None:
    """Both responsible persons click their copy of the archiving reminder at once: one
    archiving is recorded, the other click is told it is done (PostgreSQL: the account's row
    lock puts the second behind the first)."""
    account = await register(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager, now=T0
    )
    assert account.id is not None
    account_id = account.id

    def click(person_id: int) -> Callable[[AsyncSession], Awaitable[ArchiveRecord]]:
        async def job(session: AsyncSession) -> ArchiveRecord:
            return await archive.record_archive(
                session, account_id=account_id, actor_id=person_id, location=f"S:/{person_id}",
                now=T0 + timedelta(days=172), after=0,
            )

        return job

    results = await side_by_side(store, click(cast.requester), click(cast.colleague))
    done = [r for r in results if isinstance(r, ArchiveRecord)]
    refused = [r for r in results if isinstance(r, MovedOn)]
    assert (len(done), len(refused)) == (1, 1), results
    assert refused[0].params["done_by"] == done[0].done_by
    assert len(await load(store, ArchiveRecord)) == 1


async def test_two_overlapping_absences_at_once_record_one(store: Store, cast: Cast) -> None:
    """The same person's /away from two chats at once (PostgreSQL: the person's row lock puts
    the second behind the first, which then sees the first's absence)."""

    def away(first: date, last: date) -> Callable[[AsyncSession], Awaitable[Absence]]:
        async def job(session: AsyncSession) -> Absence:
            return await absence.record_absence(
                session, person_id=cast.colleague, actor_id=cast.colleague, first_day=first,
                last_day=last, now=T0,
            )

        return job

    july = away(date(2027, 7, 1), date(2027, 7, 31))
    results = await side_by_side(store, july, away(date(2027, 7, 20), date(2027, 8, 6)))
    refused = [r for r in results if isinstance(r, Invalid)]
    assert len(refused) == 1 and refused[0].code == "absence_overlaps", results
    assert len(await load(store, Absence)) == 1


async def test_monitored_and_i_cannot_at_once_leave_the_day_monitored(
    store: Store, cast: Cast
) -> None:
    """The same person clicks *Monitored today* in one chat and *I can't today* in another at
    once (two platforms: two lanes, truly side by side on PostgreSQL): whichever comes second,
    the day ends monitored (the account's row lock puts one behind the other). Over several
    days, as the order between the two is the database's to choose."""
    account = await register(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager, now=T0
    )
    assert account.id is not None
    account_id = account.id
    days = [T0.date() + timedelta(days=n) for n in range(8)]

    def click(kind: str, day: date) -> Callable[[AsyncSession], Awaitable[object]]:
        async def job(session: AsyncSession) -> object:
            return await monitoring.check_in(
                session, account_id=account_id, person_id=cast.requester, day=day, kind=kind,
                now=T0 + timedelta(days=10), calendar=Calendar(),
            )

        return job

    for n, day in enumerate(days):
        both = [click("monitored", day), click("cannot", day)]
        # Each first on alternate days.
        await side_by_side(store, *(both if n % 2 else both[::-1]))
    rows = await load(store, MonitoringCheckIn)
    assert [(r.day, r.kind) for r in rows] == [(day, "monitored") for day in days]
