"""Sweep marks: what the last full sweep of a set of nudge kinds knew, so that a sweep that
can owe nothing new costs two small queries instead of a snapshot of the whole register.

What the rules find due is a function of the stored state, the settings and `now`. Within
one local day `now` matters only at a few moments: when a rule wakes (08:30, 09:00, 14:00...)
and when an open question passes the answer target or the escalation. So a full sweep records
the state's version, the day, and `quiet_until`, the first such moment after it; a later sweep
that finds the same version on the same day before `quiet_until` knows that everything due
was owed then, and stops (scheduler.sweep).

The state's version is the number of audit events and the newest one's id: every domain
operation writes an audit event in the transaction of its change (data.audit), so a change
that commits moves the count, whatever order the ids were handed out in. The version also
holds a fingerprint of the settings, so a restart with other closure days sweeps afresh.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import fields
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data.models import AuditEvent, RuleDay, SweepMark
from data.policy import NudgeConfig
from data.upsert import upsert


def fingerprint(config: NudgeConfig) -> str:
    """A short digest of every setting the rules read."""
    calendar = config.calendar
    parts = [
        f"{f.name}={getattr(config, f.name)!r}" for f in fields(config) if f.name != "calendar"
    ]
    parts += [
        f"closure={sorted(calendar.closure_days)}", f"country={calendar.country}",
        f"categories={calendar.categories}",
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


async def version(session: AsyncSession, config: NudgeConfig) -> str:
    """The state's version (read before the state itself: what is read after can only be
    newer) and the settings' fingerprint."""
    count, newest = (await session.exec(select(func.count(), func.max(AuditEvent.id)))).one()
    return f"{count}:{newest or 0}:{fingerprint(config)}"


async def get(session: AsyncSession, kinds: str) -> SweepMark | None:
    return await session.get(SweepMark, kinds)


async def nothing_new(
    session: AsyncSession, *, kinds: str, seen: str, day: date, now: datetime
) -> bool:
    """Whether the last full sweep of `kinds` already owed everything due at `now`."""
    mark = await get(session, kinds)
    return (
        mark is not None and mark.version == seen and mark.day == day and now < mark.quiet_until
    )


async def mark(
    session: AsyncSession, *, kinds: str, seen: str, day: date, quiet_until: datetime,
    now: datetime,
) -> None:
    """Record a full sweep (in its transaction: the mark stands only if its writes do)."""
    await upsert(
        session,
        SweepMark,
        {"kinds": kinds, "version": seen, "day": day, "quiet_until": quiet_until,
         "swept_at": now},
        ["kinds"],
        ("version", "day", "quiet_until", "swept_at"),
    )


async def rule_days(session: AsyncSession, kinds: Iterable[str]) -> dict[str, date]:
    """The last day each rule of `kinds` ran awake in a sweep that owed what it found (none
    for a rule that never has)."""
    wanted = list(kinds)
    if not wanted:
        return {}
    rows = await session.exec(select(RuleDay).where(col(RuleDay.kind).in_(wanted)))
    return {row.kind: row.day for row in rows}


async def rules_swept(
    session: AsyncSession, *, kinds: Iterable[str], day: date, now: datetime
) -> None:
    """Record that the rules of `kinds` ran awake on `day` and what they found is owed (in the
    transaction of the sweep's mark, written last). Never backwards: a run as of an earlier
    day (`kontobot nudges run --as-of`) leaves a later day recorded, else the days between
    would be owed again."""
    chosen = list(kinds)
    known = await rule_days(session, chosen)
    for kind in chosen:
        if known.get(kind, day) <= day:
            await upsert(session, RuleDay, {"kind": kind, "day": day, "swept_at": now},
                         ["kind"], ("day", "swept_at"))
