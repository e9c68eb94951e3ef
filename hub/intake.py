"""Group commit for the inbox: events that arrive together are stored in one transaction.

Every event is committed before its platform is acknowledged (data/inbox.py), and a commit is
an fsync. Stored one transaction each, events that arrive in a burst queue behind each other's
commits (on SQLite at the write gate; on PostgreSQL for the pool's connections, the pool
opening new ones for the overflow): the last of fifty waits for fifty commits, and the
acknowledgement's p99 was many times its p50 (bench/README.md, "The acknowledgement's tail").

So one writer stores them: the first event starts a transaction at once (no timer, nothing
waits for company), and whatever arrives while it commits goes, all of it, into the next
one. Each caller is answered only once the transaction holding its event has committed; when
that transaction fails, every caller in it gets the error (none of their events is stored,
and their platforms, unacknowledged, send them again).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from data import inbox
from data.db import Store

# Events in one transaction at most: 8 bound parameters each, under SQLite's oldest limit
# (999) and far under PostgreSQL's (32,767).
BATCH = 100


@dataclass
class Stats:
    transactions: int = 0
    events: int = 0
    largest: int = 0


@dataclass
class Intake:
    store: Store
    batch: int = BATCH
    stats: Stats = field(default_factory=Stats)
    _waiting: list[tuple[inbox.Incoming, asyncio.Future[bool]]] = field(
        default_factory=list, init=False
    )
    _writer: asyncio.Task[None] | None = field(default=None, init=False)

    async def store_one(self, event: inbox.Incoming) -> bool:
        """Commit `event` to the inbox, with whichever others arrive meanwhile; True when it
        is new, False for a repeat of its key. Returns only once it is committed."""
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((event, answer))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write())
        # A caller that stops waiting (its request gone) leaves its event to be stored.
        return await answer

    async def _write(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[: self.batch]
                del self._waiting[: self.batch]
                try:
                    async with self.store.storing() as session:
                        new = await inbox.receive_many(session, [event for event, _ in batch])
                except Exception as error:
                    # Each caller gets it as its own: none of the batch is stored.
                    for _, answer in batch:
                        if not answer.done():
                            answer.set_exception(error)
                    continue
                except BaseException:
                    # Cancelled (the loop is closing): nothing in this batch is known stored.
                    for _, answer in batch:
                        answer.cancel()
                    raise
                self.stats.transactions += 1
                self.stats.events += len(batch)
                self.stats.largest = max(self.stats.largest, len(batch))
                answered: set[str] = set()
                for event, answer in batch:
                    key = event.key[:255]
                    # A key twice in one batch: the first is the new one.
                    fresh = key in new and key not in answered
                    answered.add(key)
                    if not answer.done():
                        answer.set_result(fresh)
        finally:
            self._writer = None
            for _, answer in self._waiting:
                answer.cancel()
            self._waiting.clear()
