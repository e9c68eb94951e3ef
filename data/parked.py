"""Incoming events parked after every retry (data.inbox), for an operator: listed with their
errors, put back to run once the cause is mended, or discarded when they never can run
(`kontobot inbox`).

A parked event is never run again by itself: it failed MAX_ATTEMPTS times, or its process
stopped while running it each time. Put back, it runs as a new event would, first in its
sender's lane (their events received after it wait for it, as they would have), with
MAX_ATTEMPTS attempts more; if it fails them too, it is parked again. Its attempts are kept
(/metrics' totals count every attempt and every parking), and each putting back is on record.
A parked event waits as long as the retention (data.retention), then goes with the events done.

Discarded, an event is never run again: it leaves the parked list (and /metrics' parked
gauge, which an operator's alert may watch), stays in the inbox with its error, counted as
parked once in the totals, and goes with the retention. Each discarding is on record, with
the operator's reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import audit
from data.chunks import chunks
from data.directory import normalise_text
from data.models import InboxEvent, InboxStatus

# How many an operator's listing shows at most.
LISTED = 500


async def listed(session: AsyncSession, *, limit: int = LISTED) -> list[InboxEvent]:
    """The parked events, the oldest first."""
    found = await session.exec(
        select(InboxEvent)
        .where(col(InboxEvent.status) == InboxStatus.PARKED.value)
        .order_by(col(InboxEvent.id))
        .limit(limit)
    )
    return list(found)


async def _parked(session: AsyncSession, keys: Sequence[str] | None) -> list[InboxEvent]:
    """The parked events of `keys` (None: every one), locked against a second operator at once
    (who then finds them no longer parked), in the order received."""
    parked = col(InboxEvent.status) == InboxStatus.PARKED.value
    rows: list[InboxEvent] = []
    if keys is None:
        rows += await session.exec(select(InboxEvent).where(parked).with_for_update())
    else:
        for piece in chunks(sorted({key[:255] for key in keys})):
            rows += await session.exec(
                select(InboxEvent).where(parked, col(InboxEvent.key).in_(piece)).with_for_update()
            )
    rows.sort(key=lambda row: row.id or 0)
    return rows


async def retry(
    session: AsyncSession, *, keys: Sequence[str] | None, now: datetime
) -> list[str]:
    """Put the parked events of `keys` (None: every one) back to run from `now`; the keys put
    back, in the order received. A key that is not of a parked event is left alone."""
    rows = await _parked(session, keys)
    for row in rows:
        audit.record(
            session, now=now, actor_id=None, action="inbox.retried", subject=f"inbox:{row.key}",
            platform=row.platform, attempts=row.attempts, error=(row.error or "")[:200],
        )
        row.status = InboxStatus.PENDING.value
        row.retries += 1
        row.next_attempt_at = now
        row.claimed_by = None
        row.claimed_until = None
        session.add(row)
    return [row.key for row in rows]


# How much of an operator's reason the audit trail keeps.
REASON_LENGTH = 500


async def discard(
    session: AsyncSession, *, keys: Sequence[str] | None, now: datetime, reason: str = ""
) -> list[str]:
    """Give up the parked events of `keys` (None: every one) for good, for `reason` (what the
    operator typed, kept in the audit trail); the keys discarded, in the order received. A key
    that is not of a parked event is left alone."""
    why = normalise_text(reason)[:REASON_LENGTH]
    rows = await _parked(session, keys)
    for row in rows:
        audit.record(
            session, now=now, actor_id=None, action="inbox.discarded", subject=f"inbox:{row.key}",
            platform=row.platform, attempts=row.attempts, error=(row.error or "")[:200],
            reason=why,
        )
        row.status = InboxStatus.DISCARDED.value
        row.done_at = now
        row.claimed_by = None
        row.claimed_until = None
        session.add(row)
    return [row.key for row in rows]
