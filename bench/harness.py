"""What the database benchmarks share: their command line, scratch databases, the timer and
the output (one JSON object per measurement on standard output, a table on standard error).

    --sizes 1000,10000          registers of these many accounts
    --database sqlite|postgresql|both
    --postgres URL              the server scratch PostgreSQL databases are made on
    --db-prefix NAME            their names start with it (dropped afterwards)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from uuid import uuid4

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from data.db import async_url  # noqa: E402

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_PREFIX = "kontobot_bench_"


def arguments(
    description: str,
    sizes: str = "1000,10000",
    extra: Sequence[tuple[tuple[str, ...], dict[str, Any]]] = (),
) -> argparse.Namespace:
    """The shared options, and a script's own (`extra`: add_argument's names and keywords)."""
    parser = argparse.ArgumentParser(description=description)
    for names, options in extra:
        parser.add_argument(*names, **options)
    parser.add_argument("--sizes", default=sizes, help="accounts, comma-separated")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES,
                        help="the server to make scratch databases on")
    parser.add_argument("--db-prefix", default=DEFAULT_PREFIX,
                        help="the start of the scratch PostgreSQL databases' names")
    args = parser.parse_args()
    args.size_list = [int(s) for s in args.sizes.split(",") if s.strip()]
    args.databases = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    return args


async def admin(url: str, statement: str) -> None:
    """Run `statement` on `url`'s database outside any transaction (CREATE DATABASE, VACUUM)."""
    engine = create_async_engine(async_url(url), isolation_level="AUTOCOMMIT",
                                 poolclass=NullPool, connect_args={"timeout": 5})
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@asynccontextmanager
async def scratch(database: str, args: argparse.Namespace) -> AsyncIterator[str]:
    """The URL of a new, empty database of the kind, removed afterwards."""
    if database == "sqlite":
        with TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    name = f"{args.db_prefix}{uuid4().hex[:12]}"
    await admin(args.postgres, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
    finally:
        await admin(args.postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass(frozen=True)
class Measurement:
    bench: str
    database: str
    accounts: int
    what: str
    seconds: float
    peak_mib: float | None
    # The benchmark process's own CPU time for the work (None: not measured). On a shared,
    # loaded machine it moves far less than the seconds (time spent waiting for a core is not
    # in it); it leaves out what a database server does.
    cpu_seconds: float | None = None
    # The machine's one-minute load average when it was taken (how shared the cores were).
    load: float | None = None


class Report:
    """Prints each measurement as it comes (JSON, stdout) and the table at the end (stderr)."""

    def __init__(self, bench: str) -> None:
        self.bench = bench
        self.rows: list[Measurement] = []

    def add(self, database: str, accounts: int, what: str, seconds: float,
            peak_mib: float | None, cpu_seconds: float | None = None) -> None:
        found = Measurement(self.bench, database, accounts, what, round(seconds, 4),
                            None if peak_mib is None else round(peak_mib, 1),
                            None if cpu_seconds is None else round(cpu_seconds, 4),
                            round(os.getloadavg()[0], 1))
        self.rows.append(found)
        shown = {k: v for k, v in found.__dict__.items() if k != "cpu_seconds" or v is not None}
        print(json.dumps(shown), flush=True)

    def table(self) -> None:
        head = ("database", "accounts", "what", "seconds", "cpu s", "peak MiB", "load")
        lines = [head] + [
            (m.database, str(m.accounts), m.what, f"{m.seconds:.3f}",
             "" if m.cpu_seconds is None else f"{m.cpu_seconds:.3f}",
             "" if m.peak_mib is None else f"{m.peak_mib:.1f}",
             "" if m.load is None else f"{m.load:.1f}")
            for m in self.rows
        ]
        widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
        out = ["  ".join(c.rjust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
        # Growth: each measurement at the largest size against the smallest.
        for database in dict.fromkeys(m.database for m in self.rows):
            for what in dict.fromkeys(m.what for m in self.rows):
                mine = sorted((m for m in self.rows if (m.database, m.what) == (database, what)),
                              key=lambda m: m.accounts)
                if len(mine) > 1 and mine[0].seconds > 0:
                    small, big = mine[0], mine[-1]
                    out.append(f"{database} {what}: {big.accounts // small.accounts}x the "
                               f"accounts, {big.seconds / small.seconds:.1f}x the time")
        print("\n".join(out), file=sys.stderr)


async def timed(work: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await work()
    return time.perf_counter() - started, result


async def clocked(work: Callable[[], Awaitable[Any]]) -> tuple[float, float, Any]:
    """`work`'s seconds, this process's CPU seconds for it (its threads' too: SQLite's
    driver runs in one), and its result."""
    started, cpu = time.perf_counter(), time.process_time()
    result = await work()
    return time.perf_counter() - started, time.process_time() - cpu, result


async def peak(work: Callable[[], Awaitable[Any]]) -> float:
    """The most Python memory `work` held at once, in MiB (tracemalloc)."""
    tracemalloc.start()
    try:
        await work()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
