"""People, their chat identities and roles."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import audit
from data.chunks import chunks
from data.errors import NotFound
from data.models import ChatIdentity, Person, RoleAssignment


async def ensure_person(
    session: AsyncSession,
    *,
    now: datetime,
    platform: str,
    external_id: str,
    display_name: str | None = None,
    email: str | None = None,
    locale: str | None = None,
    address: dict[str, Any] | None = None,
) -> Person:
    """The person behind a chat identity, created on first sight and refreshed after."""
    identity = (
        await session.exec(
            select(ChatIdentity).where(
                ChatIdentity.platform == platform, ChatIdentity.external_id == external_id
            )
        )
    ).first()
    if identity is None:
        person = Person(
            display_name=(display_name or external_id)[:200],
            email=email[:320] if email else None,
            locale=locale[:16] if locale else None,
            last_platform=platform,
            created_at=now,
            updated_at=now,
        )
        session.add(person)
        await session.flush()
        assert person.id is not None
        session.add(
            ChatIdentity(
                person_id=person.id,
                platform=platform,
                external_id=external_id,
                address=address or {},
            )
        )
        audit.record(
            session,
            now=now,
            actor_id=None,
            action="person.created",
            subject=f"person:{person.id}",
            platform=platform,
        )
        await session.flush()
        return person
    person = await get_person(session, identity.person_id)
    changed = False
    for field, value, limit in (
        ("display_name", display_name, 200),
        ("email", email, 320),
        ("locale", locale, 16),
    ):
        if value and getattr(person, field) != value[:limit]:
            setattr(person, field, value[:limit])
            changed = True
    if person.last_platform != platform:
        person.last_platform = platform
        changed = True
    if address and {**identity.address, **address} != identity.address:
        identity.address = {**identity.address, **address}
        session.add(identity)
    if changed:
        person.updated_at = now
        session.add(person)
    return person


async def get_person(session: AsyncSession, person_id: int) -> Person:
    person = await session.get(Person, person_id)
    if person is None:
        raise NotFound("unknown_person")
    return person


async def people_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, Person]:
    wanted = set(ids)
    if not wanted:
        return {}
    found: dict[int, Person] = {}
    for piece in chunks(sorted(wanted)):
        rows = await session.exec(select(Person).where(col(Person.id).in_(piece)))
        found.update((p.id, p) for p in rows if p.id is not None)
    return found


async def find_by_identity(
    session: AsyncSession, platform: str, external_id: str
) -> Person | None:
    row = (
        await session.exec(
            select(Person)
            .join(ChatIdentity, col(ChatIdentity.person_id) == col(Person.id))
            .where(ChatIdentity.platform == platform, ChatIdentity.external_id == external_id)
        )
    ).first()
    return row


async def find_by_text(session: AsyncSession, text: str) -> list[Person]:
    """People whose e-mail or full name is exactly `text` (case-insensitive)."""
    needle = text.strip().lstrip("@").lower()
    if not needle:
        return []
    rows = await session.exec(
        select(Person).where(
            or_(func.lower(Person.email) == needle, func.lower(Person.display_name) == needle)
        )
    )
    return list(rows)


async def identities(session: AsyncSession, person_id: int) -> list[ChatIdentity]:
    rows = await session.exec(select(ChatIdentity).where(ChatIdentity.person_id == person_id))
    return list(rows)


async def directory(session: AsyncSession, platform: str) -> list[tuple[str, Person]]:
    """Everyone with an identity on `platform`, by name: what a person picker offers."""
    rows = await session.exec(
        select(ChatIdentity, Person)
        .join(Person, col(ChatIdentity.person_id) == col(Person.id))
        .where(ChatIdentity.platform == platform)
        .order_by(col(Person.display_name))
    )
    return [(identity.external_id, person) for identity, person in rows]


async def people_with_role(session: AsyncSession, role: str) -> list[Person]:
    rows = await session.exec(
        select(Person)
        .join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
        .where(RoleAssignment.role == role)
        .order_by(col(Person.id))
    )
    return list(rows)


async def has_role(session: AsyncSession, person_id: int, role: str) -> bool:
    row = await session.get(RoleAssignment, (person_id, role))
    return row is not None


async def set_role_holders(
    session: AsyncSession, *, now: datetime, role: str, platform: str, person_ids: set[int]
) -> None:
    """Make exactly `person_ids` hold `role` among the people known on `platform`.

    Roles come from settings per platform, so a platform's configuration only replaces the
    holders it knows of and leaves other platforms' holders alone.
    """
    on_platform = select(ChatIdentity.person_id).where(ChatIdentity.platform == platform)
    current = set(
        await session.exec(
            select(RoleAssignment.person_id).where(
                RoleAssignment.role == role, col(RoleAssignment.person_id).in_(on_platform)
            )
        )
    )
    for person_id in current - person_ids:
        await session.exec(
            delete(RoleAssignment).where(
                col(RoleAssignment.person_id) == person_id, col(RoleAssignment.role) == role
            )
        )
        audit.record(
            session, now=now, actor_id=None, action="role.removed",
            subject=f"person:{person_id}", role=role,
        )
    for person_id in person_ids - current:
        session.add(RoleAssignment(person_id=person_id, role=role))
        audit.record(
            session, now=now, actor_id=None, action="role.assigned",
            subject=f"person:{person_id}", role=role,
        )
    await session.flush()


async def set_locale(session: AsyncSession, *, now: datetime, person_id: int, locale: str) -> None:
    person = await get_person(session, person_id)
    person.locale = locale
    person.updated_at = now
    session.add(person)
    audit.record(
        session, now=now, actor_id=person_id, action="person.locale",
        subject=f"person:{person_id}", locale=locale,
    )
