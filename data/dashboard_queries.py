"""Read queries for the dashboard's compliance states (data/dashboard_overview.py): each is one
query over a set of accounts, whatever their number (in pieces of data.chunks.IN_CHUNK ids, which
databases accept, or the whole register past that). Nothing here writes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data.archive import OpenArchive, archive_state
from data.chunks import IN_CHUNK, chunks
from data.models import (
    Account,
    ActivityEntry,
    ArchiveRecord,
    CheckInKind,
    MonitoringCheckIn,
)


@dataclass(frozen=True)
class DoneArchiving:
    account_id: int
    due: date
    done_at: datetime


async def monitored_days(
    session: AsyncSession, account_ids: Sequence[int], *, first_day: date, last_day: date
) -> dict[int, set[date]]:
    """Per account, the days in [first_day, last_day] with a "monitored" check-in from anyone."""
    days: dict[int, set[date]] = defaultdict(set)
    if not account_ids:
        return days
    wanted = set(account_ids)
    for piece in pieces(wanted):
        statement = (
            select(MonitoringCheckIn.account_id, col(MonitoringCheckIn.day))
            .where(
                MonitoringCheckIn.kind == CheckInKind.MONITORED.value,
                MonitoringCheckIn.day >= first_day,
                MonitoringCheckIn.day <= last_day,
            )
            .distinct()
        )
        if piece is not None:
            statement = statement.where(col(MonitoringCheckIn.account_id).in_(piece))
        for account_id, day in await session.exec(statement):
            if account_id in wanted:
                days[account_id].add(day)
    return days


def pieces(ids: set[int]) -> list[list[int] | None]:
    """The id lists to query by, or [None]: more ids than an IN list holds are read as the
    whole register (one query, narrowed in Python), which is also cheaper than many lists."""
    return [None] if len(ids) > IN_CHUNK else list(chunks(sorted(ids)))


async def last_monitored(
    session: AsyncSession, account_ids: Sequence[int], zone: ZoneInfo
) -> dict[int, date]:
    """Per account, the latest day with a "monitored" check-in or an activity entry, as the
    nudge snapshot counts it (data.nudge_state) - for accounts the snapshot leaves out (closed)."""
    if not account_ids:
        return {}
    latest: dict[int, date] = {}

    def keep(account_id: int, day: date | None) -> None:
        if day is not None and (account_id not in latest or day > latest[account_id]):
            latest[account_id] = day

    wanted = set(account_ids)
    for piece in pieces(wanted):
        checked = (
            select(MonitoringCheckIn.account_id, func.max(MonitoringCheckIn.day))
            .where(MonitoringCheckIn.kind == CheckInKind.MONITORED.value)
            .group_by(col(MonitoringCheckIn.account_id))
        )
        active = (
            select(ActivityEntry.account_id, func.max(ActivityEntry.at))
            .group_by(col(ActivityEntry.account_id))
        )
        if piece is not None:
            checked = checked.where(col(MonitoringCheckIn.account_id).in_(piece))
            active = active.where(col(ActivityEntry.account_id).in_(piece))
        for account_id, day in await session.exec(checked):
            if account_id in wanted:
                keep(account_id, day)
        for account_id, at in await session.exec(active):
            if account_id in wanted:
                keep(account_id, at.astimezone(zone).date() if at is not None else None)
    return latest


async def archive_dues(
    session: AsyncSession, accounts: Sequence[Account], zone: ZoneInfo, every_months: int
) -> list[date]:
    """The due date of the archiving each of these accounts owes now, as the nudge snapshot
    works it out (data.archive.archive_state), without loading the rest of the snapshot. More
    accounts than an IN list holds are read as the whole register."""
    ids = [a.id for a in accounts if a.id is not None]
    pieces: list[list[int] | None] = [None] if len(ids) > IN_CHUNK else list(chunks(ids))
    last_done: dict[int, date] = {}
    opened: dict[int, OpenArchive] = {}
    for piece in pieces:
        done_q = (
            select(ArchiveRecord.account_id, func.max(ArchiveRecord.done_at))
            .where(col(ArchiveRecord.done_at).is_not(None))
            .group_by(col(ArchiveRecord.account_id))
        )
        open_q = (
            select(ArchiveRecord)
            .where(col(ArchiveRecord.done_at).is_(None))
            .order_by(col(ArchiveRecord.id).desc())
        )
        if piece is not None:
            done_q = done_q.where(col(ArchiveRecord.account_id).in_(piece))
            open_q = open_q.where(col(ArchiveRecord.account_id).in_(piece))
        for account_id, at in await session.exec(done_q):
            if at is not None:
                last_done[account_id] = at.astimezone(zone).date()
        for record in await session.exec(open_q):
            assert record.id is not None
            # Newest first, so the oldest open record wins, as data.archive picks it.
            opened[record.account_id] = OpenArchive(
                record.id, record.due, record.reason, record.snoozed_until,
                record.created_at.astimezone(zone).date(),
            )
    return [
        archive_state(
            a.id, a.registered_at.astimezone(zone).date(), last_done.get(a.id),
            opened.get(a.id), every_months,
        ).due
        for a in accounts if a.id is not None
    ]
