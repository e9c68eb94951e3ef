"""hub.identities: what a platform says of a person (a Teams roster's name, a profile looked up)
is stored cleaned, as typed text is, on SQLite and PostgreSQL."""

from __future__ import annotations

from data.db import Store
from data.models import Person
from dialogs.events import Sender
from hub.identities import Identities
from tests.helpers import T0, load


async def test_a_remembered_name_and_address_are_stored_cleaned(store: Store) -> None:
    identities = Identities(store, lambda: T0)
    person_id = await identities.remember(
        Sender("teams", "aad-eva", display_name="Eva \u202eknarts\u202c\u200b Strand\x07",
               email="eva.strand@ki.se\x00", locale="sv-SE")
    )
    [person] = await load(store, Person, Person.id == person_id)
    assert (person.display_name, person.email) == (
        "Eva \u202eknarts\u202c Strand", "eva.strand@ki.se"
    )
