"""Submitting, deciding and handing over requests: the approval rules, on both databases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from data import closure, register, requests, rules
from data.db import Store
from data.errors import Invalid, MovedOn, NotAllowed, NotFound
from data.models import (
    Account,
    AccountRequest,
    ApprovalDecision,
    AuditEvent,
    Decision,
    Outbox,
    RequestStatus,
)
from data.upsert import dialect_of
from tests.helpers import (
    T0,
    Cast,
    count,
    decide,
    id_of,
    load,
    make_person,
    make_roles,
    request_input,
    submit,
)

LATER = T0 + timedelta(hours=2)


async def snapshot(store: Store, request_id: int) -> tuple[AccountRequest, int, int, int, int]:
    """The request and how many decisions, audit events, outbox rows and accounts exist."""
    async with store.transaction() as session:
        request = await requests.get_request(session, request_id)
    return (
        request,
        await count(store, ApprovalDecision),
        await count(store, AuditEvent),
        await count(store, Outbox),
        await count(store, Account),
    )


# --- submit -------------------------------------------------------------------------------


async def test_submit_stores_a_pending_request_for_the_manager(store: Store, cast: Cast) -> None:
    request = await submit(
        store,
        cast,
        handle="  https://www.instagram.com/KI_Neuro/ ",
        purpose="  Research news.  ",
        team_ids=(cast.second_colleague, cast.colleague),
    )

    [stored] = await load(store, AccountRequest)
    assert stored.id == request.id
    assert stored.requester_id == cast.requester
    assert stored.status == RequestStatus.PENDING.value
    assert stored.stage == "manager"
    assert stored.approver_id == cast.manager
    assert stored.round == 1
    assert stored.handle == "KI_Neuro"
    assert stored.purpose == "Research news."
    assert stored.team_ids == [cast.second_colleague, cast.colleague]
    assert stored.acknowledgements == list(rules.ACKNOWLEDGEMENTS)
    assert stored.created_at == T0 and stored.stage_started_at == T0
    assert stored.account_id is None

    [event] = await load(store, AuditEvent, AuditEvent.subject == f"request:{request.id}")
    assert (event.action, event.actor_id, event.at) == ("request.submitted", cast.requester, T0)
    assert event.details == {"round": 1, "manager_id": cast.manager}

    [card] = await load(store, Outbox)
    assert card.key == f"approval_card:{request.id}:1:manager:{cast.manager}"
    assert card.kind == "approval_card"
    assert card.recipient_id == cast.manager
    assert card.params == {"request_id": request.id, "round": 1, "stage": "manager"}
    assert card.status == "pending" and card.next_attempt_at == T0


# One answer wrong at a time: (what, the answers replaced, the code and field refused with).
BAD_ANSWERS: list[tuple[str, dict[str, Any], str, str]] = [
    ("empty unit", {"unit": "   "}, "empty", "unit"),
    ("long unit", {"unit": "u" * (rules.SHORT_TEXT + 1)}, "too_long", "unit"),
    ("empty purpose", {"purpose": ""}, "empty", "purpose"),
    ("short purpose", {"purpose": "Too short"}, "too_short", "purpose"),
    ("long purpose", {"purpose": "p" * (rules.LONG_TEXT + 1)}, "too_long", "purpose"),
    ("empty objectives", {"objectives": " \n "}, "empty", "objectives"),
    ("empty target group", {"target_group": ""}, "empty", "target_group"),
    ("long benefit", {"benefit": "b" * (rules.LONG_TEXT + 1)}, "too_long", "benefit"),
    ("empty monitoring", {"monitoring": ""}, "empty", "monitoring"),
    (
        "long holiday cover",
        {"holiday_cover": "h" * (rules.LONG_TEXT + 1)},
        "too_long",
        "holiday_cover",
    ),
    ("unknown platform", {"platform": "myspace"}, "unknown_platform", "platform"),
    ("empty handle", {"handle": " @ "}, "empty", "handle"),
    ("X handle of 2", {"platform": "x", "handle": "ki"}, "bad_handle", "handle"),
    ("X handle of 16", {"platform": "x", "handle": "k" * 16}, "bad_handle", "handle"),
    ("Instagram ..", {"handle": "ki..news"}, "bad_handle", "handle"),
    ("Instagram ending .", {"handle": "kinews."}, "bad_handle", "handle"),
    ("Mastodon, no instance", {"platform": "mastodon", "handle": "kinews"}, "bad_handle", "handle"),
    ("Facebook too short", {"platform": "facebook", "handle": "ki"}, "bad_handle", "handle"),
    ("Bluesky, no domain", {"platform": "bluesky", "handle": "kinews"}, "bad_handle", "handle"),
    ("unknown scope", {"scope": "galaxy"}, "unknown_scope", "scope"),
    ("unknown response time", {"response_time": "never"}, "unknown_response_time", "response_time"),
    (
        "no acknowledgements",
        {"acknowledgements": ()},
        "acknowledgements_missing",
        "acknowledgements",
    ),
]


async def refusal(store: Store, cast: Cast, **overrides: Any) -> tuple[str, Any] | None:
    """What submitting refuses with: (code, field), or None when it is accepted."""
    try:
        await submit(store, cast, **overrides)
    except Invalid as error:
        return error.code, error.params.get("field")
    return None


async def test_submit_refuses_a_bad_answer(store: Store, cast: Cast) -> None:
    # One database for all the cases: a refused submit leaves nothing behind.
    wrong = {}
    for what, overrides, code, field in BAD_ANSWERS:
        got = await refusal(store, cast, **overrides)
        if got != (code, field):
            wrong[what] = got
    assert wrong == {}
    assert await count(store, AccountRequest) == 0
    assert await count(store, Outbox) == 0


async def test_a_handle_that_does_not_fit_says_which_platform(store: Store, cast: Cast) -> None:
    with pytest.raises(Invalid) as refused:
        await submit(store, cast, platform="x", handle="@ki")
    assert refused.value.params == {
        "field": "handle",
        "platform": "X",
        "example": rules.PLATFORMS["x"].example,
    }


async def test_missing_acknowledgements_are_named(store: Store, cast: Cast) -> None:
    given = tuple(a for a in rules.ACKNOWLEDGEMENTS if a not in ("consent", "link_to_ki"))
    with pytest.raises(Invalid) as refused:
        await submit(store, cast, acknowledgements=given)
    assert refused.value.params["missing"] == ["link_to_ki", "consent"]


async def test_handles_are_stored_without_decoration(store: Store, cast: Cast) -> None:
    given = [
        ("x", "@KIbrain", "KIbrain"),
        ("mastodon", "ki@mastodon.nu", "ki@mastodon.nu"),
        ("mastodon", "@kinews@mastodon.nu", "kinews@mastodon.nu"),
        ("bluesky", "ki.bsky.social", "ki.bsky.social"),
        ("linkedin", "https://linkedin.com/karolinska-institutet/", "karolinska-institutet"),
        ("youtube", "https://www.youtube.com/@ki-neuro", "ki-neuro"),
    ]
    for platform, handle, _ in given:
        await submit(store, cast, platform=platform, handle=handle)
    stored = [r.handle for r in await load(store, AccountRequest)]
    assert stored == [handle for _, _, handle in given]


async def test_team_must_be_people_besides_the_requester(store: Store, cast: Cast) -> None:
    cases: list[tuple[tuple[int, ...], str]] = [
        ((cast.colleague, cast.colleague), "team_duplicate"),
        ((cast.colleague, cast.requester), "team_includes_requester"),
        ((), "team_too_small"),
        ((cast.colleague, 999_999), "unknown_person"),
    ]
    for team, code in cases:
        assert await refusal(store, cast, team_ids=team) == (code, "team"), team
    assert await count(store, AccountRequest) == 0


async def test_manager_must_be_someone_else_who_exists(store: Store, cast: Cast) -> None:
    refused = await refusal(store, cast, manager_id=cast.requester)
    assert refused == ("requester_as_manager", "manager")
    assert await refusal(store, cast, manager_id=999_999) == ("unknown_person", "manager")
    assert await count(store, AccountRequest) == 0


@pytest.mark.parametrize("scope", ["university_wide", "university_administration"])
async def test_wider_scopes_need_a_director_other_than_the_requester(
    store: Store, cast: Cast, scope: str
) -> None:
    async with store.transaction() as session:
        await make_roles(session, T0, director=set())
    with pytest.raises(Invalid) as refused:
        await submit(store, cast, scope=scope)
    assert (refused.value.code, refused.value.params["field"]) == ("no_director", "scope")

    async with store.transaction() as session:
        await make_roles(session, T0, director={cast.requester})
    with pytest.raises(Invalid) as refused:
        await submit(store, cast, scope=scope)
    assert refused.value.code == "no_director"

    # A unit's own account needs no director.
    await submit(store, cast, scope="unit")
    assert await count(store, AccountRequest) == 1


# --- decide -------------------------------------------------------------------------------


async def test_only_the_approver_decides(store: Store, cast: Cast) -> None:
    request = await submit(store, cast)
    assert request.id is not None
    before = await snapshot(store, request.id)
    for someone in (cast.outsider, cast.colleague, cast.director):
        with pytest.raises(NotAllowed) as refused:
            await decide(store, request.id, someone)
        assert refused.value.code == "not_approver"
    with pytest.raises(NotAllowed) as refused:
        await decide(store, request.id, cast.requester)
    assert refused.value.code == "own_request"
    after = await snapshot(store, request.id)
    assert after[1:] == before[1:]
    assert after[0].status == RequestStatus.PENDING.value


async def test_an_unknown_request_is_refused_as_someone_elses(store: Store, cast: Cast) -> None:
    """Request ids are sequential: "not found" would tell a stranger which exist."""
    with pytest.raises(NotAllowed) as refused:
        await decide(store, 424242, cast.manager)
    assert refused.value.code == "not_approver"


async def test_approval_registers_an_account(store: Store, cast: Cast) -> None:
    request = await submit(store, cast)
    assert request.id is not None
    outcome = await decide(store, request.id, cast.manager, now=LATER)

    assert outcome.request.status == RequestStatus.APPROVED.value
    assert outcome.request.approver_id is None
    assert outcome.account is not None
    assert outcome.request.account_id == outcome.account.id
    [decision] = await load(store, ApprovalDecision)
    assert (decision.request_id, decision.round, decision.stage) == (request.id, 1, "manager")
    assert (decision.decider_id, decision.decision, decision.reason) == (
        cast.manager,
        "approve",
        None,
    )
    assert decision.decided_at == LATER
    [stored] = await load(store, AccountRequest)
    assert (stored.status, stored.account_id, stored.updated_at) == (
        "approved",
        outcome.account.id,
        LATER,
    )
    [event] = await load(store, AuditEvent, AuditEvent.action == "request.decided")
    assert event.actor_id == cast.manager
    assert event.details == {"round": 1, "stage": "manager", "decision": "approve", "reason": None}
    card = f"approval_card:{request.id}:1:manager:{cast.manager}"
    [done] = await load(store, Outbox, Outbox.key == f"{card}:decided")
    assert (done.update_of, done.recipient_id) == (card, cast.manager)
    [told] = await load(store, Outbox, Outbox.kind == "request_decided")
    assert told.recipient_id == cast.requester
    assert told.key == f"request_decided:{request.id}:1:manager"


@pytest.mark.parametrize("decision", [Decision.REJECT, Decision.CHANGES])
async def test_reject_and_changes_need_a_reason(
    store: Store, cast: Cast, decision: Decision
) -> None:
    request = await submit(store, cast)
    assert request.id is not None
    before = await snapshot(store, request.id)
    for reason, code in (
        (None, "reason_required"),
        ("   ", "reason_required"),
        # Invisible characters alone (a zero-width space, a byte-order mark) are no reason.
        ("\u200b \ufeff", "reason_required"),
        ("r" * (rules.REASON_TEXT + 1), "too_long"),
    ):
        with pytest.raises(Invalid) as refused:
            await decide(store, request.id, cast.manager, decision, reason=reason)
        assert (refused.value.code, refused.value.params["field"]) == (code, "reason")
    after = await snapshot(store, request.id)
    assert after[1:] == before[1:]
    assert after[0].status == RequestStatus.PENDING.value


async def test_rejection_ends_the_request_without_an_account(store: Store, cast: Cast) -> None:
    request = await submit(store, cast)
    assert request.id is not None
    outcome = await decide(
        store, request.id, cast.manager, Decision.REJECT, reason="  Use the central account.  "
    )
    assert outcome.account is None
    assert outcome.request.status == RequestStatus.REJECTED.value
    assert outcome.request.last_reason == "Use the central account."
    [decision] = await load(store, ApprovalDecision)
    assert (decision.decision, decision.reason) == ("reject", "Use the central account.")
    assert await count(store, Account) == 0
    async with store.transaction() as session:
        assert await register.accounts(session) == []
        assert await requests.pending_for(session, cast.manager) == []
    assert await count(store, Outbox, Outbox.kind == "welcome") == 0


@pytest.mark.parametrize(
    ("decision", "reason"),
    [(Decision.APPROVE, None), (Decision.REJECT, "No."), (Decision.CHANGES, "Fix it.")],
)
async def test_a_decided_request_has_moved_on(
    store: Store, cast: Cast, decision: Decision, reason: str | None
) -> None:
    request = await submit(store, cast)
    assert request.id is not None
    await decide(store, request.id, cast.manager, decision, reason=reason)
    before = await snapshot(store, request.id)
    for again in Decision:
        with pytest.raises(MovedOn) as refused:
            await decide(
                store, request.id, cast.manager, again, now=LATER, reason="Second thoughts."
            )
        assert refused.value.params["status"] == before[0].status
        # Someone it was never put to learns nothing of it: request ids are sequential.
        with pytest.raises(NotAllowed) as stranger:
            await decide(store, request.id, cast.outsider, again, now=LATER, reason="Hm.")
        assert stranger.value.code == "not_approver"
    after = await snapshot(store, request.id)
    assert after[1:] == before[1:]
    assert after[0].status == before[0].status
    assert after[0].updated_at == T0


async def test_a_stale_card_has_moved_on(store: Store, cast: Cast) -> None:
    request = await submit(store, cast)
    assert request.id is not None
    before = await snapshot(store, request.id)
    with pytest.raises(MovedOn):
        await decide(store, request.id, cast.manager, expect_round=2)
    with pytest.raises(MovedOn):
        await decide(store, request.id, cast.manager, expect_stage="director")
    assert (await snapshot(store, request.id))[1:] == before[1:]
    outcome = await decide(store, request.id, cast.manager, expect_round=1, expect_stage="manager")
    assert outcome.account is not None


@pytest.mark.parametrize("scope", ["university_wide", "university_administration"])
async def test_wider_scopes_need_the_manager_then_the_director(
    store: Store, cast: Cast, scope: str
) -> None:
    request = await submit(store, cast, scope=scope)
    assert request.id is not None
    first = await decide(store, request.id, cast.manager, now=LATER)

    assert first.account is None
    assert first.request.status == RequestStatus.PENDING.value
    assert (first.request.stage, first.request.approver_id) == ("director", cast.director)
    assert first.request.stage_started_at == LATER
    [card] = await load(store, Outbox, Outbox.recipient_id == cast.director)
    assert card.key == f"approval_card:{request.id}:1:director:{cast.director}"
    assert card.params == {"request_id": request.id, "round": 1, "stage": "director"}
    async with store.transaction() as session:
        assert [r.id for r in await requests.pending_for(session, cast.director)] == [request.id]

    # The manager's old card is stale; the manager is no longer the approver.
    with pytest.raises(MovedOn):
        await decide(store, request.id, cast.manager, expect_stage="manager")
    with pytest.raises(NotAllowed):
        await decide(store, request.id, cast.manager)

    final = await decide(store, request.id, cast.director, now=LATER, expect_stage="director")
    assert final.request.status == RequestStatus.APPROVED.value
    assert final.account is not None
    decisions = await load(store, ApprovalDecision)
    assert [(d.stage, d.decider_id) for d in decisions] == [
        ("manager", cast.manager),
        ("director", cast.director),
    ]


async def test_director_can_reject_after_the_manager_approved(store: Store, cast: Cast) -> None:
    request = await submit(store, cast, scope="university_wide")
    assert request.id is not None
    await decide(store, request.id, cast.manager)
    outcome = await decide(store, request.id, cast.director, Decision.REJECT, reason="Overlaps.")
    assert outcome.request.status == RequestStatus.REJECTED.value
    assert outcome.account is None
    assert await count(store, Account) == 0


async def test_no_director_left_when_the_manager_approves(store: Store, cast: Cast) -> None:
    request = await submit(store, cast, scope="university_wide")
    assert request.id is not None
    async with store.transaction() as session:
        await make_roles(session, T0, director=set())
    before = await snapshot(store, request.id)
    with pytest.raises(Invalid) as refused:
        await decide(store, request.id, cast.manager)
    assert refused.value.code == "no_director"
    after = await snapshot(store, request.id)
    assert after[1:] == before[1:]
    assert (after[0].status, after[0].stage, after[0].approver_id) == (
        "pending",
        "manager",
        cast.manager,
    )


async def test_a_manager_who_is_director_approves_once(store: Store, cast: Cast) -> None:
    async with store.transaction() as session:
        await make_roles(session, T0, director={cast.director, cast.manager})
    request = await submit(store, cast, scope="university_wide")
    assert request.id is not None
    outcome = await decide(store, request.id, cast.manager)
    assert outcome.request.status == RequestStatus.APPROVED.value
    assert outcome.account is not None
    assert [d.stage for d in await load(store, ApprovalDecision)] == ["manager"]


async def test_the_director_is_one_reachable_where_the_requester_is(store: Store) -> None:
    async with store.transaction() as session:
        requester = id_of(await make_person(session, T0, "Ola Slack", platform="slack"))
        colleague = id_of(await make_person(session, T0, "Pia Slack", platform="slack"))
        manager = id_of(await make_person(session, T0, "Rut Slack", platform="slack"))
        on_web = id_of(await make_person(session, T0, "Web Director"))
        on_slack = id_of(await make_person(session, T0, "Slack Director", platform="slack"))
        await make_roles(session, T0, director={on_web})
        await make_roles(session, T0, platform="slack", director={on_slack})
        request = await requests.submit(
            session,
            requester_id=requester,
            given=request_input(manager_id=manager, team_ids=(colleague,), scope="university_wide"),
            now=T0,
        )
    assert request.id is not None
    outcome = await decide(store, request.id, manager)
    assert outcome.request.approver_id == on_slack


async def test_changes_then_resubmission_starts_a_new_round(store: Store, cast: Cast) -> None:
    request = await submit(store, cast)
    assert request.id is not None
    asked = await decide(store, request.id, cast.manager, Decision.CHANGES, reason="Name a backup.")
    assert asked.request.status == RequestStatus.CHANGES_REQUESTED.value
    assert asked.request.last_reason == "Name a backup."
    assert asked.account is None

    revised = await submit(
        store,
        cast,
        LATER,
        revise_id=request.id,
        team_ids=(cast.colleague, cast.second_colleague),
        holiday_cover="Cia covers.",
    )
    assert revised.id == request.id
    assert (revised.status, revised.stage, revised.round) == ("pending", "manager", 2)
    assert revised.approver_id == cast.manager
    assert revised.team_ids == [cast.colleague, cast.second_colleague]
    assert revised.holiday_cover == "Cia covers."
    assert revised.stage_started_at == LATER
    assert await count(store, AccountRequest) == 1
    [event] = await load(store, AuditEvent, AuditEvent.action == "request.resubmitted")
    assert event.details["round"] == 2
    [card] = await load(
        store, Outbox, Outbox.key == f"approval_card:{request.id}:2:manager:{cast.manager}"
    )
    assert (card.status, card.recipient_id, card.params["round"]) == ("pending", cast.manager, 2)

    # The first round's card is stale; the second round's is live.
    with pytest.raises(MovedOn):
        await decide(store, request.id, cast.manager, expect_round=1)
    outcome = await decide(store, request.id, cast.manager, now=LATER, expect_round=2)
    assert outcome.account is not None
    assert [(d.round, d.decision) for d in await load(store, ApprovalDecision)] == [
        (1, "changes"),
        (2, "approve"),
    ]


async def test_only_the_requester_resubmits_and_only_after_changes(
    store: Store, cast: Cast
) -> None:
    request = await submit(store, cast)
    assert request.id is not None
    with pytest.raises(MovedOn):  # still pending: nothing to revise
        await submit(store, cast, revise_id=request.id)
    await decide(store, request.id, cast.manager, Decision.CHANGES, reason="More detail.")
    async with store.transaction() as session:
        with pytest.raises(NotAllowed) as refused:
            await requests.submit(
                session,
                requester_id=cast.colleague,
                given=request_input(manager_id=cast.manager, team_ids=(cast.second_colleague,)),
                now=LATER,
                revise_id=request.id,
            )
    assert refused.value.code == "not_requester"
    with pytest.raises(Invalid):
        await submit(store, cast, revise_id=request.id, purpose="")
    [stored] = await load(store, AccountRequest)
    assert (stored.status, stored.round) == ("changes_requested", 1)


# --- hand over ----------------------------------------------------------------------------


async def test_a_decision_handed_back_and_forth_owes_a_new_card_each_time(
    store: Store, cast: Cast
) -> None:
    request = await submit(store, cast)
    assert request.id is not None
    steps = [(cast.manager, cast.outsider), (cast.outsider, cast.manager),
             (cast.manager, cast.outsider)]
    for number, (giver, taker) in enumerate(steps, start=1):
        async with store.transaction() as session:
            await requests.hand_over(
                session, request_id=request.id, actor_id=giver, to_person_id=taker,
                now=LATER + timedelta(minutes=number),
            )
    cards = await load(store, Outbox, Outbox.kind == "approval_card", col(Outbox.update_of).is_(None))
    # The manager's first card, then one per hand-over: back to the manager is a new message.
    assert [c.recipient_id for c in sorted(cards, key=lambda c: c.id or 0)] == [
        cast.manager, cast.outsider, cast.manager, cast.outsider,
    ]
    # Every earlier card is rewritten at every step (so none keeps live buttons by mistake).
    first = f"approval_card:{request.id}:1:manager:{cast.manager}"
    assert len(await load(store, Outbox, Outbox.update_of == first)) == 3
    told = await load(store, Outbox, Outbox.kind == "request_handed")
    assert [t.params["to_person_id"] for t in sorted(told, key=lambda t: t.id or 0)] == [
        cast.outsider, cast.manager, cast.outsider,
    ]
    outcome = await decide(store, request.id, cast.outsider)
    assert outcome.account is not None


async def test_hand_over_moves_the_decision(store: Store, cast: Cast) -> None:
    request = await submit(store, cast)
    assert request.id is not None
    async with store.transaction() as session:
        handed = await requests.hand_over(
            session,
            request_id=request.id,
            actor_id=cast.manager,
            to_person_id=cast.outsider,
            now=LATER,
            expect_round=1,
            expect_stage="manager",
        )
    assert (handed.approver_id, handed.stage, handed.round) == (cast.outsider, "manager", 1)

    [event] = await load(store, AuditEvent, AuditEvent.action == "request.handed_over")
    assert event.actor_id == cast.manager
    assert event.details["to_person_id"] == cast.outsider
    old = f"approval_card:{request.id}:1:manager:{cast.manager}"
    new = f"approval_card:{request.id}:1:manager:{cast.outsider}"
    [retired] = await load(store, Outbox, Outbox.update_of == old)
    assert (retired.key, retired.recipient_id) == (f"{old}:handed", cast.manager)
    [card] = await load(store, Outbox, Outbox.key == new)
    assert (card.recipient_id, card.update_of, card.kind) == (cast.outsider, None, "approval_card")
    [told] = await load(store, Outbox, Outbox.kind == "request_handed")
    assert told.recipient_id == cast.requester
    assert told.params == {"request_id": request.id, "to_person_id": cast.outsider}

    with pytest.raises(NotAllowed) as refused:
        await decide(store, request.id, cast.manager)
    assert refused.value.code == "not_approver"
    outcome = await decide(store, request.id, cast.outsider)
    assert outcome.account is not None
    [decision] = await load(store, ApprovalDecision)
    assert decision.decider_id == cast.outsider


async def test_hand_over_rules(store: Store, cast: Cast) -> None:
    request = await submit(store, cast)
    assert request.id is not None

    async def hand(actor: int, to: int, **expect: Any) -> AccountRequest:
        assert request.id is not None
        async with store.transaction() as session:
            return await requests.hand_over(
                session,
                request_id=request.id,
                actor_id=actor,
                to_person_id=to,
                now=LATER,
                **expect,
            )

    before = await snapshot(store, request.id)
    with pytest.raises(Invalid) as invalid:
        await hand(cast.manager, cast.requester)
    assert (invalid.value.code, invalid.value.params["field"]) == (
        "requester_as_approver",
        "approver",
    )
    with pytest.raises(Invalid) as invalid:
        await hand(cast.manager, cast.manager)
    assert invalid.value.code == "same_approver"
    with pytest.raises(NotAllowed) as refused:
        await hand(cast.colleague, cast.outsider)
    assert refused.value.code == "not_approver"
    with pytest.raises(NotAllowed):
        await hand(cast.requester, cast.outsider)
    with pytest.raises(NotFound):
        await hand(cast.manager, 999_999)
    with pytest.raises(MovedOn):
        await hand(cast.manager, cast.outsider, expect_stage="director")
    assert (await snapshot(store, request.id))[1:] == before[1:]

    await decide(store, request.id, cast.manager, Decision.REJECT, reason="No.")
    with pytest.raises(MovedOn):
        await hand(cast.manager, cast.outsider)


async def test_the_requester_never_approves_their_own_request(store: Store, cast: Cast) -> None:
    # Even as a director at the director stage, or as the person the manager would hand to.
    async with store.transaction() as session:
        await make_roles(session, T0, director={cast.director, cast.requester})
    request = await submit(store, cast, scope="university_wide")
    assert request.id is not None
    outcome = await decide(store, request.id, cast.manager)
    assert outcome.request.approver_id == cast.director
    with pytest.raises(NotAllowed) as refused:
        await decide(store, request.id, cast.requester)
    assert refused.value.code == "own_request"
    async with store.transaction() as session:
        with pytest.raises(Invalid):
            await requests.hand_over(
                session,
                request_id=request.id,
                actor_id=cast.director,
                to_person_id=cast.requester,
                now=LATER,
            )
    assert await count(store, Account) == 0


async def test_every_card_of_the_request_is_rewritten_on_each_decision(
    store: Store, cast: Cast
) -> None:
    request = await submit(store, cast, scope="university_wide")
    assert request.id is not None
    manager_card = f"approval_card:{request.id}:1:manager:{cast.manager}"
    director_card = f"approval_card:{request.id}:1:director:{cast.director}"
    await decide(store, request.id, cast.manager)
    await decide(store, request.id, cast.director)

    updates = await load(store, Outbox, col(Outbox.update_of).is_not(None))
    assert sorted((u.update_of, u.recipient_id) for u in updates) == sorted([
        # The manager's card: once for the manager's own decision, once for the director's.
        (manager_card, cast.manager),
        (manager_card, cast.manager),
        (director_card, cast.director),
    ])
    assert len({u.key for u in updates}) == 3


async def test_an_account_requested_already_is_not_requested_again(
    store: Store, cast: Cast
) -> None:
    """One request per account at a time: while one waits for a decision, another for the
    same handle (whatever its case) is refused, naming who asked and when (its own requester
    is told it waits); sent back for changes, it no longer holds the handle."""

    async def by_filip(**overrides: Any) -> AccountRequest:
        async with store.transaction() as session:
            return await requests.submit(
                session, requester_id=cast.outsider, now=LATER,
                given=request_input(manager_id=cast.manager, team_ids=(cast.colleague,),
                                    **overrides),
            )

    first = await submit(store, cast)
    assert first.id is not None
    for handle in ("ki_neuroscience", "@KI_Neuroscience"):
        with pytest.raises(Invalid) as refused:
            await by_filip(handle=handle)
        assert refused.value.code == "handle_requested"
        assert refused.value.params == {
            "field": "handle", "requester": "Anna Berg", "day": "2027-03-01"
        }
    with pytest.raises(Invalid) as again:
        await submit(store, cast, now=LATER)
    assert (again.value.code, again.value.params) == (
        "handle_requested_by_you", {"field": "handle", "day": "2027-03-01"}
    )
    # Another platform is another account.
    await by_filip(platform="tiktok")
    # Sent back for changes, it holds the handle no more (its requester may never revise it).
    await decide(store, first.id, cast.manager, Decision.CHANGES, reason="More detail.")
    second = await by_filip()
    # Now the second waits: the first's revision is refused, naming who asked.
    with pytest.raises(Invalid, match="handle_requested"):
        await submit(store, cast, now=LATER, revise_id=first.id)
    assert second.id is not None
    await decide(store, second.id, cast.manager, Decision.REJECT, LATER, reason="Not now.")
    assert (await submit(store, cast, now=LATER, revise_id=first.id)).round == 2


async def test_an_account_already_registered_is_not_requested_or_registered_again(
    store: Store, cast: Cast
) -> None:
    """One register entry per account: the same handle on the same platform (whatever its
    case) is refused when requested, and when approved if it was registered meanwhile."""
    first = await submit(store, cast, handle="@KI_Neuroscience")
    # A request from before requests were checked against the waiting ones (or two made at
    # the same moment): for the same account.
    waiting = await submit(store, cast, handle="ki_other")
    assert waiting.id is not None and first.id is not None
    async with store.transaction() as session:
        await session.exec(  # type: ignore[call-overload]
            update(AccountRequest).where(col(AccountRequest.id) == waiting.id)
            .values(handle="ki_neuroscience")
        )
    account = (await decide(store, first.id, cast.manager)).account
    assert account is not None and account.id is not None
    for handle in ("ki_neuroscience", "KI_NEUROSCIENCE", "https://instagram.com/ki_neuroscience/"):
        with pytest.raises(Invalid) as refused:
            await submit(store, cast, handle=handle)
        assert refused.value.code == "handle_registered"
        assert refused.value.params == {"field": "handle", "number": account.number}
    # The request made before it was registered is not approved into a second entry.
    with pytest.raises(Invalid, match="handle_registered"):
        await decide(store, waiting.id, cast.manager, now=LATER)
    [stored] = await load(store, AccountRequest, col(AccountRequest.id) == waiting.id)
    assert stored.status == RequestStatus.PENDING.value and stored.account_id is None
    # Another platform, or another handle, is another account.
    await submit(store, cast, platform="tiktok")
    await submit(store, cast, handle="ki_neuroscience_events")
    # Closed, the account's handle may be registered anew (once the request left waiting is
    # turned down: a waiting one holds the handle too).
    await decide(store, waiting.id, cast.manager, Decision.REJECT, LATER, reason="Registered.")
    async with store.transaction() as session:
        await closure.close_account(
            session, account_id=account.id, actor_id=cast.requester, reason="Done.",
            final_archive_location="The unit's drive", now=LATER,
        )
    again = await submit(store, cast, now=LATER)
    assert again.id is not None
    assert (await decide(store, again.id, cast.manager, now=LATER)).account is not None


async def test_a_requests_cards_are_read_through_the_cards_index(store: Store, cast: Cast) -> None:
    """A decision finds its request's approval cards (and the retention those waiting) by
    seeking them in the partial index that holds the cards alone, not by reading every key of
    an outbox of millions of digests, nor every card ever owed: the index is sought for the
    statement as it is sent (its kind and prefix written into it, not bound)."""
    request = await submit(store, cast)
    assert request.id is not None
    async with store.transaction() as session:
        statement = select(Outbox.key).where(
            *requests.cards_of(dialect_of(session), request.id), col(Outbox.update_of).is_(None)
        )
        assert list(await session.exec(statement)) == [
            f"approval_card:{request.id}:1:manager:{cast.manager}"
        ]
        connection = await session.connection()
        # As it is sent: the values bound but those written into the statement.
        compiled = statement.compile(
            dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
        )
        values = tuple(compiled.params[name] for name in compiled.positiontup or ())
        if connection.dialect.name == "postgresql":
            # As a server plans it once for every value (the plan a prepared statement comes
            # to after a few runs), on a table so small that it would be read whole, whichever
            # indexes there are, were that allowed.
            await connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            await connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
            await connection.exec_driver_sql(f"PREPARE cards AS {compiled}")
            given = f"({', '.join(repr(str(value)) for value in values)})" if values else ""
            plan = (await connection.exec_driver_sql(f"EXPLAIN EXECUTE cards{given}")).all()
            await connection.exec_driver_sql("DEALLOCATE cards")
        else:
            plan = (await connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {compiled}", values
            )).all()
    shown = " ".join(str(row) for row in plan)
    # Sought, not read whole: a range of the index's keys.
    if connection.dialect.name == "postgresql":
        assert "Index Scan using ix_outbox_approval_cards" in shown
        assert f"~<~ 'approval_card:{request.id};'" in shown
    else:
        assert "SEARCH outbox USING INDEX ix_outbox_approval_cards (key>? AND key<?)" in shown
