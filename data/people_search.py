"""Whom a person picker offers for what was typed: people the bot knows on a platform and the
organisation's directory, by name or e-mail, without the people it must not offer.

The platform's own picker (Slack's user list, Teams' Graph search) cannot leave anyone out;
a picker that must (the hand-over never offers the requester or the approver) asks here
instead. Leaving someone out is a courtesy, not the rule: the domain refuses them anyway.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data.directory import is_email, normalise_email
from data.models import ChatIdentity, Person, StaffEntry

# Slack shows at most 100 options a menu; Teams' search shows far fewer.
MAX_FOUND = 100


@dataclass(frozen=True)
class Found:
    name: str
    email: str | None
    # Their id on the platform asked about (None: a directory entry the bot has not met there).
    external_id: str | None = None
    # The Azure AD object id the directory knows them by, if any.
    aad_id: str | None = None


def _pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search(
    session: AsyncSession,
    platform: str,
    text: str,
    *,
    exclude: Iterable[str] = (),
    limit: int = MAX_FOUND,
) -> list[Found]:
    """Everyone whose name or e-mail contains `text` (ignoring case), by name: those known on
    `platform` first, then directory entries not known there; never the people whose
    `platform` ids are in `exclude`, under any of their identities or their e-mail."""
    typed = text.strip().lstrip("@")
    if not typed:
        return []
    pattern = _pattern(typed)
    excluded_ids = [e for e in dict.fromkeys(exclude) if e]
    left_out: set[int] = set()
    left_out_emails: set[str] = set()
    if excluded_ids:
        rows = await session.exec(
            select(Person)
            .join(ChatIdentity, col(ChatIdentity.person_id) == col(Person.id))
            .where(ChatIdentity.platform == platform, col(ChatIdentity.external_id).in_(excluded_ids))
        )
        for person in rows:
            assert person.id is not None
            left_out.add(person.id)
            if person.email:
                left_out_emails.add(person.email.lower())
    known = await session.exec(
        select(ChatIdentity, Person)
        .join(Person, col(ChatIdentity.person_id) == col(Person.id))
        .where(
            ChatIdentity.platform == platform,
            or_(
                col(Person.display_name).ilike(pattern, escape="\\"),
                col(Person.email).ilike(pattern, escape="\\"),
            ),
        )
        .order_by(col(Person.display_name), col(Person.id))
        .limit(limit + len(left_out))
    )
    found: list[Found] = []
    seen_emails = set(left_out_emails)
    for identity, person in known:
        if person.id in left_out or identity.external_id in excluded_ids:
            continue
        email = person.email.lower() if person.email else None
        if email:
            seen_emails.add(email)
        found.append(Found(person.display_name, email, identity.external_id))
    if len(found) >= limit:
        return found[:limit]
    entries = await session.exec(
        select(StaffEntry)
        .where(
            or_(
                col(StaffEntry.name).ilike(pattern, escape="\\"),
                col(StaffEntry.email).ilike(pattern, escape="\\"),
            )
        )
        .order_by(col(StaffEntry.name), col(StaffEntry.email))
        .limit(limit + len(seen_emails))
    )
    for entry in entries:
        if entry.email.lower() in seen_emails:
            continue
        seen_emails.add(entry.email.lower())
        found.append(Found(entry.name, entry.email, aad_id=entry.aad_id))
        if len(found) >= limit:
            break
    address = normalise_email(typed)
    if not found and is_email(address) and address not in seen_emails:
        # A whole work e-mail nobody here has: offered as typed, for the platform to look up
        # (Slack's users.lookupByEmail), since a colleague is not always in the directory.
        found.append(Found(address, address))
    return found
