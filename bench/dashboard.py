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
- register_by_compliance: the register filtered to accounts with late questions (every
  matching account's compliance is worked out for this one);
- register_team_member: the first page for one team member (their own accounts);
- compliance_page: the compliance overview's charts;
- account_page: one account's page;
- export_csv, export_json: the register and audit trail, streamed and counted, not kept.

Each is timed, then run again under tracemalloc for its peak Python memory. One JSON object per
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

from harness import Report, arguments, peak, scratch, timed  # noqa: E402
from nudges_sweep import CONFIG, NOW, fill  # noqa: E402
from nudges_sweep import register as rows_of  # noqa: E402
from sqlalchemy import text  # noqa: E402

from data import dashboard, dashboard_register, migrate  # noqa: E402
from data import dashboard_overview as overview  # noqa: E402
from data.db import Store  # noqa: E402


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
            accounts = await dashboard.visible_accounts(session, viewer)
            return len((await overview.overview(session, NOW, CONFIG, accounts)).weeks)

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
            "register_team_member": register_page(store, member, wanted()),
            "compliance_page": compliance_page(store, 1),
            "account_page": account_page(store, 1, number),
            "export_csv": export(store, 1, "csv"),
            "export_json": export(store, 1, "json"),
        }
        # Once untimed: a process's first page also pays for imports and the holiday tables.
        await work["register_page"]()
        for what, job in work.items():
            seconds, _ = await timed(job)
            report.add(database, n, what, seconds, await peak(job))
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
