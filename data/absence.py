"""Absences: `/away FROM TO`. The rota skips a person on the days they are away."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import access, audit, people
from data.access import DEFAULT_ZONE
from data.errors import Invalid, NotAllowed, NotFound
from data.models import Absence, Person

# The longest absence one command records (days, inclusive).
MAX_DAYS = 366
NOTE_TEXT = 200


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
) -> Absence:
    """Record that `person_id` is away from `first_day` to `last_day` (inclusive).

    Only for oneself: NotAllowed("not_own_absence") otherwise. Invalid codes (field "dates"):
    "dates_in_wrong_order", "in_the_past" (ends before today), "too_long" (over MAX_DAYS),
    "absence_overlaps" (a day of it is in one of the person's absences already: params
    absence_id, first and last name the earliest such; it is cancelled first, not merged, so
    the person sees what the rota counts on).
    """
    if actor_id != person_id:
        raise NotAllowed("not_own_absence")
    await people.get_person(session, person_id)
    # One person's absences are recorded one after another, so two at once can't overlap.
    # (SQLite serialises every writer already; PostgreSQL needs the row lock.)
    await session.get(Person, person_id, with_for_update=True)
    if last_day < first_day:
        raise Invalid("dates_in_wrong_order", field="dates")
    if last_day < access.today(now, zone):
        raise Invalid("in_the_past", field="dates")
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise Invalid("too_long", field="dates", maximum=MAX_DAYS)
    overlapping = (
        await session.exec(
            select(Absence)
            .where(
                Absence.person_id == person_id,
                Absence.first_day <= last_day,
                Absence.last_day >= first_day,
            )
            .order_by(col(Absence.first_day), col(Absence.id))
        )
    ).first()
    if overlapping is not None:
        raise Invalid(
            "absence_overlaps", field="dates", absence_id=overlapping.id,
            first=overlapping.first_day.isoformat(), last=overlapping.last_day.isoformat(),
        )
    text = access.check_text(note, field="note", maximum=NOTE_TEXT) if note else None
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
    return absence


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
