"""The outbox: every message the bot owes someone, written before it is sent.

A row's key makes it unique, so writing the same notice twice stores it once. Delivery claims
rows with a lease; a worker that dies mid-send leaves a lease that runs out, and the row is
claimed again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data.models import Outbox, OutboxStatus
from data.upsert import insert_ignore

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    kind: str,
    now: datetime,
    recipient_id: int | None = None,
    place: str | None = None,
    params: dict[str, Any] | None = None,
    update_of: str | None = None,
) -> bool:
    """Owe a message; True when it is new, False when the same key was already owed."""
    assert (recipient_id is None) != (place is None), "a message goes to a person or a place"
    return await insert_ignore(
        session,
        Outbox,
        {
            "key": key,
            "kind": kind,
            "recipient_id": recipient_id,
            "place": place,
            "params": params or {},
            "update_of": update_of,
            "status": OutboxStatus.PENDING.value,
            "attempts": 0,
            "next_attempt_at": now,
            "delivered": {},
            "created_at": now,
        },
        ["key"],
    )


async def claim_due(session: AsyncSession, *, now: datetime, limit: int = 20) -> list[Outbox]:
    """Take up to `limit` rows that are due, or whose sender's lease ran out."""
    statement = (
        select(Outbox)
        .where(
            or_(
                (col(Outbox.status) == OutboxStatus.PENDING.value)
                & (col(Outbox.next_attempt_at) <= now),
                (col(Outbox.status) == OutboxStatus.SENDING.value)
                & (col(Outbox.claimed_until) < now),
            )
        )
        .order_by(col(Outbox.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list(await session.exec(statement))
    for row in rows:
        row.status = OutboxStatus.SENDING.value
        row.claimed_until = now + LEASE
        row.attempts += 1
        session.add(row)
    await session.flush()
    return rows


async def by_key(session: AsyncSession, key: str) -> Outbox | None:
    return (await session.exec(select(Outbox).where(Outbox.key == key))).first()


async def mark_sent(
    session: AsyncSession, *, row_id: int, now: datetime, delivered: dict[str, str]
) -> None:
    row = await session.get(Outbox, row_id)
    assert row is not None
    row.status = OutboxStatus.SENT.value
    row.sent_at = now
    row.claimed_until = None
    row.delivered = delivered
    row.error = None
    session.add(row)


async def mark_retry(
    session: AsyncSession,
    *,
    row_id: int,
    now: datetime,
    error: str,
    delivered: dict[str, str],
    delay: timedelta | None = None,
) -> bool:
    """Put the row back for another try later; False when it has used up its attempts."""
    row = await session.get(Outbox, row_id)
    assert row is not None
    row.delivered = delivered
    row.error = error[:2000]
    row.claimed_until = None
    if row.attempts >= MAX_ATTEMPTS:
        row.status = OutboxStatus.FAILED.value
        session.add(row)
        return False
    row.status = OutboxStatus.PENDING.value
    backoff = delay if delay is not None else timedelta(seconds=min(3600, 5 * 2 ** row.attempts))
    row.next_attempt_at = now + backoff
    session.add(row)
    return True


async def next_due(session: AsyncSession) -> datetime | None:
    return (
        await session.exec(
            select(Outbox.next_attempt_at)
            .where(Outbox.status == OutboxStatus.PENDING.value)
            .order_by(col(Outbox.next_attempt_at))
            .limit(1)
        )
    ).first()
