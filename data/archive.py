"""Archiving the profile page: every six months, and before a major change (`/major-change`).

An account owes its next archiving EVERY_MONTHS after the last one was done (the first after
its registration). An *open* ArchiveRecord (done_at empty) exists only when something was
said about the owed one: a major change asked for it (due at once), or the team snoozed it.

A card that asks for an archiving names its *period*: the id of the archiving recorded last
when it asked (0: none yet; `last_recorded`). Its *Archived…* records the one owed after that,
once: a second click (another responsible person's copy, a double click, a card from an earlier
period) records nothing (`record_archive`'s `after`).
"""

from __future__ import annotations

import calendar as gregorian
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import access, audit, outbox, register
from data.access import DEFAULT_ZONE
from data.compliance_changes import changed
from data.errors import MovedOn
from data.models import ArchiveReason, ArchiveRecord

EVERY_MONTHS = 6
SNOOZE_DAYS = 7
LOCATION_TEXT = 1000
# Read once: an enum member's .value is a descriptor call (this runs for every account).
_SCHEDULED = ArchiveReason.SCHEDULED.value


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has fewer days."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, gregorian.monthrange(year, month)[1]))


@dataclass(frozen=True)
class OpenArchive:
    record_id: int
    due: date
    reason: str
    snoozed_until: date | None
    # The local day it was opened: reminders for days up to it are not sent.
    opened_on: date


@dataclass(frozen=True)
class ArchiveState:
    account_id: int
    due: date
    reason: str
    snoozed_until: date | None
    last_done: date | None
    # Reminders are only for days after this (the day a request or snooze opened the record).
    quiet_until: date | None


def archive_state(
    account_id: int,
    registered_on: date,
    last_done: date | None,
    open_record: OpenArchive | None,
    every_months: int = EVERY_MONTHS,
) -> ArchiveState:
    """What the account owes: pure, from its registration day, its last archiving day, and
    its open record if any."""
    if open_record is not None:
        return ArchiveState(
            account_id, open_record.due, open_record.reason, open_record.snoozed_until,
            last_done, open_record.opened_on,
        )
    due = add_months(last_done or registered_on, every_months)
    return ArchiveState(account_id, due, _SCHEDULED, None, last_done, None)


async def current(
    session: AsyncSession, account_id: int, zone: ZoneInfo = DEFAULT_ZONE
) -> ArchiveState:
    """The account's archiving state as stored now."""
    account = await access.account(session, account_id)
    last = (
        await session.exec(
            select(func.max(ArchiveRecord.done_at)).where(ArchiveRecord.account_id == account_id)
        )
    ).one()
    opened = await _open_record(session, account_id)
    return archive_state(
        account_id,
        access.today(account.registered_at, zone),
        access.today(last, zone) if last is not None else None,
        _as_open(opened, zone),
    )


async def still_owed(
    session: AsyncSession, account_id: int, actor_id: int, after: int | None
) -> None:
    """What an answer to an archiving card checks first: a team member of an open account,
    and (with `after`, the period the card asked about) nothing recorded since, else
    MovedOn("archive_recorded", record_id, done_by, done_at, location)."""
    # Two clicks at once can't both see the period still open.
    await access.lock_account(session, account_id)
    await access.active_account(session, account_id)
    await access.require_member(session, account_id, actor_id)
    if after is not None:
        since = await recorded_since(session, account_id, after)
        if since is not None:
            raise MovedOn(
                "archive_recorded", record_id=since.id, done_by=since.done_by,
                done_at=since.done_at, location=since.location or "",
            )


async def record_archive(
    session: AsyncSession,
    *,
    account_id: int,
    actor_id: int,
    location: str,
    now: datetime,
    zone: ZoneInfo = DEFAULT_ZONE,
    after: int | None = None,
) -> ArchiveRecord:
    """*Archived…*: a team member says the profile page was saved, and where. Closes the owed
    archiving; the next is due EVERY_MONTHS from today.

    `after`: the period the card asked about (`last_recorded` when it was made). When an
    archiving was recorded since, nothing is written: MovedOn("archive_recorded", record_id,
    done_by, done_at, location) names it. None: the archiving owed now, whatever came before.

    NotAllowed("not_team_member"), MovedOn("account_closed"), Invalid("empty"/"too_long",
    field "location")."""
    await still_owed(session, account_id, actor_id, after)
    where = access.check_text(location, field="location", maximum=LOCATION_TEXT)
    state = await current(session, account_id, zone)
    opened = await _open_record(session, account_id)
    record: ArchiveRecord | None = None
    if opened is not None:
        result = await session.exec(
            update(ArchiveRecord)
            .where(col(ArchiveRecord.id) == opened.id, col(ArchiveRecord.done_at).is_(None))
            .values(done_at=now, location=where, done_by=actor_id)
        )
        if result.rowcount == 1:
            await session.refresh(opened)
            record = opened
    if record is None:
        record = ArchiveRecord(
            account_id=account_id, reason=state.reason, due=state.due, done_at=now,
            location=where, done_by=actor_id, created_at=now, created_by=actor_id,
        )
        session.add(record)
        await session.flush()
    await changed(session, account_id)
    audit.record(
        session, now=now, actor_id=actor_id, action="archive.done",
        subject=f"account:{account_id}", record_id=record.id, reason=record.reason,
        due=record.due.isoformat(), location=where,
    )
    return record


async def snooze_archive(
    session: AsyncSession,
    *,
    account_id: int,
    actor_id: int,
    now: datetime,
    days: int = SNOOZE_DAYS,
    zone: ZoneInfo = DEFAULT_ZONE,
    after: int | None = None,
) -> ArchiveRecord:
    """*Snooze a week*: no archiving reminders to the team until today + `days` (the manager's
    escalation for 14 days overdue still comes). NotAllowed("not_team_member"),
    MovedOn("account_closed"); with `after` (the period the card asked about, as
    record_archive's), MovedOn("archive_recorded") once that archiving is recorded: the
    next one is not snoozed from an old card."""
    await still_owed(session, account_id, actor_id, after)
    until = access.today(now, zone) + timedelta(days=days)
    record = await _open_or_new(session, account_id, actor_id, now, zone)
    record.snoozed_until = until
    session.add(record)
    await session.flush()
    await changed(session, account_id)
    audit.record(
        session, now=now, actor_id=actor_id, action="archive.snoozed",
        subject=f"account:{account_id}", record_id=record.id, until=until.isoformat(),
    )
    return record


async def request_archive(
    session: AsyncSession,
    *,
    account_id: int,
    actor_id: int,
    now: datetime,
    zone: ZoneInfo = DEFAULT_ZONE,
) -> ArchiveRecord:
    """`/major-change`: archiving is owed today, before the change. The team is told at once
    (notice `archive_requested`, params {account_id, record_id, by}); the archiving rule
    reminds them weekly after today until it is done.
    NotAllowed("not_team_member"), MovedOn("account_closed")."""
    await access.active_account(session, account_id)
    await access.require_member(session, account_id, actor_id)
    today = access.today(now, zone)
    record = await _open_or_new(session, account_id, actor_id, now, zone)
    record.reason = ArchiveReason.MAJOR_CHANGE.value
    record.due = min(record.due, today)
    record.snoozed_until = None
    record.created_at, record.created_by = now, actor_id
    session.add(record)
    await session.flush()
    assert record.id is not None
    await changed(session, account_id)
    audit.record(
        session, now=now, actor_id=actor_id, action="archive.requested",
        subject=f"account:{account_id}", record_id=record.id, reason=record.reason,
    )
    for person_id in await register.team_of(session, account_id):
        await outbox.enqueue(
            session,
            key=f"archive_requested:{record.id}:{person_id}",
            kind="archive_requested",
            now=now,
            recipient_id=person_id,
            params={"account_id": account_id, "record_id": record.id, "by": actor_id},
        )
    return record


async def last_recorded(
    session: AsyncSession, account_id: int, before: int | None = None
) -> int:
    """The period a card asks about now: the id of the account's archiving recorded last (0:
    none yet). `before`: as it was when record `before` was opened (a major change's request,
    asked about by a card that may be composed later)."""
    query = select(func.max(ArchiveRecord.id)).where(
        ArchiveRecord.account_id == account_id, col(ArchiveRecord.done_at).is_not(None)
    )
    if before is not None:
        query = query.where(col(ArchiveRecord.id) < before)
    return (await session.exec(query)).one() or 0


async def recorded_since(
    session: AsyncSession, account_id: int, after: int
) -> ArchiveRecord | None:
    """The archiving that answered the period `after` (`last_recorded`'s), None while it is
    still owed."""
    return (
        await session.exec(
            select(ArchiveRecord)
            .where(
                ArchiveRecord.account_id == account_id,
                col(ArchiveRecord.done_at).is_not(None),
                col(ArchiveRecord.id) > after,
            )
            .order_by(col(ArchiveRecord.id))
        )
    ).first()


async def period_of_old_card(
    session: AsyncSession,
    account_id: int,
    *,
    now: datetime,
    before_days: int,
    zone: ZoneInfo = DEFAULT_ZONE,
) -> int:
    """The period of a card from before cards named theirs (its value only the account id).
    The team is asked for an archiving only from `before_days` ahead of its due day, or at once
    by a major change (or when it snoozed one): while that is so, the card is about the one
    owed now; otherwise it can only be about the one recorded last, so a repeat click on it
    records nothing."""
    state = await current(session, account_id, zone)
    recorded = await last_recorded(session, account_id)
    asked = state.quiet_until is not None or (
        access.today(now, zone) >= state.due - timedelta(days=before_days)
    )
    if asked or not recorded:
        return recorded
    return await last_recorded(session, account_id, before=recorded)


async def records(session: AsyncSession, account_id: int) -> list[ArchiveRecord]:
    """The account's archive records, newest first."""
    rows = await session.exec(
        select(ArchiveRecord)
        .where(ArchiveRecord.account_id == account_id)
        .order_by(col(ArchiveRecord.id).desc())
    )
    return list(rows)


async def _open_record(session: AsyncSession, account_id: int) -> ArchiveRecord | None:
    return (
        await session.exec(
            select(ArchiveRecord)
            .where(ArchiveRecord.account_id == account_id, col(ArchiveRecord.done_at).is_(None))
            .order_by(col(ArchiveRecord.id))
        )
    ).first()


def _as_open(record: ArchiveRecord | None, zone: ZoneInfo) -> OpenArchive | None:
    if record is None:
        return None
    assert record.id is not None
    return OpenArchive(
        record.id, record.due, record.reason, record.snoozed_until,
        access.today(record.created_at, zone),
    )


async def _open_or_new(
    session: AsyncSession, account_id: int, actor_id: int, now: datetime, zone: ZoneInfo
) -> ArchiveRecord:
    opened = await _open_record(session, account_id)
    if opened is not None:
        return opened
    state = await current(session, account_id, zone)
    record = ArchiveRecord(
        account_id=account_id, reason=state.reason, due=state.due, created_at=now,
        created_by=actor_id,
    )
    session.add(record)
    await session.flush()
    return record
