"""Changing an account's people after registration (data.team): who may, never fewer than
two responsible persons, the manager handed over only when the new one accepts, the unit
corrected; each change audited, told to the team and the Communications Office, and the rota
following it. On SQLite and PostgreSQL, at explicit times."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from data import absence, closure, monitoring, rota, team
from data import register as register_
from data.db import Store, is_sqlite
from data.errors import DomainError, Invalid, MovedOn, NotAllowed
from data.models import Account, AccountMember, AuditEvent, ManagerHandover, Outbox
from data.workdays import Calendar
from tests.helpers import T0, Cast, count, load, make_roles
from tests.helpers.accounts import id_of, register
from tests.helpers.nudging import at

CAL = Calendar()
MONDAY = date(2027, 3, 1)  # T0 is 10:00 on it in Stockholm: the account is registered then
TUESDAY = MONDAY + timedelta(days=1)


async def two_of_them(store: Store, cast: Cast) -> int:
    """Rota: the requester (Monday), the colleague (Tuesday), ...; the manager apart."""
    return id_of(await register(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager, now=T0
    ))


async def three_of_them(store: Store, cast: Cast) -> int:
    return id_of(await register(
        store, requester=cast.requester, team=(cast.colleague, cast.second_colleague),
        manager=cast.manager, now=T0,
    ))


async def add(store: Store, account: int, person: int, actor: int, now: datetime) -> rota.Rota:
    async with store.transaction() as session:
        return await team.add_member(
            session, account_id=account, person_id=person, actor_id=actor, now=now, calendar=CAL
        )


async def remove(
    store: Store, account: int, person: int, actor: int, now: datetime
) -> team.Removed:
    async with store.transaction() as session:
        return await team.remove_member(
            session, account_id=account, person_id=person, actor_id=actor, now=now, calendar=CAL
        )


async def duty(store: Store, account: int, days: list[date]) -> list[int | None]:
    async with store.transaction() as session:
        found = await rota.roster(session, account_id=account, days=days, calendar=CAL)
    return [found[d] for d in days]


async def order(store: Store, account: int) -> tuple[int, ...]:
    async with store.transaction() as session:
        return (await rota.rota_of(session, account)).order


def week_from(day: date) -> list[date]:
    return [day + timedelta(days=n) for n in range(4)]


async def told(store: Store, kind: str) -> list[tuple[str, int]]:
    rows = await load(store, Outbox, Outbox.kind == kind)
    return sorted((r.place or "", r.recipient_id or 0) for r in rows)


# --- adding ----------------------------------------------------------------------------------


async def test_a_newcomer_joins_last_and_nobody_elses_turn_moves(store: Store, cast: Cast) -> None:
    account = await two_of_them(store, cast)
    a, b, c = cast.requester, cast.colleague, cast.second_colleague
    assert await duty(store, account, week_from(TUESDAY)) == [b, a, b, a]

    changed = await add(store, account, c, a, at(TUESDAY, 10))

    # Tuesday stays Björn's; the newcomer comes after everyone already in the rota.
    assert changed.order == (b, a, c) == await order(store, account)
    assert await duty(store, account, week_from(TUESDAY)) == [b, a, c, b]
    [event] = await load(store, AuditEvent, AuditEvent.action == "team.member_added")
    assert (event.actor_id, event.subject) == (a, f"account:{account}")
    assert event.details == {"person_id": c, "order": [b, a, c]}
    # The newcomer is welcomed; the rest of the team (not who added) and the office are told.
    welcomes = await load(store, Outbox, Outbox.kind == "welcome", Outbox.recipient_id == c)
    assert len(welcomes) == 1
    assert await told(store, "team_changed") == [("", b), ("comms", 0)]
    [row, *_] = await load(store, Outbox, Outbox.kind == "team_changed")
    assert row.params == {"account_id": account, "change": "added", "person_id": c, "by": a}


async def test_a_weekly_rota_keeps_this_weeks_person(store: Store, cast: Cast) -> None:
    account = await two_of_them(store, cast)
    a, b, c = cast.requester, cast.colleague, cast.second_colleague
    async with store.transaction() as session:
        await rota.set_rota(session, account_id=account, actor_id=a, now=T0, rotation="week")
    wednesday_next = MONDAY + timedelta(days=9)
    assert await duty(store, account, [MONDAY + timedelta(days=2), wednesday_next]) == [a, b]
    await add(store, account, c, b, at(MONDAY + timedelta(days=2), 10))
    weeks = [MONDAY + timedelta(days=2, weeks=n) for n in range(4)]
    assert await duty(store, account, weeks) == [a, b, c, a]


async def test_nobody_is_added_twice_nor_the_manager(store: Store, cast: Cast) -> None:
    account = await two_of_them(store, cast)
    for person, code in (
        (cast.colleague, "already_in_team"),
        (cast.manager, "manager_joins_team"),
        (99999, "unknown_person"),
    ):
        with pytest.raises(Invalid) as refused:
            await add(store, account, person, cast.requester, T0)
        assert (refused.value.code, refused.value.params["field"]) == (code, "person")
    assert await count(store, AccountMember) == 2
    assert await count(store, AuditEvent, col(AuditEvent.action).startswith("team.")) == 0


async def test_who_may_change_the_people(store: Store, cast: Cast) -> None:
    account = await two_of_them(store, cast)
    with pytest.raises(NotAllowed) as refused:
        await add(store, account, cast.second_colleague, cast.outsider, T0)
    assert refused.value.code == "may_not_change_team"
    # The manager may; so may the Communications Office, which keeps the register.
    await add(store, account, cast.second_colleague, cast.manager, T0)
    async with store.transaction() as session:
        await make_roles(session, T0, comms={cast.outsider})
    await add(store, account, cast.director, cast.outsider, T0)
    assert len(await order(store, account)) == 4


async def test_a_closed_account_changes_no_more(store: Store, cast: Cast) -> None:
    account = await two_of_them(store, cast)
    async with store.transaction() as session:
        await closure.close_account(session, account_id=account, actor_id=cast.requester,
                                    reason="Done", final_archive_location="S:/x", now=T0)
    with pytest.raises(MovedOn):
        await add(store, account, cast.second_colleague, cast.requester, T0)


# --- removing --------------------------------------------------------------------------------


async def test_never_fewer_than_two(store: Store, cast: Cast) -> None:
    account = await two_of_them(store, cast)
    with pytest.raises(Invalid) as refused:
        await remove(store, account, cast.colleague, cast.requester, T0)
    assert (refused.value.code, refused.value.params["minimum"]) == ("team_minimum", 2)
    with pytest.raises(Invalid) as stranger:
        await remove(store, account, cast.outsider, cast.requester, T0)
    assert stranger.value.code == "not_in_team"
    assert await count(store, AccountMember) == 2


async def test_the_person_on_duty_leaves_and_the_next_takes_the_day(
    store: Store, cast: Cast
) -> None:
    account = await three_of_them(store, cast)
    a, b, c = cast.requester, cast.colleague, cast.second_colleague
    assert await duty(store, account, week_from(TUESDAY)) == [b, c, a, b]

    removed = await remove(store, account, b, a, at(TUESDAY, 11))

    assert (removed.was_on_duty, removed.on_duty) == (True, c)
    assert await order(store, account) == (c, a)
    assert await duty(store, account, week_from(TUESDAY)) == [c, a, c, a]
    assert await count(store, AccountMember, AccountMember.person_id == b) == 0
    [handed] = await load(store, Outbox, Outbox.kind == "duty_handed")
    assert handed.recipient_id == c
    assert handed.params == {"account_id": account, "day": "2027-03-02",
                             "from_person_id": b, "why": "left_team"}
    # The one who left hears of it too, with the rest of the team and the office.
    assert await told(store, "team_changed") == [("", b), ("", c), ("comms", 0)]
    [event] = await load(store, AuditEvent, AuditEvent.action == "team.member_removed")
    assert event.details == {"person_id": b, "order": [c, a]}


async def test_the_person_on_duty_leaves_after_monitoring_and_nobody_need_take_over(
    store: Store, cast: Cast
) -> None:
    """As after *I can't today* (data.monitoring.hand_on): the day is done."""
    account = await three_of_them(store, cast)
    a, b = cast.requester, cast.colleague
    async with store.transaction() as session:
        await monitoring.check_in(session, account_id=account, person_id=b, day=TUESDAY,
                                  kind="monitored", now=at(TUESDAY, 9), calendar=CAL)
    removed = await remove(store, account, b, a, at(TUESDAY, 11))
    assert removed.was_on_duty
    assert await count(store, Outbox, col(Outbox.kind).in_(("duty_handed", "nobody_on_duty"))) == 0


async def test_someone_not_on_duty_leaves_and_today_stays(store: Store, cast: Cast) -> None:
    account = await three_of_them(store, cast)
    a, b, c = cast.requester, cast.colleague, cast.second_colleague
    removed = await remove(store, account, c, c, at(TUESDAY, 11))  # leaves of their own accord
    assert (removed.was_on_duty, removed.on_duty) == (False, b)
    assert await duty(store, account, week_from(TUESDAY)) == [b, a, b, a]
    assert await count(store, Outbox, Outbox.kind == "duty_handed") == 0
    assert await told(store, "team_changed") == [("", a), ("", b), ("comms", 0)]


async def test_nobody_left_today_tells_the_manager(store: Store, cast: Cast) -> None:
    account = await three_of_them(store, cast)
    a, b, c = cast.requester, cast.colleague, cast.second_colleague
    async with store.transaction() as session:
        for person in (a, c):
            await absence.record_absence(session, person_id=person, actor_id=person,
                                         first_day=TUESDAY, last_day=TUESDAY, now=T0)
    removed = await remove(store, account, b, a, at(TUESDAY, 11))
    assert (removed.was_on_duty, removed.on_duty) == (True, None)
    assert await told(store, "nobody_on_duty") == [("", cast.manager)]


# --- the manager -----------------------------------------------------------------------------


async def propose(store: Store, account: int, person: int, actor: int) -> ManagerHandover:
    async with store.transaction() as session:
        return await team.propose_manager(
            session, account_id=account, person_id=person, actor_id=actor, now=T0
        )


async def decide(store: Store, handover: ManagerHandover, actor: int, yes: bool) -> None:
    assert handover.id is not None
    async with store.transaction() as session:
        operation = team.accept_manager if yes else team.decline_manager
        await operation(session, handover_id=handover.id, actor_id=actor, now=T0 + timedelta(1))


async def manager_of(store: Store) -> int:
    [account] = await load(store, Account)
    return account.manager_id


async def test_the_new_manager_takes_over_once_they_accept(store: Store, cast: Cast) -> None:
    account = await two_of_them(store, cast)
    handover = await propose(store, account, cast.director, cast.colleague)
    assert await manager_of(store) == cast.manager
    [card] = await load(store, Outbox, Outbox.kind == "manager_handover")
    assert (card.recipient_id, card.params) == (cast.director, {"handover_id": handover.id})

    for stranger in (cast.manager, cast.colleague, cast.outsider):
        with pytest.raises(NotAllowed) as refused:
            await decide(store, handover, stranger, True)
        assert refused.value.code == "not_new_manager"
    await decide(store, handover, cast.director, True)

    assert await manager_of(store) == cast.director
    [stored] = await load(store, ManagerHandover)
    assert (stored.status, stored.decided_at) == ("accepted", T0 + timedelta(1))
    assert await told(store, "team_changed") == [
        ("", cast.requester), ("", cast.colleague), ("", cast.manager), ("comms", 0)
    ]
    updates = await load(store, Outbox, Outbox.update_of == card.key)
    assert [u.recipient_id for u in updates] == [cast.director]
    actions = [e.action for e in await load(store, AuditEvent)]
    assert actions[-2:] == ["team.manager_proposed", "team.manager_accepted"]

    # A second click (or a click on the old card) changes nothing.
    before = await count(store, Outbox)
    for yes in (True, False):
        with pytest.raises(MovedOn) as again:
            await decide(store, handover, cast.director, yes)
        assert again.value.code == "handover_moved_on"
    assert await count(store, Outbox) == before
    assert await manager_of(store) == cast.director


async def test_a_declined_hand_over_keeps_the_manager(store: Store, cast: Cast) -> None:
    account = await two_of_them(store, cast)
    handover = await propose(store, account, cast.director, cast.requester)
    await decide(store, handover, cast.director, False)
    assert await manager_of(store) == cast.manager
    assert await told(store, "manager_declined") == [("", cast.requester)]
    assert await count(store, Outbox, Outbox.kind == "team_changed") == 0


async def test_the_new_manager_is_neither_the_manager_nor_on_the_team(
    store: Store, cast: Cast
) -> None:
    account = await two_of_them(store, cast)
    for person, code in ((cast.manager, "already_manager"),
                         (cast.colleague, "team_member_as_manager")):
        with pytest.raises(Invalid) as refused:
            await propose(store, account, person, cast.requester)
        assert (refused.value.code, refused.value.params["field"]) == (code, "manager")
    with pytest.raises(NotAllowed):
        await propose(store, account, cast.director, cast.outsider)
    assert await count(store, ManagerHandover) == 0

    # Joining the team after being asked: accepting is refused then, in words for the one asked.
    handover = await propose(store, account, cast.director, cast.requester)
    await add(store, account, cast.director, cast.requester, T0)
    with pytest.raises(Invalid) as refused:
        await decide(store, handover, cast.director, True)
    assert refused.value.code == "joined_team_meanwhile"


async def test_asking_someone_else_withdraws_the_first(store: Store, cast: Cast) -> None:
    account = await two_of_them(store, cast)
    first = await propose(store, account, cast.director, cast.requester)
    assert (await propose(store, account, cast.director, cast.colleague)).id == first.id
    second = await propose(store, account, cast.outsider, cast.colleague)
    stored = {h.id: h.status for h in await load(store, ManagerHandover)}
    assert stored == {first.id: "withdrawn", second.id: "pending"}
    with pytest.raises(MovedOn):
        await decide(store, first, cast.director, True)
    await decide(store, second, cast.outsider, True)
    assert await manager_of(store) == cast.outsider


# --- the unit --------------------------------------------------------------------------------


async def correct(store: Store, account: int, unit: str, actor: int) -> Account:
    async with store.transaction() as session:
        return await team.correct_unit(
            session, account_id=account, unit=unit, actor_id=actor, now=T0
        )


async def test_the_unit_is_corrected_and_told(store: Store, cast: Cast) -> None:
    account = await two_of_them(store, cast)
    corrected = await correct(store, account, "  Department of Clinical Neuroscience ",
                              cast.manager)
    assert corrected.unit == "Department of Clinical Neuroscience"
    [event] = await load(store, AuditEvent, AuditEvent.action == "account.unit_corrected")
    assert event.details == {"before": "Department of Neuroscience",
                             "after": "Department of Clinical Neuroscience"}
    assert await told(store, "team_changed") == [
        ("", cast.requester), ("", cast.colleague), ("comms", 0)
    ]
    for text, code in (("Department of Clinical Neuroscience", "same_unit"), ("  ", "empty"),
                       ("x" * 201, "too_long")):
        with pytest.raises(DomainError) as refused:
            await correct(store, account, text, cast.requester)
        assert (refused.value.code, refused.value.params["field"]) == (code, "unit")
    with pytest.raises(NotAllowed):
        await correct(store, account, "Elsewhere", cast.outsider)


# --- at once ---------------------------------------------------------------------------------


async def side_by_side(
    store: Store, account: int, *work: Callable[[AsyncSession], Awaitable[object]]
) -> list[object]:
    """Each piece of work in a transaction of its own, all at once; on PostgreSQL each has
    read the team before any of them changes it (SQLite queues writers at BEGIN)."""
    ready = asyncio.Barrier(len(work))

    async def one(job: Callable[[AsyncSession], Awaitable[object]]) -> object:
        async with store.transaction() as session:
            if not is_sqlite(store.engine):
                await register_.team_of(session, account)
            await ready.wait()
            return await job(session)

    return await asyncio.gather(*(one(job) for job in work), return_exceptions=True)


async def test_two_leaving_at_once_still_leave_two(store: Store, cast: Cast) -> None:
    account = await three_of_them(store, cast)

    def leaving(person: int) -> Callable[[AsyncSession], Awaitable[object]]:
        async def job(session: AsyncSession) -> object:
            return await team.remove_member(session, account_id=account, person_id=person,
                                            actor_id=person, now=T0, calendar=CAL)
        return job

    results = await side_by_side(store, account, leaving(cast.colleague),
                                 leaving(cast.second_colleague))
    refused = [r for r in results if isinstance(r, Invalid)]
    assert len(refused) == 1 and refused[0].code == "team_minimum", results
    assert len(await order(store, account)) == 2


async def test_a_double_accept_at_once_changes_the_manager_once(
    store: Store, cast: Cast
) -> None:
    account = await two_of_them(store, cast)
    handover = await propose(store, account, cast.director, cast.requester)
    assert handover.id is not None
    handover_id = handover.id

    async def accepting(session: AsyncSession) -> object:
        return await team.accept_manager(session, handover_id=handover_id,
                                         actor_id=cast.director, now=T0)

    results = await side_by_side(store, account, accepting, accepting)
    assert sum(isinstance(r, MovedOn) for r in results) == 1, results
    assert await count(store, AuditEvent, AuditEvent.action == "team.manager_accepted") == 1
