"""Deciding on requests from chat (journey 2): the approval card's buttons, handing the
decision to another approver (the approver at any time, the requester once the request has
waited long enough: data.requests decides), and revising a request sent back."""

from __future__ import annotations

from data import people, requests, rules
from data.errors import DomainError, MovedOn, NotFound
from data.models import AccountRequest, Decision, RequestStatus, Stage
from dialogs.common import Host, int_value, note, parse_id
from dialogs.engine import Ctx, Progress, Reply
from dialogs.events import Action
from dialogs.messages import Actions, Button, PersonPicker, TextInput
from dialogs.naming import account_name
from dialogs.open_account import NAME as OPEN_ACCOUNT
from dialogs.open_account import REVISE, request_answers


def card_value(value: str) -> tuple[int, int, str]:
    """What the card's buttons carry: `request_id:round:stage`."""
    # Ids and rounds out of the database's range (a forged value) are refused like any
    # other unknown request, never handed to the database.
    parts = value.split(":")
    if len(parts) != 3:
        raise DomainError("unknown_request")
    found, number = parse_id(parts[0]), parse_id(parts[1])
    if found is None or number is None:
        raise DomainError("unknown_request")
    return found, number, parts[2]


async def approval(ctx: Ctx, host: Host, verb: str, action: Action) -> list[Reply]:
    """`approval:approve|reject|changes|handover` on an approval card or reminder, and
    `approval:reject_confirmed` / `approval:keep` on the question Reject asks once its reason
    is given."""
    request_id, round_, stage = card_value(action.value)
    assert ctx.person.id is not None
    if verb == "handover":
        return await _who_instead(ctx, host, request_id, action.value)
    if verb == "keep":
        return await keep(ctx, host, action)
    if verb == "reject":
        return await _really_reject(ctx, request_id, round_, stage, action)
    decision = {
        "approve": Decision.APPROVE,
        "reject_confirmed": Decision.REJECT,
        "changes": Decision.CHANGES,
    }.get(verb)
    if decision is None:
        raise DomainError("unknown_request")
    outcome = await requests.decide(
        ctx.session,
        request_id=request_id,
        actor_id=ctx.person.id,
        decision=decision,
        reason=action.text or None,
        now=ctx.now,
        expect_round=round_,
        expect_stage=stage,
    )
    account = account_name(outcome.request.platform, outcome.request.handle)
    if outcome.account is not None:
        text = ctx.tr(
            "Approved. {account} is registered as {number}; the team and the Communications Office are told.",
            account=account,
            number=outcome.account.number,
        )
    elif decision is Decision.APPROVE:
        text = ctx.tr(
            "Approved. The request for {account} now goes to the Director of Communications.",
            account=account,
        )
    elif decision is Decision.REJECT:
        text = ctx.tr("Rejected. The requester is told, with your reason.")
    else:
        text = ctx.tr("Sent back to the requester with your request for changes.")
    return [note(text)]


async def _really_reject(
    ctx: Ctx, request_id: int, round_: int, stage: str, action: Action
) -> list[Reply]:
    """*Reject*: first everything `decide` would refuse (a missing reason above all), and
    only then "Do you want to reject?", with the reason shown and still open to change."""
    assert ctx.person.id is not None
    request = await requests.check_decision(
        ctx.session,
        request_id=request_id,
        actor_id=ctx.person.id,
        decision=Decision.REJECT,
        reason=action.text or None,
        expect_round=round_,
        expect_stage=stage,
    )
    text = ctx.tr(
        "Do you want to reject the request for {account}? The requester is told, with your reason. This cannot be undone.",
        account=account_name(request.platform, request.handle),
    )
    return [
        note(
            text,
            TextInput(
                action="approval:reason",
                label=ctx.tr("Reason (needed to reject or ask for changes)"),
                value=action.text,
                multiline=True,
                max_length=rules.REASON_TEXT,
            ),
            Actions(
                (
                    Button("approval:reject_confirmed", ctx.tr("Reject"), action.value,
                           style="danger"),
                    Button("approval:keep", ctx.tr("Go back"), action.value),
                )
            ),
            ephemeral=True,
        )
    ]


async def keep(ctx: Ctx, host: Host, action: Action) -> list[Reply]:
    """*Go back* from Reject's question, or *Cancel* under the hand-over's picker: a
    mis-click undone, nothing changed."""
    card_value(action.value)
    text = ctx.tr("Nothing has changed: the request still waits for a decision.")
    return [note(text, ephemeral=True)]


async def _not_offered(ctx: Ctx, request: AccountRequest) -> tuple[str, ...]:
    """The ids on this platform of the people the decision can never go to."""
    found: list[str] = []
    for person_id in requests.never_approvers(request):
        found += [
            i.external_id
            for i in await people.identities(ctx.session, person_id)
            if i.platform == ctx.platform
        ]
    return tuple(found)


async def _who_instead(ctx: Ctx, host: Host, request_id: int, value: str) -> list[Reply]:
    """*Hand to another approver*: the approver picks who decides instead. The requester may
    too, once data.requests allows it (asked here first, so nobody picks in vain)."""
    assert ctx.person.id is not None
    request = await requests.acted_on(ctx.session, request_id)
    if request.requester_id == ctx.person.id:
        requests.check_reroute(
            request, ctx.person.id, ctx.now, host.nudges.calendar, host.nudges.zone
        )
        if request.stage == Stage.DIRECTOR.value and not await requests.other_directors(
            ctx.session, request
        ):
            return await _escalate(ctx, host, request_id, value)
        text = ctx.tr("Who should decide on your request instead?")
        label = ctx.tr("Send the request")
    else:
        # Asked before the picker is offered (`hand_over` asks again): the picker leaves out
        # who is on the request, which a stranger naming its id must not learn.
        await requests.check_hand_over(ctx.session, request, ctx.person.id)
        text = ctx.tr("Who should decide instead of you?")
        label = ctx.tr("Hand over")
    picker = PersonPicker(
        "handover:to",
        value,
        placeholder=ctx.tr("Choose a person"),
        submit_label=label,
        exclude=await _not_offered(ctx, request),
        searched=True,
    )
    cancel = Actions((Button("handover:cancel", ctx.tr("Cancel"), value),))
    return [note(text, picker, cancel, ephemeral=True)]


async def _escalate(ctx: Ctx, host: Host, request_id: int, value: str) -> list[Reply]:
    """Nobody else may decide as director: the Communications Office is asked to see to it."""
    assert ctx.person.id is not None
    _, round_, stage = card_value(value)
    told = await requests.escalate(
        ctx.session,
        request_id=request_id,
        actor_id=ctx.person.id,
        now=ctx.now,
        calendar=host.nudges.calendar,
        zone=host.nudges.zone,
        expect_round=round_,
        expect_stage=stage,
    )
    if told:
        text = ctx.tr(
            "No other Director of Communications can decide on your request, so I have asked the Communications Office to see to it."
        )
    else:
        text = ctx.tr(
            "The Communications Office has already been asked to see to your request."
        )
    return [note(text, ephemeral=True)]


async def hand_over(ctx: Ctx, host: Host, action: Action) -> list[Reply]:
    """`handover:to`: the person picked decides instead."""
    request_id, round_, stage = card_value(action.value)
    assert ctx.person.id is not None
    if not action.selected:
        raise DomainError("empty")
    resolved = await ctx.resolve_people(ctx.session, action.selected[:1])
    target = resolved[0]
    if target is None or target.id is None:
        raise DomainError("unknown_person", name=action.selected[0])
    request = await requests.hand_over(
        ctx.session,
        request_id=request_id,
        actor_id=ctx.person.id,
        to_person_id=target.id,
        now=ctx.now,
        expect_round=round_,
        expect_stage=stage,
        calendar=host.nudges.calendar,
        zone=host.nudges.zone,
    )
    if request.requester_id == ctx.person.id:
        text = ctx.tr(
            "Your request for {account} now goes to {name}, who has been sent it.",
            account=account_name(request.platform, request.handle),
            name=target.display_name,
        )
    else:
        text = ctx.tr(
            "Handed over to {name}. They have been sent the request.", name=target.display_name
        )
    return [note(text)]


async def revise(ctx: Ctx, host: Host, action: Action) -> list[Reply]:
    """*Revise the request*: the open-account dialog again, at its summary, with the answers
    sent back. The same revision in progress (a second click) is taken up where it is, its
    changes kept; another conversation in progress is refused as starting any dialog over
    it is, its answers kept."""
    request_id = int_value(action.value, "unknown_request")
    try:
        request = await requests.get_request(ctx.session, request_id)
    except NotFound:
        # As someone else's request is refused: ids are sequential.
        raise DomainError("not_requester") from None
    if request.requester_id != ctx.person.id:
        raise DomainError("not_requester")
    if request.status != RequestStatus.CHANGES_REQUESTED.value:
        raise MovedOn("request_moved_on")

    async def act(progress: Progress | None) -> tuple[Progress | None, list[Reply]]:
        if progress is not None:
            same = progress.dialog == OPEN_ACCOUNT and progress.data.get(REVISE) == request.id
            if same:
                return progress, await host.engine.resume(ctx, progress)
            return progress, await host.engine.busy(ctx, progress)
        fresh = host.engine.start(OPEN_ACCOUNT, request_answers(request))
        notice = ctx.tr("Change what is needed, then submit the request again.")
        return fresh, await host.engine.prompt(ctx, fresh, notice)

    return await host.dialog_turn(ctx, act)
