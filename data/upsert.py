"""INSERT ... ON CONFLICT DO NOTHING on both SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

Model = TypeVar("Model", bound=SQLModel)


def _insert(session: AsyncSession) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


async def insert_ignore(
    session: AsyncSession, model: type[SQLModel], values: dict[str, Any], conflict: list[str]
) -> bool:
    """Insert unless a row with the same `conflict` columns exists; True when inserted."""
    table = model.__table__  # type: ignore[attr-defined]
    statement = _insert(session)(table).values(**values).on_conflict_do_nothing(
        index_elements=conflict
    )
    result = await session.exec(statement)
    return bool(result.rowcount)


async def insert_ignore_returning(
    session: AsyncSession, model: type[Model], values: dict[str, Any], conflict: list[str]
) -> Model | None:
    """`insert_ignore` that hands back the inserted row (None when one existed), in the same
    statement (RETURNING): no read after the write."""
    statement = (
        _insert(session)(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=conflict)
        .returning(model)
    )
    row: Model | None = (await session.exec(statement)).scalars().first()
    return row
