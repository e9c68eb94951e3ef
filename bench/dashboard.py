"""What the dashboard's pages and the export cost over a large register, on SQLite and on
PostgreSQL.

    .venv/bin/python bench/dashboard.py [--sizes 1000,10000] [--database sqlite|postgresql|both]
        [--postgres URL] [--db-prefix kontobot_bench_]

The register is bench/nudges_sweep.py's (N accounts, 2N people, 10N questions, check-ins,
activity, archive records), with person 1 in the comms office. As of Monday 1 March 2027
14:30 in Stockholm it measures, for the comms office (the whole register):

- register_page: the register's first page (50 rows, by number), as the handler loads it;
- register_search: a search for a person's name, sorted by manager, descending;
- register_last_page: the last page, sorted by handle;
- refresh_first, refresh_all, refresh_nothing: storing every account's compliance row
  (data.compliance_rows) the first time, again with every row marked stale, and a refresh
  with every row current; the pages below are measured with the rows current, as after a
  scheduler tick;
- register_by_compliance: the register filtered to accounts with late questions (in SQL,
  from the stored rows);
- register_sorted_by_compliance: the first page sorted by compliance, worst first;
- register_team_member: the first page for one team member (their own accounts);
- compliance_page: the compliance overview's charts;
- account_page: one account's page;
- export_csv, export_json: the register and audit trail, streamed and counted, not kept.

Each page is asked for once untimed (what a running server pays once: compiling its
statements), then timed (seconds and the process's CPU seconds, as bench/nudges_sweep.py
does), then run again under tracemalloc for its peak Python memory; the refreshes and exports
are timed on their first run. One JSON object per
measurement on stdout, a table on stderr.

Not a test: nothing is asserted.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from harness import Report, arguments, clocked, peak, scratch  # noqa: E402
from nudges_sweep import CONFIG, NOW, fill  # noqa: E402
from nudges_sweep import register as rows_of  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlmodel import update  # noqa: E402

from data import (  # noqa: E402
    compliance_rows,
    dashboard,
    dashboard_charts,
    dashboard_register,
    migrate,
)
from data import dashboard_overview as overview  # noqa: E402
from data.db import Store  # noqa: E402
from data.models import AccountCompliance  # noqa: E402


def register_page(
    store: Store, person_id: int, wanted: dashboard_register.Wanted
) -> Callable[[], Awaitable[int]]:
    async def work() -> int:
        async with store.transaction() as session:
            viewer = await dashboard.viewer(session, person_id)
            found = await dashboard_register.register_page(
                session, viewer, wanted, now=NOW, config=CONFIG
            )
            return len(found.rows)

    return work


def compliance_page(store: Store, person_id: int) -> Callable[[], Awaitable[int]]:
    async def work() -> int:
        async with store.transaction() as session:
            viewer = await dashboard.viewer(session, person_id)
            return len((await dashboard_charts.overview(session, viewer, NOW, CONFIG)).weeks)

    return work


def refresh_all(store: Store) -> Callable[[], Awaitable[int]]:
    """Every account's compliance row worked out and stored (each marked stale first)."""
    async def work() -> int:
        async with store.transaction() as session:
            await session.exec(update(AccountCompliance).values(stale=True))
            return await compliance_rows.refresh(session, NOW, CONFIG)

    return work


def refresh_nothing(store: Store) -> Callable[[], Awaitable[int]]:
    """A refresh when every row is current (a scheduler tick with nothing changed)."""
    async def work() -> int:
        async with store.transaction() as session:
            return await compliance_rows.refresh(session, NOW, CONFIG)

    return work


def account_page(store: Store, person_id: int, number: str) -> Callable[[], Awaitable[int]]:
    async def work() -> int:
        async with store.transaction() as session:
            viewer = await dashboard.viewer(session, person_id)
            detail = await dashboard.account_detail(session, viewer, number, zone=CONFIG.zone)
            states = await overview.account_states(session, NOW, CONFIG, [detail.account])
            return len(detail.audit) + len(states)

    return work


def export(store: Store, person_id: int, fmt: str) -> Callable[[], Awaitable[int]]:
    async def work() -> int:
        size = 0
        async with store.transaction() as session:
            viewer = await dashboard.viewer(session, person_id)
            async for piece in await dashboard.export_for(session, viewer, fmt, "all"):
                size += len(piece.encode())
        return size

    return work


async def measure(report: Report, database: str, url: str, n: int) -> None:
    store = Store.from_url(url)
    try:
        await migrate.upgrade(store.engine)
        rows = rows_of(n)
        rows["role_assignment"] = [{"person_id": 1, "role": "comms", "source": "slack"}]
        await fill(store, rows)
        if database == "postgresql":
            async with store.engine.begin() as connection:
                await connection.execute(text("ANALYZE"))
        member = rows["account_member"][0]["person_id"]
        number = rows["account"][0]["number"]
        wanted = dashboard_register.Wanted
        pages = -(-n // dashboard_register.PER_PAGE)
        work: dict[str, Callable[[], Awaitable[Any]]] = {
            "register_page": register_page(store, 1, wanted()),
            "register_search": register_page(
                store, 1, wanted(q="person 12", sort="manager", direction="desc")
            ),
            "register_last_page": register_page(store, 1, wanted(sort="handle", page=pages)),
            "register_by_compliance": register_page(store, 1, wanted(compliance="questions_late")),
            "register_sorted_by_compliance": register_page(
                store, 1, wanted(sort="compliance", direction="desc")
            ),
            "register_team_member": register_page(store, member, wanted()),
            "compliance_page": compliance_page(store, 1),
            "account_page": account_page(store, 1, number),
            "export_csv": export(store, 1, "csv"),
            "export_json": export(store, 1, "json"),
        }
        # Once untimed: a process's first page also pays for imports and the holiday tables.
        await work["register_page"]()
        # The compliance rows, as the scheduler's first tick stores them (the register is
        # written around the domain operations, so none exist yet); then, with them current,
        # the pages.
        seconds, cpu, _ = await clocked(refresh_nothing(store))
        report.add(database, n, "refresh_first", seconds, 0.0, cpu)
        for what, job in (("refresh_all", refresh_all(store)),
                          ("refresh_nothing", refresh_nothing(store))):
            seconds, cpu, _ = await clocked(job)
            report.add(database, n, what, seconds, await peak(job), cpu)
        for what, job in work.items():
            if not what.startswith("export"):
                # Once untimed: what a running server pays once per statement (compiling
                # it, SQLAlchemy's caches), not each time the page is asked for.
                await job()
            seconds, cpu, _ = await clocked(job)
            report.add(database, n, what, seconds, await peak(job), cpu)
    finally:
        await store.close()


async def main() -> None:
    args = arguments((__doc__ or "").split("\n\n")[0])
    report = Report("dashboard")
    for n in args.size_list:
        for database in args.databases:
            async with scratch(database, args) as url:
                await measure(report, database, url, n)
            print(f"{database} {n}: done", file=sys.stderr)
    report.table()


if __name__ == "__main__":
    asyncio.run(main())
