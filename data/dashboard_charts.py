"""The compliance overview's charts (data.dashboard_overview defines them) over the accounts a
viewer may see, counted in the database: a handful of queries, each over the viewer's accounts
as a condition (data.dashboard_register.visible), never an id list, so the page costs little
more at ten thousand accounts than at ten.

- Monitoring coverage: the check-ins of accounts open since before the window are counted per
  day in SQL; only accounts registered or closed within it have their check-ins read, to be
  held to the days they owed.
- Open questions by age: counted per bucket in SQL.
- Archiving per month: the done archivings of the twelve months are read (their lateness is a
  local date); what open accounts owe now comes from their stored compliance rows
  (data.compliance_rows) where current, and is worked out for the others.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, func, not_, or_, true
from sqlalchemy.orm import load_only
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import dashboard_queries as queries
from data.archive import add_months
from data.compliance_rows import is_current
from data.dashboard import Viewer
from data.dashboard_overview import (
    MONTHS,
    QUESTION_AGES,
    Bucket,
    Overview,
    Span,
    archiving_months,
    question_ages,
    week_mondays,
    weekly_coverage,
)
from data.dashboard_register import visible
from data.models import (
    Account,
    AccountCompliance,
    AccountStatus,
    ArchiveRecord,
    CheckInKind,
    MonitoringCheckIn,
    Question,
)
from data.policy import NudgeConfig
from data.workdays import local_date


async def overview(
    session: AsyncSession, viewer: Viewer, now: datetime, config: NudgeConfig
) -> Overview:
    """The compliance charts over the accounts `viewer` may see, as of `now`."""
    # Coverage counts the days someone is on duty: with holiday duty, the weekday holidays too.
    zone, calendar = config.zone, config.monitoring
    today = local_date(now, zone)
    seen = visible(viewer)
    is_open = col(Account.status) == AccountStatus.ACTIVE.value
    # "Settled": open, and registered by the window's first day in any zone (a day's margin),
    # so every monitoring day of the window is owed; only the others' spans are read.
    first = week_mondays(today)[0]
    last = today - timedelta(days=1)
    settled = and_(
        is_open, col(Account.closed_at).is_(None),
        col(Account.registered_at) < datetime.combine(first - timedelta(days=1), time(0), UTC),
    )
    total, settled_n = (await session.exec(
        select(func.count(), func.coalesce(func.sum(case((settled, 1), else_=0)), 0))
        .select_from(Account)
        .where(seen)
    )).one()
    spans = {
        account_id: Span(
            account_id, local_date(registered, zone),
            local_date(closed, zone) if closed is not None else None,
        )
        for account_id, registered, closed in await session.exec(
            select(col(Account.id), col(Account.registered_at), col(Account.closed_at))
            .where(seen, not_(settled))
        )
        if account_id is not None
    }

    async def per(column: Any) -> list[Bucket]:
        """Open accounts per value of `column`: most first, then by value."""
        rows = await session.exec(
            select(column, func.count()).where(seen, is_open).group_by(column)
        )
        return [Bucket(key, n) for key, n in sorted(rows, key=lambda kv: (-kv[1], kv[0]))]

    checkin = MonitoringCheckIn
    in_window = and_(
        seen, col(checkin.kind) == CheckInKind.MONITORED.value, col(checkin.day) >= first,
        col(checkin.day) <= last,
    )
    monitored: Counter[Any] = Counter()
    for day, count in await session.exec(
        select(col(checkin.day), func.count(func.distinct(col(checkin.account_id))))
        .join(Account, col(Account.id) == col(checkin.account_id))
        .where(in_window, settled)
        .group_by(col(checkin.day))
    ):
        if calendar.is_working_day(day):
            monitored[day] += count
    for account_id, day in await session.exec(
        select(col(checkin.account_id), col(checkin.day))
        .join(Account, col(Account.id) == col(checkin.account_id))
        .where(in_window, not_(settled))
        .distinct()
    ):
        if spans[account_id].owes(day, calendar):
            monitored[day] += 1

    # Accounts on their first day count today once monitored (nothing before it is owed).
    today_ids: set[int] = set()
    for found_id in await session.exec(
        select(col(checkin.account_id))
        .join(Account, col(Account.id) == col(checkin.account_id))
        .where(
            seen, not_(settled), col(checkin.kind) == CheckInKind.MONITORED.value,
            col(checkin.day) == today,
        )
    ):
        span = spans.get(found_id)
        if span is not None and span.first == today and span.owes(today, calendar):
            today_ids.add(found_id)
    first_day_done = len(today_ids)

    # Open questions by age: the first bucket whose bound the age is under.
    received = col(Question.received_at)
    buckets: list[Any] = []
    lower: datetime | None = None
    for _, below in QUESTION_AGES:
        since = now - below if below is not None else None
        condition = and_(
            received > since if since is not None else true(),
            received <= lower if lower is not None else true(),
        )
        buckets.append(func.coalesce(func.sum(case((condition, 1), else_=0)), 0))
        lower = since
    ages = (await session.exec(
        select(*buckets)
        .join(Account, col(Account.id) == col(Question.account_id))
        .where(seen, is_open, col(Question.answered_at).is_(None))
    )).one()

    # Archiving per month.
    first_month = add_months(today.replace(day=1), -(MONTHS - 1))
    last_day = add_months(today.replace(day=1), 1) - timedelta(days=1)
    done = [
        queries.DoneArchiving(account_id, due, done_at)
        for account_id, due, done_at in await session.exec(
            select(col(ArchiveRecord.account_id), col(ArchiveRecord.due), col(ArchiveRecord.done_at))
            .join(Account, col(Account.id) == col(ArchiveRecord.account_id))
            .where(
                seen, col(ArchiveRecord.done_at).is_not(None),
                col(ArchiveRecord.due) >= first_month, col(ArchiveRecord.due) <= last_day,
            )
        )
        if done_at is not None
    ]
    stored = AccountCompliance
    owed = [
        due for due in await session.exec(
            select(col(stored.archive_due))
            .join(Account, col(Account.id) == col(stored.account_id))
            .where(seen, is_open, is_current(now, config))
        )
        if due is not None
    ]
    rest = list(await session.exec(
        select(Account)
        # (sqlmodel types the attributes Mapped, load_only wants them instrumented)
        .options(load_only(Account.id, Account.registered_at))  # type: ignore[arg-type]
        .outerjoin(stored, col(stored.account_id) == col(Account.id))
        .where(
            seen, is_open,
            or_(col(stored.account_id).is_(None), not_(is_current(now, config))),
        )
    ))
    owed += await queries.archive_dues(session, rest, zone, config.archive_every_months)

    return Overview(
        accounts=total,
        weeks=weekly_coverage(
            spans.values(), monitored, today, calendar, settled=settled_n,
            first_day_done=first_day_done,
        ),
        question_ages=question_ages(
            {key: int(n) for (key, _), n in zip(QUESTION_AGES, ages, strict=True)}
        ),
        archiving=archiving_months(today, done, owed, zone),
        per_platform=await per(col(Account.platform)),
        per_unit=await per(col(Account.unit)),
    )
