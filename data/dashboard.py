"""What a person signed in to the dashboard may see. The web handlers ask here and show what
they get: the comms office sees the whole register; anyone else the accounts they manage or
are on the team of, open or closed, and the export follows the same rule."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import access, archive, closure, export, people, register, rota
from data.access import DEFAULT_ZONE
from data.errors import Invalid, NotAllowed, NotFound
from data.models import (
    Account,
    ArchiveRecord,
    AuditEvent,
    ClosureRecord,
    Outbox,
    OutboxStatus,
    Person,
    Question,
    Role,
)
from data.rota import Rota

FORMATS = ("csv", "json")
WHATS = export.WHATS


@dataclass(frozen=True)
class Viewer:
    person: Person
    # Has the comms role: sees every account.
    sees_all: bool

    @property
    def person_id(self) -> int:
        assert self.person.id is not None
        return self.person.id


@dataclass(frozen=True)
class AuditTrailEntry:
    at: datetime
    # The actor's display name; empty for the bot itself.
    actor: str
    action: str
    details: dict[str, Any]


@dataclass(frozen=True)
class AccountDetail:
    account: Account
    manager: Person
    # In rota order.
    team: list[Person]
    rota: Rota
    # Newest first.
    questions: list[Question]
    # Newest first.
    archive: list[ArchiveRecord]
    closure: ClosureRecord | None
    # The account's and its request's events, oldest first.
    audit: list[AuditTrailEntry]
    # Everyone the page names: manager, team, who logged, answered, archived, closed, acted.
    people: dict[int, Person]


async def viewer(session: AsyncSession, person_id: int) -> Viewer:
    """NotFound("unknown_person")."""
    person = await people.get_person(session, person_id)
    return Viewer(person, await people.has_role(session, person_id, Role.COMMS.value))


async def person_by_email(session: AsyncSession, email: str) -> Person | None:
    """The person with this work e-mail address, for a trusted proxy's header: one whose
    address Slack or Teams vouched for (data.people.vouched_for), never someone known only
    through the web chat, where anyone may claim any address (its demo people have real-looking
    ones and the Communications Office's role)."""
    return await people.vouched_for(session, email)


async def visible_accounts(session: AsyncSession, viewer: Viewer) -> list[Account]:
    """The accounts the viewer may see, open and closed, ordered by number."""
    found = (
        await register.accounts(session)
        if viewer.sees_all
        else await register.accounts_of(session, viewer.person_id)
    )
    return sorted(found, key=lambda a: a.number)


async def may_see(session: AsyncSession, viewer: Viewer, account: Account) -> bool:
    if viewer.sees_all or account.manager_id == viewer.person_id:
        return True
    assert account.id is not None
    return await access.is_member(session, account.id, viewer.person_id)


async def account_detail(
    session: AsyncSession, viewer: Viewer, number: str, *, zone: ZoneInfo = DEFAULT_ZONE
) -> AccountDetail:
    """One account's page. NotFound("unknown_account"), NotAllowed("not_your_account")."""
    account = await register.account_by_number(session, number)
    if account is None:
        raise NotFound("unknown_account")
    if not await may_see(session, viewer, account):
        raise NotAllowed("not_your_account")
    assert account.id is not None
    order = await rota.rota_of(session, account.id, zone)
    questions = list(
        await session.exec(
            select(Question)
            .where(Question.account_id == account.id)
            .order_by(col(Question.received_at).desc(), col(Question.id).desc())
        )
    )
    records = await archive.records(session, account.id)
    closed = await closure.closure_of(session, account.id)
    events = list(
        await session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.subject).in_(export.subjects_of([account])))
            .order_by(col(AuditEvent.at), col(AuditEvent.id))
        )
    )
    ids = {account.manager_id, *order.order}
    ids |= {p for q in questions for p in (q.logged_by, q.answered_by) if p is not None}
    ids |= {p for r in records for p in (r.done_by, r.created_by) if p is not None}
    ids |= {closed.closed_by} if closed is not None else set()
    ids |= {e.actor_id for e in events if e.actor_id is not None}
    ids |= {p for e in events for p in _people_in(e.details)}
    known = await people.people_by_id(session, ids)
    return AccountDetail(
        account=account,
        manager=known[account.manager_id],
        team=[known[p] for p in order.order if p in known],
        rota=order,
        questions=questions,
        archive=records,
        closure=closed,
        audit=[
            AuditTrailEntry(
                e.at,
                known[e.actor_id].display_name if e.actor_id in known else "",
                e.action,
                _named(e.details, known),
            )
            for e in events
        ],
        people=known,
    )


# Audit details that hold person ids (data/requests.py, register.py, rota.py): shown by name
# under the key without its "_id", since a reader of the trail knows nobody by number.
PERSON_DETAILS = {
    "manager_id": "manager", "approver_id": "approver", "to_person_id": "to",
    "from_person_id": "from", "team": "team", "order": "order",
    "person_id": "person", "from_manager_id": "from_manager", "expert_id": "expert",
}


def _ids(value: object) -> list[int]:
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


def _people_in(details: dict[str, Any]) -> set[int]:
    return {p for key in PERSON_DETAILS if key in details for p in _ids(details[key])}


def _named(details: dict[str, Any], known: dict[int, Person]) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for key, value in details.items():
        if key not in PERSON_DETAILS:
            shown[key] = value
            continue
        names = [known[p].display_name if p in known else f"#{p}" for p in _ids(value)]
        shown[PERSON_DETAILS[key]] = names if isinstance(value, list) else "".join(names[:1])
    return shown


def check_export(fmt: str, what: str) -> None:
    """Invalid("unknown_choice", field "format" or "what")."""
    if fmt not in FORMATS:
        raise Invalid("unknown_choice", field="format")
    if what not in WHATS:
        raise Invalid("unknown_choice", field="what")


async def export_for(
    session: AsyncSession, viewer: Viewer, fmt: str, what: str
) -> AsyncIterator[str]:
    """`kontobot export`'s output as a stream of text pieces, limited to what the viewer may
    see: the comms office gets exactly the command's output; anyone else their accounts'
    register rows and the audit events about those accounts and their requests.
    Invalid("unknown_choice", field "format" or "what"), before anything is read."""
    check_export(fmt, what)
    if viewer.sees_all:
        return export.stream(session, fmt, what)
    return export.stream(session, fmt, what, accounts=await visible_accounts(session, viewer))


@dataclass(frozen=True)
class WaitingNotice:
    """A notice for an office (place "comms" or "registry") that no platform has a place for:
    owed, not sent (data.outbox.hold_unplaced)."""

    place: str
    kind: str
    # The account's number, when the notice is about one.
    account: str | None
    since: datetime


async def waiting_notices(session: AsyncSession, viewer: Viewer) -> list[WaitingNotice]:
    """What waits for an office's place, oldest first. Only the Communications Office sees it
    (it configures the places); anyone else gets nothing."""
    if not viewer.sees_all:
        return []
    rows = list(await session.exec(
        select(Outbox)
        .where(col(Outbox.status) == OutboxStatus.UNPLACED.value)
        .order_by(col(Outbox.id))
    ))
    ids = {int(r.params["account_id"]) for r in rows if r.params.get("account_id")}
    numbers = dict(
        (await session.exec(select(Account.id, Account.number).where(col(Account.id).in_(ids))))
        .all()
    ) if ids else {}
    return [
        WaitingNotice(
            place=str(r.place),
            kind=r.kind,
            account=numbers.get(int(r.params["account_id"]))
            if r.params.get("account_id") else None,
            since=r.created_at,
        )
        for r in rows
    ]
