"""The APScheduler wiring: cron ticks in Stockholm time, coalesced, with a misfire grace; a
tick sweeps as of the clock and kicks delivery; a catch-up sweep at start-up."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED
from sqlalchemy.event import listen

from data import outbox, retention
from data.db import Store
from data.models import AccountCompliance, Outbox
from data.policy import NudgeConfig
from scheduler import jobs
from scheduler.nudge_rules import ARCHIVING, QUESTION, ROTA
from tests.helpers import Cast, load
from tests.helpers.accounts import register
from tests.helpers.kinds import SQLITE_ONLY

STOCKHOLM = ZoneInfo("Europe/Stockholm")
CONFIG = NudgeConfig()


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=STOCKHOLM)


def test_the_ticks_fall_at_the_designs_times_in_stockholm() -> None:
    triggers = {job_id: (trigger, kinds) for job_id, trigger, kinds in jobs.schedule(CONFIG)}
    assert set(triggers) == {
        "rota", "rota_unmarked", "questions", "archiving", "inactivity", "approval", "experts",
        "cases", "monthly",
    }
    friday_night = local(date(2027, 3, 26), 20)  # Good Friday, evening

    def next_fire(job_id: str, after: datetime) -> datetime:
        fired = triggers[job_id][0].get_next_fire_time(None, after)
        assert fired is not None
        return fired.astimezone(STOCKHOLM)

    assert next_fire("rota", friday_night) == local(date(2027, 3, 29), 8, 30)
    assert next_fire("rota_unmarked", friday_night) == local(date(2027, 3, 29), 14, 0)
    assert next_fire("archiving", friday_night) == local(date(2027, 3, 29), 9, 0)
    # Questions: every hour 08-17 every day, weekends too.
    assert next_fire("questions", friday_night) == local(date(2027, 3, 27), 8, 0)
    assert next_fire("questions", local(date(2027, 3, 27), 17, 1)) == local(date(2027, 3, 28), 8, 0)
    # Summer time: 08:30 in Stockholm is 06:30 UTC.
    summer = triggers["rota"][0].get_next_fire_time(None, local(date(2027, 7, 1), 7))
    assert summer is not None and summer.astimezone(UTC).time() == time(6, 30)
    assert triggers["questions"][1] == (QUESTION,)
    # A colleague's time runs out at any hour: checked every hour like the questions.
    assert next_fire("experts", friday_night) == local(date(2027, 3, 27), 8, 0)
    assert triggers["experts"][1] == ("nudge_expert",)


async def test_a_tick_sweeps_as_of_the_clock_and_kicks_delivery(
    store: Store, cast: Cast
) -> None:
    await register(store, requester=cast.requester, team=(cast.colleague,),
                   manager=cast.manager, now=local(date(2027, 3, 1), 7))
    kicks: list[int] = []
    clock_at = local(date(2027, 3, 1), 8, 30).astimezone(UTC)
    nudges = jobs.NudgeScheduler(store, CONFIG, lambda: clock_at,
                                 on_written=lambda: kicks.append(1))
    result = await nudges.tick((ROTA, ARCHIVING))
    assert result is not None and result.written == [f"nudge_rota:{cast.requester}:2027-03-01"]
    assert kicks == [1]
    assert (await nudges.tick((ROTA,))) is not None
    assert kicks == [1]  # nothing new: no kick


async def test_start_adds_coalesced_jobs_runs_a_catch_up_and_stops(
    store: Store, cast: Cast
) -> None:
    await register(store, requester=cast.requester, team=(cast.colleague,),
                   manager=cast.manager, now=local(date(2027, 3, 1), 7))
    kicked = asyncio.Event()
    clock_at = local(date(2027, 3, 1), 10).astimezone(UTC)
    nudges = jobs.NudgeScheduler(store, CONFIG, lambda: clock_at, on_written=kicked.set)
    nudges.start()
    try:
        scheduled = {job.id: job for job in nudges.scheduler.get_jobs()}
        assert {"rota", "questions", "approval"} <= set(scheduled)
        rota_job = scheduled["rota"]
        assert rota_job.coalesce is True
        assert rota_job.misfire_grace_time == jobs.MISFIRE_GRACE_SECONDS
        assert rota_job.max_instances == 1
        # The catch-up sweep at start-up owes the morning's reminder at once.
        await asyncio.wait_for(kicked.wait(), timeout=30)
    finally:
        await nudges.stop()
    assert not nudges.scheduler.running
    rows = await load(store, Outbox, Outbox.kind == ROTA)
    assert [r.recipient_id for r in rows] == [cast.requester]


async def test_the_compliance_job_stores_what_is_not_current_every_few_minutes(
    store: Store, cast: Cast
) -> None:
    account = await register(store, requester=cast.requester, team=(cast.colleague,),
                             manager=cast.manager, now=local(date(2027, 3, 1), 7))
    clock_at = local(date(2027, 3, 1), 10).astimezone(UTC)
    nudges = jobs.NudgeScheduler(store, CONFIG, lambda: clock_at)
    assert await nudges.refresh_compliance() == 1
    assert await nudges.refresh_compliance() == 0  # current until midnight
    [row] = await load(store, AccountCompliance)
    assert (row.stale, row.account_id, row.computed_at) == (False, account.id, clock_at)
    nudges.start()
    try:
        job = nudges.scheduler.get_job("compliance")
        assert job is not None
        fired = job.trigger.get_next_fire_time(None, local(date(2027, 3, 1), 23, 58))
        assert fired == local(date(2027, 3, 2), 0, 0)
    finally:
        await nudges.stop()


async def test_the_compliance_job_stores_a_part_a_transaction(store: Store, cast: Cast) -> None:
    """On SQLite an acknowledgement waits for a writing transaction in progress: the rows are
    stored `write_chunk` at a time, each part in a transaction of its own."""
    for handle in ("ki_one", "ki_two", "ki_three"):
        await register(store, requester=cast.requester, team=(cast.colleague,),
                       manager=cast.manager, now=local(date(2027, 3, 1), 7), handle=handle)
    commits: list[int] = []
    listen(store.engine.sync_engine, "commit", lambda _conn: commits.append(1))
    nudges = jobs.NudgeScheduler(store, CONFIG, lambda: local(date(2027, 3, 1), 10),
                                 write_chunk=2)
    assert await nudges.refresh_compliance() == 3
    assert len(commits) == 2
    assert sorted(row.stale for row in await load(store, AccountCompliance)) == [False] * 3


async def test_a_failing_sweep_is_logged_and_the_next_tick_goes_on(
    store: Store, cast: Cast
) -> None:
    # A clock that gives a naive time breaks the sweep (times are aware everywhere).
    nudges = jobs.NudgeScheduler(store, CONFIG, lambda: datetime(2027, 3, 1, 9))  # noqa: DTZ001
    assert await nudges.tick() is None
    ok = jobs.NudgeScheduler(store, CONFIG, lambda: datetime(2027, 3, 1, 9, tzinfo=UTC))
    assert await ok.tick() is not None


async def test_the_retention_job_prunes_as_of_the_clock_nightly_and_at_start(
    store: Store, cast: Cast
) -> None:
    owed_at = local(date(2027, 3, 1), 9).astimezone(UTC)
    async with store.transaction() as session:
        await outbox.enqueue(session, key="reply:1", kind=outbox.REPLY, now=owed_at,
                             recipient_id=cast.colleague)
        [row] = await outbox.claim_due(session, now=owed_at)
        assert row.id is not None
        await outbox.mark_sent(session, row_id=row.id, now=owed_at, delivered={"slack": "1"})
    clock_at = owed_at + timedelta(days=31)
    # Kept forever unless a retention is set.
    assert await jobs.NudgeScheduler(store, CONFIG, lambda: clock_at).prune() is None
    assert await jobs.NudgeScheduler(
        store, CONFIG, lambda: clock_at, retention_days=31
    ).prune() == retention.Pruned(owed_at, 0, 0, 0, 0)
    nudges = jobs.NudgeScheduler(store, CONFIG, lambda: clock_at, retention_days=30)
    pruned_at_start = asyncio.Event()
    nudges.scheduler.add_listener(
        lambda done: done.job_id == "retention_at_start" and pruned_at_start.set(),
        EVENT_JOB_EXECUTED,
    )
    nudges.start()
    try:
        job = nudges.scheduler.get_job("retention")
        assert job is not None
        fired = job.trigger.get_next_fire_time(None, local(date(2027, 3, 1), 12))
        assert fired == local(date(2027, 3, 2), 3, 15)
        # Once at start too, as of the clock: the month-old reply is deleted.
        await asyncio.wait_for(pruned_at_start.wait(), timeout=30)
        assert await load(store, Outbox) == []
    finally:
        await nudges.stop()
    quiet = jobs.NudgeScheduler(store, CONFIG, lambda: clock_at)
    quiet.start()
    try:
        assert quiet.scheduler.get_job("retention") is None
        assert quiet.scheduler.get_job("retention_at_start") is None
    finally:
        await quiet.stop()


@SQLITE_ONLY
async def test_a_job_cut_short_by_stopping_is_no_failure(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """A server stopping while a job runs (the prune or the sweep at start, behind a turn
    holding SQLite's write lock) cancels the job: logged as stopped, not as a job that raised
    (a turn process stopping at once after its start logged a traceback)."""
    assert store.gate is not None
    caplog.set_level(logging.INFO)
    impatient = Store.from_url(f"sqlite:///{store.gate.database}", busy_timeout=5)
    held = sqlite3.connect(store.gate.database, isolation_level=None)
    held.execute("BEGIN IMMEDIATE")
    try:
        nudges = jobs.NudgeScheduler(
            impatient, CONFIG, lambda: local(date(2027, 3, 1), 10).astimezone(UTC),
            retention_days=30,
        )
        # Under way once its transaction begins (then it waits for the write lock).
        begun = asyncio.Event()
        listen(impatient.engine.sync_engine, "begin", lambda _c: begun.set(), insert=True)
        nudges.start()
        await asyncio.wait_for(begun.wait(), timeout=30)
        await nudges.stop()
    finally:
        held.close()
        await impatient.close()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    # (The catch-up sweep at start may be the one cut short, or both.)
    assert any(m.endswith("stopped with the scheduler") for m in caplog.messages)
