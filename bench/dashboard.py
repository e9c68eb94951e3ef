"""What the dashboard's pages cost over a large register, on SQLite and on PostgreSQL.

    .venv/bin/python bench/dashboard.py [--sizes 1000,10000] [--postgres URL | --postgres none]

The register is bench/nudges_sweep.py's (N accounts, 2N people, 10N questions, check-ins,
activity, archive records), with person 1 in the comms office. As of Monday 1 March 2027
14:30 in Stockholm it times, for the comms office (the whole register) and for one team
member: the register page's data (visible accounts, their team and manager names, their
compliance states), the compliance page's data (twelve months of charts), one account's page
and the CSV export of the register and audit trail; and the peak Python memory of the
register page's data (tracemalloc).

Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from nudges_sweep import CONFIG, DEFAULT_POSTGRES, NOW, fill, scratch_postgres  # noqa: E402
from nudges_sweep import register as rows_of  # noqa: E402
from sqlalchemy import text  # noqa: E402

from data import dashboard, migrate, people, register  # noqa: E402
from data import dashboard_overview as overview  # noqa: E402
from data.db import Store  # noqa: E402


async def register_page(store: Store, person_id: int) -> int:
    async with store.transaction() as session:
        viewer = await dashboard.viewer(session, person_id)
        accounts = await dashboard.visible_accounts(session, viewer)
        states = await overview.account_states(session, NOW, CONFIG, accounts)
        teams = await register.teams_of(session, [a.id for a in accounts if a.id is not None])
        ids = {a.manager_id for a in accounts} | {p for team in teams.values() for p in team}
        await people.people_by_id(session, ids)
        return len(states)


async def compliance_page(store: Store, person_id: int) -> int:
    async with store.transaction() as session:
        viewer = await dashboard.viewer(session, person_id)
        accounts = await dashboard.visible_accounts(session, viewer)
        found = await overview.overview(session, NOW, CONFIG, accounts)
        return len(found.weeks)


async def account_page(store: Store, person_id: int, number: str) -> int:
    async with store.transaction() as session:
        viewer = await dashboard.viewer(session, person_id)
        detail = await dashboard.account_detail(session, viewer, number, zone=CONFIG.zone)
        return len(detail.audit)


async def export_csv(store: Store, person_id: int) -> int:
    async with store.transaction() as session:
        viewer = await dashboard.viewer(session, person_id)
        return len(await dashboard.export_for(session, viewer, "csv", "all"))


async def timed(work: Callable[[], Awaitable[int]]) -> tuple[float, int]:
    started = time.perf_counter()
    size = await work()
    return time.perf_counter() - started, size


async def measure(backend: str, url: str, n: int) -> list[tuple[Any, ...]]:
    store = Store.from_url(url)
    try:
        await migrate.upgrade(store.engine)
        rows = rows_of(n)
        rows["role_assignment"] = [{"person_id": 1, "role": "comms"}]
        await fill(store, rows)
        if backend == "postgresql":
            async with store.engine.begin() as connection:
                await connection.execute(text("ANALYZE"))
        member = rows["account_member"][0]["person_id"]
        number = rows["account"][0]["number"]
        lines = []
        for who, person in (("comms office", 1), ("team member", member)):
            page, shown = await timed(lambda p=person: register_page(store, p))
            charts, _ = await timed(lambda p=person: compliance_page(store, p))
            one, _ = await timed(lambda p=person: account_page(store, p, number))
            out, size = await timed(lambda p=person: export_csv(store, p))
            tracemalloc.start()
            await register_page(store, person)
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            lines.append((backend, n, who, shown, f"{page:.3f}", f"{charts:.3f}", f"{one:.3f}",
                          f"{out:.3f}", f"{size / 2**20:.1f}", f"{peak:.1f}"))
        return lines
    finally:
        await store.close()


async def on_postgres(server: str, n: int) -> list[tuple[Any, ...]]:
    async with scratch_postgres(server) as url:
        return await measure("postgresql", url, n)


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES,
                        help="server to make a scratch database on, or 'none'")
    args = parser.parse_args()
    head = ("backend", "accounts", "viewer", "rows shown", "register s", "compliance s",
            "account s", "export s", "export MiB", "peak MiB")
    lines: list[tuple[Any, ...]] = [head]
    for n in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as scratch:
            lines += await measure("sqlite", f"sqlite:///{scratch}/bench.db", n)
        if args.postgres != "none":
            lines += await on_postgres(args.postgres, n)
    cells = [tuple(str(c) for c in line) for line in lines]
    widths = [max(len(line[i]) for line in cells) for i in range(len(head))]
    for line in cells:
        print("  ".join(cell.rjust(w) for cell, w in zip(line, widths, strict=True)))


if __name__ == "__main__":
    asyncio.run(main())
