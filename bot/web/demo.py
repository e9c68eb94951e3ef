"""The demo people of the web chat, one for each role of DESIGN.md section 1."""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.events import Sender
from dialogs.i18n import N_
from hub.identities import COMMS as ROLE_COMMS
from hub.identities import DIRECTOR as ROLE_DIRECTOR
from hub.identities import Identities


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


async def seed(identities: Identities) -> None:
    """Create the demo people once (a language one chose since is kept); their roles hold on
    the web platform only."""
    for demo in DEMO_PEOPLE:
        if await identities.known("web", demo.key) is None:
            await identities.remember(
                Sender("web", demo.key, display_name=demo.name, email=demo.email, locale=demo.locale)
            )
    await identities.hold_roles("web", {ROLE_DIRECTOR: [DIRECTOR], ROLE_COMMS: list(COMMS)})
