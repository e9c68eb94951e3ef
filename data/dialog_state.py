"""Where a person is in a conversation, saved after every answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from data.models import DialogState
from data.upsert import upsert

# Every turn in a conversation loads and saves its state: the statements are built once, with
# their values as parameters (building one costs more CPU than running it: data/inbox.py; the
# save's upsert is cached in data/upsert.py).
_TABLE = DialogState.__table__  # type: ignore[attr-defined]
_LOAD: Any = select(_TABLE).where(_TABLE.c.person_id == bindparam("person")).with_for_update()


async def load(session: AsyncSession, person_id: int) -> DialogState | None:
    """The person's state (its row locked until the turn's transaction ends), or None; not
    in the session: `save` writes it."""
    row = (await session.exec(_LOAD, params={"person": person_id})).first()
    return None if row is None else DialogState(**row._mapping)


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
    await upsert(
        session,
        DialogState,
        {
            "person_id": person_id, "dialog": dialog, "step": step, "data": dict(data),
            "history": list(history), "turn": turn, "updated_at": now,
        },
        ["person_id"],
        ("dialog", "step", "data", "history", "turn", "updated_at"),
    )


async def clear(session: AsyncSession, person_id: int) -> None:
    await session.exec(delete(DialogState).where(col(DialogState.person_id) == person_id))
