"""The store's two kinds of transaction (data.db), on both databases.

A dashboard page or an export reads in `Store.read()`, which must never hold up a writer; the
writers (`Store.transaction()`) queue behind each other instead of failing, and on SQLite an
urgent writer (an event stored before its acknowledgement) begins before the writers that
waited longer. The tests open the database a second time with a short busy timeout, so that a
transaction that waits for a lock fails within seconds rather than after the 30 s a server
waits.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import stat
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, closing
from pathlib import Path

import pytest
from sqlalchemy import func, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import migrate
from data.db import AUTOCHECKPOINT, Store, is_sqlite
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


@pytest.mark.parametrize("urgent", [False, True], ids=["writer", "urgent writer"])
async def test_a_writer_commits_while_a_long_read_is_open(impatient: Store, urgent: bool) -> None:
    reading, page_done = asyncio.Event(), asyncio.Event()

    async def dashboard_page() -> None:
        async with impatient.read() as session:
            await people_named(session, "Written Meanwhile")
            reading.set()
            await page_done.wait()  # a slow page, still reading in its transaction

    page = asyncio.create_task(dashboard_page())
    try:
        await reading.wait()
        async with impatient.transaction(urgent=urgent) as session:
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


def in_the_file_itself(path: Path, name: str) -> int:
    """People named `name` in the database file without its write-ahead log: what a checkpoint
    has copied back into it."""
    copy = path.with_name(f"copy-{name.replace(' ', '-')}.db")
    shutil.copyfile(path, copy)
    with closing(sqlite3.connect(copy)) as db:
        found = db.execute("SELECT count(*) FROM person WHERE display_name = ?", (name,))
        return int(found.fetchone()[0])


async def test_writers_checkpoint_after_the_gate_and_urgent_writers_never(tmp_path: Path) -> None:
    path = tmp_path / "kontobot.db"
    async with sqlite_file(path, busy_timeout=2) as store:
        # The schema copied into the file first (migrating writes it into the log).
        with closing(sqlite3.connect(path)) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        async with store.read() as session:
            [[backstop]] = (await session.exec(text("PRAGMA wal_autocheckpoint"))).all()
        assert backstop == AUTOCHECKPOINT
        store.checkpoint_every = 0
        # An event stored before its acknowledgement: left in the log.
        async with store.transaction(urgent=True) as session:
            await make_person(session, T0, "Stored Event")
        await store.settle()
        assert in_the_file_itself(path, "Stored Event") == 0
        # A turn's transaction: checkpointed once it has ended, the event's with it.
        async with store.transaction() as session:
            await make_person(session, T0, "Turn One")
        await store.settle()
        assert in_the_file_itself(path, "Turn One") == 1
        assert in_the_file_itself(path, "Stored Event") == 1
        # Not again within checkpoint_every of the last checkpoint.
        store.checkpoint_every = 3600
        async with store.transaction() as session:
            await make_person(session, T0, "Turn Two")
        assert store.settled_now()
        assert in_the_file_itself(path, "Turn Two") == 0
        async with store.read() as session:
            assert await people_named(session, "Turn Two") == 1


def waiting_for(path: Path) -> int:
    """How many flock requests wait for the lock on `path` now (Linux's /proc/locks)."""
    inode = f":{path.stat().st_ino} "
    lines = Path("/proc/locks").read_text().splitlines()
    return sum(1 for line in lines if " -> FLOCK " in line and inode in line)


async def until(condition: Callable[[], bool]) -> None:
    # What is watched is another thread's flock or a task's progress: nothing to await.
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0)


@asynccontextmanager
async def sqlite_file(path: Path, busy_timeout: float) -> AsyncIterator[Store]:
    """A migrated SQLite file at `path`, its writers queued by the gate (data.db.WriteGate)."""
    store = Store.from_url(f"sqlite:///{path}", busy_timeout=busy_timeout)
    try:
        await migrate.upgrade(store.engine)
        yield store
    finally:
        await store.close()


async def test_an_urgent_writer_begins_before_the_writers_that_waited_longer(
    tmp_path: Path,
) -> None:
    # Three connections as in three processes: a turn writing, another turn waiting for it,
    # then an acknowledgement's insert arriving.
    path = tmp_path / "kontobot.db"
    writers = path.with_name("kontobot.db-writers")
    began: list[str] = []
    first_done = asyncio.Event()
    async with sqlite_file(path, busy_timeout=5) as store:

        async def write(name: str, *, urgent: bool = False, hold: bool = False) -> None:
            async with store.transaction(urgent=urgent) as session:
                # Its first statement begins it (and waits for the gate, data.db.WriteGate).
                await make_person(session, T0, name)
                began.append(name)
                if hold:
                    await first_done.wait()

        first = asyncio.create_task(write("turn", hold=True))
        await until(lambda: began == ["turn"])
        second = asyncio.create_task(write("next turn"))
        await until(lambda: waiting_for(writers) == 1)
        ack = asyncio.create_task(write("ack", urgent=True))
        await until(lambda: waiting_for(writers) == 2)
        first_done.set()
        await asyncio.gather(first, second, ack)
    assert began == ["turn", "ack", "next turn"]


async def test_a_writer_that_waits_too_long_fails_and_leaves_the_gate_free(
    tmp_path: Path,
) -> None:
    holding, done = asyncio.Event(), asyncio.Event()
    async with sqlite_file(tmp_path / "kontobot.db", busy_timeout=0.5) as store:

        async def long_turn() -> None:
            async with store.transaction() as session:
                await make_person(session, T0, "Long Turn")
                holding.set()
                await done.wait()

        turn = asyncio.create_task(long_turn())
        await holding.wait()
        with pytest.raises(TimeoutError):
            async with store.transaction(urgent=True) as session:
                await make_person(session, T0, "Never Written")
        done.set()
        await turn
        # The lock the timed-out writer's thread took once the turn ended is given back.
        async with asyncio.timeout(5), store.transaction() as session:
            await make_person(session, T0, "Written After")
        async with store.read() as session:
            assert await people_named(session, "Never Written") == 0
            assert await people_named(session, "Written After") == 1


def modes(folder: Path, prefix: str) -> dict[str, int]:
    """The permission bits of the files in `folder` whose names start with `prefix` (the
    write gate's lock files aside)."""
    return {
        p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()
        if p.name.startswith(prefix) and not p.name.endswith(("-writers", "-urgent"))
    }


def shared_file(path: Path) -> None:
    path.touch(mode=0o640)
    path.chmod(0o640)


async def test_a_new_sqlite_database_and_its_spool_are_their_owners_alone(
    tmp_path: Path,
) -> None:
    """Whatever the umask: the database, its write-ahead log and the spool hold personal data;
    a file already there keeps the mode its operator gave it."""
    old = os.umask(0o022)
    try:
        database = tmp_path / "kontobot.db"
        store = Store.from_url(f"sqlite+aiosqlite:///{database}")
        try:
            await migrate.upgrade(store.engine)
            async with store.transaction(urgent=True) as session:
                await make_person(session, T0, "Anna Berg")
            assert store.spool is not None
            assert await store.spool.count() == 0  # opened: the spool's file is made
        finally:
            await store.close()
        made = modes(tmp_path, "kontobot.db")
        assert {"kontobot.db", "kontobot.db-spool"} <= set(made)
        assert {name: mode & 0o077 for name, mode in made.items()} == dict.fromkeys(made, 0)
        kept = tmp_path / "shared.db"
        shared_file(kept)
        other = Store.from_url(f"sqlite+aiosqlite:///{kept}")
        await migrate.upgrade(other.engine)
        await other.close()
        assert modes(tmp_path, "shared.db")["shared.db"] == 0o640
    finally:
        os.umask(old)


async def test_a_failed_statement_does_not_carry_its_parameters(store: Store) -> None:
    """A database error (its message is logged, and ends up in tracebacks) names the statement
    but never the values it was given: e-mail addresses, questions from the public."""
    async with store.transaction() as session:
        await make_person(session, T0, "Anna Berg", platform="slack", ext="U1",
                          email="anna.secret@ki.se")
    with pytest.raises(DBAPIError) as failed:
        async with store.transaction() as session:
            await session.exec(  # type: ignore[call-overload]
                text("INSERT INTO chat_identity (person_id, platform, external_id, address) "
                     "VALUES (1, 'slack', :ext, '{}')").bindparams(ext="U1")
            )
    assert "U1" not in str(failed.value) and "hidden" in str(failed.value).lower()
