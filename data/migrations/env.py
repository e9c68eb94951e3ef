"""Alembic environment: runs on the connection data.migrate hands over.

data.migrate opens the connection on the application's own engine (SQLite's `BEGIN IMMEDIATE`,
the async drivers) and passes it in `config.attributes["connection"]`; there is no alembic.ini.
Use `kontobot migrate`, or `python -m data.migrate revision ...` to write a revision.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection
from sqlmodel import AutoString, SQLModel, UTCDateTime

import data.models  # noqa: F401  (registers the tables on SQLModel.metadata)

config = context.config
target_metadata = SQLModel.metadata


def render_item(kind: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """SQLModel's column types by their public names (`sqlmodel.AutoString`), which type-check.

    script.py.mako imports sqlmodel in every revision.
    """
    if kind == "type" and isinstance(obj, AutoString | UTCDateTime):
        return f"sqlmodel.{obj!r}"
    return False


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_item=render_item,
        # Every revision must run on SQLite too, which alters a table by copying it.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations through data.migrate (`kontobot migrate`)")
run_on(connection)
