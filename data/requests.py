"""Account requests: submit, decide, hand over. The rules of approval live here and only here."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import audit, outbox, people, rules
from data.access import DEFAULT_ZONE, today
from data.errors import Invalid, MovedOn, NotAllowed, NotFound
from data.models import (
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
from data.register import register_account
from data.rota import WorkingDays


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


@dataclass(frozen=True)
class Outcome:
    request: AccountRequest
    account: Account | None = None


def card_key(request: AccountRequest, approver_id: int | None = None) -> str:
    approver = request.approver_id if approver_id is None else approver_id
    return f"approval_card:{request.id}:{request.round}:{request.stage}:{approver}"


async def get_request(session: AsyncSession, request_id: int) -> AccountRequest:
    request = await session.get(AccountRequest, request_id)
    if request is None:
        raise NotFound("unknown_request")
    return request


async def decisions(session: AsyncSession, request_id: int) -> list[ApprovalDecision]:
    rows = await session.exec(
        select(ApprovalDecision)
        .where(ApprovalDecision.request_id == request_id)
        .order_by(col(ApprovalDecision.id))
    )
    return list(rows)


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


async def check_input(
    session: AsyncSession, requester_id: int, given: RequestInput
) -> RequestInput:
    """The whole request checked against every rule; returns it normalised."""

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
    if given.manager_id == requester_id:
        raise Invalid("requester_as_manager", field="manager")
    if given.manager_id not in known:
        raise Invalid("unknown_person", field="manager")
    if Scope(given.scope).needs_director and not await _directors(session, exclude=requester_id):
        raise Invalid("no_director", field="scope")

    return replace(
        given,
        handle=handle,
        unit=text("unit", given.unit, rules.SHORT_TEXT),
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
    checked = await check_input(session, requester_id, given)
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
    request = await get_request(session, request_id)
    if actor_id == request.requester_id:
        raise NotAllowed("own_request")
    _expect_current(request, expect_round, expect_stage)
    if actor_id != request.approver_id:
        raise NotAllowed("not_approver")
    if decision is not Decision.APPROVE:
        if reason is None or not reason.strip():
            raise Invalid("reason_required", field="reason")
        try:
            reason = rules.check_text(reason, maximum=rules.REASON_TEXT)
        except Invalid as error:
            raise Invalid(error.code, field="reason", **error.params) from None
    else:
        reason = None
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
        key=f"request_decided:{request_id}:{request.round}:{stage.value}",
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
    """
    request = await get_request(session, request_id)
    _expect_current(request, expect_round, expect_stage)
    rerouting = actor_id == request.requester_id and actor_id != request.approver_id
    if rerouting:
        if calendar is None:
            raise NotAllowed("not_approver")
        check_reroute(request, actor_id, now, calendar, zone)
    elif actor_id != request.approver_id:
        raise NotAllowed("not_approver")
    await people.get_person(session, to_person_id)
    if to_person_id == request.requester_id:
        raise Invalid("requester_as_approver", field="approver")
    if to_person_id == request.approver_id:
        raise Invalid("already_the_approver" if rerouting else "same_approver", field="approver")
    assert request.approver_id is not None
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
    cards = await session.exec(
        select(Outbox).where(
            col(Outbox.kind) == "approval_card",
            col(Outbox.update_of).is_(None),
            col(Outbox.key).startswith(f"approval_card:{request.id}:"),
        )
    )
    for card in list(cards):
        await outbox.enqueue(
            session,
            key=await _fresh_key(session, f"{card.key}:{own_suffix if card.key == own else suffix}"),
            kind="approval_card",
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
        kind="approval_card",
        now=now,
        recipient_id=request.approver_id,
        params={"request_id": request.id, "round": request.round, "stage": request.stage},
    )


async def _directors(session: AsyncSession, *, exclude: int) -> list[int]:
    holders = await people.people_with_role(session, Role.DIRECTOR.value)
    return [p.id for p in holders if p.id is not None and p.id != exclude]


async def _pick_director(session: AsyncSession, request: AccountRequest) -> int:
    """The director who approves: one reachable where the requester is, else the first."""
    candidates = await _directors(session, exclude=request.requester_id)
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
