"""Absences: `/away FROM TO`. The rota skips a person on the days they are away."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import access, audit, monitoring, people, rota
from data.access import DEFAULT_ZONE
from data.errors import Invalid, NotAllowed, NotFound
from data.models import Absence, Person
from data.policy import NudgeConfig

# The longest absence (days, inclusive), absences that follow on from each other counted as
# one: longer than this, someone else should take the person's place on the team.
MAX_DAYS = 366
# How far ahead an absence may end (days after today): beyond a year or so the rota is
# guesswork, and a typo such as 9999 would keep someone off it for good.
MAX_AHEAD_DAYS = 400
NOTE_TEXT = 200
# The rota's days and the morning reminder's time when the caller names none (the policy's
# defaults, as the nudge rules use them).
_POLICY = NudgeConfig()


async def record_absence(
    session: AsyncSession,
    *,
    person_id: int,
    actor_id: int,
    first_day: date,
    last_day: date,
    now: datetime,
    note: str | None = None,
    zone: ZoneInfo = DEFAULT_ZONE,
    calendar: rota.WorkingDays | None = None,
    rota_at: time = _POLICY.rota_at,
) -> Absence:
    """Record that `person_id` is away from `first_day` to `last_day` (inclusive).

    Days before today are history: an absence that began earlier is recorded from today, so
    who was on duty on a past day stays as it was (the absence returned says which days).

    Only for oneself: NotAllowed("not_own_absence") otherwise. Invalid codes (field "dates"):
    "dates_in_wrong_order", "in_the_past" (ends before today), "too_long" (over MAX_DAYS,
    counting the person's absences right before and after it as one), "too_far_ahead" (ends
    over MAX_AHEAD_DAYS after today: params maximum, last, the last day allowed),
    "absence_overlaps" (a day of it is in one of the person's absences already: params
    absence_id, first and last name the earliest such; it is cancelled first, not merged, so
    the person sees what the rota counts on).

    An absence covering today recorded from `rota_at` on, when the morning reminder has gone
    out, hands the person's duty today on as *I can't today* does (monitoring.hand_on) on
    each open account where they were on duty; before then the reminder itself goes to
    whoever the rota now puts on duty. `calendar` is the rota's days (the policy's default).
    """
    if actor_id != person_id:
        raise NotAllowed("not_own_absence")
    await people.get_person(session, person_id)
    # One person's absences are recorded one after another, so two at once can't overlap.
    # (SQLite serialises every writer already; PostgreSQL needs the row lock.)
    await session.get(Person, person_id, with_for_update=True)
    today = access.today(now, zone)
    if last_day < first_day:
        raise Invalid("dates_in_wrong_order", field="dates")
    if last_day < today:
        raise Invalid("in_the_past", field="dates")
    first_day = max(first_day, today)
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise Invalid("too_long", field="dates", maximum=MAX_DAYS)
    furthest = today + timedelta(days=MAX_AHEAD_DAYS)
    if last_day > furthest:
        raise Invalid("too_far_ahead", field="dates", maximum=MAX_AHEAD_DAYS,
                      last=furthest.isoformat())
    nearby = await _nearby(session, person_id, first_day, last_day)
    overlapping = next(
        (a for a in nearby if a.first_day <= last_day and a.last_day >= first_day), None
    )
    if overlapping is not None:
        raise Invalid(
            "absence_overlaps", field="dates", absence_id=overlapping.id,
            first=overlapping.first_day.isoformat(), last=overlapping.last_day.isoformat(),
        )
    # Absences that follow on from each other keep the person off the rota as one would.
    start, end = _run(nearby, first_day, last_day)
    if (end - start).days + 1 > MAX_DAYS:
        raise Invalid("too_long", field="dates", maximum=MAX_DAYS)
    text = access.check_text(note, field="note", maximum=NOTE_TEXT) if note else None
    calendar = calendar or _POLICY.monitoring
    # Only once the morning reminder named someone does anyone need telling of a change.
    reminded = first_day == today and now.astimezone(zone).time() >= rota_at
    on_duty = (
        await rota.accounts_on_duty(session, person_id=person_id, day=today, calendar=calendar,
                                    zone=zone)
        if reminded else []
    )
    absence = Absence(
        person_id=person_id, first_day=first_day, last_day=last_day, note=text, created_at=now
    )
    session.add(absence)
    await session.flush()
    audit.record(
        session, now=now, actor_id=actor_id, action="absence.recorded",
        subject=f"person:{person_id}", absence_id=absence.id,
        first_day=first_day.isoformat(), last_day=last_day.isoformat(),
    )
    for account_id in on_duty:
        await monitoring.hand_on(
            session, account_id=account_id, person_id=person_id, was_on_duty=person_id,
            day=today, now=now, calendar=calendar, zone=zone,
        )
    return absence


async def _nearby(
    session: AsyncSession, person_id: int, first_day: date, last_day: date
) -> list[Absence]:
    """The person's absences that could overlap the days or run on into them (MAX_DAYS is the
    most a run may span, so nothing further off matters), earliest first."""
    reach = timedelta(days=MAX_DAYS + 1)
    rows = await session.exec(
        select(Absence)
        .where(
            Absence.person_id == person_id,
            Absence.first_day <= last_day + reach,
            Absence.last_day >= first_day - reach,
        )
        .order_by(col(Absence.first_day), col(Absence.id))
    )
    return list(rows)


def _run(nearby: list[Absence], first_day: date, last_day: date) -> tuple[date, date]:
    """The first and last day of the unbroken stretch away that `first_day`..`last_day`
    would make with the absences (none overlapping it) right before and after it."""
    start, end = first_day, last_day
    for earlier in reversed([a for a in nearby if a.last_day < first_day]):
        if earlier.last_day != start - timedelta(days=1):
            break
        start = earlier.first_day
    for later in (a for a in nearby if a.first_day > last_day):
        if later.first_day != end + timedelta(days=1):
            break
        end = later.last_day
    return start, end


async def cancel_absence(
    session: AsyncSession, *, absence_id: int, actor_id: int, now: datetime
) -> None:
    """Remove one's own absence (NotFound("unknown_absence"), NotAllowed("not_own_absence"))."""
    absence = await session.get(Absence, absence_id)
    if absence is None:
        raise NotFound("unknown_absence")
    if absence.person_id != actor_id:
        raise NotAllowed("not_own_absence")
    await session.exec(delete(Absence).where(col(Absence.id) == absence_id))
    audit.record(
        session, now=now, actor_id=actor_id, action="absence.cancelled",
        subject=f"person:{absence.person_id}", absence_id=absence_id,
        first_day=absence.first_day.isoformat(), last_day=absence.last_day.isoformat(),
    )


async def absences_of(
    session: AsyncSession, person_id: int, *, from_day: date | None = None
) -> list[Absence]:
    """The person's absences (ending on or after `from_day` when given), earliest first."""
    statement = select(Absence).where(Absence.person_id == person_id)
    if from_day is not None:
        statement = statement.where(Absence.last_day >= from_day)
    rows = await session.exec(statement.order_by(col(Absence.first_day), col(Absence.id)))
    return list(rows)


async def away_on(session: AsyncSession, person_ids: list[int], day: date) -> set[int]:
    """Which of `person_ids` are away on `day`."""
    if not person_ids:
        return set()
    rows = await session.exec(
        select(Absence.person_id).where(
            col(Absence.person_id).in_(person_ids),
            Absence.first_day <= day,
            Absence.last_day >= day,
        )
    )
    return set(rows)
