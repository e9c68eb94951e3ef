"""The register and its audit trail as CSV or JSON, for `kontobot export` and the dashboard:
streamed a chunk of rows at a time (`stream`), so memory stays flat however large they are.

Every CSV cell is neutralised by OWASP's rule for CSV injection (`neutralise`): a spreadsheet
opening the file must never run what someone typed as a formula. JSON needs no such care, and
carries each audit event's details as the JSON object they are.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Collection, Iterable
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import people, register
from data.chunks import IN_CHUNK, chunks
from data.models import Account, AuditEvent

REGISTER_COLUMNS = (
    "number", "status", "platform", "handle", "unit", "scope", "purpose", "objectives",
    "target_group", "benefit", "manager", "manager_email", "manager_reason", "team", "team_emails",
    "monitoring", "holiday_cover", "response_time", "registered_at", "closed_at", "request_id",
)
AUDIT_COLUMNS = ("id", "at", "actor", "actor_email", "action", "subject", "details")
# What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection"): such a cell is
# written with a leading apostrophe, which spreadsheets show as text and do not display.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A CSV cell as OWASP recommends: text starting like a formula is prefixed with `'`.
    Numbers (ints) are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def subjects_of(accounts: Iterable[Account]) -> set[str]:
    """The audit subjects that belong to these accounts: each account and the request it
    came from (whose events tell how it was asked for and approved)."""
    return {s for a in accounts for s in (f"account:{a.id}", f"request:{a.request_id}")}


# Rows read, converted and written at a time: the export's memory stays flat, whatever the size
# of the register and its audit trail.
CHUNK_ROWS = 1000


async def register_chunks(
    session: AsyncSession, account_ids: Collection[int] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> AsyncIterator[list[dict[str, Any]]]:
    """Every account's row (or only those of `account_ids`), by id, `chunk_rows` at a time."""
    if account_ids is not None:
        for piece in chunks(sorted(account_ids), min(chunk_rows, IN_CHUNK)):
            accounts = list(await session.exec(
                select(Account).where(col(Account.id).in_(piece)).order_by(col(Account.id))
            ))
            if accounts:
                yield await _register_rows(session, accounts)
        return
    last = 0
    while accounts := list(await session.exec(
        select(Account).where(col(Account.id) > last).order_by(col(Account.id)).limit(chunk_rows)
    )):
        last = accounts[-1].id or 0
        yield await _register_rows(session, accounts)


async def _register_rows(session: AsyncSession, accounts: list[Account]) -> list[dict[str, Any]]:
    teams = await register.teams_of(session, [a.id for a in accounts if a.id is not None])
    ids = {a.manager_id for a in accounts} | {p for team in teams.values() for p in team}
    known = await people.people_by_id(session, ids)
    rows = []
    for a in accounts:
        team = [known[p] for p in teams.get(a.id or 0, []) if p in known]
        manager = known.get(a.manager_id)
        rows.append({
            "number": a.number, "status": a.status, "platform": a.platform, "handle": a.handle,
            "unit": a.unit, "scope": a.scope, "purpose": a.purpose, "objectives": a.objectives,
            "target_group": a.target_group, "benefit": a.benefit,
            "manager": manager.display_name if manager else "",
            "manager_email": (manager.email or "") if manager else "",
            # Why the manager is not the one KI's directory names (empty when it is).
            "manager_reason": a.manager_reason or "",
            "team": "; ".join(p.display_name for p in team),
            "team_emails": "; ".join(p.email or "" for p in team),
            "monitoring": a.monitoring, "holiday_cover": a.holiday_cover,
            "response_time": a.response_time,
            "registered_at": a.registered_at.isoformat(),
            "closed_at": a.closed_at.isoformat() if a.closed_at else "",
            "request_id": a.request_id,
        })
    return rows


async def audit_chunks(
    session: AsyncSession, subjects: Collection[str] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> AsyncIterator[list[dict[str, Any]]]:
    """Every audit event (or only those about `subjects`), by id, a chunk at a time. A few
    subjects go to the database as an IN list; more are matched here, chunk by chunk, so no
    statement binds more parameters than the database allows."""
    wanted = None if subjects is None else set(subjects)
    last = 0
    while True:
        query = (
            select(AuditEvent).where(col(AuditEvent.id) > last)
            .order_by(col(AuditEvent.id)).limit(chunk_rows)
        )
        if wanted is not None and len(wanted) <= IN_CHUNK:
            query = query.where(col(AuditEvent.subject).in_(sorted(wanted)))
        events = list(await session.exec(query))
        if not events:
            return
        last = events[-1].id or 0
        if wanted is not None:
            events = [e for e in events if e.subject in wanted]
        if events:
            yield await _audit_rows(session, events)


async def _audit_rows(session: AsyncSession, events: list[AuditEvent]) -> list[dict[str, Any]]:
    known = await people.people_by_id(session, {e.actor_id for e in events if e.actor_id})
    return [
        {
            "id": e.id, "at": e.at.isoformat(),
            "actor": known[e.actor_id].display_name if e.actor_id in known else "",
            "actor_email": (known[e.actor_id].email or "") if e.actor_id in known else "",
            "action": e.action, "subject": e.subject,
            "details": e.details,
        }
        for e in events
    ]


def as_csv(
    rows: list[dict[str, Any]], columns: tuple[str, ...], *, header: bool = True
) -> str:
    """CSV text of `rows` (with the header line first, unless `header` is false): every cell of
    an export reaches its file through here."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    if header:
        writer.writeheader()
    writer.writerows({name: neutralise(_cell(row[name])) for name in columns} for row in rows)
    return out.getvalue()


def _cell(value: object) -> object:
    # In CSV, a structured value (an audit event's details) is its JSON text.
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def _json_item(row: dict[str, Any]) -> str:
    # The row as json.dumps(..., indent=2) shows it two levels down: the same bytes as dumping
    # the whole export at once.
    return "\n".join("    " + line for line in json.dumps(row, ensure_ascii=False, indent=2)
                     .split("\n"))


async def stream(
    session: AsyncSession, fmt: str, what: str, *, accounts: Collection[Account] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> AsyncIterator[str]:
    """The export as pieces of text, a chunk of rows each: `what` is register, audit or all;
    CSV of all is the register, a blank line, the audit; JSON is
    `{"register": [...], "audit": [...]}` (indented by two). With `accounts`, only their
    register rows and the audit events about them (subjects_of)."""
    ids = None if accounts is None else {a.id for a in accounts if a.id is not None}
    subjects = None if accounts is None else subjects_of(accounts)
    parts: list[tuple[str, tuple[str, ...], AsyncIterator[list[dict[str, Any]]]]] = []
    if what in ("register", "all"):
        parts.append(("register", REGISTER_COLUMNS, register_chunks(session, ids, chunk_rows)))
    if what in ("audit", "all"):
        parts.append(("audit", AUDIT_COLUMNS, audit_chunks(session, subjects, chunk_rows)))
    if fmt == "json":
        yield "{\n"
    for index, (name, columns, chunked) in enumerate(parts):
        last_part = index == len(parts) - 1
        if fmt == "json":
            started = False
            async for rows in chunked:
                items = ",\n".join(_json_item(row) for row in rows)
                yield (",\n" if started else f'  "{name}": [\n') + items
                started = True
            yield ("\n  ]" if started else f'  "{name}": []') + ("\n" if last_part else ",\n")
        else:
            yield as_csv([], columns)
            async for rows in chunked:
                yield as_csv(rows, columns, header=False)
            if not last_part:
                yield "\n"
    if fmt == "json":
        yield "}\n"


async def export(
    session: AsyncSession, fmt: str, what: str, *, accounts: Collection[Account] | None = None
) -> str:
    """The whole export as one text (stream's pieces joined): for tests and small registers."""
    return "".join([piece async for piece in stream(session, fmt, what, accounts=accounts)])
