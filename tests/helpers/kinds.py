"""Tests about one kind of database run on that kind alone.

The `store` and `database_url` fixtures (tests/conftest.py) give every test SQLite and
PostgreSQL. A test about what only one of them does (SQLite's spool and write lock, several
processes sharing PostgreSQL) narrows the fixture to that kind here, instead of skipping on
the other: a skip there would say something was not checked when nothing was to check.
"""

from __future__ import annotations

import pytest


def only_on(kind: str, fixture: str = "store") -> pytest.MarkDecorator:
    """`fixture` of `kind` ("sqlite" or "postgresql") only, marked as the fixture marks it."""
    marks = [pytest.mark.postgres] if kind == "postgresql" else []
    return pytest.mark.parametrize(
        fixture, [pytest.param(kind, id=kind, marks=marks)], indirect=True
    )


SQLITE_ONLY = only_on("sqlite")
POSTGRESQL_ONLY = only_on("postgresql")
