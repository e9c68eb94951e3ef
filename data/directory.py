"""The organisation's directory: each member of staff's name, unit and manager.

Two sources fill the same tables. The embedded default is HR's CSV export, imported whole by
`kontobot directory import` (`import_csv`): a re-import replaces what the last one said. With
Microsoft Graph configured, `find` asks a remote `Directory` about people the import does not
know and keeps the answer as a cache with its `fetched_at`. The core depends only on the
`Directory` protocol here; the Graph client lives in the outside world (bot/graph.py).

The rules that come from the directory live here too: the manager /open-account proposes, why
naming someone else needs a reason, and which spelling of a unit the register keeps.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import audit, rules
from data.chunks import chunks
from data.errors import Invalid
from data.models import Account, Person, StaffEntry
from data.models import DirectoryUnit as Unit

log = logging.getLogger(__name__)

IMPORT, GRAPH = "import", "graph"
HEADER = ("email", "name", "unit", "manager_email")
# A Graph lookup is trusted this long before it is asked again.
GRAPH_MAX_AGE = timedelta(hours=24)
# Why the requester names another manager than the directory's (characters).
MANAGER_REASON_MIN = 5
MANAGER_REASON_MAX = 500
EMAIL_MAX = 320
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
# An import that would remove more than this share of the imported entries *and* more than
# SHRINK_PEOPLE people is refused unless allowed: a truncated HR export must not empty the
# directory. Both, so that a small directory's ordinary leavers pass.
SHRINK_SHARE = 0.10
SHRINK_PEOPLE = 50


@dataclass(frozen=True)
class DirectoryEntry:
    """A member of staff as a directory describes them (neutral: no platform, no table)."""

    email: str
    name: str
    unit: str | None = None
    manager_email: str | None = None
    # The manager's name, when the directory said it along (Graph does).
    manager_name: str | None = None
    aad_id: str | None = None


class Directory(Protocol):
    """A directory to ask about one person, by work e-mail or Azure AD object id."""

    async def lookup(self, key: str) -> DirectoryEntry | None: ...


class DirectoryUnavailable(Exception):
    """The remote directory could not answer now; the caller goes on without it."""


def normalise_text(raw: str) -> str:
    """Text as it is stored: NFC, without surrounding space, invisible format characters or
    control characters (an escape sequence, a bell); runs of space (new lines and tabs
    included) one space."""
    text = unicodedata.normalize("NFC", raw)
    text = "".join(
        c for c in text if c.isspace() or unicodedata.category(c) not in ("Cf", "Cc")
    )
    return " ".join(text.split())


def normalise_email(raw: str) -> str:
    return normalise_text(raw).lower()


def is_email(value: str) -> bool:
    return len(value) <= EMAIL_MAX and _EMAIL.fullmatch(value) is not None


# --- import -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    line: int
    code: str
    value: str = ""


@dataclass(frozen=True)
class ImportReport:
    added: int
    updated: int
    removed: int
    unchanged: int
    units: int


@dataclass
class _Row:
    line: int
    email: str
    name: str
    unit: str | None
    manager_email: str | None


@dataclass
class _Parsed:
    rows: list[_Row] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def _dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    # HR exports from Swedish Excel use semicolons; others commas or tabs.
    try:
        return csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def parse_csv(text: str) -> _Parsed:
    """The rows of a CSV export (header `email,name,unit,manager_email`), each checked alone
    and against the others; problems carry the line they were found on."""
    parsed = _Parsed()
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    try:
        header = next(reader)
    except StopIteration:
        parsed.problems.append(RowProblem(1, "header", ""))
        return parsed
    names = [normalise_text(h).lower() for h in header]
    if sorted(names) != sorted(HEADER):
        parsed.problems.append(RowProblem(1, "header", ",".join(names)))
        return parsed
    where = {name: names.index(name) for name in HEADER}
    seen: dict[str, int] = {}
    line = reader.line_num + 1
    try:
        for record in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(names):
                parsed.problems.append(RowProblem(start, "columns", str(len(record))))
                continue
            cells = {key: normalise_text(record[index]) for key, index in where.items()}
            _check_row(parsed, start, cells, seen)
    except csv.Error as error:
        parsed.problems.append(RowProblem(line, "csv", str(error)))
    return parsed


def _check_row(parsed: _Parsed, line: int, cells: dict[str, str], seen: dict[str, int]) -> None:
    email, manager = cells["email"].lower(), cells["manager_email"].lower()
    problems = parsed.problems
    before = len(problems)
    if not email:
        problems.append(RowProblem(line, "email_missing"))
    elif not is_email(email):
        problems.append(RowProblem(line, "email_malformed", email))
    elif email in seen:
        problems.append(RowProblem(line, "email_duplicate", f"{email} (line {seen[email]})"))
    if not cells["name"]:
        problems.append(RowProblem(line, "name_missing"))
    for key in ("name", "unit"):
        if len(cells[key]) > rules.SHORT_TEXT:
            problems.append(RowProblem(line, f"{key}_too_long", str(len(cells[key]))))
    if manager and not is_email(manager):
        problems.append(RowProblem(line, "manager_malformed", manager))
    elif manager and manager == email:
        problems.append(RowProblem(line, "own_manager", manager))
    if email and email not in seen:
        seen[email] = line
    if len(problems) == before:
        parsed.rows.append(
            _Row(line, email, cells["name"], cells["unit"] or None, manager or None)
        )


async def import_csv(
    session: AsyncSession,
    text: str,
    *,
    now: datetime,
    source_name: str = "",
    allow_shrink: bool = False,
) -> ImportReport:
    """Make the imported directory what `text` says, in the caller's transaction.

    Refused whole (Invalid("directory_rows", problems=[RowProblem...])) when any row is bad:
    nothing is half-imported. Refused too (Invalid("directory_empty")) when the file has no
    rows at all, and (Invalid("directory_shrink", removed=..., entries=...)) when it would
    remove more than SHRINK_SHARE of the imported entries and more than SHRINK_PEOPLE people,
    unless `allow_shrink`: both are what a truncated export looks like. People the last
    import had and this one does not are removed; Graph's cached entries are left alone.
    """
    if not text.strip():
        raise Invalid("directory_empty")
    parsed = parse_csv(text)
    in_file = {row.email for row in parsed.rows}
    managers = {row.manager_email for row in parsed.rows if row.manager_email}
    # Computed once: a union per row made a large file quadratic.
    allowed = in_file | await _known_elsewhere(session, managers - in_file)
    for row in parsed.rows:
        if row.manager_email and row.manager_email not in allowed:
            parsed.problems.append(RowProblem(row.line, "manager_unknown", row.manager_email))
    if parsed.problems:
        raise Invalid(
            "directory_rows", problems=sorted(parsed.problems, key=lambda p: (p.line, p.code))
        )
    if not parsed.rows:
        # A header alone (or with blank lines) would remove everyone.
        raise Invalid("directory_empty")

    # One spelling per unit: the first the file uses.
    spelling: dict[str, str] = {}
    for row in parsed.rows:
        if row.unit is not None:
            row.unit = spelling.setdefault(row.unit.casefold(), row.unit)

    existing = await _existing(session, in_file)
    imported = sum(1 for e in existing.values() if e.source == IMPORT)
    gone = [email for email, e in existing.items() if e.source == IMPORT and email not in in_file]
    # Checked before anything is changed.
    if not allow_shrink and len(gone) > SHRINK_PEOPLE and len(gone) > SHRINK_SHARE * imported:
        raise Invalid("directory_shrink", removed=len(gone), entries=imported)
    added = updated = unchanged = 0
    for row in parsed.rows:
        entry = existing.get(row.email)
        if entry is None:
            session.add(
                StaffEntry(
                    email=row.email, name=row.name, unit=row.unit,
                    manager_email=row.manager_email, source=IMPORT, fetched_at=now,
                )
            )
            added += 1
            continue
        if (entry.name, entry.unit, entry.manager_email, entry.source) == (
            row.name, row.unit, row.manager_email, IMPORT,
        ):
            unchanged += 1
        else:
            entry.name, entry.unit, entry.manager_email = row.name, row.unit, row.manager_email
            entry.source = IMPORT
            updated += 1
        entry.fetched_at = now
        session.add(entry)
    # In pieces: PostgreSQL binds at most 32,767 parameters a statement (data.chunks).
    for piece in chunks(gone):
        await session.exec(delete(StaffEntry).where(col(StaffEntry.email).in_(piece)))
    units = await _replace_units(session, spelling)
    report = ImportReport(added, updated, len(gone), unchanged, units)
    audit.record(
        session,
        now=now,
        actor_id=None,
        action="directory.imported",
        subject="directory",
        source=source_name,
        added=report.added,
        updated=report.updated,
        removed=report.removed,
        unchanged=report.unchanged,
        units=report.units,
    )
    await session.flush()
    return report


async def _existing(session: AsyncSession, in_file: set[str]) -> dict[str, StaffEntry]:
    """The stored entries an import touches: every imported one, and Graph's cached entries
    for people the file lists (which the import takes over). The latter asked in pieces of
    data.chunks.IN_CHUNK e-mails, so that no statement exceeds a database's parameter limit."""
    found = {
        entry.email: entry
        for entry in await session.exec(select(StaffEntry).where(StaffEntry.source == IMPORT))
    }
    for piece in chunks(sorted(in_file - found.keys())):
        rows = await session.exec(
            select(StaffEntry).where(
                col(StaffEntry.email).in_(piece), StaffEntry.source != IMPORT
            )
        )
        found.update((entry.email, entry) for entry in rows)
    return found


async def _known_elsewhere(session: AsyncSession, emails: set[str]) -> set[str]:
    """Of `emails`, those a manager may be without a row of their own in the file: people the
    bot knows, and Graph's cached entries (asked in pieces: data.chunks)."""
    known: set[str] = set()
    for piece in chunks(sorted(emails)):
        people = await session.exec(
            select(func.lower(Person.email)).where(func.lower(Person.email).in_(piece))
        )
        cached = await session.exec(
            select(StaffEntry.email).where(
                col(StaffEntry.email).in_(piece), StaffEntry.source == GRAPH
            )
        )
        known |= {e for e in people if e} | set(cached)
    return known


async def _replace_units(session: AsyncSession, spelling: dict[str, str]) -> int:
    current = {unit.key: unit for unit in await session.exec(select(Unit))}
    for key, unit in current.items():
        if key not in spelling:
            await session.delete(unit)
        elif unit.name != spelling[key]:
            unit.name = spelling[key]
            session.add(unit)
    for key, name in spelling.items():
        if key not in current:
            session.add(Unit(name=name, key=key))
    return len(spelling)


# --- lookups ------------------------------------------------------------------------------


async def entry(session: AsyncSession, key: str) -> StaffEntry | None:
    """The stored entry for a work e-mail or an Azure AD object id."""
    wanted = normalise_email(key)
    if not wanted:
        return None
    row = await session.get(StaffEntry, wanted)
    if row is None:
        row = (await session.exec(select(StaffEntry).where(StaffEntry.aad_id == key))).first()
    return row


async def find(
    session: AsyncSession, key: str, *, now: datetime, remote: Directory | None = None
) -> StaffEntry | None:
    """The entry for `key`: the import's when it has one, else Graph's (cached for
    GRAPH_MAX_AGE, asked again after). A remote that cannot answer leaves what is cached."""
    row = await entry(session, key)
    if remote is None or not stale(row, now):
        return row
    found = await ask(remote, key)
    if found is None:
        return row
    return await remember(session, found, now=now)


async def ask(remote: Directory, key: str) -> DirectoryEntry | None:
    """What `remote` says of `key`; None when it does not know them or cannot answer now
    (logged: the caller goes on without it)."""
    try:
        return await remote.lookup(key)
    except DirectoryUnavailable as error:
        log.warning("directory lookup failed, going on without it: %s", error)
        return None


def stale(row: StaffEntry | None, now: datetime) -> bool:
    """Whether a remote directory is to be asked about an entry: none is stored, or Graph's
    answer is older than GRAPH_MAX_AGE (an imported entry stands)."""
    return row is None or (row.source != IMPORT and now - row.fetched_at >= GRAPH_MAX_AGE)


async def unknown_manager(session: AsyncSession, key: str) -> str | None:
    """The e-mail of the manager the entry for `key` names, when nobody the bot knows has it."""
    row = await entry(session, key)
    if row is None or not row.manager_email:
        return None
    return row.manager_email if await person_by_email(session, row.manager_email) is None else None


async def remember(session: AsyncSession, found: DirectoryEntry, *, now: datetime) -> StaffEntry:
    """Keep what the remote directory said (and its manager's name and e-mail)."""
    email = normalise_email(found.email)
    name = normalise_text(found.name)[: rules.SHORT_TEXT] or email
    manager = normalise_email(found.manager_email or "") or None
    values: dict[str, str | None] = {
        "name": name,
        "unit": normalise_text(found.unit or "")[: rules.SHORT_TEXT] or None,
        "manager_email": manager,
        "aad_id": found.aad_id,
    }
    row = await session.get(StaffEntry, email)
    if row is None:
        row = StaffEntry(
            email=email, name=name, unit=values["unit"], manager_email=manager,
            aad_id=found.aad_id, source=GRAPH, fetched_at=now,
        )
        audit.record(session, now=now, actor_id=None, action="directory.fetched",
                     subject=f"directory:{email}")
    elif row.source == GRAPH:
        changed = {k: v for k, v in values.items() if getattr(row, k) != v}
        for key, value in changed.items():
            setattr(row, key, value)
        row.fetched_at = now
        if changed:
            audit.record(session, now=now, actor_id=None, action="directory.fetched",
                         subject=f"directory:{email}", changed=sorted(changed))
    session.add(row)
    if manager and found.manager_name and await session.get(StaffEntry, manager) is None:
        # Only the manager's name and e-mail are known: enough to propose them.
        session.add(
            StaffEntry(
                email=manager, name=normalise_text(found.manager_name)[: rules.SHORT_TEXT],
                source=GRAPH, fetched_at=now - GRAPH_MAX_AGE,
            )
        )
    await session.flush()
    return row


# --- what /open-account proposes ------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    """What the directory says of a requester: their unit and their manager."""

    unit: str | None = None
    manager_email: str | None = None
    manager_name: str | None = None
    # The person the bot knows by the manager's e-mail (one click names them).
    manager_id: int | None = None


async def person_by_email(session: AsyncSession, email: str) -> Person | None:
    rows = list(
        await session.exec(select(Person).where(func.lower(Person.email) == email.lower()))
    )
    return rows[0] if len(rows) == 1 else None


async def proposal_for(
    session: AsyncSession, person: Person, *, now: datetime, remote: Directory | None = None
) -> Proposal:
    if not person.email:
        return Proposal()
    row = await find(session, person.email, now=now, remote=remote)
    if row is None:
        return Proposal()
    manager_name = manager_id = None
    if row.manager_email:
        manager_row = await session.get(StaffEntry, row.manager_email)
        manager = await person_by_email(session, row.manager_email)
        manager_id = manager.id if manager is not None else None
        if manager_row is not None:
            manager_name = manager_row.name
        elif manager is not None:
            manager_name = manager.display_name
    return Proposal(row.unit, row.manager_email, manager_name or row.manager_email, manager_id)


async def directory_manager(session: AsyncSession, requester_id: int) -> str | None:
    """The e-mail of the requester's manager, as the directory's tables know it."""
    requester = await session.get(Person, requester_id)
    if requester is None or not requester.email:
        return None
    row = await entry(session, requester.email)
    return row.manager_email if row is not None else None


async def manager_reason_needed(session: AsyncSession, requester_id: int, manager_id: int) -> bool:
    """Whether naming `manager_id` needs a reason: the directory names someone else."""
    expected = await directory_manager(session, requester_id)
    if expected is None:
        return False
    manager = await session.get(Person, manager_id)
    return manager is None or normalise_email(manager.email or "") != expected


def check_manager_reason(raw: str) -> str:
    return rules.check_text(
        normalise_text(raw), maximum=MANAGER_REASON_MAX, minimum=MANAGER_REASON_MIN
    )


async def checked_manager_reason(
    session: AsyncSession, requester_id: int, manager_id: int, reason: str | None
) -> str | None:
    """The reason as stored: required and checked when the directory names another manager,
    dropped when it does not."""
    if not await manager_reason_needed(session, requester_id, manager_id):
        return None
    if reason is None or not normalise_text(reason):
        raise Invalid("manager_reason_required", field="manager_reason")
    try:
        return check_manager_reason(reason)
    except Invalid as error:
        raise Invalid(error.code, field="manager_reason", **error.params) from None


# --- units --------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitChoice:
    """A unit to pick: `value` is short and stable enough for any platform's option value."""

    value: str
    name: str


async def directory_units(session: AsyncSession) -> list[UnitChoice]:
    rows = await session.exec(select(Unit).order_by(col(Unit.key)))
    return [UnitChoice(f"u:{u.id}", u.name) for u in rows]


async def registered_units(session: AsyncSession) -> list[UnitChoice]:
    """The units of accounts already in the register, each once (the first spelling)."""
    rows = await session.exec(
        select(func.min(Account.id), Account.unit).group_by(col(Account.unit))
    )
    by_key: dict[str, UnitChoice] = {}
    for account_id, name in sorted(rows, key=lambda r: r[0] or 0):
        by_key.setdefault(name.casefold(), UnitChoice(f"a:{account_id}", name))
    return sorted(by_key.values(), key=lambda u: u.name.casefold())


async def unit_by_value(session: AsyncSession, value: str) -> str | None:
    kind, _, raw = value.partition(":")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        return None
    if kind == "u":
        unit = await session.get(Unit, int(raw))
        return unit.name if unit is not None else None
    if kind == "a":
        account = await session.get(Account, int(raw))
        return account.unit if account is not None else None
    return None


def matching(units: Sequence[UnitChoice], typed: str) -> list[UnitChoice]:
    needle = normalise_text(typed).casefold()
    return [u for u in units if needle in u.name.casefold()]


async def canonical_unit(session: AsyncSession, unit: str) -> str:
    """The register's spelling of `unit`: the directory's when it has a list (a unit outside
    it is refused), else that of an account already registered, else as typed."""
    text = normalise_text(unit)
    key = text.casefold()
    listed = await session.exec(select(Unit).where(Unit.key == key))
    found = listed.first()
    if found is not None:
        return found.name
    if (await session.exec(select(func.count()).select_from(Unit))).one():
        raise Invalid("unit_not_in_directory", field="unit", unit=text)
    for choice in await registered_units(session):
        if choice.name.casefold() == key:
            return choice.name
    return text
