"""`GET /metrics` in Prometheus' text format: what operators watch."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import func
from sqlmodel import col, select

from bot.keys import STORE
from data import inbox, retention
from data.models import Account, AccountRequest, InboxEvent, Outbox


async def metrics(request: web.Request) -> web.Response:
    lines: list[str] = []
    store = request.app[STORE]
    # On SQLite, events acknowledged and not yet moved into the inbox (data/spool.py): a
    # number that grows says the moves fail (they are logged).
    spool = store.spool
    spooled = None if spool is None else await spool.count()
    async with store.read() as session:
        for name, help_text, model, column in (
            # Parked events failed every retry and wait for an operator (they are logged).
            ("kontobot_inbox_events", "Inbox rows by status.", InboxEvent, InboxEvent.status),
            ("kontobot_outbox_messages", "Outbox rows by status.", Outbox, Outbox.status),
            (
                "kontobot_requests",
                "Account requests by status.",
                AccountRequest,
                AccountRequest.status,
            ),
            ("kontobot_accounts", "Registered accounts by status.", Account, Account.status),
        ):
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
            rows = await session.exec(
                select(column, func.count()).select_from(model).group_by(col(column))
            )
            lines += [f'{name}{{status="{status}"}} {count}' for status, count in rows]
            if model is InboxEvent and spooled is not None:
                lines.append(f'{name}{{status="spooled"}} {spooled}')
        # From the inbox, not this process's own counts: turns run in the turn processes
        # (bot/turn_processes.py) and in other servers sharing the database.
        turns = await inbox.tally(session)
        pruned = await retention.totals(session)
    for name, help_text, value in (
        ("kontobot_turns_done_total", "Turns run to the end, by every process.", turns.done),
        (
            "kontobot_turns_failed_total",
            "Turn attempts that failed or whose process stopped while running them.",
            turns.failed,
        ),
        ("kontobot_turns_parked_total", "Events parked after every retry.", turns.parked),
    ):
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} counter", f"{name} {value}"]
    name = "kontobot_pruned_rows_total"
    lines += [f"# HELP {name} Rows deleted as older than the retention, by table.",
              f"# TYPE {name} counter"]
    lines += [f'{name}{{table="{table}"}} {total.deleted}' for table, total in sorted(pruned.items())]
    return web.Response(text="\n".join(lines) + "\n", content_type="text/plain", charset="utf-8")
