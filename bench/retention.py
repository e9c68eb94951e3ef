"""Deleting old delivered messages (data.retention), on SQLite and on PostgreSQL.

    .venv/bin/python bench/retention.py [--sizes 1000,10000] [--history 7]
        [--database sqlite|postgresql|both] [--postgres URL] [--db-prefix kontobot_bench_]

For each size N it builds `nudges_sweep.py`'s register of N accounts, owes one working day's
digests (a first sweep on an ordinary working day, ~3 an account), marks them sent, and copies
them over the `--history` days before, oldest first (so ids grow with time, as they do). Then,
with a retention of 30 days:

- prune_backlog: the first prune, when every day but the newest is past the retention:
  `--history` days of digests deleted at once (what `serve` meets at start on a database
  that never pruned);
- prune_nightly: the next night's prune, one day's digests deleted;
- prune_nothing: the same prune again, nothing left to delete (every night after);
- prune_nightly (peak): one more day owed and pruned under tracemalloc, for the memory;
- ack_wait_max, ack_wait_p99: during another backlog's prune, how long another process took
  to begin and end an urgent writing transaction, one every 5 ms (on SQLite: how long an
  acknowledgement waits behind the pruning's transactions).

One JSON object per measurement on stdout, a table on stderr (with how many rows each prune
deleted, and how many a second). Not a test: nothing is asserted but that the rows went.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime, timedelta
from pathlib import Path
from statistics import quantiles
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from harness import Report, arguments, clocked, peak, scratch  # noqa: E402
from nudges_sweep import CONFIG, ORDINARY_DAY, ack_waits_during, fill, register  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlmodel import select  # noqa: E402

from data import migrate, retention  # noqa: E402
from data.db import Store  # noqa: E402
from data.models import Outbox  # noqa: E402
from scheduler.sweep import sweep  # noqa: E402

DAY = timedelta(days=1)
KEEP = 30
COLUMNS = ("key", "kind", "recipient_id", "place", "params", "status", "attempts",
           "next_attempt_at", "delivered", "created_at", "not_after")


async def owed_day(store: Store) -> list[dict[str, Any]]:
    """One working day's digests, owed by a first sweep and marked sent; their rows."""
    written = (await sweep(store, ORDINARY_DAY, CONFIG)).written
    assert written
    async with store.read() as session:
        rows = (await session.exec(select(Outbox))).all()
    async with store.engine.begin() as connection:
        await connection.execute(text("DELETE FROM outbox"))
        await connection.execute(text("DELETE FROM sweep_mark"))
    return [{name: getattr(row, name) for name in COLUMNS} | {"status": "sent"} for row in rows]


async def owe_days(store: Store, day: list[dict[str, Any]], back: range) -> None:
    """`day`'s rows copied to each of `back` days before it (counting down: oldest first)."""
    copies: list[dict[str, Any]] = []
    for n in back:
        shift = n * DAY
        suffix = f"#{n}"
        copies += [row | {"key": row["key"] + suffix,
                          "next_attempt_at": row["next_attempt_at"] - shift,
                          "created_at": row["created_at"] - shift,
                          "not_after": row["not_after"] - shift} for row in day]
    await fill(store, {"outbox": copies})
    if store.engine.dialect.name == "postgresql":
        # The planner's figures brought up to date, as autovacuum does after such a burst.
        async with store.engine.begin() as connection:
            await connection.execute(text("ANALYZE outbox"))


async def measure(report: Report, database: str, url: str, n: int, history: int) -> None:
    store = Store.from_url(url)
    try:
        await migrate.upgrade(store.engine)
        await fill(store, register(n))
        await sweep(store, ORDINARY_DAY, CONFIG, dry_run=True)
        day = await owed_day(store)
        newest = ORDINARY_DAY
        # Every day but the newest one past the retention: a moment after the newest day's
        # rows were owed, `KEEP` days on, less half a day.
        as_of = newest + KEEP * DAY - DAY / 2

        async def prune(at: datetime) -> int:
            pruned = await retention.prune(store, now=at, days=KEEP)
            return pruned.outbox

        async def measured(what: str, at: datetime, expected: int) -> None:
            seconds, cpu, rows = await clocked(lambda: prune(at))
            assert rows == expected, (what, rows, expected)
            report.add(database, n, what, seconds, None, cpu)
            print(f"{database} {n} {what}: {rows} rows, {rows / seconds:,.0f} rows/s",
                  file=sys.stderr)

        await owe_days(store, day, range(history, -1, -1))
        await measured("prune_backlog", as_of, history * len(day))
        await measured("prune_nightly", as_of + DAY, len(day))
        await measured("prune_nothing", as_of + DAY, 0)
        await owe_days(store, day, range(-1, -2, -1))
        report.add(database, n, "prune_nightly_peak", 0.0,
                   await peak(lambda: prune(as_of + 2 * DAY)))

        await owe_days(store, day, range(history + 10, 10, -1))
        waits = await ack_waits_during(lambda: prune(as_of + 2 * DAY), url)
        report.add(database, n, "ack_wait_max", max(waits), None)
        report.add(database, n, "ack_wait_p99", quantiles(waits, n=100, method="inclusive")[98],
                   None)
    finally:
        await store.close()


async def main() -> None:
    args = arguments((__doc__ or "").split("\n\n")[0], extra=[
        (("--history",), {"type": int, "default": 7,
                          "help": "days of digests owed before the first prune"}),
    ])
    report = Report("retention")
    for n in args.size_list:
        for database in args.databases:
            async with scratch(database, args) as url:
                await measure(report, database, url, n, args.history)
            print(f"{database} {n}: done", file=sys.stderr)
    report.table()


if __name__ == "__main__":
    asyncio.run(main())
