"""Who may see an account request as its approval card shows it (data.requests.may_see): the
people on it, everyone it was put to at any stage and round, the same humans under other
identities, and whoever the dashboard shows its trail to. Nobody else. On SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from data import requests, team
from data.db import Store
from data.models import AccountRequest, Decision, Stage
from data.workdays import Calendar
from tests.helpers import T0, Cast, decide, id_of, make_person, make_roles, submit

LATER = T0 + timedelta(hours=1)
ADMINISTRATION = "university_administration"
# No such person.
NOBODY = 999_999


async def sees(store: Store, request_id: int, *person_ids: int) -> list[bool]:
    async with store.transaction() as session:
        request = await requests.get_request(session, request_id)
        return [await requests.may_see(session, request, p) for p in person_ids]


async def person(store: Store, name: str, **fields: str) -> int:
    async with store.transaction() as session:
        return id_of(await make_person(session, T0, name, **fields))


async def hand(store: Store, request: AccountRequest, actor: int, to: int) -> AccountRequest:
    assert request.id is not None
    async with store.transaction() as session:
        return await requests.hand_over(
            session, request_id=request.id, actor_id=actor, to_person_id=to, now=LATER
        )


async def test_the_people_on_a_request_see_it_and_nobody_else(store: Store, cast: Cast) -> None:
    request = await submit(store, cast)
    assert request.id is not None
    assert await sees(store, request.id, cast.requester, cast.colleague, cast.manager) == [
        True, True, True,
    ]
    # A stranger does not, nor the director, whom a unit's request is never put to: the role
    # alone shows nobody's request. Nor does an id nobody has.
    assert await sees(store, request.id, cast.outsider, cast.director, NOBODY) == [
        False, False, False,
    ]


async def test_everyone_it_was_put_to_keeps_seeing_it(store: Store, cast: Cast) -> None:
    request = await submit(store, cast, scope=ADMINISTRATION)
    assert request.id is not None
    greta, hugo = await person(store, "Greta Nyman"), await person(store, "Hugo Lind")
    # The manager hands it to Greta, who hands it to Hugo, who approves: Greta was asked,
    # though she neither decided nor is named on it now.
    await hand(store, request, cast.manager, greta)
    await hand(store, request, greta, hugo)
    outcome = await decide(store, request.id, hugo, now=LATER)
    assert (outcome.request.stage, outcome.request.approver_id) == (
        Stage.DIRECTOR.value, cast.director,
    )
    assert await sees(store, request.id, cast.manager, greta, hugo, cast.director) == [
        True, True, True, True,
    ]
    assert await sees(store, request.id, cast.outsider) == [False]

    # The director asks for changes; the requester names another manager in round 2. Those
    # of round 1 still see it.
    await decide(store, request.id, cast.director, Decision.CHANGES, now=LATER, reason="Why?")
    ivar = await person(store, "Ivar Holt")
    await submit(store, cast, LATER, revise_id=request.id, scope=ADMINISTRATION, manager_id=ivar)
    assert await sees(store, request.id, ivar, cast.manager, greta, hugo, cast.director) == [
        True, True, True, True, True,
    ]
    assert await sees(store, request.id, cast.outsider) == [False]


async def test_the_same_human_under_another_identity_sees_it(store: Store, cast: Cast) -> None:
    # The web chat never links identities: Anna and Filip are each two people with one
    # address, and a rule treats them as one human.
    await person(store, "Anna Berg", email="anna.berg@ki.se")
    elsewhere = await person(store, "Anna Berg", ext="anna.elsewhere", email="anna.berg@ki.se")
    await person(store, "Filip Sjö", email="filip.sjo@ki.se")
    stranger = await person(store, "Filip Sjö", ext="filip.elsewhere", email="someone@ki.se")
    assert elsewhere != cast.requester
    request = await submit(store, cast)
    assert request.id is not None
    assert await sees(store, request.id, elsewhere, stranger) == [True, False]


async def test_whoever_the_dashboard_shows_its_trail_sees_it(store: Store, cast: Cast) -> None:
    request = await submit(store, cast)
    assert request.id is not None
    # The Communications Office sees the whole register and its trail on the dashboard.
    async with store.transaction() as session:
        await make_roles(session, T0, comms={cast.second_colleague})
    assert await sees(store, request.id, cast.second_colleague) == [True]

    # The account's page holds its request's events: who joins the account's team later
    # sees the request it came from, as the page shows it to them.
    outcome = await decide(store, request.id, cast.manager)
    assert outcome.account is not None and outcome.account.id is not None
    newcomer = await person(store, "Greta Nyman")
    assert await sees(store, request.id, newcomer) == [False]
    async with store.transaction() as session:
        await team.add_member(
            session, account_id=outcome.account.id, person_id=newcomer,
            actor_id=cast.requester, now=LATER, calendar=Calendar(),
        )
    assert await sees(store, request.id, newcomer, cast.outsider) == [True, False]
