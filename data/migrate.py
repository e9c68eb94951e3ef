"""Schema migrations (Alembic, in data/migrations) run on the application's own engine.

`python -m data.migrate revision 0002_what_changed "What changed"` writes a new revision by
comparing the models with a scratch SQLite database at head; read it, then commit it.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from data.db import create_engine, reading

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"
# Any constant will do: it only has to be the same in every bot process.
_PG_LOCK = 0x6B6F6E746F

Status = Literal["empty", "current", "behind", "foreign", "unknown"]

MESSAGES = {
    "empty": (
        "the database has no kontobot schema: check KONTOBOT_DATABASE_URL, or set it up with"
        " `kontobot migrate`"
    ),
    "behind": "database schema is behind: run `kontobot migrate`",
    "foreign": (
        "the database has tables kontobot did not create: point KONTOBOT_DATABASE_URL at"
        " kontobot's own database or an empty one"
    ),
    "unknown": (
        "the database schema is at a revision this kontobot does not know (made by a newer"
        " version?): run the kontobot that made it, or a newer one"
    ),
}


def config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    # Revision ids are readable ("0001_initial") and name their files.
    cfg.set_main_option("file_template", "%%(rev)s")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    revision = ScriptDirectory.from_config(config()).get_current_head()
    assert revision is not None, "data/migrations has no revisions"
    return revision


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision; a no-op when it is there already."""
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two processes starting on one new database: the second waits, then finds it done.
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
        await connection.run_sync(lambda sync: command.upgrade(config(sync), "head"))


def _status(connection: Connection) -> Status:
    current = MigrationContext.configure(connection).get_current_revision()
    if current is None:
        tables = set(inspect(connection).get_table_names()) - {VERSION_TABLE}
        # Tables that no revision made are not "empty": migrating them would clash.
        return "foreign" if tables else "empty"
    if current == head():
        return "current"
    known = {r.revision for r in ScriptDirectory.from_config(config()).walk_revisions()}
    return "behind" if current in known else "unknown"


async def status(engine: AsyncEngine) -> Status:
    # Only reads: a database that is then refused stays exactly as it was.
    async with reading(engine) as connection:
        return await connection.run_sync(_status)


async def ensure_current(engine: AsyncEngine) -> None:
    """What `kontobot serve` does first: set up a new database, refuse an outdated one."""
    state = await status(engine)
    if state == "empty":
        await upgrade(engine)
    elif state != "current":
        raise RuntimeError(MESSAGES[state])


async def require_current(engine: AsyncEngine) -> None:
    """What every other command does first: work on kontobot's database as it is, and refuse
    one that is not current, an empty one too (a mistyped URL is not set up)."""
    state = await status(engine)
    if state != "current":
        raise RuntimeError(MESSAGES[state])


async def migrate(engine: AsyncEngine) -> None:
    """What `kontobot migrate` does: upgrade what can be upgraded, refuse what cannot."""
    state = await status(engine)
    if state in ("foreign", "unknown"):
        raise RuntimeError(MESSAGES[state])
    await upgrade(engine)


async def _revision(rev_id: str, message: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite:///{scratch}/scratch.db")
        try:
            await upgrade(engine)
            async with engine.begin() as connection:
                await connection.run_sync(
                    lambda sync: command.revision(
                        config(sync), message=message, autogenerate=True, rev_id=rev_id
                    )
                )
        finally:
            await engine.dispose()


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] != "revision":
        print('usage: python -m data.migrate revision 0002_what_changed "What changed"',
              file=sys.stderr)
        return 2
    asyncio.run(_revision(argv[1], argv[2]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
