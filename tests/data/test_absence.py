"""Absences: only one's own, dates in order, not over; cancelled by their owner."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from data import absence
from data.db import Store
from data.errors import Invalid, NotAllowed, NotFound
from data.models import Absence, AuditEvent
from tests.helpers import T0, Cast, load

MIDSUMMER = (date(2027, 6, 21), date(2027, 7, 2))


async def test_a_person_records_their_own_absence(store: Store, cast: Cast) -> None:
    async with store.transaction() as session:
        away = await absence.record_absence(
            session, person_id=cast.colleague, actor_id=cast.colleague,
            first_day=MIDSUMMER[0], last_day=MIDSUMMER[1], now=T0, note=" Midsummer ",
        )
    [row] = await load(store, Absence)
    assert (row.id, row.person_id, row.first_day, row.last_day, row.note) == (
        away.id, cast.colleague, *MIDSUMMER, "Midsummer",
    )
    [event] = await load(store, AuditEvent, AuditEvent.action == "absence.recorded")
    assert event.subject == f"person:{cast.colleague}" and event.actor_id == cast.colleague
    async with store.transaction() as session:
        assert await absence.away_on(session, [cast.colleague, cast.requester], date(2027, 7, 1)) == {
            cast.colleague
        }
        assert await absence.away_on(session, [cast.colleague], date(2027, 7, 3)) == set()
        assert [a.id for a in await absence.absences_of(session, cast.colleague)] == [away.id]
        assert await absence.absences_of(session, cast.colleague, from_day=date(2027, 7, 3)) == []


async def test_nobody_records_an_absence_for_someone_else(store: Store, cast: Cast) -> None:
    async with store.transaction() as session:
        with pytest.raises(NotAllowed) as refused:
            await absence.record_absence(
                session, person_id=cast.colleague, actor_id=cast.manager,
                first_day=MIDSUMMER[0], last_day=MIDSUMMER[1], now=T0,
            )
    assert refused.value.code == "not_own_absence"
    assert await load(store, Absence) == []


@pytest.mark.parametrize(
    ("first", "last", "code"),
    [
        (date(2027, 7, 2), date(2027, 6, 21), "dates_in_wrong_order"),
        (date(2027, 2, 1), date(2027, 2, 28), "in_the_past"),
        (date(2027, 3, 1), date(2028, 3, 2), "too_long"),
        # At most MAX_AHEAD_DAYS (400) after today: 2028-04-04 is the last day allowed.
        (date(2027, 6, 1), date(2028, 4, 5), "too_far_ahead"),
        (date(9999, 12, 31), date(9999, 12, 31), "too_far_ahead"),
    ],
)
async def test_bad_dates_are_refused(
    store: Store, cast: Cast, first: date, last: date, code: str
) -> None:
    async with store.transaction() as session:
        with pytest.raises(Invalid) as refused:
            await absence.record_absence(
                session, person_id=cast.colleague, actor_id=cast.colleague,
                first_day=first, last_day=last, now=T0,
            )
    assert (refused.value.code, refused.value.params["field"]) == (code, "dates")


async def test_an_absence_that_began_earlier_and_goes_on_is_fine(store: Store, cast: Cast) -> None:
    async with store.transaction() as session:
        await absence.record_absence(
            session, person_id=cast.colleague, actor_id=cast.colleague,
            first_day=date(2027, 2, 20), last_day=date(2027, 3, 1), now=T0,
        )
    assert len(await load(store, Absence)) == 1


@pytest.mark.parametrize("first", [date(2027, 2, 20), date(2026, 3, 2), date(1, 1, 1)])
async def test_days_before_today_are_left_as_they_were(
    store: Store, cast: Cast, first: date
) -> None:
    """An absence that began earlier is recorded from today: who was on duty on a past day
    (what /duty showed, and what the reminders went by) does not change afterwards."""
    async with store.transaction() as session:
        away = await absence.record_absence(
            session, person_id=cast.colleague, actor_id=cast.colleague,
            first_day=first, last_day=date(2027, 3, 5), now=T0,
        )
    assert (away.first_day, away.last_day) == (date(2027, 3, 1), date(2027, 3, 5))
    [row] = await load(store, Absence)
    assert row.first_day == date(2027, 3, 1)
    [event] = await load(store, AuditEvent, AuditEvent.action == "absence.recorded")
    assert (event.details["first_day"], event.details["last_day"]) == ("2027-03-01", "2027-03-05")
    async with store.transaction() as session:
        assert await absence.away_on(session, [cast.colleague], date(2027, 2, 26)) == set()


async def test_the_far_future_is_refused_with_the_last_day_allowed(
    store: Store, cast: Cast
) -> None:
    async with store.transaction() as session:
        with pytest.raises(Invalid) as refused:
            await absence.record_absence(
                session, person_id=cast.colleague, actor_id=cast.colleague,
                first_day=date(2028, 4, 1), last_day=date(2028, 4, 5), now=T0,
            )
        assert refused.value.params == {"field": "dates", "maximum": 400, "last": "2028-04-04"}
        await absence.record_absence(
            session, person_id=cast.colleague, actor_id=cast.colleague,
            first_day=date(2028, 4, 1), last_day=date(2028, 4, 4), now=T0,
        )


async def test_absences_that_follow_on_count_as_one_against_the_longest(
    store: Store, cast: Cast
) -> None:
    """Stacking absences day after day would keep someone off the rota past MAX_DAYS."""

    async def away(first: date, last: date) -> None:
        async with store.transaction() as session:
            await absence.record_absence(
                session, person_id=cast.colleague, actor_id=cast.colleague, first_day=first,
                last_day=last, now=T0,
            )

    await away(date(2027, 4, 1), date(2028, 3, 1))  # 336 days
    with pytest.raises(Invalid) as before:
        await away(date(2027, 3, 1), date(2027, 3, 31))  # right before it: 367 in all
    assert (before.value.code, before.value.params) == (
        "too_long", {"field": "dates", "maximum": 366}
    )
    await away(date(2027, 3, 2), date(2027, 3, 31))  # 366 in all
    with pytest.raises(Invalid) as after:
        await away(date(2028, 3, 2), date(2028, 3, 2))  # right after the two
    assert after.value.code == "too_long"
    # A day's gap is a day back on the rota: a new stretch begins.
    await away(date(2028, 3, 3), date(2028, 3, 10))
    assert len(await load(store, Absence)) == 3


async def test_only_the_owner_cancels_an_absence(store: Store, cast: Cast) -> None:
    async with store.transaction() as session:
        away = await absence.record_absence(
            session, person_id=cast.colleague, actor_id=cast.colleague,
            first_day=MIDSUMMER[0], last_day=MIDSUMMER[1], now=T0,
        )
    assert away.id is not None
    async with store.transaction() as session:
        with pytest.raises(NotAllowed):
            await absence.cancel_absence(session, absence_id=away.id, actor_id=cast.manager, now=T0)
    async with store.transaction() as session:
        await absence.cancel_absence(
            session, absence_id=away.id, actor_id=cast.colleague, now=T0 + timedelta(hours=1)
        )
    assert await load(store, Absence) == []
    async with store.transaction() as session:
        with pytest.raises(NotFound):
            await absence.cancel_absence(session, absence_id=away.id, actor_id=cast.colleague, now=T0)
    assert [e.action for e in await load(store, AuditEvent, AuditEvent.subject == f"person:{cast.colleague}")][-2:] == [
        "absence.recorded", "absence.cancelled",
    ]


@pytest.mark.parametrize(
    ("first", "last"),
    [
        MIDSUMMER,  # the same again
        (date(2027, 6, 14), date(2027, 6, 21)),  # ends on its first day
        (date(2027, 7, 2), date(2027, 7, 9)),  # begins on its last day
        (date(2027, 6, 24), date(2027, 6, 25)),  # within it
        (date(2027, 6, 1), date(2027, 7, 31)),  # around it
    ],
)
async def test_an_absence_overlapping_ones_own_is_refused(
    store: Store, cast: Cast, first: date, last: date
) -> None:
    async with store.transaction() as session:
        away = await absence.record_absence(
            session, person_id=cast.colleague, actor_id=cast.colleague,
            first_day=MIDSUMMER[0], last_day=MIDSUMMER[1], now=T0,
        )
    with pytest.raises(Invalid) as refused:
        async with store.transaction() as session:
            await absence.record_absence(
                session, person_id=cast.colleague, actor_id=cast.colleague,
                first_day=first, last_day=last, now=T0 + timedelta(hours=1),
            )
    assert (refused.value.code, refused.value.params) == (
        "absence_overlaps",
        {"field": "dates", "absence_id": away.id, "first": "2027-06-21", "last": "2027-07-02"},
    )
    assert [a.id for a in await load(store, Absence)] == [away.id]
    assert len(await load(store, AuditEvent, AuditEvent.action == "absence.recorded")) == 1


async def test_absences_next_to_ones_own_or_of_someone_else_are_fine(
    store: Store, cast: Cast
) -> None:
    async with store.transaction() as session:
        for person, first, last in [
            (cast.colleague, *MIDSUMMER),
            (cast.colleague, date(2027, 6, 20), date(2027, 6, 20)),  # the day before
            (cast.colleague, date(2027, 7, 3), date(2027, 7, 9)),  # the day after
            (cast.requester, *MIDSUMMER),  # someone else's
        ]:
            await absence.record_absence(
                session, person_id=person, actor_id=person, first_day=first, last_day=last,
                now=T0,
            )
    assert len(await load(store, Absence)) == 4
