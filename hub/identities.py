"""Who people are, for the adapters: remembering what a platform told us of someone, finding
whom a platform id names, and keeping the configured role holders in line with the settings.
Adapters speak neutral types here (`Sender`, plain ids and strings); the tables stay in data/.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from data import people
from data.db import Store
from data.models import Role
from dialogs.events import Sender
from dialogs.text import clean_sender

DIRECTOR = Role.DIRECTOR.value
COMMS = Role.COMMS.value


@dataclass(frozen=True)
class Known:
    """A person as a platform's adapter needs to know them."""

    person_id: int
    display_name: str
    email: str | None
    locale: str | None
    # This platform's identity: its address and when its profile was last fetched.
    address: dict[str, Any]


class Identities:
    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    async def remember(self, sender: Sender, *, spoke: bool = False) -> int:
        """Store or refresh the person behind `sender`; returns their person id. `spoke`: they
        are writing to us now (else someone named or picked them, or settings did), and only
        then is this their last platform. What the platform said is cleaned first
        (dialogs.text): a profile's name reaches pages and exports as any typed text does."""
        sender = clean_sender(sender)
        async with self.store.transaction() as session:
            person = await people.ensure_person(
                session,
                now=self.clock(),
                platform=sender.platform,
                external_id=sender.external_id,
                display_name=sender.display_name,
                email=sender.email,
                locale=sender.locale,
                address=dict(sender.address),
                spoke=spoke,
            )
        assert person.id is not None
        return person.id

    async def known(self, platform: str, external_id: str) -> Known | None:
        async with self.store.read() as session:
            person = await people.find_by_identity(session, platform, external_id)
            if person is None or person.id is None:
                return None
            identity = next(
                (
                    i
                    for i in await people.identities(session, person.id)
                    if i.platform == platform and i.external_id == external_id
                ),
                None,
            )
        return Known(
            person.id,
            person.display_name,
            person.email,
            person.locale,
            dict(identity.address) if identity is not None else {},
        )

    async def anyone_named(self, text: str) -> bool:
        """Whether anybody we know goes by `text` (an e-mail address, a name)."""
        async with self.store.read() as session:
            return bool(await people.find_by_text(session, text))

    async def addresses(self, platform: str) -> list[dict[str, Any]]:
        """The stored addresses of everyone on `platform` (Teams learns its service URL)."""
        found = []
        async with self.store.read() as session:
            for _, person in await people.directory(session, platform):
                assert person.id is not None
                for identity in await people.identities(session, person.id):
                    if identity.platform == platform:
                        found.append(dict(identity.address))
        return found

    async def hold_roles(self, platform: str, holders: dict[str, Iterable[str]]) -> None:
        """The holders of each role on `platform` are exactly these platform ids (settings)."""
        now = self.clock()
        async with self.store.transaction() as session:
            for role, external_ids in holders.items():
                ids = set()
                for external_id in external_ids:
                    person = await people.ensure_person(
                        session, now=now, platform=platform, external_id=external_id, spoke=False
                    )
                    assert person.id is not None
                    ids.add(person.id)
                await people.set_role_holders(
                    session, now=now, role=role, platform=platform, person_ids=ids
                )

    async def has_role(self, platform: str, external_id: str, role: str) -> bool:
        async with self.store.read() as session:
            person = await people.find_by_identity(session, platform, external_id)
            return (
                person is not None
                and person.id is not None
                and await people.has_role(session, person.id, role)
            )

    async def everyone(self, platform: str) -> list[tuple[str, str]]:
        """(platform id, name) of everyone known on `platform`."""
        async with self.store.read() as session:
            return [(ext, p.display_name) for ext, p in await people.directory(session, platform)]

    async def names(self, person_ids: Iterable[int]) -> dict[int, str]:
        async with self.store.read() as session:
            found = await people.people_by_id(session, list(person_ids))
        return {person_id: person.display_name for person_id, person in found.items()}

    async def set_locale(self, platform: str, external_id: str, locale: str) -> None:
        """The person chose the language they read the bot in."""
        async with self.store.transaction() as session:
            person = await people.find_by_identity(session, platform, external_id)
            if person is None or person.id is None:
                return
            await people.set_locale(session, now=self.clock(), person_id=person.id, locale=locale)
