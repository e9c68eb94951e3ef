"""The demo people of the web chat, one for each role of DESIGN.md section 1."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from data import people
from data.db import Store
from data.models import Role
from dialogs.i18n import N_


@dataclass(frozen=True)
class DemoPerson:
    key: str
    name: str
    email: str
    locale: str
    role: str  # what the web chat shows next to the name, a catalogue msgid


DEMO_PEOPLE = (
    DemoPerson("anna", "Anna Andersson", "anna.andersson@ki.se", "en", N_("Employee")),
    DemoPerson("bjorn", "Björn Berg", "bjorn.berg@ki.se", "sv", N_("Team member")),
    DemoPerson("cecilia", "Cecilia Carlsson", "cecilia.carlsson@ki.se", "sv", N_("Manager")),
    DemoPerson(
        "david", "David Dahl", "david.dahl@ki.se", "en", N_("Director of Communications")
    ),
    DemoPerson("eva", "Eva Ek", "eva.ek@ki.se", "sv", N_("Communications Office")),
    DemoPerson("filip", "Filip Fors", "filip.fors@ki.se", "en", N_("Another manager")),
)
DIRECTOR = "david"
COMMS = ("eva",)


async def seed(store: Store, now: datetime) -> None:
    """Create the demo people once; their roles hold on the web platform only."""
    async with store.transaction() as session:
        ids: dict[str, int] = {}
        for demo in DEMO_PEOPLE:
            person = await people.find_by_identity(session, "web", demo.key)
            if person is None:
                person = await people.ensure_person(
                    session,
                    now=now,
                    platform="web",
                    external_id=demo.key,
                    display_name=demo.name,
                    email=demo.email,
                    locale=demo.locale,
                )
            assert person.id is not None
            ids[demo.key] = person.id
        await people.set_role_holders(
            session, now=now, role=Role.DIRECTOR.value, platform="web", person_ids={ids[DIRECTOR]}
        )
        await people.set_role_holders(
            session,
            now=now,
            role=Role.COMMS.value,
            platform="web",
            person_ids={ids[key] for key in COMMS},
        )
