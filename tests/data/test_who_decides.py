"""Who may decide on a request is one rule of data.requests (approver_refusal), asked on every
way a decision moves: submission, the director's turn, each decision, a hand-over and the
requester's reroute. The bypasses it closes are reproduced here first. On SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from data import people, requests
from data.db import Store
from data.errors import Invalid, NotAllowed
from data.models import (
    Account,
    AccountRequest,
    ApprovalDecision,
    AuditEvent,
    Outbox,
)
from data.workdays import Calendar
from tests.helpers import T0, Cast, count, decide, id_of, load, make_person, make_roles, submit

CALENDAR = Calendar()
# T0 is Monday 1 March 2027; the manager approves at T0, so the director's five working days
# of waiting are up on Monday 8 March.
MONDAY = T0 + timedelta(days=7)
FRIDAY = T0 + timedelta(days=4)
ADMINISTRATION = "university_administration"


async def hand(
    store: Store, request_id: int, actor: int, to: int, now: datetime = MONDAY
) -> AccountRequest:
    async with store.transaction() as session:
        return await requests.hand_over(
            session, request_id=request_id, actor_id=actor, to_person_id=to, now=now,
            calendar=CALENDAR,
        )


async def escalate(store: Store, request_id: int, actor: int, now: datetime = MONDAY) -> bool:
    async with store.transaction() as session:
        return await requests.escalate(
            session, request_id=request_id, actor_id=actor, now=now, calendar=CALENDAR
        )


async def at_the_director(store: Store, cast: Cast) -> AccountRequest:
    """A university-administration request the manager approved at T0."""
    request = await submit(store, cast, scope=ADMINISTRATION)
    assert request.id is not None
    outcome = await decide(store, request.id, cast.manager)
    assert (outcome.request.stage, outcome.request.approver_id) == ("director", cast.director)
    return outcome.request


async def deputy(store: Store) -> int:
    """A second holder of the director role (the deputy director)."""
    async with store.transaction() as session:
        person = id_of(await make_person(session, T0, "Greta Vice"))
        directors = {id_of(p) for p in await people.people_with_role(session, "director")}
        await make_roles(session, T0, director={*directors, person})
    return person


# --- (a) a reroute at the director stage -----------------------------------------------------


async def test_a_reroute_at_the_director_stage_never_goes_to_an_ordinary_colleague(
    store: Store, cast: Cast
) -> None:
    # The bypass: manager approves; five working days on, the requester names a colleague,
    # who approves; the account was registered without any director's decision.
    request = await at_the_director(store, cast)
    assert request.id is not None
    with pytest.raises(Invalid) as refused:
        await hand(store, request.id, cast.requester, cast.outsider)
    assert (refused.value.code, refused.value.params) == (
        "approver_not_director", {"field": "approver"}
    )
    [stored] = await load(store, AccountRequest)
    assert (stored.stage, stored.approver_id) == ("director", cast.director)
    with pytest.raises(NotAllowed):
        await decide(store, request.id, cast.outsider, now=MONDAY)
    assert await count(store, Account) == 0


async def test_a_reroute_at_the_director_stage_goes_to_the_deputy_director(
    store: Store, cast: Cast
) -> None:
    request = await at_the_director(store, cast)
    assert request.id is not None
    vice = await deputy(store)
    async with store.transaction() as session:
        assert await requests.other_directors(session, request) == [vice]
    rerouted = await hand(store, request.id, cast.requester, vice)
    assert (rerouted.stage, rerouted.approver_id) == ("director", vice)
    outcome = await decide(store, request.id, vice, now=MONDAY)
    assert outcome.account is not None
    decisions = await load(store, ApprovalDecision)
    assert [(d.stage, d.decider_id) for d in decisions] == [
        ("manager", cast.manager), ("director", vice)
    ]


async def test_with_no_other_director_the_communications_office_is_asked(
    store: Store, cast: Cast
) -> None:
    async with store.transaction() as session:
        eva = id_of(await make_person(session, T0, "Eva Comms"))
        await make_roles(session, T0, comms={eva})
    request = await at_the_director(store, cast)
    assert request.id is not None
    with pytest.raises(NotAllowed) as early:
        await escalate(store, request.id, cast.requester, FRIDAY)
    assert early.value.code == "reroute_too_early"
    with pytest.raises(NotAllowed) as other:
        await escalate(store, request.id, cast.colleague)
    assert other.value.code == "not_approver"

    assert await escalate(store, request.id, cast.requester)
    rows = await load(store, Outbox, Outbox.kind == "approval_escalated")
    assert sorted((r.place or "", r.recipient_id or 0) for r in rows) == [("", eva), ("comms", 0)]
    assert rows[0].params == {"request_id": request.id, "approver_id": cast.director, "days": 5}
    [event] = await load(store, AuditEvent, AuditEvent.action == "request.escalated")
    assert (event.actor_id, event.details["approver_id"]) == (cast.requester, cast.director)
    # The decision stays with the director; asking again tells nobody twice.
    [stored] = await load(store, AccountRequest)
    assert (stored.stage, stored.approver_id, stored.status) == (
        "director", cast.director, "pending"
    )
    assert not await escalate(store, request.id, cast.requester, MONDAY + timedelta(days=1))
    assert await count(store, Outbox, Outbox.kind == "approval_escalated") == 2


async def test_no_escalation_while_someone_may_take_the_decision(
    store: Store, cast: Cast
) -> None:
    unit = await submit(store, cast, handle="ki_unit_news")
    assert unit.id is not None
    with pytest.raises(Invalid) as at_manager:
        await escalate(store, unit.id, cast.requester)
    assert at_manager.value.code == "name_an_approver"
    request = await at_the_director(store, cast)
    assert request.id is not None
    await deputy(store)
    with pytest.raises(Invalid) as deputy_there:
        await escalate(store, request.id, cast.requester)
    assert deputy_there.value.code == "name_an_approver"
    assert await count(store, Outbox, Outbox.kind == "approval_escalated") == 0


# --- (b) the director hands over -------------------------------------------------------------


async def test_the_director_hands_the_decision_only_to_another_director(
    store: Store, cast: Cast
) -> None:
    request = await at_the_director(store, cast)
    assert request.id is not None
    # The bypass: the director handed the decision to anyone, who approved.
    with pytest.raises(Invalid) as refused:
        await hand(store, request.id, cast.director, cast.outsider, T0)
    assert refused.value.code == "approver_not_director"
    with pytest.raises(Invalid) as manager:
        await hand(store, request.id, cast.director, cast.manager, T0)
    assert manager.value.code == "approver_not_director"
    [stored] = await load(store, AccountRequest)
    assert stored.approver_id == cast.director

    vice = await deputy(store)
    handed = await hand(store, request.id, cast.director, vice, T0)
    assert (handed.stage, handed.approver_id) == ("director", vice)


async def test_at_the_director_stage_only_a_director_decides(store: Store, cast: Cast) -> None:
    # The role is checked when the decision is made too: a director replaced in the settings
    # while a request waited for them no longer decides.
    request = await at_the_director(store, cast)
    assert request.id is not None
    vice = await deputy(store)
    async with store.transaction() as session:
        await make_roles(session, T0, director={vice})
    with pytest.raises(NotAllowed) as refused:
        await decide(store, request.id, cast.director, now=MONDAY)
    assert refused.value.code == "not_director"
    assert await count(store, Account) == 0


async def test_the_director_who_is_on_the_team_is_passed_over(store: Store, cast: Cast) -> None:
    vice = await deputy(store)
    request = await submit(store, cast, scope=ADMINISTRATION, team_ids=(cast.director,))
    assert request.id is not None
    outcome = await decide(store, request.id, cast.manager)
    assert (outcome.request.stage, outcome.request.approver_id) == ("director", vice)
    with pytest.raises(Invalid) as refused:
        await hand(store, request.id, vice, cast.director, T0)
    assert refused.value.code == "team_member_as_approver"
    # With the deputy gone, nobody may decide as director on it: refused at submission.
    async with store.transaction() as session:
        await make_roles(session, T0, director={cast.director})
    with pytest.raises(Invalid) as none:
        await submit(store, cast, scope=ADMINISTRATION, team_ids=(cast.director,),
                     handle="ki_other")
    assert none.value.code == "no_director"


# --- (c) a fellow team member as "manager" ---------------------------------------------------


async def test_a_fellow_team_member_never_becomes_the_approver(store: Store, cast: Cast) -> None:
    request = await submit(store, cast, team_ids=(cast.colleague, cast.second_colleague))
    assert request.id is not None
    # The bypass: five working days on, the requester made a team member their "manager".
    with pytest.raises(Invalid) as reroute:
        await hand(store, request.id, cast.requester, cast.colleague)
    assert (reroute.value.code, reroute.value.params) == (
        "team_member_as_approver", {"field": "approver"}
    )
    # Nor may the manager hand it to one.
    with pytest.raises(Invalid) as handed:
        await hand(store, request.id, cast.manager, cast.second_colleague, T0)
    assert handed.value.code == "team_member_as_approver"
    [stored] = await load(store, AccountRequest)
    assert stored.approver_id == cast.manager
    with pytest.raises(NotAllowed):
        await decide(store, request.id, cast.colleague, now=MONDAY)
    # Nor can one be named as manager to begin with.
    with pytest.raises(Invalid) as named:
        await submit(store, cast, manager_id=cast.colleague, handle="ki_other")
    assert (named.value.code, named.value.params) == ("manager_in_team", {"field": "manager"})


# --- the requester under another identity ----------------------------------------------------


async def test_the_requester_under_another_identity_never_decides(
    store: Store, cast: Cast
) -> None:
    # The web chat's identities are never linked by e-mail, yet one with the requester's work
    # e-mail is the requester to every rule.
    async with store.transaction() as session:
        anna = await people.get_person(session, cast.requester)
        anna.email = "anna.berg@ki.se"
        session.add(anna)
        web_anna = id_of(
            await make_person(session, T0, "Anna B", ext="anna.b", email="Anna.Berg@KI.se")
        )
    assert web_anna != cast.requester
    request = await submit(store, cast, scope=ADMINISTRATION)
    assert request.id is not None
    with pytest.raises(Invalid) as handed:
        await hand(store, request.id, cast.manager, web_anna, T0)
    assert handed.value.code == "requester_as_approver"
    with pytest.raises(Invalid) as named:
        await submit(store, cast, manager_id=web_anna, handle="ki_other")
    assert named.value.code == "requester_as_manager"
    with pytest.raises(Invalid) as team:
        await submit(store, cast, team_ids=(web_anna,), handle="ki_third")
    assert team.value.code == "team_includes_requester"
    async with store.transaction() as session:
        await make_roles(session, T0, director={cast.director, web_anna})
    outcome = await decide(store, request.id, cast.manager)
    assert outcome.request.approver_id == cast.director
    with pytest.raises(Invalid) as director:
        await hand(store, request.id, cast.director, web_anna, T0)
    assert director.value.code == "requester_as_approver"
    with pytest.raises(NotAllowed) as own:
        await decide(store, request.id, web_anna, now=MONDAY)
    assert own.value.code == "own_request"
