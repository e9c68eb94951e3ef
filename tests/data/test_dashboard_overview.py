"""The dashboard's compliance states and charts (data.dashboard_overview, counted by
data.dashboard_charts) for registers built
through the real domain operations, at an explicit `now`: each flag at its threshold, the
monitoring coverage of weeks with holidays and weekends, open questions by age, archiving
per month, the per-platform and per-unit counts, and a fixed number of read-only queries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import archive, closure, monitoring, people, questions
from data.dashboard import Viewer
from data.dashboard_charts import overview
from data.dashboard_overview import (
    AccountState,
    Bucket,
    MonthArchiving,
    Overview,
    WeekCoverage,
    account_states,
)
from data.db import Store
from data.models import Account, CheckInKind, MonitoringCheckIn, Person
from data.policy import NudgeConfig
from tests.helpers import Cast
from tests.helpers.accounts import id_of, register

STOCKHOLM = ZoneInfo("Europe/Stockholm")
CONFIG = NudgeConfig()
# A university that turned holiday duty off: only working days are owed.
WORKING_DAYS_ONLY = NudgeConfig(holiday_duty=False)
MICROSECOND = timedelta(microseconds=1)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A local time in Stockholm on `day`, as an aware UTC time."""
    return datetime.combine(day, time(hour, minute), tzinfo=STOCKHOLM).astimezone(UTC)


def midnight(day: date) -> datetime:
    return at(day, 0)


async def act(
    store: Store, when: datetime, operation: Callable[..., Awaitable[Any]], **kwargs: Any
) -> Any:
    """One domain operation in a transaction of its own, as of `when`."""
    async with store.transaction() as session:
        return await operation(session, now=when, **kwargs)


async def account(
    store: Store, cast: Cast, registered: datetime, handle: str, **overrides: Any
) -> int:
    """An account of the requester (first in the rota) and a colleague, registered at
    `registered`."""
    made = await register(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager,
        now=registered, handle=handle, **overrides,
    )
    return id_of(made)


async def monitored(
    store: Store, account_id: int, person_id: int, days: list[date],
    kind: str = CheckInKind.MONITORED.value,
) -> None:
    for day in days:
        await act(store, at(day, 11), monitoring.check_in, account_id=account_id,
                  person_id=person_id, day=day, kind=kind, calendar=CONFIG.calendar)


async def stored_before_registration(
    store: Store, account_id: int, person_id: int, day: date
) -> None:
    """A check-in for a day before the account was registered, as monitoring.check_in
    stored it before it refused such days."""
    async with store.transaction() as session:
        session.add(MonitoringCheckIn(account_id=account_id, person_id=person_id, day=day,
                                      kind=CheckInKind.MONITORED.value, at=at(day, 11)))


async def close(store: Store, cast: Cast, account_id: int, when: datetime) -> None:
    await act(store, when, closure.close_account, account_id=account_id,
              actor_id=cast.requester, reason="Project over.", final_archive_location="K:/x")


async def register_rows(store: Store) -> list[Account]:
    async with store.transaction() as session:
        return list(await session.exec(select(Account).order_by(col(Account.id))))


async def states_at(
    store: Store, now: datetime, config: NudgeConfig = CONFIG
) -> dict[int, AccountState]:
    accounts = await register_rows(store)
    async with store.transaction() as session:
        return await account_states(session, now, config, accounts)


async def everyone(session: AsyncSession) -> Viewer:
    """A viewer who sees the whole register (the comms office)."""
    person = (await session.exec(select(Person).order_by(col(Person.id)))).first()
    assert person is not None
    return Viewer(person, sees_all=True)


async def overview_at(store: Store, now: datetime, config: NudgeConfig = CONFIG) -> Overview:
    async with store.transaction() as session:
        return await overview(session, await everyone(session), now, config)


# --- monitoring -----------------------------------------------------------------------------

async def test_weekly_coverage_counts_account_working_days_around_easter(
    store: Store, cast: Cast
) -> None:
    """Easter 2027: Good Friday 26 March and Easter Monday 29 March are holidays. A is
    registered on Wednesday 24 March; B was registered on 1 March and is closed at noon on
    Wednesday 31 March. It is Thursday 1 April, 10:00. Holiday duty is off."""
    a = await account(store, cast, at(date(2027, 3, 24), 10), "ki_a")
    b = await account(store, cast, at(date(2027, 3, 1), 7), "ki_b")
    # Before its registration (not owed; monitoring.check_in refuses that day now, but such
    # rows were stored before it did), on both owed days (twice on the 25th: counted once),
    # on Good Friday and a Saturday (not owed), "I can't" on the 30th (not monitored), the
    # 31st, and today (not over, so not counted).
    await stored_before_registration(store, a, cast.requester, date(2027, 3, 23))
    await monitored(store, a, cast.requester, [date(2027, 3, 24)])
    await monitored(store, a, cast.requester, [date(2027, 3, 25)])
    await monitored(store, a, cast.colleague, [date(2027, 3, 25)])
    await monitored(store, a, cast.requester, [date(2027, 3, 26), date(2027, 3, 27)])
    await monitored(store, a, cast.requester, [date(2027, 3, 30)], CheckInKind.CANNOT.value)
    await monitored(store, a, cast.requester, [date(2027, 3, 31), date(2027, 4, 1)])
    # B: Monday and Tuesday, Easter Monday (a holiday), Tuesday, and the morning it closes.
    await monitored(store, b, cast.requester, [
        date(2027, 3, 22), date(2027, 3, 23), date(2027, 3, 29), date(2027, 3, 30),
        date(2027, 3, 31),
    ])
    await close(store, cast, b, at(date(2027, 3, 31), 12))

    weeks = (await overview_at(store, at(date(2027, 4, 1), 10), WORKING_DAYS_ONLY)).weeks

    assert len(weeks) == 52
    assert weeks[0].monday == date(2026, 4, 6)
    assert weeks[-1].monday == date(2027, 3, 29)
    # A owes 24-25 March, B 22-25 March; A monitored 24 and 25, B 22 and 23.
    assert weeks[-2] == WeekCoverage(date(2027, 3, 22), owed=6, monitored=4)
    # A owes 30-31 March (today is not over), B only the 30th; A monitored the 31st, B the
    # 30th.
    assert weeks[-1] == WeekCoverage(date(2027, 3, 29), owed=3, monitored=2)
    # B's first three weeks, Monday to Friday, none monitored; nothing owed before.
    assert [(w.monday, w.owed, w.monitored) for w in weeks[-5:-2]] == [
        (date(2027, 3, 1), 5, 0), (date(2027, 3, 8), 5, 0), (date(2027, 3, 15), 5, 0)
    ]
    assert {(w.owed, w.monitored) for w in weeks[:-5]} == {(0, 0)}


async def test_an_account_monitored_on_its_first_day_has_coverage_that_day(
    store: Store, cast: Cast
) -> None:
    """Once blank on day one although the day was monitored."""
    day_one = date(2027, 4, 22)
    watched = await account(store, cast, at(day_one, 8), "ki_watched")
    unwatched = await account(store, cast, at(day_one, 8), "ki_unwatched")
    await monitored(store, watched, cast.requester, [day_one])
    states = await states_at(store, at(day_one, 12))
    assert (states[watched].coverage, states[watched].flags) == (1.0, ())
    assert states[unwatched].coverage is None
    weeks = (await overview_at(store, at(day_one, 12))).weeks
    assert weeks[-1] == WeekCoverage(date(2027, 4, 19), owed=1, monitored=1)
async def test_weekly_coverage_of_accounts_open_all_year_as_each_viewer_sees_it(
    store: Store, cast: Cast
) -> None:
    """C and D were registered in March 2026, before the 52 weeks (their check-ins are
    counted per day in SQL); the manager sees only C. It is Thursday 1 April 2027, 10:00.
    Holiday duty is off."""
    c = await account(store, cast, at(date(2026, 3, 2), 10), "ki_c")
    d = id_of(await register(
        store, requester=cast.colleague, team=(cast.requester,), manager=cast.director,
        now=at(date(2026, 3, 2), 10), handle="ki_d",
    ))
    # C on Monday (twice: counted once), Tuesday, Good Friday and Saturday (not owed); D on
    # Monday.
    await monitored(store, c, cast.requester, [date(2027, 3, 22), date(2027, 3, 23)])
    await monitored(store, c, cast.colleague, [date(2027, 3, 22)])
    await monitored(store, c, cast.requester, [date(2027, 3, 26), date(2027, 3, 27)])
    await monitored(store, d, cast.colleague, [date(2027, 3, 22)])
    now = at(date(2027, 4, 1), 10)
    async with store.transaction() as session:
        comms = await overview(session, await everyone(session), now, WORKING_DAYS_ONLY)
        manager = Viewer(await people.get_person(session, cast.manager), sees_all=False)
        theirs = await overview(session, manager, now, WORKING_DAYS_ONLY)
    # 22-25 March owed by both (Good Friday is a holiday); Easter Monday 2026 opens the year.
    assert comms.weeks[-2] == WeekCoverage(date(2027, 3, 22), owed=8, monitored=3)
    assert (comms.weeks[0].monday, comms.weeks[0].owed) == (date(2026, 4, 6), 8)
    assert (comms.accounts, theirs.accounts) == (2, 1)
    assert theirs.weeks[-2] == WeekCoverage(date(2027, 3, 22), owed=4, monitored=2)
    assert theirs.weeks[0].owed == 4


# The 20 working days before Thursday 22 April 2027: Good Friday and Easter Monday skipped
# (holiday duty off).
WINDOW = [
    date(2027, 3, 23), date(2027, 3, 24), date(2027, 3, 25),
    date(2027, 3, 30), date(2027, 3, 31), date(2027, 4, 1), date(2027, 4, 2),
    *(date(2027, 4, d) for d in (5, 6, 7, 8, 9, 12, 13, 14, 15, 16)),
    date(2027, 4, 19), date(2027, 4, 20), date(2027, 4, 21),
]
APRIL_22 = date(2027, 4, 22)


async def test_monitoring_gap_below_80_percent_or_after_3_unmonitored_working_days(
    store: Store, cast: Cast
) -> None:
    assert len(WINDOW) == 20
    registered = at(date(2027, 3, 1), 7)
    at_target = await account(store, cast, registered, "ki_sixteen")
    below = await account(store, cast, registered, "ki_fifteen")
    last_three = await account(store, cast, registered, "ki_last_three")
    last_two = await account(store, cast, registered, "ki_last_two")
    young = await account(store, cast, at(date(2027, 4, 20), 8), "ki_young")
    new = await account(store, cast, at(APRIL_22, 8), "ki_new")
    await monitored(store, at_target, cast.requester, WINDOW[4:])
    # Today's check-in does not make up for the fifth missed day: today is not over.
    await monitored(store, below, cast.requester, [*WINDOW[5:], APRIL_22])
    await monitored(store, last_three, cast.requester, WINDOW[:-3])
    await monitored(store, last_two, cast.requester, WINDOW[:-2])
    await monitored(store, young, cast.requester, [date(2027, 4, 21)])

    states = await states_at(store, at(APRIL_22, 10), WORKING_DAYS_ONLY)

    assert (states[at_target].coverage, states[at_target].flags) == (0.8, ())
    assert (states[below].coverage, states[below].flags) == (0.75, ("monitoring_gap",))
    assert (states[last_three].coverage, states[last_three].flags) == (
        0.85, ("monitoring_gap",)
    )
    assert (states[last_two].coverage, states[last_two].flags) == (0.9, ())
    # Registered on the 20th: only the 20th and 21st are owed.
    assert (states[young].coverage, states[young].flags) == (0.5, ("monitoring_gap",))
    assert (states[new].coverage, states[new].flags) == (None, ())
    assert states[at_target].last_monitored == date(2027, 4, 21)
    assert states[below].last_monitored == APRIL_22
    assert states[last_three].last_monitored == date(2027, 4, 16)


async def test_with_holiday_duty_the_weekday_holidays_are_owed_and_counted(
    store: Store, cast: Cast
) -> None:
    """Holiday duty on (the default): someone is on duty on Good Friday (26 March 2027) and
    Easter Monday (29 March), so those days are owed, and their check-ins count. C was
    registered before the 52 weeks (counted in SQL), E on Wednesday 24 March (its check-ins
    read one by one). It is Thursday 1 April 2027, 10:00."""
    c = await account(store, cast, at(date(2026, 3, 2), 10), "ki_c")
    e = await account(store, cast, at(date(2027, 3, 24), 10), "ki_e")
    good_friday, easter_monday = date(2027, 3, 26), date(2027, 3, 29)
    await monitored(store, c, cast.requester, [date(2027, 3, 22), good_friday, easter_monday])
    await monitored(store, e, cast.requester, [good_friday, date(2027, 3, 27)])
    weeks = (await overview_at(store, at(date(2027, 4, 1), 10))).weeks
    # C owes Monday to Friday, Good Friday included; E 24-26 March. A Saturday is never owed.
    assert weeks[-2] == WeekCoverage(date(2027, 3, 22), owed=8, monitored=3)
    # Easter Monday, Tuesday and Wednesday, for both.
    assert weeks[-1] == WeekCoverage(date(2027, 3, 29), owed=6, monitored=1)
    # The 20 monitoring days before today run from 5 March: C monitored 3 of them.
    states = await states_at(store, at(date(2027, 4, 1), 10))
    assert states[c].coverage == 3 / 20
    # E owes 24-26 and 29-31 March: Good Friday monitored.
    assert states[e].coverage == 1 / 6


async def test_inactive_from_the_day_after_ten_unmonitored_working_days(
    store: Store, cast: Cast
) -> None:
    account_id = await account(store, cast, at(date(2027, 3, 1), 7), "ki_quiet")
    # The tenth working day after Monday 1 March is Monday 15 March.
    before = (await states_at(store, midnight(date(2027, 3, 16)) - MICROSECOND))[account_id]
    after = (await states_at(store, midnight(date(2027, 3, 16))))[account_id]
    assert "inactive" not in before.flags and before.inactive_since is None
    assert "inactive" in after.flags and after.inactive_since == date(2027, 3, 16)


# --- questions ------------------------------------------------------------------------------

async def test_questions_late_from_24_hours_after_received(store: Store, cast: Cast) -> None:
    account_id = await account(store, cast, at(date(2027, 3, 1), 7), "ki_asked")
    await monitored(store, account_id, cast.requester, [date(2027, 3, 1), date(2027, 3, 2)])
    received = at(date(2027, 3, 2), 10)
    await act(store, received, questions.log_question, account_id=account_id,
              actor_id=cast.requester, text="When is the open house?")
    # Received earlier but answered: never late.
    answered = await act(store, received, questions.log_question, account_id=account_id,
                         actor_id=cast.requester, text="Old one",
                         received_at=received - timedelta(days=5))
    await act(store, received, questions.answer_question, question_id=answered.id,
              actor_id=cast.colleague)

    before = (await states_at(store, received + CONFIG.question_after - MICROSECOND))[account_id]
    late = (await states_at(store, received + CONFIG.question_after))[account_id]

    assert (before.flags, before.open_questions, before.late_questions) == ((), 1, 0)
    assert (late.flags, late.open_questions, late.late_questions) == (("questions_late",), 1, 1)


async def test_open_questions_by_age_at_the_bucket_boundaries(store: Store, cast: Cast) -> None:
    now = at(date(2027, 6, 1), 12)
    account_id = await account(store, cast, at(date(2027, 1, 4), 7), "ki_busy")
    gone = await account(store, cast, at(date(2027, 1, 4), 7), "ki_gone")
    day = timedelta(days=1)
    second = timedelta(seconds=1)
    ages = [
        day - second,                    # under 1 day
        day, 3 * day - second,           # 1-3 days
        3 * day, 7 * day - second,       # 3-7 days
        7 * day, 30 * day - second,      # 7-30 days
        30 * day, 90 * day,              # over 30 days
    ]
    for age in ages:
        await act(store, now, questions.log_question, account_id=account_id,
                  actor_id=cast.requester, text="A question", received_at=now - age)
    answered = await act(store, now, questions.log_question, account_id=account_id,
                         actor_id=cast.requester, text="Answered", received_at=now - 10 * day)
    await act(store, now, questions.answer_question, question_id=answered.id,
              actor_id=cast.requester)
    # A closed account's open question is nobody's to answer any more: not counted.
    await act(store, now - 2 * day, questions.log_question, account_id=gone,
              actor_id=cast.requester, text="Too late")
    await close(store, cast, gone, now - day)

    assert (await overview_at(store, now)).question_ages == [
        Bucket("under_1_day", 1), Bucket("1_3_days", 2), Bucket("3_7_days", 2),
        Bucket("7_30_days", 2), Bucket("over_30_days", 2),
    ]


# --- archiving ------------------------------------------------------------------------------

async def test_archive_due_within_14_days_then_overdue_after_the_due_date(
    store: Store, cast: Cast
) -> None:
    # Registered 1 March: the first archiving is due 1 September.
    account_id = await account(store, cast, at(date(2027, 3, 1), 7), "ki_archive")

    async def state(now: datetime) -> AccountState:
        return (await states_at(store, now))[account_id]

    far = await state(midnight(date(2027, 8, 18)) - MICROSECOND)
    soon = await state(midnight(date(2027, 8, 18)))
    due_day = await state(midnight(date(2027, 9, 2)) - MICROSECOND)
    overdue = await state(midnight(date(2027, 9, 2)))
    assert far.archive_due == date(2027, 9, 1)
    assert {"archive_due", "archive_overdue"} & set(far.flags) == set()
    assert "archive_due" in soon.flags and "archive_overdue" not in soon.flags
    assert "archive_due" in due_day.flags and "archive_overdue" not in due_day.flags
    assert due_day.archive_overdue_days == 0
    assert "archive_overdue" in overdue.flags and "archive_due" not in overdue.flags
    assert overdue.archive_overdue_days == 1

    # A snooze quiets the reminders but does not move the due date.
    await act(store, at(date(2027, 9, 2), 10), archive.snooze_archive, account_id=account_id,
              actor_id=cast.requester)
    snoozed = await state(at(date(2027, 9, 3), 10))
    assert "archive_overdue" in snoozed.flags
    assert (snoozed.archive_due, snoozed.archive_overdue_days) == (date(2027, 9, 1), 2)


async def test_archiving_per_month_on_time_late_and_overdue(store: Store, cast: Cast) -> None:
    """It is Sunday 20 June 2027: the months shown are July 2026 to June 2027, each
    archiving in the month it was due."""

    async def done(account_id: int, when: datetime) -> None:
        await act(store, when, archive.record_archive, account_id=account_id,
                  actor_id=cast.requester, location="K:/archive")

    # Due 15 December, done on the 10th (on time); due again 10 June, not done (overdue).
    a = await account(store, cast, at(date(2026, 6, 15), 10), "ki_a")
    await done(a, at(date(2026, 12, 10), 10))
    # Due 1 January, done 00:30 on the 2nd in Stockholm (23:30 on the 1st in UTC): late.
    b = await account(store, cast, at(date(2026, 7, 1), 10), "ki_b")
    await done(b, at(date(2027, 1, 2), 0, 30))
    # Due 10 February, snoozed on the 5th to the 12th, done on the 11th: late.
    c = await account(store, cast, at(date(2026, 8, 10), 10), "ki_c")
    await act(store, at(date(2027, 2, 5), 10), archive.snooze_archive, account_id=c,
              actor_id=cast.requester)
    await done(c, at(date(2027, 2, 11), 10))
    # A major change on 3 March makes it due that day; done that afternoon: on time.
    d = await account(store, cast, at(date(2027, 1, 10), 10), "ki_d")
    await act(store, at(date(2027, 3, 3), 10), archive.request_archive, account_id=d,
              actor_id=cast.requester)
    await done(d, at(date(2027, 3, 3), 15))
    # Due 20 May, not done: overdue.
    await account(store, cast, at(date(2026, 11, 20), 10), "ki_e")
    # Due today, 20 June: not overdue yet.
    await account(store, cast, at(date(2026, 12, 20), 10), "ki_f")
    # Due 20 October, done at 23:00 that day, then closed: still on time in October.
    g = await account(store, cast, at(date(2026, 4, 20), 10), "ki_g")
    await done(g, at(date(2026, 10, 20), 23))
    await close(store, cast, g, at(date(2027, 1, 15), 10))
    # Due 1 June 2026, before the months shown.
    h = await account(store, cast, at(date(2025, 12, 1), 10), "ki_h")
    await done(h, at(date(2026, 6, 1), 10))
    await close(store, cast, h, at(date(2026, 6, 2), 10))
    # Due 1 November, closed in December without it: a closed account owes nothing.
    i = await account(store, cast, at(date(2026, 5, 1), 10), "ki_i")
    await close(store, cast, i, at(date(2026, 12, 1), 10))

    months = (await overview_at(store, at(date(2027, 6, 20), 12))).archiving

    expected = {
        date(2026, 10, 1): (1, 0, 0),
        date(2026, 12, 1): (1, 0, 0),
        date(2027, 1, 1): (0, 1, 0),
        date(2027, 2, 1): (0, 1, 0),
        date(2027, 3, 1): (1, 0, 0),
        date(2027, 5, 1): (0, 0, 1),
        date(2027, 6, 1): (0, 0, 1),
    }
    first_days = [date(2026, m, 1) for m in range(7, 13)] + [date(2027, m, 1) for m in range(1, 7)]
    assert months == [
        MonthArchiving(month, *expected.get(month, (0, 0, 0))) for month in first_days
    ]


# --- the register ---------------------------------------------------------------------------

async def test_accounts_per_platform_and_unit_leave_closed_ones_out(
    store: Store, cast: Cast
) -> None:
    registered = at(date(2027, 3, 1), 7)
    neuro, medicine = "Department of Neuroscience", "Department of Medicine"
    await account(store, cast, registered, "ki_one", platform="instagram", unit=neuro)
    await account(store, cast, registered, "ki_two", platform="instagram", unit=neuro)
    await account(store, cast, registered, "kineuro", platform="facebook", unit=neuro)
    await account(store, cast, registered, "ki-medicine", platform="linkedin", unit=medicine)
    closed = await account(store, cast, registered, "ki_three", platform="instagram",
                           unit=medicine)
    await close(store, cast, closed, at(date(2027, 3, 2), 10))

    summary = await overview_at(store, at(date(2027, 3, 3), 10))

    assert summary.per_platform == [
        Bucket("instagram", 2), Bucket("facebook", 1), Bucket("linkedin", 1)
    ]
    assert summary.per_unit == [Bucket(neuro, 3), Bucket(medicine, 1)]


async def test_a_closed_account_is_only_closed(store: Store, cast: Cast) -> None:
    registered = at(date(2027, 3, 1), 7)
    gone = await account(store, cast, registered, "ki_gone")
    await monitored(store, gone, cast.requester, [date(2027, 3, 2)])
    await act(store, at(date(2027, 3, 2), 10), questions.log_question, account_id=gone,
              actor_id=cast.requester, text="Never answered")
    await close(store, cast, gone, at(date(2027, 3, 3), 10))

    # Months later: it would be inactive, late with its question and overdue with archiving.
    state = (await states_at(store, at(date(2027, 10, 1), 10)))[gone]

    assert state == AccountState(
        account_id=gone, flags=("closed",), coverage=None, open_questions=0,
        late_questions=0, archive_due=None, archive_overdue_days=0, inactive_since=None,
        last_monitored=date(2027, 3, 2),
    )


@contextmanager
def statements(store: Store) -> Iterator[list[str]]:
    """The SQL statements run on `store` inside the block."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.lstrip().split(None, 1)[0].upper())

    event.listen(store.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(store.engine.sync_engine, "before_cursor_execute", record)


async def test_a_fixed_number_of_read_only_queries_whatever_the_register(
    store: Store, cast: Cast
) -> None:
    registered = at(date(2027, 3, 1), 7)
    now = at(date(2027, 3, 10), 10)

    async def run() -> list[str]:
        accounts = await register_rows(store)
        async with store.transaction() as session:
            viewer = await everyone(session)
        with statements(store) as seen:
            async with store.transaction() as session:
                await account_states(session, now, CONFIG, accounts)
                await overview(session, viewer, now, CONFIG)
        return [s for s in seen if s not in ("BEGIN", "COMMIT")]

    for n in range(2):
        made = await account(store, cast, registered, f"ki_small_{n}")
        await monitored(store, made, cast.requester, [date(2027, 3, 2)])
    await close(store, cast, made, at(date(2027, 3, 5), 10))
    small = await run()

    for n in range(6):
        made = await account(store, cast, registered, f"ki_large_{n}")
        await monitored(store, made, cast.requester, [date(2027, 3, 2), date(2027, 3, 3)])
        await act(store, at(date(2027, 3, 4), 10), questions.log_question, account_id=made,
                  actor_id=cast.requester, text="Any news?")
    await close(store, cast, made, at(date(2027, 3, 5), 10))
    large = await run()

    assert len(large) == len(small)
    assert set(large) == {"SELECT"}
