"""INSERT ... ON CONFLICT DO NOTHING (or DO UPDATE) on both SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

Model = TypeVar("Model", bound=SQLModel)

# The INSERT with an ON CONFLICT clause, by dialect name.
INSERT: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def dialect_of(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "sqlite"


@cache
def _statement(dialect: str, table: Table, conflict: tuple[str, ...], returning: bool) -> Any:
    """The INSERT, built once per table and dialect, its values given as parameters when it
    runs (SQLAlchemy writes the VALUES clause for the columns given): building a statement
    afresh costs more CPU than running it, and a turn owes its replies with it."""
    statement = INSERT[dialect](table).on_conflict_do_nothing(index_elements=list(conflict))
    return statement.returning(*table.c) if returning else statement


@cache
def _upsert(dialect: str, table: Table, conflict: tuple[str, ...], update: tuple[str, ...]) -> Any:
    """The INSERT ... ON CONFLICT DO UPDATE, built once as `_statement` is."""
    statement = INSERT[dialect](table)
    return statement.on_conflict_do_update(
        index_elements=list(conflict), set_={name: statement.excluded[name] for name in update}
    )


async def insert_ignore(
    session: AsyncSession, model: type[SQLModel], values: dict[str, Any], conflict: list[str]
) -> bool:
    """Insert unless a row with the same `conflict` columns exists; True when inserted."""
    table = model.__table__  # type: ignore[attr-defined]
    statement = _statement(dialect_of(session), table, tuple(conflict), False)
    result = await session.exec(statement, params=values)
    return bool(result.rowcount)


async def insert_ignore_returning(
    session: AsyncSession, model: type[Model], values: dict[str, Any], conflict: list[str]
) -> Model | None:
    """`insert_ignore` that hands back the inserted row (None when one existed), in the same
    statement (RETURNING): no read after the write. The row is not in the session."""
    table = model.__table__  # type: ignore[attr-defined]
    statement = _statement(dialect_of(session), table, tuple(conflict), True)
    row = (await session.exec(statement, params=values)).first()
    return None if row is None else model(**row._mapping)


async def upsert(
    session: AsyncSession,
    model: type[SQLModel],
    values: dict[str, Any],
    conflict: list[str],
    update: Sequence[str],
) -> None:
    """Insert, or, when a row with the same `conflict` columns exists, set its `update` columns
    to the values given, in one statement."""
    table = model.__table__  # type: ignore[attr-defined]
    statement = _upsert(dialect_of(session), table, tuple(conflict), tuple(update))
    await session.exec(statement, params=values)
