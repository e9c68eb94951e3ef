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

On a SQLite file the events are committed to the spool (data/spool.py), whose write lock no
turn holds, and then moved into the inbox by one mover at a time (`moved` is told the keys new
to the inbox, to wake the workers); whatever needs the inbox to hold every event received so
far (the server's start, running a Teams invoke at once) waits for `settle()`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from data import inbox
from data.db import Store

log = logging.getLogger(__name__)

# Events in one transaction at most: 8 bound parameters each, under SQLite's oldest limit
# (999) and far under PostgreSQL's (32,767).
BATCH = 100
# Seconds before a move from the spool that failed (the database busy past its timeout) is
# tried again.
MOVE_RETRY = 1.0


@dataclass
class Stats:
    transactions: int = 0
    events: int = 0
    largest: int = 0


@dataclass
class Intake:
    store: Store
    batch: int = BATCH
    # Seconds before a failed move from the spool is tried again.
    move_retry: float = MOVE_RETRY
    stats: Stats = field(default_factory=Stats)
    _waiting: list[tuple[inbox.Incoming, asyncio.Future[bool]]] = field(
        default_factory=list, init=False
    )
    _writer: asyncio.Task[None] | None = field(default=None, init=False)
    # Told the keys each move from the spool stored in the inbox (new there).
    moved: Callable[[set[str]], None] = lambda _keys: None
    _mover: asyncio.Task[None] | None = field(default=None, init=False)
    # Something was spooled while the mover was reading the spool: it reads it again.
    _again: bool = field(default=False, init=False)
    _retry: asyncio.TimerHandle | None = field(default=None, init=False)
    _closed: bool = field(default=False, init=False)
    # What the last move from the spool failed with (for `settle`).
    _error: Exception | None = field(default=None, init=False)
    # Set (and replaced) as each batch is moved and as the mover stops (for `settle`).
    _step: asyncio.Event = field(default_factory=asyncio.Event, init=False)

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
                spool = self.store.spool
                try:
                    if spool is not None:
                        new = await spool.put([event for event, _ in batch])
                    else:
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
                if spool is not None and new:
                    self._kick()
        finally:
            self._writer = None
            for _, answer in self._waiting:
                answer.cancel()
            self._waiting.clear()

    # --- the spool (SQLite) ---------------------------------------------------------------

    def _kick(self) -> None:
        """Move what is spooled, now (or, when a move is under way, once it is done with what
        it read)."""
        if self._closed:
            return
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        if self._mover is None:
            self._mover = asyncio.create_task(self._move())
        else:
            self._again = True

    async def _move(self) -> None:
        spool = self.store.spool
        assert spool is not None
        try:
            while True:
                self._again = False
                rows = await spool.take(self.batch)
                if not rows:
                    if self._again:
                        continue
                    return
                async with self.store.transaction() as session:
                    new = await inbox.receive_many(session, [event for _, event in rows])
                # Only now: a crash before this moves them again, stored once by their keys.
                await spool.drop([row_id for row_id, _ in rows])
                if new:
                    self.moved(new)
                self._stepped()
        except Exception as error:
            # What is spooled stays there: tried again shortly, and at the next start.
            log.exception("inbox: moving spooled events failed; trying again shortly")
            self._error = error
            if not self._closed:
                self._retry = asyncio.get_running_loop().call_later(self.move_retry, self._kick)
        finally:
            self._mover = None
            self._stepped()

    def _stepped(self) -> None:
        """A batch was moved, or the mover stopped: whoever settles looks again."""
        self._step.set()
        self._step = asyncio.Event()

    async def settle(self) -> None:
        """Return once every event spooled before this call is in the inbox (at once where
        there is no spool); raises what a move raised meanwhile. Events spooled after it are
        not waited for: a stream of them would keep the mover going for as long as it lasts."""
        spool = self.store.spool
        if spool is None:
            return
        last = await spool.last()
        while last is not None and not self._closed:
            self._error = None
            step = self._step
            self._kick()
            if self._mover is not None:
                await step.wait()
            if self._error is not None:
                raise self._error
            if not await spool.waiting(up_to=last):
                return

    async def close(self) -> None:
        """No more moves: the one under way finishes; what is left stays spooled for the next
        start."""
        self._closed = True
        if self._retry is not None:
            self._retry.cancel()
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)
        if self._mover is not None:
            await asyncio.gather(self._mover, return_exceptions=True)
