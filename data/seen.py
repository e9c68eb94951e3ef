"""Remembers platform deliveries (Slack event ids, Teams activity ids) already handled."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from data.models import SeenEvent
from data.upsert import insert_ignore


async def first_time(session: AsyncSession, *, key: str, now: datetime) -> bool:
    """True the first time `key` is seen; False for every repeat, even concurrent ones."""
    return await insert_ignore(session, SeenEvent, {"key": key[:255], "seen_at": now}, ["key"])


async def known(session: AsyncSession, key: str) -> bool:
    """Whether `key` was seen, without remembering it: a cheap check before costly work."""
    return await session.get(SeenEvent, key[:255]) is not None
