"""One person per human (DESIGN.md section 5): chat identities are linked to one person by
their verified work e-mail, and two people found to be one human are merged into one.

The row moving is plain SQL on a connection (`move_person_rows`), so that migration
0005_one_person_per_human merges the duplicates made before linking with the same code the
domain operation (`merge_people`) uses. It finds the columns that name a person from the
schema it is given, so a table added later is moved too.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    JSON,
    Table,
    UniqueConstraint,
    column,
    delete,
    exists,
    inspect,
    select,
    table,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import InvalidRequestError
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from data import audit
from data.errors import NotFound
from data.models import Person

EMAIL_MAX = 320

# Identities on these platforms are never linked by e-mail: the built-in web chat (bot/web)
# lets anyone act as anyone, so an address it holds proves nothing. A chat platform whose
# addresses are verified by its own sign-in (Slack, Teams, any added later) needs no entry.
UNVERIFIED_EMAIL_PLATFORMS = frozenset({"web"})

# JSON columns holding person ids, which no foreign key can name: (table, column).
_PERSON_ID_LISTS = (("account_request", "team_ids"),)
# Keys of a pending outbox row's params that hold a person id (data/requests.py, delivery).
_OUTBOX_PERSON_KEYS = ("to_person_id", "person_id")


def normalise_email(raw: str | None) -> str | None:
    """The address as it is compared: NFKC, trimmed, lower case; None for no address."""
    if raw is None:
        return None
    text = unicodedata.normalize("NFKC", raw).strip().lower()
    if "@" not in text or len(text) > EMAIL_MAX:
        return None
    return text


@dataclass(frozen=True)
class PersonColumn:
    """A column naming a person, and the other columns of each key it is part of."""

    table: str
    column: str
    # For every primary key or unique constraint the column is in: its other columns.
    keys: tuple[tuple[str, ...], ...] = ()


def person_columns_of() -> list[PersonColumn]:
    """The columns with a foreign key to person.id in the models' metadata."""
    found: list[PersonColumn] = []
    tables: Iterable[Table] = SQLModel.metadata.sorted_tables
    for model_table in tables:
        for fk in model_table.foreign_keys:
            if fk.column.table.name != "person" or fk.column.name != "id":
                continue
            name = fk.parent.name
            keys = []
            constraints = [model_table.primary_key, *model_table.constraints]
            for constraint in constraints:
                cols = [c.name for c in getattr(constraint, "columns", [])]
                if name in cols and (
                    constraint is model_table.primary_key
                    or isinstance(constraint, UniqueConstraint)
                ):
                    keys.append(tuple(c for c in cols if c != name))
            keys += [
                tuple(c.name for c in index.columns if c.name != name)
                for index in model_table.indexes
                if index.unique and name in [c.name for c in index.columns]
            ]
            found.append(PersonColumn(model_table.name, name, tuple(dict.fromkeys(keys))))
    return found


def reflected_person_columns(connection: Connection) -> list[PersonColumn]:
    """The same, read from a live database (for migrations, whatever the schema then)."""
    inspector = inspect(connection)
    found: list[PersonColumn] = []
    for name in inspector.get_table_names():
        uniques = [list(u["column_names"]) for u in inspector.get_unique_constraints(name)]
        uniques += [
            [c for c in i["column_names"] if c is not None]
            for i in inspector.get_indexes(name)
            if i.get("unique")
        ]
        primary = list(inspector.get_pk_constraint(name).get("constrained_columns") or [])
        for fk in inspector.get_foreign_keys(name):
            if fk["referred_table"] != "person" or fk["referred_columns"] != ["id"]:
                continue
            [col_name] = fk["constrained_columns"]
            keys = [
                tuple(c for c in cols if c != col_name)
                for cols in [primary, *uniques]
                if col_name in cols
            ]
            found.append(PersonColumn(name, col_name, tuple(dict.fromkeys(keys))))
    return found


def move_person_rows(
    connection: Connection, *, survivor: int, merged: int, columns: Sequence[PersonColumn]
) -> dict[str, int]:
    """Make every row that names `merged` name `survivor` instead, then delete `merged`.

    Where a key would then hold twice (both held the same role, were on the same team, had a
    dialog going...), the survivor's row is kept and the merged one's dropped. Returns how
    many rows each table had moved (for the audit event)."""
    moved: dict[str, int] = {}
    for where in columns:
        if where.table == "person":
            continue
        cols = {where.column, *(c for key in where.keys for c in key)}
        target = table(where.table, *(column(c) for c in cols))
        for key in where.keys:
            other = target.alias("survivor_row")
            clash = exists().where(
                other.c[where.column] == survivor,
                *(other.c[c] == target.c[c] for c in key),
            )
            connection.execute(delete(target).where(target.c[where.column] == merged, clash))
        result = connection.execute(
            update(target).where(target.c[where.column] == merged).values(
                {where.column: survivor}
            )
        )
        if result.rowcount:
            label = f"{where.table}.{where.column}"
            moved[label] = moved.get(label, 0) + int(result.rowcount)
    _move_id_lists(connection, survivor, merged, moved)
    _move_outbox_params(connection, survivor, merged)
    person = table("person", column("id"))
    connection.execute(delete(person).where(person.c.id == merged))
    return moved


def _move_id_lists(
    connection: Connection, survivor: int, merged: int, moved: dict[str, int]
) -> None:
    for table_name, list_name in _PERSON_ID_LISTS:
        rows = table(table_name, column("id"), column("requester_id"), column(list_name, JSON))
        for row_id, requester, ids in connection.execute(
            select(rows.c.id, rows.c.requester_id, rows.c[list_name])
        ):
            if not isinstance(ids, list) or (merged not in ids and requester not in ids):
                continue
            # The requester is always on the team: never named among "the others" as well.
            fresh = [
                i for i in dict.fromkeys(survivor if i == merged else i for i in ids)
                if i != requester
            ]
            connection.execute(
                update(rows).where(rows.c.id == row_id).values({list_name: fresh})
            )
            label = f"{table_name}.{list_name}"
            moved[label] = moved.get(label, 0) + 1


def _move_outbox_params(connection: Connection, survivor: int, merged: int) -> None:
    rows = table("outbox", column("id"), column("status"), column("params", JSON))
    for row_id, params in connection.execute(
        select(rows.c.id, rows.c.params).where(rows.c.status.in_(("pending", "sending")))
    ):
        if isinstance(params, dict) and any(params.get(k) == merged for k in _OUTBOX_PERSON_KEYS):
            fresh = {
                k: survivor if k in _OUTBOX_PERSON_KEYS and v == merged else v
                for k, v in params.items()
            }
            connection.execute(update(rows).where(rows.c.id == row_id).values(params=fresh))


async def merge_people(
    session: AsyncSession,
    *,
    survivor_id: int,
    merged_id: int,
    now: datetime,
    reason: str,
    actor_id: int | None = None,
) -> Person:
    """Merge person `merged_id` into `survivor_id`: one human found to be two people.

    Every row naming the merged person names the survivor instead (their requests,
    decisions, teams, rota, absences, questions, messages owed, sessions, audit events,
    chat identities...); their roles are united; the survivor's dialog state is kept; the
    merged person is deleted. An audit event `person.merged` records it.
    NotFound("unknown_person")."""
    if survivor_id == merged_id:
        raise NotFound("unknown_person")
    survivor = await session.get(Person, survivor_id)
    merged = await session.get(Person, merged_id)
    if survivor is None or merged is None:
        raise NotFound("unknown_person")
    survivor.email = survivor.email or merged.email
    # A language the human chose (/language) outlives the merge, whichever of the two chose
    # it; both chose: the later choice (the person changed last).
    if merged.locale_chosen and (
        not survivor.locale_chosen or merged.updated_at > survivor.updated_at
    ):
        survivor.locale, survivor.locale_chosen = merged.locale, True
    else:
        survivor.locale = survivor.locale or merged.locale
    if merged.updated_at > survivor.updated_at:
        survivor.last_platform = merged.last_platform or survivor.last_platform
    survivor.updated_at = max(now, survivor.updated_at)
    session.add(survivor)
    await session.flush()
    columns = person_columns_of()
    moved = await session.run_sync(
        lambda sync: move_person_rows(
            sync.connection(), survivor=survivor_id, merged=merged_id, columns=columns
        )
    )
    await _forget_stale(session, merged)
    audit.record(
        session,
        now=now,
        actor_id=actor_id,
        action="person.merged",
        subject=f"person:{survivor_id}",
        merged_id=merged_id,
        merged_name=merged.display_name,
        reason=reason,
        moved=moved,
    )
    await session.flush()
    await session.refresh(survivor)
    return survivor


async def _forget_stale(session: AsyncSession, merged: Person) -> None:
    """The rows moved behind the session's back: reload what it holds, drop what is gone."""
    session.expunge(merged)
    for held in list(session.sync_session.identity_map.values()):
        try:
            await session.refresh(held)
        except InvalidRequestError:
            # Deleted (a role or team row both people had): nothing to reload.
            session.expunge(held)
