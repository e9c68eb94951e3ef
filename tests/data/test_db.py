"""The store's two kinds of transaction (data.db), on both databases.

A dashboard page or an export reads in `Store.read()`, which must never hold up a writer; the
writers (`Store.transaction()`) queue behind each other instead of failing. The tests open the
database a second time with a short busy timeout, so that a transaction that waits for a lock
fails within seconds rather than after the 30 s a server waits.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy.exc import DBAPIError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import migrate
from data.db import Store, is_sqlite
from data.models import Person
from tests.helpers import T0, make_person


@pytest.fixture
async def impatient(store: Store) -> AsyncIterator[Store]:
    """`store`'s database, opened again with a busy timeout of two seconds."""
    other = Store.from_url(store.engine.url.render_as_string(hide_password=False), busy_timeout=2)
    try:
        yield other
    finally:
        await other.close()


async def people_named(session: AsyncSession, name: str) -> int:
    found = await session.exec(
        select(func.count()).select_from(Person).where(Person.display_name == name)
    )
    return found.one()


def journal_mode(path: Path) -> str:
    with closing(sqlite3.connect(path)) as db:
        return str(db.execute("PRAGMA journal_mode").fetchone()[0])


async def test_a_writer_commits_while_a_long_read_is_open(impatient: Store) -> None:
    reading, page_done = asyncio.Event(), asyncio.Event()

    async def dashboard_page() -> None:
        async with impatient.read() as session:
            await people_named(session, "Written Meanwhile")
            reading.set()
            await page_done.wait()  # a slow page, still reading in its transaction

    page = asyncio.create_task(dashboard_page())
    try:
        await reading.wait()
        async with impatient.transaction() as session:
            await make_person(session, T0, "Written Meanwhile")
        assert not page.done()
    finally:
        page_done.set()
        await page
    async with impatient.read() as session:
        assert await people_named(session, "Written Meanwhile") == 1


async def test_writers_queue_rather_than_fail(impatient: Store) -> None:
    # Each looks the identity up, then inserts: a transaction that read before it writes.
    names = ("Writer One", "Writer Two", "Writer Three")
    together = asyncio.Barrier(len(names))

    async def write(name: str) -> Person:
        async with impatient.transaction() as session:
            await together.wait()
            return await make_person(session, T0, name)

    written = await asyncio.gather(*(write(name) for name in names))
    assert len({person.id for person in written}) == len(names)
    async with impatient.read() as session:
        assert [await people_named(session, name) for name in names] == [1, 1, 1]


async def test_a_read_refuses_to_write(store: Store) -> None:
    async with store.read() as session:
        with pytest.raises(DBAPIError, match=r"read-?only"):
            await make_person(session, T0, "Never Written")
    async with store.read() as session:
        assert await people_named(session, "Never Written") == 0
    # The connection the read used is back in the pool, and writes again.
    async with store.transaction() as session:
        await make_person(session, T0, "Written After")
    async with store.read() as session:
        assert await people_named(session, "Written After") == 1


async def test_a_file_database_goes_to_wal_at_its_first_write(tmp_path: Path) -> None:
    path = tmp_path / "kontobot.db"
    store = Store.from_url(f"sqlite:///{path}")
    try:
        assert is_sqlite(store.engine)
        # Reading alone leaves the file as it was (a database we refuse stays untouched).
        assert await migrate.status(store.engine) == "empty"
        assert journal_mode(path) == "delete"
        await migrate.upgrade(store.engine)
        assert journal_mode(path) == "wal"
    finally:
        await store.close()
    # Kept in the file: every later connection, from any process, uses the log.
    assert journal_mode(path) == "wal"
