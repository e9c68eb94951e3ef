"""Account requests: submit, decide, hand over. The rules of approval live here and only here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, literal, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import audit, dashboard, directory, like, outbox, people, rules
from data.access import DEFAULT_ZONE, today
from data.errors import Invalid, MovedOn, NotAllowed, NotFound
from data.models import (
    APPROVAL_CARD,
    Account,
    AccountRequest,
    ApprovalDecision,
    Decision,
    Outbox,
    RequestStatus,
    Role,
    Scope,
    Stage,
)
from data.policy import REROUTE_AFTER_WORKING_DAYS
from data.register import check_handle_open, lock_handle, register_account
from data.rota import WorkingDays
from data.upsert import dialect_of


@dataclass(frozen=True)
class RequestInput:
    platform: str
    handle: str
    unit: str
    scope: str
    purpose: str
    objectives: str
    target_group: str
    benefit: str
    # The responsible persons besides the requester, who is always one of them.
    team_ids: tuple[int, ...]
    manager_id: int
    monitoring: str
    holiday_cover: str
    response_time: str
    acknowledgements: tuple[str, ...]
    # Why the manager named is not the directory's (required then, dropped otherwise).
    manager_reason: str | None = None


@dataclass(frozen=True)
class Outcome:
    request: AccountRequest
    account: Account | None = None


def card_key(request: AccountRequest, approver_id: int | None = None) -> str:
    approver = request.approver_id if approver_id is None else approver_id
    return f"{APPROVAL_CARD}:{request.id}:{request.round}:{request.stage}:{approver}"


def decided_key(request_id: int, round_: int, stage: str) -> str:
    """The outbox key of the message telling a requester of a decision at `stage` of round
    `round_`: after "changes", the card with their *Revise the request* button."""
    return f"request_decided:{request_id}:{round_}:{stage}"


def cards_of(dialect: str, request_id: int) -> tuple[ColumnElement[bool], ...]:
    """Where the outbox holds request `request_id`'s approval cards, of every round, stage and
    approver (card_key) and their rewrites: sought in the index that holds the cards alone
    (ix_outbox_approval_cards), not read from every key of the outbox. Its kind and the
    keys' prefix are written into the statement, not bound: SQLite uses a partial index, and
    PostgreSQL a pattern index, only when the statement itself says what they hold."""
    prefix = f"{APPROVAL_CARD}:{request_id}:"
    key = col(Outbox.key)
    kind = col(Outbox.kind) == literal(APPROVAL_CARD, literal_execute=True)
    if dialect == "postgresql":
        # Sought through the index's text_pattern_ops, whatever the database's collation; its
        # "_" escaped (by LIKE's default escape), or the prefix sought would end before it.
        pattern = f"{like.literal(prefix)}%"
        return kind, key.like(literal(pattern, literal_execute=True))
    # SQLite orders keys byte by byte, so the prefix's keys are a range of its index (its
    # LIKE, which ignores case, could only read them all).
    return kind, key >= prefix, key < prefix[:-1] + chr(ord(prefix[-1]) + 1)


async def get_request(session: AsyncSession, request_id: int) -> AccountRequest:
    request = await session.get(AccountRequest, request_id)
    if request is None:
        raise NotFound("unknown_request")
    return request


async def acted_on(session: AsyncSession, request_id: int) -> AccountRequest:
    """The request a person acts on by the id a card carried: an id no request has is refused
    as someone else's request is (NotAllowed("not_approver")), since ids are sequential and a
    NotFound would tell which exist."""
    request = await session.get(AccountRequest, request_id)
    if request is None:
        raise NotAllowed("not_approver")
    return request


async def decisions(session: AsyncSession, request_id: int) -> list[ApprovalDecision]:
    rows = await session.exec(
        select(ApprovalDecision)
        .where(ApprovalDecision.request_id == request_id)
        .order_by(col(ApprovalDecision.id))
    )
    return list(rows)


async def may_see(session: AsyncSession, request: AccountRequest, person_id: int) -> bool:
    """Whether `person_id` may see the request as its approval card shows it (what it is for,
    who runs it, who decided what and why). Asked wherever a card is shown to a person the
    click, not the request, chose (a Teams card refreshed or clicked: hub.home).

    - the people on it: the requester and the responsible persons named on it;
    - the people it was put to, at any stage and in any round: each round's manager, the
      director, someone it was handed or rerouted to, so too everyone who decided on it and
      the approver it rests with now. Each was sent its approval card when the decision came
      to them (_owe_card, in the same transaction), and those cards are kept as the record of
      what was asked (data.retention), so their recipients are who was asked;
    - each of those as the same human under another identity (people.human_key);
    - whoever the dashboard shows the request's trail to (data.dashboard): the Communications
      Office, which sees the whole register and its audit trail, and the manager and team of
      the account the request became, whose page holds the request's events.

    Nobody else, whatever the id they send: request ids are sequential."""
    assert request.id is not None
    involved = {request.requester_id, *request.team_ids}
    asked = await session.exec(
        select(col(Outbox.recipient_id)).where(*cards_of(dialect_of(session), request.id))
    )
    involved |= {r for r in asked if r is not None}
    if person_id in involved:
        return True
    known = await people.people_by_id(session, {*involved, person_id})
    if person_id not in known:
        return False
    human = people.human_key(known[person_id])
    if any(people.human_key(known[i]) == human for i in involved if i in known):
        return True
    viewer = await dashboard.viewer(session, person_id)
    if viewer.sees_all:
        return True
    account = await session.get(Account, request.account_id) if request.account_id else None
    return account is not None and await dashboard.may_see(session, viewer, account)


async def pending_for(session: AsyncSession, approver_id: int) -> list[AccountRequest]:
    rows = await session.exec(
        select(AccountRequest)
        .where(
            AccountRequest.approver_id == approver_id,
            AccountRequest.status == RequestStatus.PENDING.value,
        )
        .order_by(col(AccountRequest.id))
    )
    return list(rows)


# Why the decision may not rest with a person (approver_refusal's codes), as each way of
# moving it words the refusal.
SUBMIT_REFUSALS = {
    "requester_as_approver": "requester_as_manager",
    "team_member_as_approver": "manager_in_team",
}
DECIDE_REFUSALS = {
    "requester_as_approver": "own_request",
    "team_member_as_approver": "team_member_decides",
    "approver_not_director": "not_director",
}


async def approver_refusal(
    session: AsyncSession,
    *,
    requester_id: int,
    team_ids: Sequence[int],
    person_id: int,
    stage: Stage,
    approver_id: int | None = None,
) -> str | None:
    """Why the decision on a request may not rest with `person_id` at `stage`, or None when
    it may. The one rule every way a decision moves asks: the manager named on submission,
    the director's turn, each decision, a hand-over and the requester's reroute.

    - "requester_as_approver": never the requester, nor the same human under another
      identity (a linked one, or a person with the requester's work e-mail);
    - "team_member_as_approver": never one of the request's responsible persons, so a
      fellow team member cannot become "the manager" (nor decide as director);
    - "same_approver": not the approver the decision rests with now (`approver_id`), when
      it is to move;
    - "approver_not_director": at the director stage, only a holder of the director role.
    """
    known = await people.people_by_id(session, [requester_id, *team_ids, person_id])
    if person_id not in known:
        raise NotFound("unknown_person")
    human = people.human_key(known[person_id])

    def same(other: int) -> bool:
        return other == person_id or (other in known and people.human_key(known[other]) == human)

    if same(requester_id):
        return "requester_as_approver"
    if any(same(member) for member in team_ids):
        return "team_member_as_approver"
    if approver_id is not None and await people.same_human(session, person_id, approver_id):
        return "same_approver"
    if stage is Stage.DIRECTOR and not await people.has_role(
        session, person_id, Role.DIRECTOR.value
    ):
        return "approver_not_director"
    return None


async def check_input(
    session: AsyncSession, requester_id: int, given: RequestInput, *,
    revise_id: int | None = None,
) -> RequestInput:
    """The whole request checked against every rule (as a revision of request `revise_id`,
    if given); returns it normalised."""

    def text(field: str, value: str, maximum: int, minimum: int = 1) -> str:
        try:
            return rules.check_text(value, maximum=maximum, minimum=minimum)
        except Invalid as error:
            raise Invalid(error.code, field=field, **error.params) from None

    if given.platform not in rules.PLATFORMS:
        raise Invalid("unknown_platform", field="platform")
    try:
        handle = rules.check_handle(given.platform, given.handle)
    except Invalid as error:
        raise Invalid(error.code, field="handle", **error.params) from None
    # Submitted twice at the same moment (a new request, or a revision: both make a request
    # wait for the handle), the second is checked once the first is in, and refused.
    await lock_handle(session, given.platform, handle)
    await check_handle_open(
        session, given.platform, handle, requester_id=requester_id, besides=revise_id
    )
    if given.scope not in rules.SCOPES:
        raise Invalid("unknown_scope", field="scope")
    if given.response_time not in rules.RESPONSE_TIMES:
        raise Invalid("unknown_response_time", field="response_time")
    missing = [a for a in rules.ACKNOWLEDGEMENTS if a not in given.acknowledgements]
    if missing:
        raise Invalid("acknowledgements_missing", field="acknowledgements", missing=missing)

    team = tuple(dict.fromkeys(given.team_ids))
    if len(team) != len(given.team_ids):
        raise Invalid("team_duplicate", field="team")
    if requester_id in team:
        raise Invalid("team_includes_requester", field="team")
    if len(team) < 1:
        raise Invalid("team_too_small", field="team")
    known = await people.people_by_id(session, [*team, given.manager_id, requester_id])
    if any(member not in known for member in team):
        raise Invalid("unknown_person", field="team")
    # One person per human: two people with one work e-mail are one responsible person.
    humans = [people.human_key(known[member]) for member in team]
    if len(set(humans)) != len(humans):
        raise Invalid("team_duplicate", field="team")
    if requester_id in known and people.human_key(known[requester_id]) in humans:
        raise Invalid("team_includes_requester", field="team")
    if given.manager_id == requester_id:
        raise Invalid("requester_as_manager", field="manager")
    if given.manager_id not in known:
        raise Invalid("unknown_person", field="manager")
    refusal = await approver_refusal(
        session, requester_id=requester_id, team_ids=team, person_id=given.manager_id,
        stage=Stage.MANAGER,
    )
    if refusal is not None:
        raise Invalid(SUBMIT_REFUSALS[refusal], field="manager")
    if Scope(given.scope).needs_director and not await eligible_directors(
        session, requester_id=requester_id, team_ids=team
    ):
        raise Invalid("no_director", field="scope")
    manager_reason = await directory.checked_manager_reason(
        session, requester_id, given.manager_id, given.manager_reason
    )

    return replace(
        given,
        handle=handle,
        unit=await directory.canonical_unit(session, text("unit", given.unit, rules.SHORT_TEXT)),
        manager_reason=manager_reason,
        purpose=text("purpose", given.purpose, rules.LONG_TEXT, rules.MIN_PURPOSE),
        objectives=text("objectives", given.objectives, rules.LONG_TEXT),
        target_group=text("target_group", given.target_group, rules.LONG_TEXT),
        benefit=text("benefit", given.benefit, rules.LONG_TEXT),
        monitoring=text("monitoring", given.monitoring, rules.LONG_TEXT),
        holiday_cover=text("holiday_cover", given.holiday_cover, rules.LONG_TEXT),
        team_ids=team,
        acknowledgements=tuple(rules.ACKNOWLEDGEMENTS),
    )


async def submit(
    session: AsyncSession,
    *,
    requester_id: int,
    given: RequestInput,
    now: datetime,
    revise_id: int | None = None,
) -> AccountRequest:
    """File a new request, or resubmit one whose approver asked for changes."""
    checked = await check_input(session, requester_id, given, revise_id=revise_id)
    fields: dict[str, Any] = {
        "platform": checked.platform,
        "handle": checked.handle,
        "unit": checked.unit,
        "scope": checked.scope,
        "purpose": checked.purpose,
        "objectives": checked.objectives,
        "target_group": checked.target_group,
        "benefit": checked.benefit,
        "team_ids": list(checked.team_ids),
        "manager_id": checked.manager_id,
        "manager_reason": checked.manager_reason,
        "monitoring": checked.monitoring,
        "holiday_cover": checked.holiday_cover,
        "response_time": checked.response_time,
        "acknowledgements": list(checked.acknowledgements),
    }
    if revise_id is None:
        request = AccountRequest(
            requester_id=requester_id,
            status=RequestStatus.PENDING.value,
            stage=Stage.MANAGER.value,
            approver_id=checked.manager_id,
            created_at=now,
            updated_at=now,
            stage_started_at=now,
            **fields,
        )
        session.add(request)
        await session.flush()
        action = "request.submitted"
    else:
        request = await get_request(session, revise_id)
        if request.requester_id != requester_id:
            raise NotAllowed("not_requester")
        result = await session.exec(
            update(AccountRequest)
            .where(
                col(AccountRequest.id) == revise_id,
                col(AccountRequest.status) == RequestStatus.CHANGES_REQUESTED.value,
                col(AccountRequest.round) == request.round,
            )
            .values(
                status=RequestStatus.PENDING.value,
                stage=Stage.MANAGER.value,
                approver_id=checked.manager_id,
                round=request.round + 1,
                updated_at=now,
                stage_started_at=now,
                **fields,
            )
        )
        if result.rowcount != 1:
            raise MovedOn("request_moved_on", status=request.status)
        await session.refresh(request)
        action = "request.resubmitted"
    assert request.id is not None
    audit.record(
        session,
        now=now,
        actor_id=requester_id,
        action=action,
        subject=f"request:{request.id}",
        round=request.round,
        manager_id=checked.manager_id,
        **({"manager_reason": checked.manager_reason} if checked.manager_reason else {}),
    )
    await _owe_card(session, request, now)
    return request


async def decide(
    session: AsyncSession,
    *,
    request_id: int,
    actor_id: int,
    decision: Decision,
    now: datetime,
    reason: str | None = None,
    expect_round: int | None = None,
    expect_stage: str | None = None,
) -> Outcome:
    """Approve, reject or ask for changes, as the approver of the request's current stage.

    `expect_round` and `expect_stage` are what the clicked card showed: when the request has
    moved on since, nothing changes and MovedOn says so.
    """
    request = await acted_on(session, request_id)
    reason = await _checked_decision(
        session, request, actor_id, decision, reason, expect_round, expect_stage
    )
    assert request.stage is not None, "a pending request is always at a stage"
    stage = Stage(request.stage)
    # Chosen before anything is written, so that "no director" leaves no half decision behind.
    director = None
    if (
        decision is Decision.APPROVE
        and stage is Stage.MANAGER
        and Scope(request.scope).needs_director
        and not await people.has_role(session, actor_id, Role.DIRECTOR.value)
    ):
        director = await _pick_director(session, request)
    decided_card = card_key(request)
    await _take(session, request, actor_id, now)
    session.add(
        ApprovalDecision(
            request_id=request_id,
            round=request.round,
            stage=stage.value,
            decider_id=actor_id,
            decision=decision.value,
            reason=reason,
            decided_at=now,
        )
    )
    audit.record(
        session,
        now=now,
        actor_id=actor_id,
        action="request.decided",
        subject=f"request:{request_id}",
        round=request.round,
        stage=stage.value,
        decision=decision.value,
        reason=reason,
    )

    account: Account | None = None
    if director is not None:
        request.stage = Stage.DIRECTOR.value
        request.approver_id = director
        request.stage_started_at = now
    elif decision is Decision.APPROVE:
        request.status = RequestStatus.APPROVED.value
        request.approver_id = None
    elif decision is Decision.REJECT:
        request.status = RequestStatus.REJECTED.value
        request.last_reason = reason
    else:
        request.status = RequestStatus.CHANGES_REQUESTED.value
        request.last_reason = reason
    request.updated_at = now
    session.add(request)
    await session.flush()

    await _refresh_cards(
        session, request, now, own=decided_card, own_suffix="decided",
        suffix=f"after-{request.round}-{stage.value}-decided",
    )
    await outbox.enqueue(
        session,
        key=decided_key(request_id, request.round, stage.value),
        kind="request_decided",
        now=now,
        recipient_id=request.requester_id,
        params={"request_id": request_id, "round": request.round, "stage": stage.value},
    )
    if director is not None:
        await _owe_card(session, request, now)
    if request.status == RequestStatus.APPROVED.value:
        account = await register_account(session, request, now=now)
    return Outcome(request, account)


async def check_decision(
    session: AsyncSession,
    *,
    request_id: int,
    actor_id: int,
    decision: Decision,
    reason: str | None = None,
    expect_round: int | None = None,
    expect_stage: str | None = None,
) -> AccountRequest:
    """Whether `decide` would take this decision, changing nothing: the same refusals, in
    the same order. What a conversation asks before "Do you really want to reject?", so a
    missing reason is said first."""
    request = await acted_on(session, request_id)
    await _checked_decision(session, request, actor_id, decision, reason, expect_round, expect_stage)
    return request


async def _checked_decision(
    session: AsyncSession,
    request: AccountRequest,
    actor_id: int,
    decision: Decision,
    reason: str | None,
    expect_round: int | None,
    expect_stage: str | None,
) -> str | None:
    """The checks of `decide`; returns the reason as it is kept (None for an approval)."""
    if await people.same_human(session, actor_id, request.requester_id):
        raise NotAllowed("own_request")
    await _refuse_strangers(session, request, actor_id)
    _expect_current(request, expect_round, expect_stage)
    if actor_id != request.approver_id:
        raise NotAllowed("not_approver")
    assert request.stage is not None, "a pending request is always at a stage"
    # The approver was checked when the decision came to them; checked again, since roles
    # and people may have changed since (a director replaced, two people found to be one).
    refusal = await approver_refusal(
        session, requester_id=request.requester_id, team_ids=request.team_ids,
        person_id=actor_id, stage=Stage(request.stage),
    )
    if refusal is not None:
        raise NotAllowed(DECIDE_REFUSALS[refusal])
    if decision is Decision.APPROVE:
        return None
    # Nothing that shows (blank, or invisible characters alone) is no reason.
    if reason is None or not rules.visible_length(reason.strip()):
        raise Invalid("reason_required", field="reason")
    try:
        return rules.check_text(reason, maximum=rules.REASON_TEXT)
    except Invalid as error:
        raise Invalid(error.code, field="reason", **error.params) from None


def never_approvers(request: AccountRequest) -> tuple[int, ...]:
    """Who the decision can never be handed to, whoever hands it: the requester, the
    responsible persons and the approver it rests with now (approver_refusal's first three
    refusals, by person id), so a picker need not offer them."""
    current = (request.approver_id,) if request.approver_id is not None else ()
    return tuple(dict.fromkeys((request.requester_id, *request.team_ids, *current)))


def waiting_since(request: AccountRequest) -> datetime:
    """When the current approver got the request: submission, hand-over or the director's
    turn (nothing else touches a pending request's `updated_at`)."""
    return max(request.updated_at, request.stage_started_at)


def working_days_waited(
    request: AccountRequest, now: datetime, calendar: WorkingDays, zone: ZoneInfo = DEFAULT_ZONE
) -> int:
    """Working days the request has waited for its current approver: those after the day it
    reached them, up to and including today."""
    started, current = today(waiting_since(request), zone), today(now, zone)
    return max(0, calendar.ordinal(current) - calendar.ordinal(started))


def check_reroute(
    request: AccountRequest,
    actor_id: int,
    now: datetime,
    calendar: WorkingDays,
    zone: ZoneInfo = DEFAULT_ZONE,
) -> None:
    """Whether `actor_id` may name another approver as the requester: only the requester,
    only while the request is pending, and only once it has waited REROUTE_AFTER_WORKING_DAYS
    working days at its current stage. NotAllowed("not_approver") for anyone else,
    NotAllowed("reroute_too_early", days=..., after=...) before then, MovedOn when the
    request is no longer pending."""
    if actor_id != request.requester_id:
        raise NotAllowed("not_approver")
    _expect_current(request, None, None)
    waited = working_days_waited(request, now, calendar, zone)
    if waited < REROUTE_AFTER_WORKING_DAYS:
        raise NotAllowed("reroute_too_early", days=waited, after=REROUTE_AFTER_WORKING_DAYS)


async def check_hand_over(session: AsyncSession, request: AccountRequest, actor_id: int) -> None:
    """Whether `actor_id` may hand the decision to someone else as its approver: only the
    approver it rests with, only while the request is pending (the requester's way is
    check_reroute). NotAllowed("not_approver") for anyone else (whether the request moved on
    is told only to whom may see it), MovedOn when the request is no longer pending. Asked
    before a picker is offered too: it names who is on the request."""
    await _refuse_strangers(session, request, actor_id)
    _expect_current(request, None, None)
    if actor_id != request.approver_id:
        raise NotAllowed("not_approver")


def may_reroute(
    request: AccountRequest,
    actor_id: int,
    now: datetime,
    calendar: WorkingDays,
    zone: ZoneInfo = DEFAULT_ZONE,
) -> bool:
    try:
        check_reroute(request, actor_id, now, calendar, zone)
    except (NotAllowed, MovedOn):
        return False
    return True


async def other_directors(session: AsyncSession, request: AccountRequest) -> list[int]:
    """Who else may take a decision waiting at the director stage: the other holders of the
    director role (the Director of Communications and their deputy) the rule allows."""
    return await eligible_directors(
        session, requester_id=request.requester_id, team_ids=request.team_ids,
        besides=request.approver_id,
    )


async def escalate(
    session: AsyncSession,
    *,
    request_id: int,
    actor_id: int,
    now: datetime,
    calendar: WorkingDays,
    zone: ZoneInfo = DEFAULT_ZONE,
    expect_round: int | None = None,
    expect_stage: str | None = None,
) -> bool:
    """The requester's reroute where nobody else may take the decision: a request waiting
    for the director with no other holder of the director role goes to the Communications
    Office (its place and each holder of the comms role are told), never to an arbitrary
    person. The decision stays where it is. Allowed when a reroute is (check_reroute).

    Returns False when the office was already told of this wait. Invalid("name_an_approver")
    when someone may take the decision instead (at the manager stage anyone the rule
    allows; at the director stage another director): the requester names them."""
    request = await acted_on(session, request_id)
    await _refuse_strangers(session, request, actor_id)
    _expect_current(request, expect_round, expect_stage)
    check_reroute(request, actor_id, now, calendar, zone)
    if request.stage != Stage.DIRECTOR.value or await other_directors(session, request):
        raise Invalid("name_an_approver", field="approver")
    assert request.id is not None and request.approver_id is not None
    waited = working_days_waited(request, now, calendar, zone)
    key = f"approval_escalated:{request.id}:{request.round}:{request.stage}:{request.approver_id}"
    params = {"request_id": request.id, "approver_id": request.approver_id, "days": waited}
    told = await outbox.enqueue(
        session, key=f"{key}:comms", kind="approval_escalated", now=now, place="comms",
        params=params,
    )
    if not told:
        return False
    for holder in await people.people_with_role(session, Role.COMMS.value):
        assert holder.id is not None
        if not await people.same_human(session, holder.id, request.requester_id):
            await outbox.enqueue(
                session, key=f"{key}:{holder.id}", kind="approval_escalated", now=now,
                recipient_id=holder.id, params=params,
            )
    audit.record(
        session, now=now, actor_id=actor_id, action="request.escalated",
        subject=f"request:{request.id}", round=request.round, stage=request.stage,
        approver_id=request.approver_id, days=waited,
    )
    return True


async def hand_over(
    session: AsyncSession,
    *,
    request_id: int,
    actor_id: int,
    to_person_id: int,
    now: datetime,
    expect_round: int | None = None,
    expect_stage: str | None = None,
    calendar: WorkingDays | None = None,
    zone: ZoneInfo = DEFAULT_ZONE,
) -> AccountRequest:
    """The current approver hands the decision to another person.

    The requester may too, naming another approver, once the request has waited
    REROUTE_AFTER_WORKING_DAYS working days at its current stage; counting them needs the
    working-day `calendar` (without one the requester is refused as any non-approver is).
    Before that: NotAllowed("reroute_too_early", days=..., after=...).

    Whoever hands it, the person it goes to must pass approver_refusal, each refusal an
    Invalid(code, field="approver"): "requester_as_approver", "team_member_as_approver",
    "same_approver" ("already_the_approver" for the requester) and, at the director stage,
    "approver_not_director". Where no other director may take it, the requester's way out
    is `escalate`.
    """
    request = await acted_on(session, request_id)
    await _refuse_strangers(session, request, actor_id)
    _expect_current(request, expect_round, expect_stage)
    rerouting = actor_id == request.requester_id and actor_id != request.approver_id
    if rerouting:
        if calendar is None:
            raise NotAllowed("not_approver")
        check_reroute(request, actor_id, now, calendar, zone)
    else:
        await check_hand_over(session, request, actor_id)
    await people.get_person(session, to_person_id)
    assert request.approver_id is not None and request.stage is not None
    refusal = await approver_refusal(
        session, requester_id=request.requester_id, team_ids=request.team_ids,
        person_id=to_person_id, stage=Stage(request.stage), approver_id=request.approver_id,
    )
    if refusal == "same_approver" and rerouting:
        refusal = "already_the_approver"
    if refusal is not None:
        raise Invalid(refusal, field="approver")
    old_card = card_key(request)
    # The gate against a concurrent decision or hand-over: the approver as the card showed.
    await _take(session, request, request.approver_id, now)
    previous = request.approver_id
    request.approver_id = to_person_id
    request.updated_at = now
    session.add(request)
    await session.flush()
    audit.record(
        session,
        now=now,
        actor_id=actor_id,
        action="request.rerouted" if rerouting else "request.handed_over",
        subject=f"request:{request_id}",
        round=request.round,
        stage=request.stage,
        to_person_id=to_person_id,
        from_person_id=previous,
    )
    await _refresh_cards(
        session, request, now, own=old_card, own_suffix="handed",
        suffix=f"after-{request.round}-{request.stage}-handed-{to_person_id}",
    )
    if not rerouting:
        await outbox.enqueue(
            session,
            key=await _fresh_key(
                session, f"request_handed:{request_id}:{request.round}:{request.stage}:{to_person_id}"
            ),
            kind="request_handed",
            now=now,
            recipient_id=request.requester_id,
            params={"request_id": request_id, "to_person_id": to_person_id},
        )
    await _owe_card(session, request, now)
    return request


async def _refuse_strangers(session: AsyncSession, request: AccountRequest, actor_id: int) -> None:
    """NotAllowed("not_approver") for whoever may not see the request, before anything says
    whether it moved on: anyone else would learn which requests were decided (request ids
    are sequential)."""
    if actor_id not in (request.approver_id, request.requester_id) and not await may_see(
        session, request, actor_id
    ):
        raise NotAllowed("not_approver")


def _expect_current(
    request: AccountRequest, expect_round: int | None, expect_stage: str | None
) -> None:
    if (
        request.status != RequestStatus.PENDING.value
        or (expect_round is not None and expect_round != request.round)
        or (expect_stage is not None and expect_stage != request.stage)
    ):
        raise MovedOn("request_moved_on", status=request.status)


async def _take(
    session: AsyncSession, request: AccountRequest, actor_id: int, now: datetime
) -> None:
    # The conditional update is the gate for concurrent clicks: of two racing transactions only
    # one matches the row as it was; on PostgreSQL the other waits for it and then matches none.
    result = await session.exec(
        update(AccountRequest)
        .where(
            col(AccountRequest.id) == request.id,
            col(AccountRequest.status) == RequestStatus.PENDING.value,
            col(AccountRequest.round) == request.round,
            col(AccountRequest.stage) == request.stage,
            col(AccountRequest.approver_id) == actor_id,
        )
        .values(updated_at=now)
    )
    if result.rowcount != 1:
        await session.refresh(request)
        raise MovedOn("request_moved_on", status=request.status)
    await session.refresh(request)


async def _refresh_cards(
    session: AsyncSession, request: AccountRequest, now: datetime, *,
    own: str, own_suffix: str, suffix: str,
) -> None:
    """Rewrite every approval card of the request already owed, so that each shows who
    decided what and when: the card acted on (`own`) and those of earlier stages alike."""
    assert request.id is not None
    cards = await session.exec(
        select(Outbox).where(
            *cards_of(dialect_of(session), request.id), col(Outbox.update_of).is_(None)
        )
    )
    for card in list(cards):
        await outbox.enqueue(
            session,
            key=await _fresh_key(session, f"{card.key}:{own_suffix if card.key == own else suffix}"),
            kind=APPROVAL_CARD,
            now=now,
            recipient_id=card.recipient_id,
            params=dict(card.params),
            update_of=card.key,
        )


async def _fresh_key(session: AsyncSession, key: str) -> str:
    """`key`, or `key-2`, `key-3`... when a decision comes back to where it was before (A
    hands it to B, B back to A): each such step owes a new message, not a repeat of a key
    the outbox would take for one already owed. Repeats of one step are stopped before this,
    by the gate every decision and hand-over passes (_take)."""
    candidate, number = key, 1
    while await outbox.by_key(session, candidate) is not None:
        number += 1
        candidate = f"{key}-{number}"
    return candidate


async def _owe_card(session: AsyncSession, request: AccountRequest, now: datetime) -> None:
    assert request.approver_id is not None
    await outbox.enqueue(
        session,
        key=await _fresh_key(session, card_key(request)),
        kind=APPROVAL_CARD,
        now=now,
        recipient_id=request.approver_id,
        params={"request_id": request.id, "round": request.round, "stage": request.stage},
    )


async def eligible_directors(
    session: AsyncSession,
    *,
    requester_id: int,
    team_ids: Sequence[int],
    besides: int | None = None,
) -> list[int]:
    """The holders of the director role who may decide on a request of `requester_id`
    with this team (approver_refusal), other than `besides` (the current approver)."""
    found = []
    for holder in await people.people_with_role(session, Role.DIRECTOR.value):
        assert holder.id is not None
        refusal = await approver_refusal(
            session, requester_id=requester_id, team_ids=team_ids, person_id=holder.id,
            stage=Stage.DIRECTOR, approver_id=besides,
        )
        if refusal is None:
            found.append(holder.id)
    return found


async def _pick_director(session: AsyncSession, request: AccountRequest) -> int:
    """The director who approves: one reachable where the requester is, else the first."""
    candidates = await eligible_directors(
        session, requester_id=request.requester_id, team_ids=request.team_ids
    )
    if not candidates:
        raise Invalid("no_director", field="scope")
    requester = await people.get_person(session, request.requester_id)
    for candidate in candidates:
        if any(
            identity.platform == requester.last_platform
            for identity in await people.identities(session, candidate)
        ):
            return candidate
    return candidates[0]
