"""APScheduler wiring: cron ticks in the configured zone that run the nudge rules.

The jobs live in memory only: they are ticks, and the database is the truth. Each tick
sweeps as of `clock()` and kicks the Deliverer when it owed something. Rules gate themselves
on the time of day and key their nudges per day, so a tick that runs late (coalesced after a
pause, or the catch-up sweep at start-up) owes just what is still due today, once, and what a
rule owes once on one day that no tick saw (data.policy.owed_from), once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Iterable
from datetime import datetime, time
from typing import Any, TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from data import compliance_rows, retention
from data.db import Store
from data.policy import NudgeConfig
from scheduler import nudge_rules as rules
from scheduler.sweep import SweepResult, sweep

log = logging.getLogger(__name__)

T = TypeVar("T")

# A tick missed by up to this long (the process paused, the loop was busy) still runs, once.
MISFIRE_GRACE_SECONDS = 6 * 3600
# How often the stored compliance rows are brought up to date (data.compliance_rows): a row
# stops being current at midnight, when a question passes the answer target, and when the
# account changes; until the next refresh the dashboard works that account out on the spot.
COMPLIANCE_EVERY_MINUTES = 5
# When the old delivered messages and processed events are deleted (data.retention), local
# time: daily, in the quiet of the night, outside every sending hour.
PRUNE_AT = time(3, 15)


def _at(moment: time, *, working_days: bool, config: NudgeConfig) -> CronTrigger:
    return CronTrigger(
        day_of_week="mon-fri" if working_days else "*",
        hour=moment.hour,
        minute=moment.minute,
        timezone=config.zone,
    )


def schedule(config: NudgeConfig) -> list[tuple[str, CronTrigger, tuple[str, ...]]]:
    """(job id, trigger, rule kinds) for every rule of DESIGN.md section 4. Holidays are left
    to the rules, which know the calendar."""
    hours = f"{config.sending_starts.hour}-{max(config.sending_starts.hour, config.sending_ends.hour - 1)}"
    return [
        ("rota", _at(config.rota_at, working_days=True, config=config), (rules.ROTA,)),
        ("rota_unmarked", _at(config.rota_unmarked_at, working_days=True, config=config),
         (rules.ROTA_UNMARKED,)),
        ("questions", CronTrigger(hour=hours, minute=0, timezone=config.zone), (rules.QUESTION,)),
        ("experts", CronTrigger(hour=hours, minute=0, timezone=config.zone), (rules.EXPERT,)),
        ("archiving", _at(config.archiving_at, working_days=True, config=config),
         (rules.ARCHIVING,)),
        ("inactivity", _at(config.inactivity_at, working_days=True, config=config),
         (rules.INACTIVITY,)),
        ("approval", _at(config.approval_at, working_days=True, config=config),
         (rules.APPROVAL,)),
        ("cases", _at(config.case_at, working_days=True, config=config), (rules.CASE,)),
        ("monthly", _at(config.monthly_at, working_days=True, config=config),
         (rules.MONTHLY,)),
    ]


class NudgeScheduler:
    def __init__(
        self,
        store: Store,
        config: NudgeConfig,
        clock: Callable[[], datetime],
        *,
        on_written: Callable[[], None] | None = None,
        catch_up: bool = True,
        write_chunk: int = compliance_rows.WRITE_CHUNK,
        retention_days: int = 0,
    ) -> None:
        self.store = store
        # Days delivered messages and processed events are kept (data.retention); 0: forever.
        self.retention_days = retention_days
        # Compliance rows stored per writing transaction.
        self.write_chunk = write_chunk
        self.config = config
        self.clock = clock
        self.on_written = on_written
        self.catch_up = catch_up
        self.scheduler = AsyncIOScheduler(
            timezone=config.zone,
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": MISFIRE_GRACE_SECONDS},
        )
        # The jobs under way (`_job`), and whether `stop` has begun cancelling them.
        self._jobs: set[asyncio.Task[object]] = set()
        self._stopping = False

    async def _job(self, what: str, work: Coroutine[Any, Any, T]) -> T | None:
        """Run `work`, a job: `stop` cancels it, and being cancelled so is no failure
        (APScheduler would log it as one, traceback and all): None then."""
        task = asyncio.current_task()
        if task is not None:
            self._jobs.add(task)
        try:
            return await work
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            log.info("%s stopped with the scheduler", what)
            return None
        finally:
            if task is not None:
                self._jobs.discard(task)

    async def tick(self, kinds: Iterable[str] = rules.KINDS) -> SweepResult | None:
        """One sweep of `kinds` as of now; never raises (a failed tick is logged, and the next
        one tries again)."""
        return await self._job("nudge sweep", self._tick(kinds))

    async def _tick(self, kinds: Iterable[str]) -> SweepResult | None:
        try:
            result = await sweep(self.store, self.clock(), self.config, kinds=kinds)
        except Exception:
            log.exception("nudge sweep failed")
            return None
        if result.written:
            log.info("nudges owed: %s", len(result.written))
            if self.on_written is not None:
                self.on_written()
        return result

    async def refresh_compliance(self) -> int | None:
        """Store, as of now, every account's compliance that is not current; how many were
        (None: it failed, logged; the next refresh tries again)."""
        return await self._job("compliance refresh", self._refresh_compliance())

    async def _refresh_compliance(self) -> int | None:
        try:
            # Worked out while only reading, stored in short writes (SQLite: one writer).
            async with self.store.read() as session:
                worked = await compliance_rows.work_out(session, self.clock(), self.config)
            # A transaction per part: on SQLite an acknowledgement waits for one part at most
            # (10,000 rows in one took 0.2-0.25 s on the 2-core machine of bench/README.md).
            for part in worked.parts(self.write_chunk):
                async with self.store.transaction() as session:
                    await compliance_rows.store(session, part)
            return len(worked)
        except Exception:
            log.exception("compliance refresh failed")
            return None

    async def prune(self) -> retention.Pruned | None:
        """Delete, as of now, what is older than the retention (None: it keeps everything, or
        it failed, logged; the next night's run tries again)."""
        if not self.retention_days:
            return None
        return await self._job("pruning", self._prune())

    async def _prune(self) -> retention.Pruned | None:
        try:
            pruned = await retention.prune(self.store, now=self.clock(), days=self.retention_days)
        except Exception:
            log.exception("pruning old messages and events failed")
            return None
        if pruned.deleted:
            log.info("deleted %s", pruned)
        return pruned

    def start(self) -> None:
        """Add the jobs and start (needs the running event loop)."""
        self._stopping = False
        for job_id, trigger, kinds in schedule(self.config):
            self.scheduler.add_job(self.tick, trigger, args=(kinds,), id=job_id,
                                   replace_existing=True)
        self.scheduler.add_job(
            self.refresh_compliance,
            CronTrigger(minute=f"*/{COMPLIANCE_EVERY_MINUTES}", timezone=self.config.zone),
            id="compliance", replace_existing=True,
        )
        if self.retention_days:
            self.scheduler.add_job(
                self.prune, CronTrigger(hour=PRUNE_AT.hour, minute=PRUNE_AT.minute,
                                        timezone=self.config.zone),
                id="retention", replace_existing=True,
            )
            if self.catch_up:
                # At start too: a server that is never up at night still prunes.
                self.scheduler.add_job(self.prune, id="retention_at_start",
                                       next_run_time=datetime.now(self.config.zone))
        if self.catch_up:
            # After downtime: what is still due today, at once (each nudge once: keys).
            self.scheduler.add_job(self.tick, id="catch_up", next_run_time=datetime.now(self.config.zone))
        self.scheduler.start()

    async def stop(self) -> None:
        self._stopping = True
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            # AsyncIOScheduler shuts down from the event loop's next turn.
            await asyncio.sleep(0)
        for task in list(self._jobs):
            task.cancel()
        for task in list(self._jobs):
            with contextlib.suppress(asyncio.CancelledError):
                await task
