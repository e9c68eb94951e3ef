"""Registration: numbering, the team and the notices an approved request brings."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from data import register
from data.db import Store
from data.models import Account, AccountMember, AccountStatus, AuditEvent, Outbox
from tests.helpers import T0, Cast, decide, load, submit


async def approve_new(store: Store, cast: Cast, now: datetime = T0, **overrides: Any) -> Account:
    request = await submit(store, cast, now, **overrides)
    assert request.id is not None
    outcome = await decide(store, request.id, cast.manager, now=now)
    assert outcome.account is not None
    return outcome.account


async def test_an_approved_request_becomes_an_account(store: Store, cast: Cast) -> None:
    account = await approve_new(
        store, cast, team_ids=(cast.second_colleague, cast.colleague), handle="ki_brain"
    )
    assert re.fullmatch(r"SOME-\d{4}-\d{4}", account.number)
    assert account.number == "SOME-2027-0001"
    [stored] = await load(store, Account)
    assert stored.id == account.id
    assert (stored.handle, stored.platform, stored.status) == ("ki_brain", "instagram", "active")
    assert (stored.manager_id, stored.registered_at, stored.closed_at) == (cast.manager, T0, None)
    assert stored.unit == "Department of Neuroscience"

    assert account.id is not None
    team = [cast.requester, cast.second_colleague, cast.colleague]
    async with store.transaction() as session:
        assert await register.team_of(session, account.id) == team
    members = await load(store, AccountMember)
    assert sorted((m.position, m.person_id) for m in members) == list(enumerate(team))

    welcome = await load(store, Outbox, Outbox.kind == "welcome")
    assert [(w.key, w.recipient_id) for w in welcome] == [
        (f"welcome:{account.id}:{person}", person) for person in team
    ]
    assert all(w.params == {"account_id": account.id} for w in welcome)
    [comms] = await load(store, Outbox, Outbox.kind == "account_registered")
    assert (comms.place, comms.recipient_id) == ("comms", None)
    assert comms.key == f"account_registered:{account.id}:comms"

    [event] = await load(store, AuditEvent, AuditEvent.action == "account.registered")
    assert event.subject == f"account:{account.id}"
    assert event.details["number"] == account.number
    assert event.details["team"] == team


async def test_numbers_count_up_within_a_year(store: Store, cast: Cast) -> None:
    numbers = [(await approve_new(store, cast, handle=f"ki_unit_{n}")).number for n in range(3)]
    assert numbers == ["SOME-2027-0001", "SOME-2027-0002", "SOME-2027-0003"]


async def test_the_year_is_stockholm_s_and_each_year_starts_at_one(
    store: Store, cast: Cast
) -> None:
    # 23:30 UTC on New Year's Eve is already 00:30 on New Year's Day in Stockholm.
    new_year = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    before = datetime(2026, 12, 31, 22, 30, tzinfo=UTC)
    assert (await approve_new(store, cast, before, handle="ki_a")).number == "SOME-2026-0001"
    assert (await approve_new(store, cast, new_year, handle="ki_b")).number == "SOME-2027-0001"
    assert (await approve_new(store, cast, new_year, handle="ki_c")).number == "SOME-2027-0002"
    assert (await approve_new(store, cast, before, handle="ki_d")).number == "SOME-2026-0002"


async def test_accounts_of_a_person(store: Store, cast: Cast) -> None:
    first = await approve_new(store, cast, handle="ki_first")
    second = await approve_new(store, cast, handle="ki_second", team_ids=(cast.second_colleague,))
    async with store.transaction() as session:
        assert [a.id for a in await register.accounts(session)] == [first.id, second.id]
        mine = [a.id for a in await register.accounts_of(session, cast.requester)]
        assert mine == [first.id, second.id]
        assert [a.id for a in await register.accounts_of(session, cast.colleague)] == [first.id]
        managed = [a.id for a in await register.accounts_of(session, cast.manager)]
        assert managed == [first.id, second.id]
        assert await register.accounts_of(session, cast.outsider) == []
        assert first.id is not None
        got = await register.get_account(session, first.id)
        assert got is not None and got.number == first.number
        assert await register.get_account(session, 999_999) is None


async def test_teams_of_many_accounts_in_rota_order(store: Store, cast: Cast) -> None:
    first = await approve_new(
        store, cast, team_ids=(cast.second_colleague, cast.colleague), handle="ki_one"
    )
    second = await approve_new(store, cast, team_ids=(cast.colleague,), handle="ki_two")
    assert first.id is not None and second.id is not None
    async with store.transaction() as session:
        teams = await register.teams_of(session, [first.id, second.id, 999])
        assert teams == {
            first.id: [cast.requester, cast.second_colleague, cast.colleague],
            second.id: [cast.requester, cast.colleague],
            999: [],
        }
        assert await register.teams_of(session, []) == {}


async def test_the_database_holds_one_open_account_per_handle(store: Store, cast: Cast) -> None:
    """What the register checks and locks (one open account per handle and platform, without
    regard to case) is held by the database too, for anything writing past it; a closed
    account's handle is free."""
    first = await register_account(store, cast, "ki_one")
    second = await register_account(store, cast, "ki_two")

    async def rename(account: Account, handle: str) -> None:
        async with store.transaction() as session:
            await session.exec(
                update(Account).where(col(Account.id) == account.id).values(handle=handle)
            )

    with pytest.raises(IntegrityError):
        await rename(second, "KI_One")
    async with store.transaction() as session:
        await session.exec(update(Account).where(col(Account.id) == first.id).values(
            status=AccountStatus.CLOSED.value
        ))
    await rename(second, "KI_One")
    assert {a.handle for a in await load(store, Account)} == {"ki_one", "KI_One"}


async def register_account(store: Store, cast: Cast, handle: str) -> Account:
    request = await submit(store, cast, T0, handle=handle)
    assert request.id is not None
    await decide(store, request.id, cast.manager, now=T0)
    (account,) = await load(store, Account, col(Account.handle) == handle)
    return account
