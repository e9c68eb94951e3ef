"""Where a person is in a conversation, saved after every answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from data.models import DialogState


async def load(session: AsyncSession, person_id: int) -> DialogState | None:
    return await session.get(DialogState, person_id, with_for_update=True)


async def save(
    session: AsyncSession,
    *,
    person_id: int,
    dialog: str,
    step: str,
    data: dict[str, Any],
    history: list[str],
    turn: int,
    now: datetime,
) -> None:
    state = await session.get(DialogState, person_id)
    if state is None:
        state = DialogState(person_id=person_id, dialog=dialog, step=step, updated_at=now)
    state.dialog, state.step, state.turn, state.updated_at = dialog, step, turn, now
    # JSON columns are compared by identity: new objects make SQLAlchemy see the change.
    state.data = dict(data)
    state.history = list(history)
    session.add(state)
    await session.flush()


async def clear(session: AsyncSession, person_id: int) -> None:
    await session.exec(delete(DialogState).where(col(DialogState.person_id) == person_id))
