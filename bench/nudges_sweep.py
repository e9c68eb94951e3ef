"""The nudge sweep over a large register, on SQLite and on PostgreSQL.

    .venv/bin/python bench/nudges_sweep.py [--sizes 1000,10000] [--database sqlite|postgresql|both]
        [--postgres URL] [--db-prefix kontobot_bench_]

For each size N it builds a register of N accounts (teams of two or three), 2N people and
10N questions (a tenth of them unanswered), with absences, check-ins, activity, archive records
and N/50 pending requests, bulk inserted in a scratch database (a SQLite file in a temporary
directory; a PostgreSQL database named with --db-prefix, dropped after). Then, as of Monday
1 March 2027 14:30 in Stockholm (when every rule is awake), it measures:

- first_sweep: one sweep of every rule at once, owing every digest due, as the scheduler's
  catch-up at start and `kontobot nudges run` do (the heaviest sweep there is); the first
  working day of a month, so the teams' monthly summaries are among them (a third of the
  digests at 10,000 accounts);
- first_sweep_ordinary_day: the same on the next day, Tuesday 2 March, an ordinary working
  day (no monthly summaries): the workload issue 13 measured (~28,000 digests at 10,000);
- tick_<job>: the day's scheduled ticks on that Monday as the scheduler runs them
  (scheduler.jobs.schedule: each job's first tick of the day, at its own time and with its
  own rules, one after the other in time order, from an empty outbox);
- repeat_sweep: the same sweep again, which can owe nothing new;
- full_sweep: the rules run again over everything (`reuse=False`, as `kontobot nudges run`
  does, listing what is due piece by piece: scheduler.sweep.Listing), every digest already
  owed, nothing written;
- nudges_run: the same and the operator's table made of the listing (all `kontobot nudges
  run` does but print it).
- first_sweep_process: the first sweep again, in a process of its own that does nothing
  else (`python bench/nudges_sweep.py process URL`); its `peak_mib` is that process's resident
  high-water mark (`VmHWM`, Linux), the interpreter and imports included, not tracemalloc's.
- ack_wait_max, ack_wait_p99: during another first sweep, the longest (and the 99th
  percentile) time another process took to begin and end an urgent writing transaction, as
  the front storing an event does, one every 5 ms: on SQLite, how long an acknowledgement
  may wait for the write lock behind the sweep (the sweep runs in a turn process).

Each is timed, then run again (the outbox emptied first for first_sweep) under tracemalloc
for its peak Python memory. Before them a dry run pays what a process pays once (the ORM's
mappers, compiled statements, the calendar's years). One JSON object per measurement on
stdout, a table on stderr.

Not a test: nothing is asserted.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from statistics import quantiles
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from harness import Report, admin, arguments, clocked, peak, scratch  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402

from data import migrate  # noqa: E402
from data.db import Store  # noqa: E402
from data.policy import NudgeConfig  # noqa: E402
from scheduler.jobs import schedule  # noqa: E402
from scheduler.sweep import Listing, SweepResult, sweep  # noqa: E402

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = datetime.combine(date(2027, 3, 1), clock(14, 30), tzinfo=STOCKHOLM).astimezone(UTC)
# The next working day, when no monthly summary is due.
ORDINARY_DAY = NOW + timedelta(days=1)
CONFIG = NudgeConfig()
CHUNK = 2000


def register(n: int, seed: int = 5) -> dict[str, list[dict[str, Any]]]:
    """The rows of a register of `n` accounts, by table."""
    rng = random.Random(seed)
    people_n, today = 2 * n, NOW.astimezone(STOCKHOLM).date()

    def ago(days: float) -> datetime:
        return NOW - timedelta(days=days)

    people = [
        {"id": i, "display_name": f"Person {i}", "email": f"p{i}@ki.se", "locale": "sv",
         "last_platform": "web", "created_at": ago(800), "updated_at": ago(800)}
        for i in range(1, people_n + 1)
    ]
    long = "x" * 200
    requests: list[dict[str, Any]] = []
    accounts: list[dict[str, Any]] = []
    members: list[dict[str, Any]] = []
    for i in range(1, n + 1):
        team = rng.sample(range(1, people_n + 1), rng.choice((2, 3)))
        manager = rng.choice([p for p in range(1, 60) if p not in team])
        registered = ago(rng.uniform(30, 720))
        common = {"platform": "instagram", "handle": f"ki_{i}", "unit": f"Unit {i % 200}",
                  "scope": "unit", "purpose": long, "objectives": long, "target_group": long,
                  "benefit": long, "manager_id": manager, "monitoring": long,
                  "holiday_cover": long, "response_time": "24h"}
        requests.append({"id": i, "requester_id": team[0], "team_ids": team[1:],
                         "acknowledgements": [], "status": "approved", "stage": None,
                         "approver_id": None, "round": 1, "last_reason": None,
                         "account_id": i, "created_at": registered, "updated_at": registered,
                         "stage_started_at": registered, **common})
        accounts.append({"id": i, "number": f"SOME-{registered.year}-{i:05d}", "request_id": i,
                         "status": "active", "registered_at": registered, "closed_at": None,
                         **common})
        members.extend({"account_id": i, "person_id": p, "position": k}
                        for k, p in enumerate(team))
    for j in range(n + 1, n + n // 50 + 1):  # pending requests
        since = ago(rng.uniform(0, 14))
        requests.append({
            "id": j, "requester_id": rng.randint(60, people_n), "team_ids": [],
            "acknowledgements": [], "status": "pending", "stage": "manager",
            "approver_id": rng.randint(1, 59), "round": 1, "last_reason": None,
            "account_id": None, "created_at": since, "updated_at": since,
            "stage_started_at": since, "platform": "x", "handle": f"ki_p{j}", "unit": "U",
            "scope": "unit", "purpose": long, "objectives": long, "target_group": long,
            "benefit": long, "manager_id": 1, "monitoring": long, "holiday_cover": long,
            "response_time": "24h",
        })
    absences = [
        {"person_id": p, "first_day": today - timedelta(days=3),
         "last_day": today + timedelta(days=rng.randint(0, 20)), "note": None,
         "created_at": ago(10)}
        for p in rng.sample(range(1, people_n + 1), people_n // 20)
    ]
    check_ins, activity, archive = [], [], []
    by_account: dict[int, list[int]] = {}
    for m in members:
        by_account.setdefault(m["account_id"], []).append(m["person_id"])
    for i, team in by_account.items():
        if rng.random() < 0.8:
            check_ins.append({"account_id": i, "person_id": team[0],
                              "day": today - timedelta(days=rng.randint(1, 20)),
                              "kind": "monitored", "at": ago(2)})
        if rng.random() < 0.5:
            check_ins.append({"account_id": i, "person_id": team[-1], "day": today,
                              "kind": "monitored", "at": ago(0.1)})
        activity.append({"account_id": i, "person_id": team[0],
                         "at": ago(rng.uniform(0, 70)), "note": "post"})
        if rng.random() < 0.7:
            done = ago(rng.uniform(0, 240))
            archive.append({"account_id": i, "reason": "scheduled", "due": done.date(),
                            "snoozed_until": None, "done_at": done, "location": "S:/a",
                            "done_by": team[0], "created_at": done, "created_by": team[0]})
    questions = []
    for q in range(10 * n):
        received = ago(rng.uniform(0, 5) if q % 10 == 0 else rng.uniform(0, 365))
        answered = q % 10 != 0
        questions.append({
            "account_id": rng.randint(1, n), "source": "webhook", "text": "A question?",
            "asked_by": None, "external_ref": None, "received_at": received, "logged_by": None,
            "answered_at": received + timedelta(hours=3) if answered else None,
            "answered_by": None,
        })
    return {
        "person": people, "account_request": requests, "account": accounts,
        "account_member": members, "absence": absences, "monitoring_check_in": check_ins,
        "activity_entry": activity, "archive_record": archive, "question": questions,
    }


def ticks_of(day: date) -> list[tuple[datetime, str, tuple[str, ...]]]:
    """(moment, job, rule kinds) of each scheduled job's first tick on `day`, in time order."""
    midnight = datetime.combine(day, clock(0), tzinfo=STOCKHOLM)
    ticks = []
    for job, trigger, kinds in schedule(CONFIG):
        fires = trigger.get_next_fire_time(None, midnight)
        if fires is not None and fires.date() == day:
            ticks.append((fires.astimezone(UTC), job, kinds))
    return sorted(ticks)


async def fill(store: Store, rows: dict[str, list[dict[str, Any]]]) -> float:
    started = time.perf_counter()
    tables = SQLModel.metadata.tables
    async with store.engine.begin() as connection:
        for name, table_rows in rows.items():
            for start in range(0, len(table_rows), CHUNK):
                await connection.execute(tables[name].insert(), table_rows[start:start + CHUNK])
    return time.perf_counter() - started


async def measure(report: Report, database: str, url: str, n: int) -> None:
    store = Store.from_url(url)
    try:
        await migrate.upgrade(store.engine)
        await fill(store, register(n))
        if database == "postgresql":
            async with store.engine.begin() as connection:
                await connection.execute(text("ANALYZE"))

        async def forget() -> None:
            async with store.engine.begin() as connection:
                await connection.execute(text("DELETE FROM outbox"))
                await connection.execute(text("DELETE FROM sweep_mark"))
            if database == "postgresql":
                # The deleted rows cleared away, as autovacuum would: a sweep that follows
                # otherwise pays for tens of thousands of dead rows in the outbox's indexes
                # (0.3 s more at 10,000 accounts), which a day's sweeps do not meet.
                await admin(url, "VACUUM ANALYZE outbox")

        async def first() -> int:
            return len((await sweep(store, NOW, CONFIG)).written)

        # What a process pays once, not each sweep: imports, the ORM's mappers, compiling the
        # statements, the calendar's years. A dry run pays them and writes nothing.
        await sweep(store, NOW, CONFIG, dry_run=True)

        seconds, cpu, written = await clocked(first)
        await forget()
        report.add(database, n, "first_sweep", seconds, await peak(first), cpu)
        assert written > 0

        async def ordinary() -> int:
            return len((await sweep(store, ORDINARY_DAY, CONFIG)).written)

        await forget()
        seconds, cpu, written = await clocked(ordinary)
        await forget()
        report.add(database, n, "first_sweep_ordinary_day", seconds, await peak(ordinary), cpu)
        assert written > 0
        await forget()
        for moment, job, kinds in ticks_of(NOW.astimezone(STOCKHOLM).date()):

            async def tick(
                moment: datetime = moment, kinds: tuple[str, ...] = kinds
            ) -> SweepResult:
                return await sweep(store, moment, CONFIG, kinds=kinds)

            seconds, cpu, _ = await clocked(tick)
            report.add(database, n, f"tick_{job}", seconds, None, cpu)
        await forget()
        await first()

        async def repeat() -> None:
            result = await sweep(store, NOW, CONFIG)
            assert result.written == [] and result.skipped

        seconds, cpu, _ = await clocked(repeat)
        report.add(database, n, "repeat_sweep", seconds, await peak(repeat), cpu)

        async def full() -> Listing:
            listing = Listing()
            result = await sweep(store, NOW, CONFIG, reuse=False, listing=listing)
            assert result.written == [] and len(listing) == result.found > 0
            return listing

        seconds, cpu, _ = await clocked(full)
        report.add(database, n, "full_sweep", seconds, await peak(full), cpu)

        async def run() -> None:
            assert (await (await full()).table(store)).count("\n") > 1

        seconds, cpu, _ = await clocked(run)
        report.add(database, n, "nudges_run", seconds, await peak(run), cpu)

        await forget()
        seconds, cpu, peak_kib = await in_a_process(url)
        report.add(database, n, "first_sweep_process", seconds, peak_kib / 1024, cpu)

        await forget()
        waits = await ack_waits_during(first, url)
        report.add(database, n, "ack_wait_max", max(waits), None)
        report.add(database, n, "ack_wait_p99", quantiles(waits, n=100, method="inclusive")[98], None)
    finally:
        await store.close()


async def in_a_process(url: str) -> tuple[float, float, float]:
    """A first sweep in a new process: (seconds, CPU seconds, its resident high-water KiB)."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "process", url, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await child.communicate()
    assert child.returncode == 0
    found = json.loads(out)
    return found["seconds"], found["cpu"], found["hwm_kib"]


async def process(url: str) -> None:
    """The other process of `in_a_process`: one first sweep, then what it measured."""
    store = Store.from_url(url)
    started, cpu = time.perf_counter(), time.process_time()
    written = len((await sweep(store, NOW, CONFIG)).written)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    await store.close()
    assert written > 0
    print(json.dumps({"seconds": seconds, "cpu": cpu, "hwm_kib": _high_water_kib()}), flush=True)


def _high_water_kib() -> int:
    """This process's resident high-water mark (Linux's VmHWM: reset by exec, unlike
    getrusage's ru_maxrss, which a child inherits from the process it was forked from)."""
    status = Path("/proc/self/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))


async def ack_waits_during(work: Callable[[], Awaitable[Any]], url: str) -> list[float]:
    """While `work` runs, another process (the front, which acknowledges, where the sweep runs
    in a turn process) begins an urgent writing transaction every 5 ms, as storing an event
    does: how long each took, SQLite's write lock included."""
    acks = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "acks", url,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )
    assert acks.stdin is not None and acks.stdout is not None
    assert (await acks.stdout.readline()).strip() == b"ready"
    await work()
    acks.stdin.close()
    waits: list[float] = json.loads(await acks.stdout.read())
    await acks.wait()
    return waits


async def acks(url: str) -> None:
    """The other process of `ack_waits_during`: urgent transactions until stdin closes."""
    store = Store.from_url(url)
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    loop.add_reader(sys.stdin.fileno(), done.set)
    waits: list[float] = []
    print("ready", flush=True)
    while not done.is_set():
        started = time.perf_counter()
        async with store.transaction(urgent=True) as session:
            await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        waits.append(time.perf_counter() - started)
        await asyncio.sleep(0.005)
    loop.remove_reader(sys.stdin.fileno())
    await store.close()
    print(json.dumps(waits), flush=True)


async def main() -> None:
    args = arguments((__doc__ or "").split("\n\n")[0])
    report = Report("nudges_sweep")
    for n in args.size_list:
        for database in args.databases:
            async with scratch(database, args) as url:
                await measure(report, database, url, n)
            print(f"{database} {n}: done", file=sys.stderr)
    report.table()


if __name__ == "__main__":
    if sys.argv[1:2] == ["acks"]:
        asyncio.run(acks(sys.argv[2]))
    elif sys.argv[1:2] == ["process"]:
        asyncio.run(process(sys.argv[2]))
    else:
        asyncio.run(main())
