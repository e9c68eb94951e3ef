"""The organisation's directory: the CSV import, lookups with a remote directory's cache, and
the rules it brings (the manager's reason, one spelling per unit). On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from data import directory
from data.db import Store
from data.directory import DirectoryEntry, RowProblem
from data.errors import Invalid
from data.models import AuditEvent, DirectoryUnit, StaffEntry
from tests.helpers import T0, count, id_of, load, make_person

HEADER = "email,name,unit,manager_email\n"
STAFF = (
    HEADER
    + "cecilia.carlsson@ki.se,Cecilia Carlsson,Department of Neuroscience,\n"
    + "anna.andersson@ki.se,Anna Andersson,Department of Neuroscience,cecilia.carlsson@ki.se\n"
    + "bjorn.berg@ki.se,Björn Berg,department of neuroscience,cecilia.carlsson@ki.se\n"
)


async def run_import(store: Store, text: str, now: datetime = T0) -> directory.ImportReport:
    async with store.transaction() as session:
        return await directory.import_csv(session, text, now=now, source_name="staff.csv")


async def problems_of(store: Store, text: str) -> list[RowProblem]:
    with pytest.raises(Invalid) as refused:
        await run_import(store, text)
    assert refused.value.code == "directory_rows"
    problems: list[RowProblem] = refused.value.params["problems"]
    return problems


async def test_an_import_fills_the_directory_and_its_units(store: Store) -> None:
    report = await run_import(store, STAFF)
    assert report == directory.ImportReport(added=3, updated=0, removed=0, unchanged=0, units=1)
    rows = {e.email: e for e in await load(store, StaffEntry)}
    assert rows["anna.andersson@ki.se"].manager_email == "cecilia.carlsson@ki.se"
    assert rows["anna.andersson@ki.se"].source == "import"
    assert rows["anna.andersson@ki.se"].fetched_at == T0
    # One unit, spelt as the file first spells it, however a later row capitalises it.
    assert rows["bjorn.berg@ki.se"].unit == "Department of Neuroscience"
    [unit] = await load(store, DirectoryUnit)
    assert (unit.name, unit.key) == ("Department of Neuroscience", "department of neuroscience")
    [event] = await load(store, AuditEvent)
    assert (event.action, event.subject) == ("directory.imported", "directory")
    assert event.details == {
        "source": "staff.csv", "added": 3, "updated": 0, "removed": 0, "unchanged": 0, "units": 1,
    }


async def test_a_reimport_reports_what_changed(store: Store) -> None:
    await run_import(store, STAFF)
    later = T0 + timedelta(days=7)
    report = await run_import(
        store,
        HEADER
        + "cecilia.carlsson@ki.se,Cecilia Carlsson,Department of Neuroscience,\n"
        + "anna.andersson@ki.se,Anna Andersson,Department of Clinical Neuroscience,cecilia.carlsson@ki.se\n"
        + "david.dahl@ki.se,David Dahl,Communications Office,\n",
        now=later,
    )
    assert report == directory.ImportReport(added=1, updated=1, removed=1, unchanged=1, units=3)
    rows = {e.email: e for e in await load(store, StaffEntry)}
    assert set(rows) == {"cecilia.carlsson@ki.se", "anna.andersson@ki.se", "david.dahl@ki.se"}
    assert rows["anna.andersson@ki.se"].unit == "Department of Clinical Neuroscience"
    assert sorted(u.name for u in await load(store, DirectoryUnit)) == [
        "Communications Office", "Department of Clinical Neuroscience", "Department of Neuroscience",
    ]
    # The same file again changes nothing.
    again = await run_import(
        store,
        HEADER
        + "cecilia.carlsson@ki.se,Cecilia Carlsson,Department of Neuroscience,\n"
        + "anna.andersson@ki.se,Anna Andersson,Department of Clinical Neuroscience,cecilia.carlsson@ki.se\n"
        + "david.dahl@ki.se,David Dahl,Communications Office,\n",
        now=later,
    )
    assert again == directory.ImportReport(added=0, updated=0, removed=0, unchanged=3, units=3)
    assert await count(store, AuditEvent, AuditEvent.action == "directory.imported") == 3


async def test_bad_rows_are_refused_with_their_lines_and_nothing_is_imported(store: Store) -> None:
    await run_import(store, STAFF)
    problems = await problems_of(
        store,
        HEADER
        + "eva.ek@ki.se,Eva Ek,Communications Office,\n"  # line 2: fine
        + ",No Mail,Communications Office,\n"  # 3
        + "not-an-address,Odd,Communications Office,\n"  # 4
        + "filip.fors@ki.se,Filip Fors,Communications Office,nobody@ki.se\n"  # 5
        + "gustav.gran@ki.se,Gustav Gran,Communications Office,gustav.gran@ki.se\n"  # 6
        + "EVA.EK@ki.se,Eva Ek again,Communications Office,\n"  # 7
        + "hanna.holm@ki.se,,Communications Office,\n"  # 8
        + "ida.ivarsson@ki.se,Ida Ivarsson,Communications Office,manager@\n"  # 9
        + "jonas.jonsson@ki.se,Jonas Jonsson\n",  # 10
    )
    assert [(p.line, p.code) for p in problems] == [
        (3, "email_missing"),
        (4, "email_malformed"),
        (5, "manager_unknown"),
        (6, "own_manager"),
        (7, "email_duplicate"),
        (8, "name_missing"),
        (9, "manager_malformed"),
        (10, "columns"),
    ]
    assert problems[4].value == "eva.ek@ki.se (line 2)"
    # Nothing of the refused file is in: the earlier import stands as it was.
    assert {e.email for e in await load(store, StaffEntry)} == {
        "cecilia.carlsson@ki.se", "anna.andersson@ki.se", "bjorn.berg@ki.se",
    }
    assert await count(store, AuditEvent) == 1


async def test_a_manager_the_bot_knows_need_not_be_in_the_file(store: Store) -> None:
    assert [p.code for p in await problems_of(store, HEADER + "a@ki.se,A,U,boss@ki.se\n")] == [
        "manager_unknown"
    ]
    async with store.transaction() as session:
        await make_person(session, T0, "Boss", email="Boss@KI.se")
    report = await run_import(store, HEADER + "a@ki.se,A,U,boss@ki.se\n")
    assert report.added == 1


async def test_a_wrong_header_is_refused(store: Store) -> None:
    [problem] = await problems_of(store, "mail,name,unit\nanna@ki.se,Anna,U\n")
    assert (problem.line, problem.code) == (1, "header")


async def test_text_is_normalised_and_semicolons_and_quotes_are_read(store: Store) -> None:
    decomposed = "Bjo\u0308rn Berg"  # o + combining diaeresis
    text = (
        "Email;Name;Unit;Manager_Email\r\n"
        f'  Bjorn.Berg@KI.se ;"{decomposed}\u200b";" Department of Neuroscience, Solna ";\r\n'
    )
    await run_import(store, text)
    [row] = await load(store, StaffEntry)
    assert row.email == "bjorn.berg@ki.se"
    assert row.name == "Björn Berg" and row.name == "Bj\u00f6rn Berg"
    assert row.unit == "Department of Neuroscience, Solna"


async def test_control_characters_are_dropped_from_what_is_imported(store: Store) -> None:
    """An escape sequence or a bell in a name or a unit would reach every terminal and page
    that shows it (a unit goes on to the register by the "Use unit" button)."""
    text = (
        "Email;Name;Unit;Manager_Email\r\n"
        'bjorn.berg@ki.se;"Bj\x1b[31mörn\tBerg";"Unit \x07X";\r\n'
    )
    await run_import(store, text)
    [row] = await load(store, StaffEntry)
    assert (row.name, row.unit) == ("Bj[31mörn Berg", "Unit X")


class FakeRemote:
    """A remote directory answering from a dict, counting the questions asked."""

    def __init__(self, entries: dict[str, DirectoryEntry], fail: bool = False) -> None:
        self.entries = entries
        self.asked: list[str] = []
        self.fail = fail

    async def lookup(self, key: str) -> DirectoryEntry | None:
        self.asked.append(key)
        if self.fail:
            raise directory.DirectoryUnavailable("down")
        return self.entries.get(key.lower())


ANNA = DirectoryEntry(
    email="Anna.Andersson@ki.se", name="Anna Andersson", unit="Department of Neuroscience",
    manager_email="cecilia.carlsson@ki.se", manager_name="Cecilia Carlsson", aad_id="aad-anna",
)


async def test_a_remote_lookup_is_cached_with_its_time_and_asked_again_when_old(
    store: Store,
) -> None:
    remote = FakeRemote({"anna.andersson@ki.se": ANNA})
    async with store.transaction() as session:
        found = await directory.find(session, "anna.andersson@ki.se", now=T0, remote=remote)
    assert found is not None and found.manager_email == "cecilia.carlsson@ki.se"
    assert (found.source, found.fetched_at, found.aad_id) == ("graph", T0, "aad-anna")
    async with store.transaction() as session:
        again = await directory.find(session, "aad-anna", now=T0 + timedelta(hours=1), remote=remote)
        assert again is not None and again.email == "anna.andersson@ki.se"
    assert remote.asked == ["anna.andersson@ki.se"]
    # A day later it is asked again; when it cannot answer, the cache still serves.
    remote.fail = True
    async with store.transaction() as session:
        stale = await directory.find(
            session, "anna.andersson@ki.se", now=T0 + timedelta(days=2), remote=remote
        )
    assert stale is not None and stale.fetched_at == T0
    assert len(remote.asked) == 2
    # The manager's name came along: enough to propose them.
    manager = await load(store, StaffEntry, StaffEntry.email == "cecilia.carlsson@ki.se")
    assert [m.name for m in manager] == ["Cecilia Carlsson"]


async def test_the_import_wins_over_the_remote(store: Store) -> None:
    await run_import(store, STAFF)
    remote = FakeRemote({"anna.andersson@ki.se": ANNA})
    async with store.transaction() as session:
        found = await directory.find(session, "anna.andersson@ki.se", now=T0, remote=remote)
    assert found is not None and found.source == "import"
    assert remote.asked == []


async def test_a_proposal_names_the_manager_the_bot_knows(store: Store) -> None:
    await run_import(store, STAFF)
    async with store.transaction() as session:
        anna = await make_person(session, T0, "Anna Andersson", email="anna.andersson@ki.se")
        nobody = await make_person(session, T0, "No Mail")
        first = await directory.proposal_for(session, anna, now=T0)
        assert await directory.proposal_for(session, nobody, now=T0) == directory.Proposal()
        cecilia = await make_person(session, T0, "Cecilia C", email="Cecilia.Carlsson@ki.se")
        second = await directory.proposal_for(session, anna, now=T0)
    assert first == directory.Proposal(
        "Department of Neuroscience", "cecilia.carlsson@ki.se", "Cecilia Carlsson", None
    )
    assert second.manager_id == id_of(cecilia)


async def test_another_manager_than_the_directorys_needs_a_reason(store: Store) -> None:
    await run_import(store, STAFF)
    async with store.transaction() as session:
        anna = id_of(await make_person(session, T0, "Anna A", email="anna.andersson@ki.se"))
        cecilia = id_of(await make_person(session, T0, "Cecilia C", email="cecilia.carlsson@ki.se"))
        filip = id_of(await make_person(session, T0, "Filip F", email="filip.fors@ki.se"))
        outsider = id_of(await make_person(session, T0, "Out Sider"))
        assert not await directory.manager_reason_needed(session, anna, cecilia)
        assert await directory.manager_reason_needed(session, anna, filip)
        # Someone the directory does not know needs no reason: it names no manager for them.
        assert not await directory.manager_reason_needed(session, outsider, filip)
        assert await directory.checked_manager_reason(session, anna, cecilia, "ignored") is None
        with pytest.raises(Invalid) as missing:
            await directory.checked_manager_reason(session, anna, filip, "  ")
        assert (missing.value.code, missing.value.params) == (
            "manager_reason_required", {"field": "manager_reason"},
        )
        with pytest.raises(Invalid) as long:
            await directory.checked_manager_reason(session, anna, filip, "x" * 501)
        assert long.value.code == "too_long"
        reason = await directory.checked_manager_reason(
            session, anna, filip, " Cecilia is on\u00a0parental leave. "
        )
    assert reason == "Cecilia is on parental leave."


async def test_a_unit_is_spelt_as_the_directory_spells_it(store: Store) -> None:
    async with store.transaction() as session:
        # Without a directory: as typed.
        assert await directory.canonical_unit(session, " Unit X ") == "Unit X"
    await run_import(store, STAFF)
    async with store.transaction() as session:
        assert (
            await directory.canonical_unit(session, "DEPARTMENT OF NEUROSCIENCE")
            == "Department of Neuroscience"
        )
        with pytest.raises(Invalid) as outside:
            await directory.canonical_unit(session, "Unit X")
        assert outside.value.code == "unit_not_in_directory"
        [unit] = await directory.directory_units(session)
        assert await directory.unit_by_value(session, unit.value) == "Department of Neuroscience"
        assert await directory.unit_by_value(session, "u:999") is None
        assert await directory.unit_by_value(session, "x:1") is None
        # Digits int() refuses ("²" passes str.isdigit()): no unit, not an error.
        assert await directory.unit_by_value(session, "u:²") is None
