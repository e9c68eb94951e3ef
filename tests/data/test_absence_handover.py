"""An absence recorded for today after the morning reminder hands the day on, as *I can't
today* does: the next available person is told, or the manager when nobody is left."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from data import absence, closure, monitoring
from data.db import Store
from data.errors import Invalid
from data.models import Outbox
from data.workdays import Calendar
from tests.helpers import Cast, load
from tests.helpers.accounts import id_of, register
from tests.helpers.concurrency import one_inside_the_other

CAL = Calendar()
MONDAY = date(2027, 3, 1)  # the requester is on duty, then the colleague, then the third
STOCKHOLM = ZoneInfo("Europe/Stockholm")
HANDED = ("duty_handed", "nobody_on_duty")


def at(hour: int, minute: int = 0, day: date = MONDAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=STOCKHOLM).astimezone(UTC)


async def team_of(store: Store, cast: Cast, *others: int, handle: str = "ki_one") -> int:
    return id_of(await register(
        store, requester=cast.requester, team=others, manager=cast.manager, now=at(6),
        handle=handle,
    ))


async def away(
    store: Store, person: int, now: datetime, first: date = MONDAY, last: date = MONDAY
) -> absence.Absence:
    async with store.transaction() as session:
        return await absence.record_absence(
            session, person_id=person, actor_id=person, first_day=first, last_day=last, now=now,
            calendar=CAL,
        )


async def told(store: Store) -> list[tuple[str, int | None, dict[str, object] | None]]:
    rows = await load(store, Outbox, col(Outbox.kind).in_(HANDED))
    return [(r.kind, r.recipient_id, r.params) for r in rows]


async def test_away_today_after_the_reminder_tells_the_next_in_the_rota(
    store: Store, cast: Cast
) -> None:
    account = await team_of(store, cast, cast.colleague, cast.second_colleague)
    await away(store, cast.requester, at(10), last=MONDAY + timedelta(days=4))
    assert await told(store) == [
        ("duty_handed", cast.colleague,
         {"account_id": account, "day": "2027-03-01", "from_person_id": cast.requester}),
    ]


async def test_away_today_with_nobody_left_tells_the_manager_at_once(
    store: Store, cast: Cast
) -> None:
    account = await team_of(store, cast, cast.colleague)
    await away(store, cast.colleague, at(7))  # before the reminder: nobody to tell
    await away(store, cast.requester, at(10))
    assert await told(store) == [
        ("nobody_on_duty", cast.manager, {"account_id": account, "day": "2027-03-01"}),
    ]


async def test_every_open_account_the_person_is_on_duty_for_is_handed_on(
    store: Store, cast: Cast
) -> None:
    one = await team_of(store, cast, cast.colleague)
    two = await team_of(store, cast, cast.second_colleague, handle="ki_two")
    gone = await team_of(store, cast, cast.second_colleague, handle="ki_gone")
    async with store.transaction() as session:
        await closure.close_account(session, account_id=gone, actor_id=cast.manager,
                                    reason="Not used", final_archive_location="S:/a", now=at(9))
    await away(store, cast.requester, at(10))
    assert sorted((kind, who, params and params["account_id"])
                  for kind, who, params in await told(store)) == [
        ("duty_handed", cast.colleague, one), ("duty_handed", cast.second_colleague, two),
    ]


async def test_before_the_reminder_nobody_is_told(store: Store, cast: Cast) -> None:
    """The morning reminder goes to whoever the rota puts on duty then (test_away_handover in
    tests/dialogs follows it to the sweep)."""
    await team_of(store, cast, cast.colleague)
    await away(store, cast.requester, at(8, 29))
    assert await told(store) == []


async def test_nothing_is_handed_on_when_it_need_not_be(store: Store, cast: Cast) -> None:
    account = await team_of(store, cast, cast.colleague, cast.second_colleague)
    # Not on duty today: nothing changes for the day.
    await away(store, cast.colleague, at(10))
    # From tomorrow: tomorrow's reminder picks the right person.
    await away(store, cast.requester, at(10), MONDAY + timedelta(days=1), MONDAY + timedelta(2))
    assert await told(store) == []
    # Someone has marked today monitored already: nobody needs to take over.
    async with store.transaction() as session:
        await monitoring.check_in(session, account_id=account, person_id=cast.second_colleague,
                                  day=MONDAY, kind="monitored", now=at(9), calendar=CAL)
    await away(store, cast.requester, at(11))
    assert await told(store) == []


async def test_the_same_absence_again_tells_nobody_twice(store: Store, cast: Cast) -> None:
    await team_of(store, cast, cast.colleague)
    recorded = await away(store, cast.requester, at(10))
    with pytest.raises(Invalid) as refused:
        await away(store, cast.requester, at(10, 5))
    assert refused.value.code == "absence_overlaps"
    assert recorded.id is not None
    async with store.transaction() as session:
        await absence.cancel_absence(session, absence_id=recorded.id, actor_id=cast.requester,
                                     now=at(10, 10))
    await away(store, cast.requester, at(10, 15))
    assert [(kind, who) for kind, who, _ in await told(store)] == [
        ("duty_handed", cast.colleague)
    ]


async def test_i_cannot_today_then_away_tells_nobody_twice(store: Store, cast: Cast) -> None:
    account = await team_of(store, cast, cast.colleague)
    async with store.transaction() as session:
        await monitoring.check_in(session, account_id=account, person_id=cast.requester,
                                  day=MONDAY, kind="cannot", now=at(9), calendar=CAL)
    await away(store, cast.requester, at(10))
    assert [(kind, who) for kind, who, _ in await told(store)] == [
        ("duty_handed", cast.colleague)
    ]


@pytest.mark.parametrize("first", ["cannot", "away"])
async def test_two_dropping_out_at_once_hand_the_day_to_whoever_is_left(
    store: Store, cast: Cast, first: str
) -> None:
    """The colleague next in the rota says she can't today (or records an absence) while the
    one on duty records his: whichever commits second sees the first's change, so the third
    is told, never the colleague who just dropped out."""
    account = await team_of(store, cast, cast.colleague, cast.second_colleague)

    async def colleague(session: AsyncSession) -> object:
        if first == "cannot":
            return await monitoring.check_in(
                session, account_id=account, person_id=cast.colleague, day=MONDAY,
                kind="cannot", now=at(10), calendar=CAL,
            )
        return await absence.record_absence(
            session, person_id=cast.colleague, actor_id=cast.colleague, first_day=MONDAY,
            last_day=MONDAY, now=at(10), calendar=CAL,
        )

    async def requester(session: AsyncSession) -> object:
        return await absence.record_absence(
            session, person_id=cast.requester, actor_id=cast.requester, first_day=MONDAY,
            last_day=MONDAY, now=at(10), calendar=CAL,
        )

    results = await one_inside_the_other(store, colleague, requester)
    assert not any(isinstance(r, BaseException) for r in results), results
    assert await told(store) == [
        ("duty_handed", cast.second_colleague,
         {"account_id": account, "day": "2027-03-01", "from_person_id": cast.requester}),
    ]
