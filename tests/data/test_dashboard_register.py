"""The register a page at a time (data.dashboard_register): every sort, direction, filter and
search, read page by page from the database, gives the rows the register in memory gives
(bot/web/dashboard/table.py's `choose` over every visible row), on SQLite and PostgreSQL,
for the comms office and for a manager who sees only their own accounts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.web.dashboard.table import Choice, Row, choose
from data import closure, compliance_rows, people, questions
from data.dashboard import Viewer
from data.dashboard_overview import COMPLIANCE_FILTERS, account_states
from data.dashboard_register import SORTS, Wanted, register_page, rows_of
from data.db import Store
from data.policy import NudgeConfig
from tests.helpers import make_person
from tests.helpers.accounts import id_of, register

CONFIG = NudgeConfig()
NOW = datetime(2027, 3, 1, 13, 30, tzinfo=UTC)
NAMES = ["Åsa Öberg", "anna Berg", "Örjan Ek", "Bertil ångström", "ZETA Zetterlund",
         "Émile Östlund", "Maja 100% Sund", "Nils_Lind"]
UNITS = ["Enhet Å", "unit b", "Unit B", "Department of Neuroscience", "Ämnesgrupp"]
PLATFORMS = [("instagram", "ki.insta{n}"), ("x", "ki_x{n}"), ("linkedin", "ki-link-{n}")]


async def make_register(store: Store) -> dict[str, int]:
    setup = datetime(2026, 10, 1, 10, tzinfo=UTC)
    async with store.transaction() as session:
        ids = {n: id_of_person(await make_person(session, setup, n, ext=f"p{k}"))
               for k, n in enumerate(NAMES)}
    names = list(ids.values())
    for n in range(19):
        platform, handle = PLATFORMS[n % 3]
        requester, colleague = names[n % 6], names[(n * 5 + 1) % 6]
        if colleague == requester:
            colleague = names[7]
        manager = names[6] if n % 4 else names[7]
        account = await register(
            store, requester=requester, team=(colleague,), manager=manager,
            now=datetime(2026, 10, 1 + n, 10, tzinfo=UTC), platform=platform,
            handle=handle.format(n=n), unit=UNITS[n % 5],
        )
        if n % 5 == 0:
            async with store.transaction() as session:
                await closure.close_account(
                    session, account_id=id_of(account), actor_id=requester, reason="Done",
                    final_archive_location="S:/x", now=datetime(2027, 2, 1, 10, tzinfo=UTC),
                )
        elif n % 3 == 0:
            async with store.transaction() as session:
                await questions.receive_question(
                    session, account_id=id_of(account), text="Hello?",
                    now=datetime(2027, 2, 25, 10, tzinfo=UTC),
                )
    return ids


def id_of_person(person: object) -> int:
    person_id = getattr(person, "id", None)
    assert isinstance(person_id, int)
    return person_id


async def paged(store: Store, viewer: Viewer, wanted: Wanted) -> list[str]:
    numbers: list[str] = []
    page = 1
    while True:
        async with store.transaction() as session:
            found = await register_page(session, viewer, replace(wanted, page=page),
                                        now=NOW, config=CONFIG, per_page=4)
        assert found.page == page and len(found.rows) <= 4
        numbers += [row.account.number for row in found.rows]
        if page >= found.pages:
            assert len(numbers) == found.matched
            return numbers
        page += 1


async def unpaged(store: Store, viewer: Viewer, choice: Choice) -> list[str]:
    async with store.transaction() as session:
        everything = await register_page(session, viewer, Wanted(), now=NOW, config=CONFIG,
                                         per_page=10_000)
        rows = await rows_of(session, [r.account.id or 0 for r in everything.rows],
                             now=NOW, config=CONFIG)
        # Compliance worked out afresh, not read from the stored rows under test.
        states = await account_states(session, NOW, CONFIG, [r.account for r in rows])
    chosen = choose(
        [Row(r.account, r.team, r.manager, states[r.account.id or 0]) for r in rows], choice
    )
    return [row.account.number for row in chosen]


def choices() -> list[Choice]:
    found = [Choice(sort=s, direction=d) for s in SORTS for d in ("asc", "desc")]
    found += [Choice(unit=u) for u in UNITS] + [Choice(unit="unit B", sort="unit")]
    found += [Choice(platform=p) for p, _ in PLATFORMS]
    found += [Choice(status=s, sort="handle", direction="desc") for s in ("active", "closed")]
    found += [Choice(compliance=c) for c in COMPLIANCE_FILTERS]
    found += [Choice(compliance="ok", sort="manager", direction="desc")]
    found += [Choice(compliance="inactive", sort="compliance", direction=d, q="berg")
              for d in ("asc", "desc")]
    found += [Choice(q=q) for q in ("å", "ÖBERG", "ki_x", "%", "_", "some-2026", "BERG",
                                    "100%", "nobody", "ångström")]
    found += [Choice(q="berg", unit="Unit B", sort="team", direction="desc")]
    return found


@pytest.mark.parametrize("compliance", ["stored", "worked_out"])
@pytest.mark.parametrize("who", ["comms", "manager"])
async def test_pages_sorts_filters_and_search_match_the_register_in_memory(
    store: Store, who: str, compliance: str
) -> None:
    """With every compliance row current (refreshed), compliance is sorted and filtered in
    SQL; without, it is worked out for the matching accounts: either way the same rows."""
    ids = await make_register(store)
    person = ids["Maja 100% Sund"]
    async with store.transaction() as session:
        viewer = Viewer(await people.get_person(session, person), sees_all=who == "comms")
        if compliance == "stored":
            assert await compliance_rows.refresh(session, NOW, CONFIG) == 19
        assert (await compliance_rows.not_current(session, NOW, CONFIG) == 0) == (
            compliance == "stored"
        )
    everyone = await unpaged(store, viewer, Choice())
    assert len(everyone) == (19 if who == "comms" else 14)
    for choice in choices():
        expected = await unpaged(store, viewer, choice)
        assert await paged(store, viewer, choice.wanted()) == expected, choice


async def test_a_page_past_the_last_shows_the_last(store: Store) -> None:
    ids = await make_register(store)
    async with store.transaction() as session:
        viewer = Viewer(await people.get_person(session, ids["Nils_Lind"]), sees_all=True)
        found = await register_page(session, viewer, Wanted(page=99), now=NOW, config=CONFIG,
                                    per_page=4)
    assert (found.page, found.pages, found.total, found.matched) == (5, 5, 19, 19)
    assert len(found.rows) == 3
