"""The built-in web chat's conversations: what the bot and people said, kept across restarts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data.models import WebMessage


async def append(
    session: AsyncSession,
    *,
    conversation: str,
    sender_id: int | None,
    payload: dict[str, Any],
    now: datetime,
) -> int:
    message = WebMessage(
        conversation=conversation,
        sender_id=sender_id,
        payload=payload,
        created_at=now,
        updated_at=now,
    )
    session.add(message)
    await session.flush()
    assert message.id is not None
    return message.id


async def replace(
    session: AsyncSession, *, message_id: int, payload: dict[str, Any], now: datetime
) -> bool:
    message = await session.get(WebMessage, message_id)
    if message is None:
        return False
    message.payload = payload
    # The caller may have changed the loaded payload in place: write it whatever it compares to.
    flag_modified(message, "payload")
    message.updated_at = now
    session.add(message)
    return True


async def history(session: AsyncSession, conversation: str, limit: int = 200) -> list[WebMessage]:
    rows = await session.exec(
        select(WebMessage)
        .where(WebMessage.conversation == conversation)
        .order_by(col(WebMessage.id).desc())
        .limit(limit)
    )
    return list(reversed(list(rows)))
