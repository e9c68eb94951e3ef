"""Closing: the team, the manager, and for university-wide accounts the director; the
registry and comms offices are told; a second close changes nothing."""

from __future__ import annotations

import pytest

from data import archive, closure, register, requests
from data.db import Store
from data.errors import Invalid, MovedOn, NotAllowed
from data.models import Account, ArchiveRecord, AuditEvent, ClosureRecord, Decision, Outbox
from tests.helpers import T0, Cast, load, request_input
from tests.helpers.accounts import id_of
from tests.helpers.accounts import register as make_account


async def close(store: Store, account_id: int, who: int) -> ClosureRecord:
    async with store.transaction() as session:
        return await closure.close_account(
            session, account_id=account_id, actor_id=who, reason=" No longer used ",
            final_archive_location=" S:/Comms/final ", now=T0,
        )


async def test_a_team_member_closes_and_the_offices_are_told(store: Store, cast: Cast) -> None:
    acc = id_of(await make_account(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager, now=T0
    ))
    async with store.transaction() as session:
        await archive.snooze_archive(session, account_id=acc, actor_id=cast.colleague, now=T0)
    record = await close(store, acc, cast.colleague)
    assert (record.closed_by, record.reason, record.final_archive_location, record.closed_at) == (
        cast.colleague, "No longer used", "S:/Comms/final", T0
    )
    [account] = await load(store, Account)
    assert (account.status, account.closed_at) == ("closed", T0)
    told = await load(store, Outbox, Outbox.kind == "account_closed")
    assert sorted((r.place or "", r.recipient_id or 0) for r in told) == sorted(
        [("comms", 0), ("registry", 0), ("", cast.requester), ("", cast.manager)]
    )
    assert all(r.params == {"account_id": acc} for r in told)
    # The owed archiving is settled by the final archive.
    [owed] = await load(store, ArchiveRecord)
    assert (owed.done_at, owed.location) == (T0, "S:/Comms/final")
    [event] = await load(store, AuditEvent, AuditEvent.action == "account.closed")
    assert event.actor_id == cast.colleague
    async with store.transaction() as session:
        assert await closure.closure_of(session, acc) == record
        assert (await register.account_by_number(session, "some-2027-0001")) is not None
    with pytest.raises(MovedOn) as again:
        await close(store, acc, cast.requester)
    assert again.value.code == "account_closed"


async def test_the_manager_may_close(store: Store, cast: Cast) -> None:
    acc = id_of(await make_account(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager, now=T0
    ))
    await close(store, acc, cast.manager)
    assert len(await load(store, ClosureRecord)) == 1


async def test_the_director_closes_university_wide_accounts_only(
    store: Store, cast: Cast
) -> None:
    unit = id_of(await make_account(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager, now=T0
    ))
    with pytest.raises(NotAllowed) as refused:
        await close(store, unit, cast.director)
    assert refused.value.code == "may_not_close"
    with pytest.raises(NotAllowed):
        await close(store, unit, cast.outsider)
    # A university-wide account: approved by the manager, then the director.
    async with store.transaction() as session:
        request = await requests.submit(
            session, requester_id=cast.requester, now=T0,
            given=request_input(manager_id=cast.manager, team_ids=(cast.colleague,),
                                scope="university_wide", handle="ki_wide"),
        )
        assert request.id is not None
        await requests.decide(session, request_id=request.id, actor_id=cast.manager,
                              decision=Decision.APPROVE, now=T0)
        outcome = await requests.decide(session, request_id=request.id, actor_id=cast.director,
                                        decision=Decision.APPROVE, now=T0)
    assert outcome.account is not None
    await close(store, id_of(outcome.account), cast.director)
    assert [r.account_id for r in await load(store, ClosureRecord)] == [id_of(outcome.account)]


async def test_reason_and_location_are_required(store: Store, cast: Cast) -> None:
    acc = id_of(await make_account(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager, now=T0
    ))
    async with store.transaction() as session:
        with pytest.raises(Invalid) as no_reason:
            await closure.close_account(
                session, account_id=acc, actor_id=cast.manager, reason="",
                final_archive_location="S:/x", now=T0,
            )
        with pytest.raises(Invalid) as no_place:
            await closure.close_account(
                session, account_id=acc, actor_id=cast.manager, reason="Gone",
                final_archive_location=" ", now=T0,
            )
    assert no_reason.value.params["field"] == "reason"
    assert no_place.value.params["field"] == "location"
    assert await load(store, ClosureRecord) == []
