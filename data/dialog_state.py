"""Where a person is in a conversation, saved after every answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm.attributes import flag_modified
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
    state.data = dict(data)
    state.history = list(history)
    # JSON columns are compared with their loaded value, which the caller may have changed in
    # place (even through a copy: `dict(state.data)` shares nested lists): always write them.
    flag_modified(state, "data")
    flag_modified(state, "history")
    session.add(state)
    await session.flush()


async def clear(session: AsyncSession, person_id: int) -> None:
    await session.exec(delete(DialogState).where(col(DialogState.person_id) == person_id))
