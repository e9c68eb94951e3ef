"""Two transactions at the same moment, the second begun while the first is still open: what
the tests of concurrent clicks and commands run them with."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from data.db import Store, is_sqlite

Job = Callable[[AsyncSession], Awaitable[Any]]

# Sessions of this test's database waiting for a lock (a row's or an advisory one).
_WAITING = text(
    "SELECT count(*) FROM pg_stat_activity"
    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


async def one_inside_the_other(store: Store, first: Job, second: Job) -> list[Any]:
    """Run `first` in a transaction, then `second` in another while the first is still open;
    the first commits once the second has done its work or waits for a lock (PostgreSQL), or
    at once (SQLite, where the second cannot begin until then). Each one's result, or what
    it raised."""

    async def alone(job: Job) -> Any:
        async with store.transaction() as session:
            return await job(session)

    overlapped = True
    async with store.transaction() as session:
        done = await first(session)
        later = asyncio.create_task(alone(second))
        if not is_sqlite(store.engine):
            overlapped = False
            async with store.engine.connect() as watcher:
                for _ in range(1000):
                    waiting = (await watcher.execute(_WAITING)).scalar_one()
                    # pg_stat_activity is read once per transaction: the next look, a new one.
                    await watcher.rollback()
                    if later.done() or waiting:
                        overlapped = True
                        break
                    await asyncio.sleep(0.01)
    after = await asyncio.gather(later, return_exceptions=True)
    assert overlapped, "the second transaction neither finished nor waited"
    return [done, *after]
