"""The register and its audit trail as rows, for `kontobot export` and the dashboard.

Every CSV cell is neutralised by OWASP's rule for CSV injection (`neutralise`): a spreadsheet
opening the file must never run what someone typed as a formula. JSON needs no such care, and
carries each audit event's details as the JSON object they are.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Collection, Iterable
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import people, register
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


async def register_rows(
    session: AsyncSession, account_ids: Collection[int] | None = None
) -> list[dict[str, Any]]:
    """Every account's row, or only those of `account_ids`."""
    accounts = await register.accounts(session)
    if account_ids is not None:
        accounts = [a for a in accounts if a.id in account_ids]
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


async def audit_rows(
    session: AsyncSession, subjects: Collection[str] | None = None
) -> list[dict[str, Any]]:
    """Every audit event, or only those about `subjects`."""
    query = select(AuditEvent).order_by(col(AuditEvent.id))
    if subjects is not None:
        query = query.where(col(AuditEvent.subject).in_(list(subjects)))
    events = list(await session.exec(query))
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


def as_csv(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({name: neutralise(_cell(row[name])) for name in columns} for row in rows)
    return out.getvalue()


def _cell(value: object) -> object:
    # In CSV, a structured value (an audit event's details) is its JSON text.
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


async def export(
    session: AsyncSession, fmt: str, what: str, *, accounts: Collection[Account] | None = None
) -> str:
    """`what` is register, audit or all; CSV of all is the register, a blank line, the audit.
    With `accounts`, only their register rows and the audit events about them (subjects_of)."""
    ids = None if accounts is None else {a.id for a in accounts if a.id is not None}
    subjects = None if accounts is None else subjects_of(accounts)
    parts: dict[str, list[dict[str, Any]]] = {}
    if what in ("register", "all"):
        parts["register"] = await register_rows(session, ids)
    if what in ("audit", "all"):
        parts["audit"] = await audit_rows(session, subjects)
    if fmt == "json":
        return json.dumps(parts, ensure_ascii=False, indent=2) + "\n"
    columns = {"register": REGISTER_COLUMNS, "audit": AUDIT_COLUMNS}
    return "\n".join(as_csv(rows, columns[name]) for name, rows in parts.items())
