"""The register, its audit trail and each account's public documents (questions, moderation
log, case-management marks, purges, consent records, accessibility checks) as CSV or JSON, for `kontobot export` and the dashboard:
streamed a chunk of rows at a time (`stream`), so memory stays flat however large they are.

The guidelines: "Posts that KI publishes on social media and that outsiders make in dialogue
with KI become public documents. The content must be kept in order and must be made available
upon request." The records parts are what such a request is answered with.

Every CSV cell is neutralised by OWASP's rule for CSV injection (`neutralise`): a spreadsheet
opening the file must never run what someone typed as a formula. JSON needs no such care, and
carries each audit event's details as the JSON object they are.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator, Callable, Collection, Iterable
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import accessibility, people, register
from data.chunks import IN_CHUNK, chunks
from data.models import (
    AccessibilityCheck,
    Account,
    AuditEvent,
    CaseMark,
    ConsentRecord,
    ModerationEntry,
    Purge,
    Question,
)

REGISTER_COLUMNS = (
    "number", "status", "platform", "handle", "unit", "scope", "purpose", "objectives",
    "target_group", "benefit", "manager", "manager_email", "manager_reason", "team", "team_emails",
    "monitoring", "holiday_cover", "response_time", "registered_at", "closed_at", "request_id",
)
AUDIT_COLUMNS = ("id", "at", "actor", "actor_email", "action", "subject", "details")
# The public documents of each account: a column "account" holds the account's number, and a
# person is their name (the email is in the register's team columns).
QUESTION_COLUMNS = (
    "id", "account", "source", "received_at", "asked_by", "external_ref", "text",
    "logged_by", "answered_at", "answered_by",
)
MODERATION_COLUMNS = (
    "id", "account", "content", "category", "reason", "removed_at", "removed_by", "evidence",
    "recorded_at",
)
CASE_MARK_COLUMNS = (
    "id", "account", "kind", "question_id", "post", "note", "marked_by", "marked_at",
    "registry_number", "registered_by", "registered_at",
)
PURGE_COLUMNS = (
    "id", "account", "question_id", "what", "rule", "purged_by", "purged_on", "recorded_at",
)
CONSENT_COLUMNS = (
    "id", "account", "post", "people", "method", "kept_at", "creator", "creator_credited",
    "creator_consented", "recorded_by", "recorded_at",
)
ACCESSIBILITY_COLUMNS = ("id", "account", "post", *accessibility.ITEMS, "checked_by", "checked_at")
# The parts an export can hold, in the order `all` writes them.
RECORD_PARTS = ("questions", "moderation", "case_marks", "purges", "consents", "accessibility")
PARTS = ("register", "audit", *RECORD_PARTS)
WHATS = (*PARTS, "records", "all")
# What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection"): such a cell is
# written with a leading apostrophe, which spreadsheets show as text and do not display.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Spaces a spreadsheet skips before it looks for a formula (no-break space included).
_LEADING = " \u00a0"
# A formula that starts inside a cell, where a spreadsheet may begin a cell of its own: after a
# `;`, which Excel in Swedish (and every locale with a decimal comma) splits a CSV file at,
# whatever our comma-separated quoting says (the quote is then in the middle of its cell, and
# no quote), or after a tab (a file read as tab-separated). Spaces and quotes between are
# skipped, as a spreadsheet skips them. Not after a line break: a quoted cell's lines stay one
# cell, and a typed list ("- reach students") would be mangled for nothing.
_INNER_FORMULA = re.compile(r'([;\t][ \u00a0"]*)([=+\-@])')


def neutralise(value: object) -> object:
    """A CSV cell as OWASP recommends: text starting like a formula is prefixed with `'`, and
    so is each formula character that could start a cell of its own inside it (`_INNER_FORMULA`).
    Numbers (ints) are left as they are."""
    if not isinstance(value, str):
        return value
    value = _INNER_FORMULA.sub(r"\1'\2", value)
    if value.lstrip(_LEADING).startswith(FORMULA_STARTS):
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


async def _record_chunks(
    # Any model with an account_id and an id (Question, ModerationEntry, CaseMark, Purge).
    session: AsyncSession, model: Any, account_ids: Collection[int] | None,
    chunk_rows: int,
) -> AsyncIterator[list[Any]]:
    """The rows of an account-owned table (or only those of `account_ids`), ordered by account
    and then id, `chunk_rows` at a time: keyset pages, and the account filter in pieces an IN
    list may hold, so the order is the same however the rows are read."""
    account_col, id_col = col(model.account_id), col(model.id)
    pieces: Iterable[list[int] | None] = (
        [None] if account_ids is None else chunks(sorted(account_ids), IN_CHUNK)
    )
    for piece in pieces:
        after: tuple[int, int] | None = None
        while True:
            query = select(model).order_by(account_col, id_col).limit(chunk_rows)
            if piece is not None:
                query = query.where(account_col.in_(piece))
            if after is not None:
                query = query.where(or_(
                    account_col > after[0], and_(account_col == after[0], id_col > after[1])
                ))
            rows = list(await session.exec(query))
            if not rows:
                break
            after = (rows[-1].account_id, rows[-1].id)
            yield rows


async def _numbers(session: AsyncSession, account_ids: Iterable[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for piece in chunks(sorted(set(account_ids))):
        rows = await session.exec(
            select(col(Account.id), col(Account.number)).where(col(Account.id).in_(piece))
        )
        found.update((i, n) for i, n in rows if i is not None)
    return found


def _at(value: object) -> str:
    # A time or day in ISO 8601, nothing when there is none.
    return "" if value is None else value.isoformat()  # type: ignore[attr-defined]


def _name(names: dict[int, str], person_id: int | None) -> str:
    return "" if person_id is None else names.get(person_id, "")


async def _named(
    session: AsyncSession, rows: list[Any], person_fields: tuple[str, ...]
) -> tuple[dict[int, str], dict[int, str]]:
    """The account numbers and the people's names these rows refer to."""
    numbers = await _numbers(session, {r.account_id for r in rows})
    ids = {getattr(r, f) for r in rows for f in person_fields} - {None}
    known = await people.people_by_id(session, ids)
    return numbers, {i: p.display_name for i, p in known.items()}


async def question_chunks(
    session: AsyncSession, account_ids: Collection[int] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> AsyncIterator[list[dict[str, Any]]]:
    """The questions and comments from the public the team logged."""
    async for rows in _record_chunks(session, Question, account_ids, chunk_rows):
        numbers, names = await _named(session, rows, ("logged_by", "answered_by"))
        yield [{
            "id": q.id, "account": numbers.get(q.account_id, ""), "source": q.source,
            "received_at": _at(q.received_at), "asked_by": q.asked_by or "",
            "external_ref": q.external_ref or "", "text": q.text,
            "logged_by": _name(names, q.logged_by), "answered_at": _at(q.answered_at),
            "answered_by": _name(names, q.answered_by),
        } for q in rows]


async def moderation_chunks(
    session: AsyncSession, account_ids: Collection[int] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> AsyncIterator[list[dict[str, Any]]]:
    """The moderation log: what was removed, why, when, by whom, where the evidence is."""
    async for rows in _record_chunks(session, ModerationEntry, account_ids, chunk_rows):
        numbers, names = await _named(session, rows, ("removed_by",))
        yield [{
            "id": e.id, "account": numbers.get(e.account_id, ""), "content": e.content,
            "category": e.category, "reason": e.reason, "removed_at": _at(e.removed_at),
            "removed_by": _name(names, e.removed_by), "evidence": e.evidence,
            "recorded_at": _at(e.recorded_at),
        } for e in rows]


async def case_mark_chunks(
    session: AsyncSession, account_ids: Collection[int] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> AsyncIterator[list[dict[str, Any]]]:
    """The marks for case management or research value, with their registry numbers."""
    async for rows in _record_chunks(session, CaseMark, account_ids, chunk_rows):
        numbers, names = await _named(session, rows, ("marked_by", "registered_by"))
        yield [{
            "id": m.id, "account": numbers.get(m.account_id, ""), "kind": m.kind,
            "question_id": m.question_id if m.question_id is not None else "",
            "post": m.post or "", "note": m.note or "", "marked_by": _name(names, m.marked_by),
            "marked_at": _at(m.marked_at), "registry_number": m.registry_number or "",
            "registered_by": _name(names, m.registered_by),
            "registered_at": _at(m.registered_at),
        } for m in rows]


async def purge_chunks(
    session: AsyncSession, account_ids: Collection[int] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> AsyncIterator[list[dict[str, Any]]]:
    """The recorded purges: what, under which rule of the disposal decision, who, when."""
    async for rows in _record_chunks(session, Purge, account_ids, chunk_rows):
        numbers, names = await _named(session, rows, ("purged_by",))
        yield [{
            "id": p.id, "account": numbers.get(p.account_id, ""),
            "question_id": p.question_id if p.question_id is not None else "",
            "what": p.what, "rule": p.rule, "purged_by": _name(names, p.purged_by),
            "purged_on": _at(p.purged_on), "recorded_at": _at(p.recorded_at),
        } for p in rows]


async def consent_chunks(
    session: AsyncSession, account_ids: Collection[int] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> AsyncIterator[list[dict[str, Any]]]:
    """The consent records: who consented to which post, how, and the creator's credit."""
    async for rows in _record_chunks(session, ConsentRecord, account_ids, chunk_rows):
        numbers, names = await _named(session, rows, ("recorded_by",))
        yield [{
            "id": c.id, "account": numbers.get(c.account_id, ""), "post": c.post,
            "people": c.people, "method": c.method, "kept_at": c.kept_at, "creator": c.creator,
            "creator_credited": c.creator_credited, "creator_consented": c.creator_consented,
            "recorded_by": _name(names, c.recorded_by), "recorded_at": _at(c.recorded_at),
        } for c in rows]


async def accessibility_chunks(
    session: AsyncSession, account_ids: Collection[int] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> AsyncIterator[list[dict[str, Any]]]:
    """The accessibility checks: which post, each checklist item's status, who and when."""
    async for rows in _record_chunks(session, AccessibilityCheck, account_ids, chunk_rows):
        numbers, names = await _named(session, rows, ("checked_by",))
        yield [{
            "id": c.id, "account": numbers.get(c.account_id, ""), "post": c.post,
            **accessibility.items_of(c),
            "checked_by": _name(names, c.checked_by), "checked_at": _at(c.checked_at),
        } for c in rows]


def as_csv(
    rows: list[dict[str, Any]], columns: tuple[str, ...], *, header: bool = True
) -> str:
    """CSV text of `rows` (with the header line first, unless `header` is false): every cell of
    an export reaches its file through here."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    if header:
        writer.writeheader()
    writer.writerows(
        {name: _line_ends(neutralise(_cell(row[name]))) for name in columns} for row in rows
    )
    return out.getvalue()


def _cell(value: object) -> object:
    # In CSV, a structured value (an audit event's details) is its JSON text.
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def _line_ends(value: object) -> object:
    # A carriage return ends a line for many readers, yet the writer quotes a cell for the
    # line terminator ("\n") only: one left bare would split the row. Written as the new line
    # it stands for, the cell is quoted.
    if isinstance(value, str) and "\r" in value:
        return value.replace("\r\n", "\n").replace("\r", "\n")
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
    """The export as pieces of text, a chunk of rows each: `what` is one of PARTS, `records`
    (the public documents: RECORD_PARTS) or `all` (every part). CSV of several parts is each
    part's table, a blank line between; JSON is `{"register": [...], "audit": [...], ...}`
    (indented by two). With `accounts`, only their register rows, the audit events about them
    (subjects_of) and their records."""
    ids = None if accounts is None else {a.id for a in accounts if a.id is not None}
    subjects = None if accounts is None else subjects_of(accounts)
    wanted = {"all": PARTS, "records": RECORD_PARTS}.get(what, (what,))
    Chunks = AsyncIterator[list[dict[str, Any]]]
    readers: dict[str, tuple[tuple[str, ...], Callable[[], Chunks]]] = {
        "register": (REGISTER_COLUMNS, lambda: register_chunks(session, ids, chunk_rows)),
        "audit": (AUDIT_COLUMNS, lambda: audit_chunks(session, subjects, chunk_rows)),
        "questions": (QUESTION_COLUMNS, lambda: question_chunks(session, ids, chunk_rows)),
        "moderation": (MODERATION_COLUMNS, lambda: moderation_chunks(session, ids, chunk_rows)),
        "case_marks": (CASE_MARK_COLUMNS, lambda: case_mark_chunks(session, ids, chunk_rows)),
        "purges": (PURGE_COLUMNS, lambda: purge_chunks(session, ids, chunk_rows)),
        "consents": (CONSENT_COLUMNS, lambda: consent_chunks(session, ids, chunk_rows)),
        "accessibility": (
            ACCESSIBILITY_COLUMNS, lambda: accessibility_chunks(session, ids, chunk_rows)
        ),
    }
    parts: list[tuple[str, tuple[str, ...], AsyncIterator[list[dict[str, Any]]]]] = [
        (name, readers[name][0], readers[name][1]()) for name in PARTS if name in wanted
    ]
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
