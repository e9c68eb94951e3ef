"""The rota: duty moves along the team per working day or per week, skipping who is away or
cannot; the manager or the team may change it, and the team is told."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from data import absence, rota
from data.db import Store
from data.errors import DomainError, Invalid, MovedOn, NotAllowed
from data.models import AuditEvent, Outbox, RotaSetting
from data.workdays import Calendar
from tests.helpers import T0, Cast, count, load
from tests.helpers.accounts import closed_account, id_of, register

CAL = Calendar()
A, B, C = 1, 2, 3
# Week 13 of 2027: Good Friday 26 March, Easter Monday 29 March.
MON = date(2027, 3, 22)


def days(first: date, count: int) -> list[date]:
    return [first + timedelta(n) for n in range(count)]


def test_per_day_duty_moves_one_step_each_working_day_skipping_holidays() -> None:
    duty = [rota.on_duty((A, B, C), "day", MON, d, (), CAL) for d in days(MON, 9)]
    # Mon..Thu, Good Friday, the weekend, Easter Monday, Tuesday.
    assert duty == [A, B, C, A, None, None, None, None, B]


def test_an_anchor_on_a_holiday_starts_on_the_next_working_day() -> None:
    assert rota.on_duty((A, B), "day", date(2027, 3, 26), date(2027, 3, 30), (), CAL) == A
    assert rota.on_duty((A, B), "day", date(2027, 3, 26), date(2027, 3, 31), (), CAL) == B


def test_per_week_duty_moves_each_week() -> None:
    wednesdays = [MON + timedelta(days=2, weeks=n) for n in range(4)]
    assert [rota.on_duty((A, B, C), "week", MON, d, (), CAL) for d in wednesdays] == [A, B, C, A]
    # Easter Monday is nobody's day; the rest of that week is B's.
    assert rota.on_duty((A, B, C), "week", MON, date(2027, 3, 29), (), CAL) is None
    assert rota.on_duty((A, B, C), "week", MON, date(2027, 3, 30), (), CAL) == B
    # The anchor's week counts from its Monday, whatever day the anchor is.
    assert rota.on_duty((A, B), "week", MON + timedelta(days=3), MON, (), CAL) == A


def test_unavailable_people_are_skipped_and_nobody_left_is_none() -> None:
    assert rota.on_duty((A, B, C), "day", MON, MON, {A}, CAL) == B
    assert rota.on_duty((A, B, C), "day", MON, MON + timedelta(1), {B}, CAL) == C
    assert rota.on_duty((A, B, C), "day", MON, MON + timedelta(2), {C}, CAL) == A
    assert rota.on_duty((A, B, C), "day", MON, MON, {A, B, C}, CAL) is None
    assert rota.on_duty((), "day", MON, MON, (), CAL) is None


def test_days_before_the_anchor_count_backwards() -> None:
    assert rota.on_duty((A, B), "day", MON, MON - timedelta(3), (), CAL) == B  # Friday before


async def test_a_new_account_rotates_daily_from_its_registration_day(
    store: Store, cast: Cast
) -> None:
    account = await register(
        store, requester=cast.requester, team=(cast.colleague, cast.second_colleague),
        manager=cast.manager, now=T0,
    )
    async with store.transaction() as session:
        current = await rota.rota_of(session, id_of(account))
        assert (current.rotation, current.anchor) == ("day", date(2027, 3, 1))
        assert current.order == (cast.requester, cast.colleague, cast.second_colleague)
        week = await rota.roster(
            session, account_id=id_of(account), days=days(date(2027, 3, 1), 7), calendar=CAL
        )
    assert list(week.values()) == [
        cast.requester, cast.colleague, cast.second_colleague, cast.requester, cast.colleague,
        None, None,
    ]


async def test_the_manager_changes_the_rota_and_the_team_is_told(
    store: Store, cast: Cast
) -> None:
    account = await register(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager, now=T0
    )
    later = T0 + timedelta(days=2)  # Wednesday
    async with store.transaction() as session:
        changed = await rota.set_rota(
            session, account_id=id_of(account), actor_id=cast.manager, now=later,
            rotation="week", order=[cast.colleague, cast.requester],
        )
    assert (changed.rotation, changed.anchor, changed.order) == (
        "week", date(2027, 3, 3), (cast.colleague, cast.requester)
    )
    async with store.transaction() as session:
        assert await rota.rota_of(session, id_of(account)) == changed
        assert await rota.duty_on(
            session, account_id=id_of(account), day=date(2027, 3, 5), calendar=CAL
        ) == cast.colleague
        assert await rota.duty_on(
            session, account_id=id_of(account), day=date(2027, 3, 8), calendar=CAL
        ) == cast.requester
    [setting] = await load(store, RotaSetting)
    assert setting.updated_by == cast.manager
    told = await load(store, Outbox, Outbox.kind == "rota_changed")
    assert sorted(r.recipient_id or 0 for r in told) == sorted([cast.requester, cast.colleague])
    # Holiday duty (the default) travels with the notice, which says how the rota moves.
    assert all(r.params == {"account_id": id_of(account), "by": cast.manager,
                            "holiday_duty": True} for r in told)
    assert await load(store, AuditEvent, AuditEvent.action == "rota.changed")


async def test_a_team_member_may_change_the_rota_but_not_an_outsider(
    store: Store, cast: Cast
) -> None:
    account = await register(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager, now=T0
    )
    async with store.transaction() as session:
        await rota.set_rota(session, account_id=id_of(account), actor_id=cast.colleague, now=T0,
                            rotation="week")
    for who, bad in (
        (cast.outsider, {"rotation": "day"}),
        (cast.director, {"rotation": "day"}),
    ):
        async with store.transaction() as session:
            with pytest.raises(NotAllowed) as refused:
                await rota.set_rota(session, account_id=id_of(account), actor_id=who, now=T0, **bad)
        assert refused.value.code == "not_team_or_manager"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"rotation": "month"}, "unknown_rotation"),
        ({"order": [1]}, "order_not_the_team"),
        ({"order": "dup"}, "order_not_the_team"),
    ],
)
async def test_a_bad_rota_is_refused(
    store: Store, cast: Cast, change: dict[str, object], code: str
) -> None:
    account = await register(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager, now=T0
    )
    if change.get("order") == "dup":
        change = {"order": [cast.requester, cast.requester]}
    async with store.transaction() as session:
        with pytest.raises(Invalid) as refused:
            await rota.set_rota(
                session, account_id=id_of(account), actor_id=cast.manager, now=T0,
                **change,  # type: ignore[arg-type]
            )
    assert refused.value.code == code


async def test_absent_people_are_skipped_in_the_roster(store: Store, cast: Cast) -> None:
    account = await register(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager, now=T0
    )
    async with store.transaction() as session:
        await absence.record_absence(
            session, person_id=cast.requester, actor_id=cast.requester,
            first_day=date(2027, 3, 3), last_day=date(2027, 3, 3), now=T0,
        )
        await absence.record_absence(
            session, person_id=cast.colleague, actor_id=cast.colleague,
            first_day=date(2027, 3, 4), last_day=date(2027, 3, 4), now=T0,
        )
        await absence.record_absence(
            session, person_id=cast.requester, actor_id=cast.requester,
            first_day=date(2027, 3, 4), last_day=date(2027, 3, 4), now=T0,
        )
        week = await rota.roster(
            session, account_id=id_of(account), days=days(date(2027, 3, 1), 5), calendar=CAL
        )
    assert list(week.values()) == [
        cast.requester, cast.colleague, cast.colleague, None, cast.requester
    ]


async def test_asking_for_the_rota_as_it_is_changes_nothing(store: Store, cast: Cast) -> None:
    account = await register(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager, now=T0
    )
    later = T0 + timedelta(days=3)
    async with store.transaction() as session:
        before = await rota.rota_of(session, id_of(account))
        same = await rota.set_rota(
            session, account_id=id_of(account), actor_id=cast.colleague, now=later,
            rotation=before.rotation, order=before.order, only_if_changed=True,
        )
    assert same == before  # the anchor too: counting does not start again
    assert await count(store, AuditEvent, AuditEvent.action == "rota.changed") == 0
    assert await count(store, Outbox, Outbox.kind == "rota_changed") == 0
    # Still refused to someone who may not change it.
    async with store.transaction() as session:
        with pytest.raises(NotAllowed):
            await rota.set_rota(
                session, account_id=id_of(account), actor_id=cast.outsider, now=later,
                order=before.order, only_if_changed=True,
            )
    # Without only_if_changed, the same rota starts counting again today.
    async with store.transaction() as session:
        again = await rota.set_rota(
            session, account_id=id_of(account), actor_id=cast.colleague, now=later,
            rotation=before.rotation, order=before.order,
        )
    assert (again.order, again.rotation) == (before.order, before.rotation)
    assert again.anchor == later.date() != before.anchor
    assert await count(store, AuditEvent, AuditEvent.action == "rota.changed") == 1


async def test_an_outsider_learns_nothing_of_accounts_not_theirs(store: Store, cast: Cast) -> None:
    """A forged button says the same for an id of no account, an open account and a closed
    one: which ids exist, and the numbers of closed accounts, are the team's to know."""
    open_one = id_of(await register(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager, now=T0
    ))
    closed = await closed_account(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager, now=T0
    )
    answers = []
    for account_id in (999, open_one, closed):
        async with store.transaction() as session:
            with pytest.raises(DomainError) as refused:
                await rota.set_rota(session, account_id=account_id, actor_id=cast.outsider,
                                    now=T0, rotation="week")
        answers.append((type(refused.value), refused.value.code, refused.value.params))
    assert answers == [(NotAllowed, "not_team_or_manager", {})] * 3
    # The team and the manager hear that theirs is closed.
    for who in (cast.colleague, cast.manager):
        async with store.transaction() as session:
            with pytest.raises(MovedOn):
                await rota.set_rota(session, account_id=closed, actor_id=who, now=T0,
                                    rotation="week")
