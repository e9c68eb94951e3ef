"""INSERT ... ON CONFLICT DO NOTHING on both SQLite and PostgreSQL."""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

Model = TypeVar("Model", bound=SQLModel)


@cache
def _statement(dialect: str, table: Table, conflict: tuple[str, ...], returning: bool) -> Any:
    """The INSERT, built once per table and dialect, its values given as parameters when it
    runs (SQLAlchemy writes the VALUES clause for the columns given): building a statement
    afresh costs more CPU than running it, and a turn owes its replies with it."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).on_conflict_do_nothing(index_elements=list(conflict))
    return statement.returning(*table.c) if returning else statement


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "sqlite"


async def insert_ignore(
    session: AsyncSession, model: type[SQLModel], values: dict[str, Any], conflict: list[str]
) -> bool:
    """Insert unless a row with the same `conflict` columns exists; True when inserted."""
    table = model.__table__  # type: ignore[attr-defined]
    statement = _statement(_dialect(session), table, tuple(conflict), False)
    result = await session.exec(statement, params=values)
    return bool(result.rowcount)


async def insert_ignore_returning(
    session: AsyncSession, model: type[Model], values: dict[str, Any], conflict: list[str]
) -> Model | None:
    """`insert_ignore` that hands back the inserted row (None when one existed), in the same
    statement (RETURNING): no read after the write. The row is not in the session."""
    table = model.__table__  # type: ignore[attr-defined]
    statement = _statement(_dialect(session), table, tuple(conflict), True)
    row = (await session.exec(statement, params=values)).first()
    return None if row is None else model(**row._mapping)
