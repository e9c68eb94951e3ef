"""Monitoring check-ins (*Monitored today*, *I can't today*) and the activity log
(*Still active*, content published): the evidence the inactivity rule looks at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import access, audit, outbox, rota
from data.access import DEFAULT_ZONE
from data.compliance_changes import changed
from data.errors import Invalid
from data.models import ActivityEntry, CheckInKind, MonitoringCheckIn
from data.upsert import insert_ignore

NOTE_TEXT = 1000


@dataclass(frozen=True)
class CheckInResult:
    check_in: MonitoringCheckIn
    # Who was on duty before this check-in, and who is now (None: nobody / not a working day).
    was_on_duty: int | None
    now_on_duty: int | None


async def check_in(
    session: AsyncSession,
    *,
    account_id: int,
    person_id: int,
    day: date,
    kind: str,
    now: datetime,
    calendar: rota.WorkingDays,
    zone: ZoneInfo = DEFAULT_ZONE,
) -> CheckInResult:
    """A team member's *Monitored today* (kind "monitored") or *I can't today* ("cannot") for
    `day` (a local date, from the account's registration day to today). A second click the
    same day replaces the first, except that a day the person marked monitored stays so:
    "cannot" then is Invalid("monitored_already", day) (a stray click on the same card must
    not take back the day's monitoring and tell the manager nobody can do it).

    "cannot" from the person on duty hands the day on (hand_on, as an absence recorded for
    today does) to the next available person in the rota, who is told at once (notice
    `duty_handed`, params {account_id, day, from_person_id}); when nobody is left, the manager
    is told at once (notice `nobody_on_duty`, params {account_id, day}). Neither once someone
    has monitored the day: nobody needs to take over.

    NotAllowed("not_team_member") (also for an account id that does not exist: a forged
    button learns nothing), MovedOn("account_closed"), Invalid("unknown_check_in"),
    Invalid("future_day"), Invalid("before_registration", day=<the registration day>).
    """
    # The team first: only its members may learn that the account is closed, and its number.
    await access.require_member(session, account_id, person_id)
    account = await access.active_account(session, account_id)
    if kind not in (CheckInKind.MONITORED.value, CheckInKind.CANNOT.value):
        raise Invalid("unknown_check_in", field="kind")
    if day > access.today(now, zone):
        raise Invalid("future_day", field="day")
    # Nobody monitored an account before it existed (and the rota has no duty then).
    registered = access.today(account.registered_at, zone)
    if day < registered:
        raise Invalid("before_registration", field="day", day=registered.isoformat())
    # "cannot" must see a "monitored" made at the same moment, on another platform.
    await access.lock_account(session, account_id)
    monitored = await _monitored_by(session, account_id, day)
    if kind == CheckInKind.CANNOT.value and person_id in monitored:
        raise Invalid("monitored_already", field="kind", day=day.isoformat())
    before = await rota.duty_on(session, account_id=account_id, day=day, calendar=calendar,
                                zone=zone)
    inserted = await insert_ignore(
        session,
        MonitoringCheckIn,
        {"account_id": account_id, "person_id": person_id, "day": day, "kind": kind, "at": now},
        ["account_id", "person_id", "day"],
    )
    if not inserted:
        await session.exec(
            update(MonitoringCheckIn)
            .where(
                col(MonitoringCheckIn.account_id) == account_id,
                col(MonitoringCheckIn.person_id) == person_id,
                col(MonitoringCheckIn.day) == day,
            )
            .values(kind=kind, at=now)
        )
    row = (
        await session.exec(
            select(MonitoringCheckIn).where(
                MonitoringCheckIn.account_id == account_id,
                MonitoringCheckIn.person_id == person_id,
                MonitoringCheckIn.day == day,
            )
        )
    ).one()
    await session.refresh(row)
    await changed(session, account_id)
    audit.record(
        session, now=now, actor_id=person_id, action=f"monitoring.{kind}",
        subject=f"account:{account_id}", day=day.isoformat(),
    )
    if kind == CheckInKind.CANNOT.value:
        after = await hand_on(
            session, account_id=account_id, person_id=person_id, was_on_duty=before, day=day,
            now=now, calendar=calendar, zone=zone,
        )
    else:
        after = await rota.duty_on(session, account_id=account_id, day=day, calendar=calendar,
                                   zone=zone)
    return CheckInResult(row, before, after)


async def hand_on(
    session: AsyncSession,
    *,
    account_id: int,
    person_id: int,
    was_on_duty: int | None,
    day: date,
    now: datetime,
    calendar: rota.WorkingDays,
    zone: ZoneInfo = DEFAULT_ZONE,
    why: str | None = None,
) -> int | None:
    """`person_id` has just dropped out of `day` ("I can't today", an absence recorded for it,
    or leaving the team: `why` "left_team", which the notice names; call this once the change
    is written); `was_on_duty` is who was on duty before. When that was them, `day` is today and nobody has marked it monitored yet, the
    day is handed on: the next available person in the rota is told at once (notice
    `duty_handed`, params {account_id, day, from_person_id}), or, nobody being left, the
    manager (notice `nobody_on_duty`, params {account_id, day}). Who is on duty now.

    The outbox keys make a repeat (a second click, the same absence again) tell nobody twice."""
    after = await rota.duty_on(session, account_id=account_id, day=day, calendar=calendar,
                               zone=zone)
    if (
        was_on_duty != person_id
        or day != access.today(now, zone)
        or await _monitored_by(session, account_id, day)
    ):
        return after
    params = {"account_id": account_id, "day": day.isoformat()}
    if after is not None:
        await outbox.enqueue(
            session,
            key=f"duty_handed:{account_id}:{day.isoformat()}:{after}",
            kind="duty_handed",
            now=now,
            recipient_id=after,
            params={**params, "from_person_id": person_id, **({"why": why} if why else {})},
        )
    else:
        manager_id = (await access.account(session, account_id)).manager_id
        await outbox.enqueue(
            session,
            key=f"nobody_on_duty:{account_id}:{day.isoformat()}",
            kind="nobody_on_duty",
            now=now,
            recipient_id=manager_id,
            params=params,
        )
    return after


async def _monitored_by(session: AsyncSession, account_id: int, day: date) -> set[int]:
    """Who marked the account monitored on `day`."""
    rows = await session.exec(
        select(MonitoringCheckIn.person_id).where(
            MonitoringCheckIn.account_id == account_id,
            MonitoringCheckIn.day == day,
            MonitoringCheckIn.kind == CheckInKind.MONITORED.value,
        )
    )
    return set(rows)


async def log_activity(
    session: AsyncSession,
    *,
    account_id: int,
    actor_id: int,
    now: datetime,
    note: str = "",
) -> ActivityEntry:
    """A team member logs activity on the account (content published, or *Still active*):
    it resets both inactivity clocks. NotAllowed("not_team_member") (an unknown account id
    too), MovedOn("account_closed"), Invalid("too_long", field="note")."""
    # The team first: only its members may learn that the account is closed, and its number.
    await access.require_member(session, account_id, actor_id)
    await access.active_account(session, account_id)
    text = note.strip()
    if len(text) > NOTE_TEXT:
        raise Invalid("too_long", field="note", maximum=NOTE_TEXT, length=len(text))
    entry = ActivityEntry(account_id=account_id, person_id=actor_id, at=now, note=text)
    session.add(entry)
    await session.flush()
    await changed(session, account_id)
    audit.record(
        session, now=now, actor_id=actor_id, action="activity.logged",
        subject=f"account:{account_id}", entry_id=entry.id,
    )
    return entry


async def check_ins(
    session: AsyncSession, account_id: int, *, first_day: date, last_day: date
) -> list[MonitoringCheckIn]:
    """The account's check-ins between two days (inclusive), by day."""
    rows = await session.exec(
        select(MonitoringCheckIn)
        .where(
            MonitoringCheckIn.account_id == account_id,
            MonitoringCheckIn.day >= first_day,
            MonitoringCheckIn.day <= last_day,
        )
        .order_by(col(MonitoringCheckIn.day), col(MonitoringCheckIn.id))
    )
    return list(rows)


async def activity(session: AsyncSession, account_id: int, *, limit: int = 20) -> list[ActivityEntry]:
    """The account's latest activity entries, newest first."""
    rows = await session.exec(
        select(ActivityEntry)
        .where(ActivityEntry.account_id == account_id)
        .order_by(col(ActivityEntry.at).desc(), col(ActivityEntry.id).desc())
        .limit(limit)
    )
    return list(rows)
