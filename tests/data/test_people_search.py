"""The people a picker that leaves people out offers: known ones on the platform first, then
the directory's entries not known there, never the excluded under any identity or e-mail."""

from __future__ import annotations

from data import directory, people_search
from data.db import Store
from tests.helpers import T0, make_person

STAFF = (
    "email,name,unit,manager_email\n"
    "anna.andersson@ki.se,Anna Andersson,Neuroscience,\n"
    "hanna.holm@ki.se,Hanna Holm,Neuroscience,\n"
    "jan.berg@ki.se,Jan Berg,Neuroscience,\n"
    "percy.pan@ki.se,Percy 100% Pan,Neuroscience,\n"
)


async def test_known_people_first_then_the_directory_without_the_excluded(store: Store) -> None:
    async with store.transaction() as session:
        await directory.import_csv(session, STAFF, now=T0, source_name="staff.csv")
        await make_person(session, T0, "Jan Berg", "slack", "UJAN", email="jan.berg@ki.se")
        await make_person(session, T0, "Anna Andersson", "slack", "UANNA",
                          email="anna.andersson@ki.se")
        # Known on the web only: on Slack she is a directory entry like any other.
        await make_person(session, T0, "Hanna Holm", "web", "hanna", email="hanna.holm@ki.se")
    async with store.read() as session:
        found = await people_search.search(session, "slack", "AN", exclude=("UANNA",))
        # Two wildcards typed are two characters, not "anything".
        percent = await people_search.search(session, "slack", "100%", exclude=())
        nothing = await people_search.search(session, "slack", "_", exclude=())
        one = await people_search.search(session, "slack", "an", exclude=(), limit=1)
        stranger = await people_search.search(session, "slack", " Olle.Ost@KI.se ", exclude=())
        anna = await people_search.search(
            session, "slack", "anna.andersson@ki.se", exclude=("UANNA",)
        )
    assert [(f.name, f.external_id, f.email) for f in found] == [
        # Jan is known on Slack (by e-mail "jan.berg@ki.se"), listed once, by his Slack id.
        ("Jan Berg", "UJAN", "jan.berg@ki.se"),
        ("Hanna Holm", None, "hanna.holm@ki.se"),
        ("Percy 100% Pan", None, "percy.pan@ki.se"),
    ]
    assert [f.name for f in percent] == ["Percy 100% Pan"]
    assert nothing == []
    assert [f.name for f in one] == ["Anna Andersson"]
    # A whole e-mail nobody knows is offered as typed (Slack looks it up); an excluded
    # person's is not, though the search by name found nobody else.
    assert [(f.name, f.email, f.external_id) for f in stranger] == [
        ("olle.ost@ki.se", "olle.ost@ki.se", None)
    ]
    assert anna == []
