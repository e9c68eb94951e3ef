"""One full sweep of every nudge rule over a large register, on SQLite and on PostgreSQL.

    .venv/bin/python bench/nudges_sweep.py [--sizes 1000,10000] [--postgres URL | --postgres none]

For each size N it builds a register of N accounts (teams of two or three), 2N people and
10N questions (a tenth of them unanswered), with absences, check-ins, activity, archive records
and N/50 pending requests, bulk inserted in a scratch database: a SQLite file in a temporary
directory, and a new PostgreSQL database on the server (default the local one; dropped after).
Then, as of Monday 1 March 2027 14:30 in Stockholm (when every rule is awake), it times one
sweep of every rule in its three steps: loading the snapshot, running the rules, writing the
digests to the outbox; then the same sweep again (every digest already owed: nothing written);
and measures the peak Python memory of a sweep (tracemalloc, on a dry run) and the process's
peak RSS. Finally it shows how the sweep's time grows from the smallest size to the largest.

Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402

from data import migrate  # noqa: E402
from data.db import Store, async_url  # noqa: E402
from data.nudge_state import snapshot, write_nudges  # noqa: E402
from data.policy import NudgeConfig  # noqa: E402
from scheduler.nudge_rules import due_nudges  # noqa: E402
from scheduler.sweep import sweep  # noqa: E402

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = datetime.combine(date(2027, 3, 1), clock(14, 30), tzinfo=STOCKHOLM).astimezone(UTC)
CONFIG = NudgeConfig()
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
CHUNK = 2000


@dataclass
class Result:
    backend: str
    accounts: int
    people: int
    questions: int
    insert: float
    load: float
    rules: float
    write: float
    nudges: int
    rows: int
    repeat: float
    peak_mib: float


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
    requests, accounts, members = [], [], []
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


async def fill(store: Store, rows: dict[str, list[dict[str, Any]]]) -> float:
    started = time.perf_counter()
    tables = SQLModel.metadata.tables
    async with store.engine.begin() as connection:
        for name, table_rows in rows.items():
            for start in range(0, len(table_rows), CHUNK):
                await connection.execute(tables[name].insert(), table_rows[start:start + CHUNK])
    return time.perf_counter() - started


async def measure(backend: str, url: str, n: int) -> Result:
    store = Store.from_url(url)
    try:
        await migrate.upgrade(store.engine)
        rows = register(n)
        inserted = await fill(store, rows)
        if backend == "postgresql":
            async with store.engine.begin() as connection:
                await connection.execute(text("ANALYZE"))
        async with store.transaction() as session:
            t0 = time.perf_counter()
            state = await snapshot(session, NOW, CONFIG)
            t1 = time.perf_counter()
            nudges = due_nudges(state, NOW, CONFIG)
            t2 = time.perf_counter()
            written = await write_nudges(session, nudges, now=NOW, zone=CONFIG.zone)
        t3 = time.perf_counter()
        again = time.perf_counter()
        repeat = await sweep(store, NOW, CONFIG)
        assert repeat.written == []
        again = time.perf_counter() - again
        tracemalloc.start()
        await sweep(store, NOW, CONFIG, dry_run=True)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        return Result(backend, n, len(rows["person"]), len(rows["question"]), inserted,
                      t1 - t0, t2 - t1, t3 - t2, len(nudges), len(written), again, peak)
    finally:
        await store.close()


async def admin(server: str, statement: str) -> None:
    engine = create_async_engine(async_url(server), isolation_level="AUTOCOMMIT",
                                 poolclass=NullPool, connect_args={"timeout": 5})
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@asynccontextmanager
async def scratch_postgres(server: str) -> AsyncIterator[str]:
    """The URL of a new database on `server`, dropped afterwards."""
    name = f"kontobot_bench_{uuid4().hex}"
    await admin(server, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        await admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def on_postgres(server: str, n: int) -> Result:
    async with scratch_postgres(server) as url:
        return await measure("postgresql", url, n)


def show(results: list[Result]) -> None:
    head = ("backend", "accounts", "people", "questions", "insert s", "load s", "rules s",
            "write s", "sweep s", "nudges", "rows", "again s", "peak MiB")
    lines = [head]
    for r in results:
        lines.append((r.backend, str(r.accounts), str(r.people), str(r.questions),
                      f"{r.insert:.2f}", f"{r.load:.3f}", f"{r.rules:.3f}", f"{r.write:.3f}",
                      f"{r.load + r.rules + r.write:.3f}", str(r.nudges), str(r.rows),
                      f"{r.repeat:.3f}", f"{r.peak_mib:.1f}"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    for line in lines:
        print("  ".join(cell.rjust(w) for cell, w in zip(line, widths, strict=True)))
    for backend in dict.fromkeys(r.backend for r in results):
        mine = sorted((r for r in results if r.backend == backend), key=lambda r: r.accounts)
        if len(mine) > 1:
            small, big = mine[0], mine[-1]
            grow = (big.load + big.rules + big.write) / (small.load + small.rules + small.write)
            print(f"{backend}: {big.accounts // small.accounts}x the accounts, "
                  f"{grow:.1f}x the sweep time")
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES,
                        help="server to make a scratch database on, or 'none'")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        for n in sizes:
            results.append(await measure("sqlite", f"sqlite:///{scratch}/bench-{n}.db", n))
            print(f"sqlite {n}: done", file=sys.stderr)
    if args.postgres != "none":
        try:
            await admin(args.postgres, "SELECT 1")
        except Exception as error:
            print(f"PostgreSQL not reachable ({error}); skipped", file=sys.stderr)
        else:
            for n in sizes:
                results.append(await on_postgres(args.postgres, n))
                print(f"postgresql {n}: done", file=sys.stderr)
    show(results)


if __name__ == "__main__":
    asyncio.run(main())
