"""One sweep: load the snapshot, run the rules as of `now`, owe the due nudges in the outbox.

All in one transaction. Writing is idempotent by key (data.nudge_state), so a sweep run twice, or
by two processes at once, owes each digest once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from data import people
from data.db import Store
from data.models import Account
from data.nudge_state import Nudge, snapshot, write_nudges
from data.policy import NudgeConfig
from scheduler.nudge_rules import KINDS, due_nudges, sending_hours


@dataclass(frozen=True)
class SweepResult:
    now: datetime
    nudges: list[Nudge]
    # Outbox keys newly owed (empty on a dry run).
    written: list[str]




async def sweep(
    store: Store,
    now: datetime,
    config: NudgeConfig,
    *,
    kinds: Iterable[str] = KINDS,
    dry_run: bool = False,
) -> SweepResult:
    """Run the rules of `kinds` as of `now` and owe what is due (nothing on a dry run, and
    nothing outside the sending hours)."""
    assert now.tzinfo is not None, "times are aware"
    if not sending_hours(now, config):
        return SweepResult(now, [], [])
    async with store.transaction() as session:
        state = await snapshot(session, now, config)
        nudges = due_nudges(state, now, config, kinds)
        if dry_run or not nudges:
            return SweepResult(now, nudges, [])
        written = await write_nudges(
            session, nudges, now=now, zone=config.zone, sending_ends=config.sending_ends
        )
    return SweepResult(now, nudges, written)


async def table(store: Store, nudges: Sequence[Nudge]) -> str:
    """What `nudges` would send, as a plain-text table: recipient, kind, account, why."""
    async with store.transaction() as session:
        names = await people.people_by_id(
            session, [n.recipient_id for n in nudges if n.recipient_id is not None]
        )
        ids = {n.account_id for n in nudges if n.account_id is not None}
        numbers: dict[int | None, str] = {
            account_id: number
            for account_id, number in await session.exec(
                select(Account.id, Account.number).where(col(Account.id).in_(ids))
            )
        }
    rows = [("RECIPIENT", "KIND", "ACCOUNT", "WHY")]
    for nudge in sorted(
        nudges, key=lambda n: (n.recipient_id or 0, n.place or "", n.kind, n.subject)
    ):
        if nudge.recipient_id is not None:
            person = names.get(nudge.recipient_id)
            who = f"{person.display_name if person else '?'} (#{nudge.recipient_id})"
        else:
            who = f"@{nudge.place}"
        about = (
            numbers.get(nudge.account_id, nudge.subject)
            if nudge.account_id is not None
            else nudge.subject
        )
        why = nudge.why + (" (escalation)" if nudge.escalation else "")
        rows.append((who, nudge.kind, str(about), why))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        + "\n"
        for row in rows
    )
