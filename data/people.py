"""People, their chat identities and roles."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import audit, languages
from data import identity as identity_module
from data.chunks import chunks
from data.errors import Invalid, NotFound
from data.models import ChatIdentity, Person, RoleAssignment

# What every turn asks first, built once with its values as parameters (building a statement
# costs more CPU than running it: see data/inbox.py).
_KNOWN = (
    select(ChatIdentity, Person)
    .join(Person, col(Person.id) == col(ChatIdentity.person_id))
    .where(
        ChatIdentity.platform == bindparam("platform"),
        ChatIdentity.external_id == bindparam("external_id"),
    )
)
_OWNER = (
    select(Person)
    .where(
        Person.email == bindparam("email"),
        col(Person.id).in_(
            select(ChatIdentity.person_id).where(
                col(ChatIdentity.platform).not_in(identity_module.UNVERIFIED_EMAIL_PLATFORMS)
            )
        ),
    )
    .order_by(col(Person.id))
)
_OTHER_OWNER = _OWNER.where(Person.id != bindparam("besides"))


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
    spoke: bool = True,
) -> Person:
    """The person behind a chat identity, created on first sight and refreshed after.

    `spoke`: the person is writing to us through this identity now (False where someone else
    named or picked them, or settings did): only then is it their last platform, and only
    then does the language of their client (`locale`) become theirs.

    `locale` is stored as one of our languages (`sv-SE` as `sv`); one we have no catalogue
    for (`de-DE`) is not stored, so the language already known stays (else the default).

    One person per human: an identity whose platform vouches for its work e-mail (not the
    web chat) belongs to the person with that address. A new identity attaches to them; an
    identity that had a person of its own gets its address later, and that person is merged
    into the one who had it first (data.identity.merge_people). When they speak, the person's
    last platform is the one this identity is on, so notices go where they last spoke to us.
    """
    wanted = identity_module.normalise_email(email)
    spoken = languages.language(locale)
    # The identity and its person in one statement: this runs at the start of every turn.
    known = (
        await session.exec(_KNOWN, params={"platform": platform, "external_id": external_id})
    ).first()
    identity = known[0] if known is not None else None
    linkable = wanted is not None and platform not in identity_module.UNVERIFIED_EMAIL_PLATFORMS
    if identity is None:
        owner = await _owner_of(session, wanted) if linkable else None
        if owner is None:
            person = Person(
                display_name=(display_name or external_id)[:200],
                email=wanted,
                locale=spoken,
                last_platform=platform,
                created_at=now,
                updated_at=now,
            )
            session.add(person)
            await session.flush()
            assert person.id is not None
            audit.record(
                session,
                now=now,
                actor_id=None,
                action="person.created",
                subject=f"person:{person.id}",
                platform=platform,
            )
        else:
            person = owner
            assert person.id is not None
            audit.record(
                session,
                now=now,
                actor_id=None,
                action="person.identity_linked",
                subject=f"person:{person.id}",
                platform=platform,
            )
        assert person.id is not None
        identity = ChatIdentity(
            person_id=person.id,
            platform=platform,
            external_id=external_id,
            address=address or {},
        )
        session.add(identity)
        await session.flush()
        if owner is None:
            return person
        address = None
    else:
        assert known is not None
        person = known[1]
        owner = await _owner_of(session, wanted, besides=person.id) if linkable else None
        if owner is not None and owner.id is not None and person.id is not None:
            person = await identity_module.merge_people(
                session,
                survivor_id=owner.id,
                merged_id=person.id,
                now=now,
                reason="same_email",
            )
            refreshed = await session.get(ChatIdentity, identity.id)
            assert refreshed is not None
            identity = refreshed
    changed = False
    for field, value, limit in (("display_name", display_name, 200), ("email", wanted, 320)):
        if value and getattr(person, field) != value[:limit]:
            setattr(person, field, value[:limit])
            changed = True
    # Replies and notices are in the language of the client the person last wrote from. A
    # colleague who picks or names them brings their profile on the colleague's platform,
    # which need not be the language they read us in elsewhere. Where no language of ours is
    # known yet (someone only ever picked, or a value stored before this rule), that profile
    # still beats the default.
    # A language the person chose themselves (/language) no client changes.
    if (
        spoken is not None
        and not person.locale_chosen
        and person.locale != spoken
        and (spoke or languages.language(person.locale) is None)
    ):
        person.locale = spoken
        changed = True
    if (spoke or person.last_platform is None) and person.last_platform != platform:
        person.last_platform = platform
        changed = True
    if address and {**identity.address, **address} != identity.address:
        identity.address = {**identity.address, **address}
        session.add(identity)
    if changed:
        person.updated_at = now
        session.add(person)
    return person


async def _owner_of(
    session: AsyncSession, email: str | None, *, besides: int | None = None
) -> Person | None:
    """The first person known with this (normalised) work e-mail who has an identity a
    platform vouches for, other than `besides`."""
    if email is None:
        return None
    if besides is None:
        return (await session.exec(_OWNER, params={"email": email})).first()
    return (await session.exec(_OTHER_OWNER, params={"email": email, "besides": besides})).first()


async def vouched_for(session: AsyncSession, email: str | None) -> Person | None:
    """The person whose work e-mail this is (compared as data.identity normalises it), as a
    chat platform that verifies addresses told us: the first such person, so the answer does
    not change from one request to the next. Someone known only through the web chat, where
    anyone may claim any address, is nobody's (as for linking identities)."""
    return await _owner_of(session, identity_module.normalise_email(email))


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


async def names_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    """The display names of the people of `ids` (those that exist), without loading the
    people: a listing of a whole register's reminders names a hundred thousand."""
    found: dict[int, str] = {}
    for piece in chunks(sorted(set(ids))):
        rows = await session.exec(
            select(Person.id, Person.display_name).where(col(Person.id).in_(piece))
        )
        found.update((person_id, name) for person_id, name in rows if person_id is not None)
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


# Enough for a person to choose from; a name that fits more is too vague to offer a list.
MAX_NAME_MATCHES = 10


async def find_by_name(session: AsyncSession, text: str) -> list[Person]:
    """The people a typed name fits: by e-mail or full name exactly (find_by_text), else
    those with every typed word as the start of a word of their name (`björn`, `Filip`,
    `anna b`), ignoring case. At most MAX_NAME_MATCHES + 1, so a caller can tell "too many"."""
    exact = await find_by_text(session, text)
    if exact:
        return exact
    typed = text.strip().lstrip("@").casefold().split()
    if not typed or "@" in text:
        return []
    # The database narrows by the longest word (case-insensitively, on PostgreSQL for every
    # letter); whole words are then compared here, where case folding knows every alphabet.
    longest = max(typed, key=len)
    pattern = "%" + longest.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = await session.exec(
        select(Person)
        .where(col(Person.display_name).ilike(pattern, escape="\\"))
        .order_by(col(Person.display_name), col(Person.id))
    )
    found = []
    for person in rows:
        words = person.display_name.casefold().split()
        if all(any(word.startswith(t) for word in words) for t in typed):
            found.append(person)
            if len(found) > MAX_NAME_MATCHES:
                break
    return found


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
    holders = select(RoleAssignment.person_id).where(RoleAssignment.role == role)
    rows = await session.exec(
        select(Person).where(col(Person.id).in_(holders)).order_by(col(Person.id))
    )
    return list(rows)


async def has_role(session: AsyncSession, person_id: int, role: str) -> bool:
    row = await session.exec(
        select(RoleAssignment.person_id).where(
            RoleAssignment.person_id == person_id, RoleAssignment.role == role
        )
    )
    return row.first() is not None


async def set_role_holders(
    session: AsyncSession, *, now: datetime, role: str, platform: str, person_ids: set[int]
) -> None:
    """Make exactly `person_ids` hold `role` as `platform`'s settings name them.

    Roles come from settings per platform, so a platform's configuration only replaces the
    holders it named and leaves other platforms' holders alone, even where one person is
    known on both (one person per human).
    """
    current = set(
        await session.exec(
            select(RoleAssignment.person_id).where(
                RoleAssignment.role == role, RoleAssignment.source == platform
            )
        )
    )
    for person_id in current - person_ids:
        await session.exec(
            delete(RoleAssignment).where(
                col(RoleAssignment.person_id) == person_id,
                col(RoleAssignment.role) == role,
                col(RoleAssignment.source) == platform,
            )
        )
        audit.record(
            session, now=now, actor_id=None, action="role.removed",
            subject=f"person:{person_id}", role=role, platform=platform,
        )
    for person_id in person_ids - current:
        session.add(RoleAssignment(person_id=person_id, role=role, source=platform))
        audit.record(
            session, now=now, actor_id=None, action="role.assigned",
            subject=f"person:{person_id}", role=role, platform=platform,
        )
    await session.flush()


async def set_locale(
    session: AsyncSession,
    *,
    now: datetime,
    person_id: int,
    locale: str | None,
    client_locale: str | None = None,
) -> Person:
    """The person's own choice of language (one of data.languages.LANGUAGES), kept whatever
    language their clients are in; None: follow their clients again, from now the one they
    are writing from (`client_locale`, when it is one of ours)."""
    person = await get_person(session, person_id)
    if locale is not None and locale not in languages.LANGUAGES:
        raise Invalid("unknown_language")
    person.locale_chosen = locale is not None
    followed = locale or languages.language(client_locale)
    if followed is not None:
        person.locale = followed
    person.updated_at = now
    session.add(person)
    audit.record(
        session, now=now, actor_id=person_id, action="person.locale",
        subject=f"person:{person_id}", locale=locale or "client",
    )
    return person


def human_key(person: Person) -> str:
    """Who a person is as a human: their work e-mail, else the person itself. Two people
    with one address are one human to every rule, linked or not (the web chat's identities
    never are)."""
    email = identity_module.normalise_email(person.email)
    return f"mail:{email}" if email else f"person:{person.id}"


async def same_human(session: AsyncSession, one: int, other: int) -> bool:
    if one == other:
        return True
    found = await people_by_id(session, [one, other])
    return one in found and other in found and human_key(found[one]) == human_key(found[other])
