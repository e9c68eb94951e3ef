"""What the bot tells people who did not ask: composed when the outbox delivers a row.

Composing at delivery time, from the database as it is then, means a late or retried message
shows the current state, and an updated card is simply composed again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from data import experts, people, register, requests, rota, rules
from data.models import (
    Account,
    AccountRequest,
    Decision,
    ReferralStatus,
    RequestStatus,
    Stage,
)
from dialogs import chat_platforms
from dialogs.case_notices import COMPOSERS as CASE_COMPOSERS
from dialogs.expert_notices import COMPOSERS as EXPERT_COMPOSERS
from dialogs.expert_notices import expert_unreachable
from dialogs.i18n import N_, Translator
from dialogs.messages import (
    Actions,
    Block,
    Button,
    Context,
    Fields,
    Message,
    Paragraph,
    TextInput,
)
from dialogs.naming import account_name, names, platform_label
from dialogs.nudge_notices import COMPOSERS as NUDGE_COMPOSERS
from dialogs.open_account import ALL_CONFIRMED, RESPONSE_LABELS, SCOPE_LABELS
from dialogs.team_notices import COMPOSERS as TEAM_COMPOSERS

Composer = Callable[[AsyncSession, Translator, dict[str, Any], int | None], Awaitable[Message]]

# Whole sentences per stage: a stage name inserted into a sentence would not fit every language.
DECISION_NEEDED = {
    Stage.MANAGER.value: N_("Your decision is needed as the immediate manager."),
    Stage.DIRECTOR.value: N_("Your decision is needed as Director of Communications."),
}


async def _names(session: AsyncSession, ids: list[int]) -> dict[int, str]:
    return await names(session, ids)


async def request_fields(
    session: AsyncSession, tr: Translator, request: AccountRequest
) -> tuple[tuple[str, str], ...]:
    names = await _names(session, [request.requester_id, request.manager_id, *request.team_ids])
    team = ", ".join(names.get(i, "?") for i in [request.requester_id, *request.team_ids])
    # Shown only when the manager named is not the directory's (the requester said why).
    reason = (
        ((tr("Why another manager"), request.manager_reason),) if request.manager_reason else ()
    )
    return (
        (tr("Requested by"), names.get(request.requester_id, "?")),
        (tr("Platform"), platform_label(request.platform)),
        (tr("Account name or handle"), request.handle),
        (tr("Organisational unit"), request.unit),
        (tr("Scope"), tr(SCOPE_LABELS.get(request.scope, request.scope))),
        (tr("Purpose"), request.purpose),
        (tr("Objectives"), request.objectives),
        (tr("Target group"), request.target_group),
        (tr("Operational benefit"), request.benefit),
        (tr("Responsible persons"), team),
        (tr("Immediate manager"), names.get(request.manager_id, "?")),
        *reason,
        (tr("Weekday monitoring"), request.monitoring),
        (tr("Cover during holidays"), request.holiday_cover),
        (tr("Answering questions"), tr(RESPONSE_LABELS.get(request.response_time, ""))),
        (tr("Confirmations"), tr(ALL_CONFIRMED)),
    )


def card_value(request: AccountRequest) -> str:
    return f"{request.id}:{request.round}:{request.stage}"


async def approval_card(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    """The request as its approver sees it: live buttons only for the one who decides now."""
    request = await requests.get_request(session, int(params["request_id"]))
    title = tr(
        "Request to open an account: {account}",
        account=account_name(request.platform, request.handle),
    )
    blocks: list[Block] = [Fields(await request_fields(session, tr, request))]
    history = await _history_lines(session, tr, request)
    blocks.extend(Context(line) for line in history)
    live = request.status == RequestStatus.PENDING.value and request.approver_id == recipient_id
    if live:
        value = card_value(request)
        blocks.append(Paragraph(tr(DECISION_NEEDED[request.stage or Stage.MANAGER.value])))
        blocks.append(
            TextInput(
                action="approval:reason",
                label=tr("Reason (needed to reject or ask for changes)"),
                multiline=True,
                max_length=rules.REASON_TEXT,
            )
        )
        blocks.append(
            Actions(
                (
                    Button("approval:approve", tr("Approve"), value, style="primary"),
                    # Asks "Do you want to reject?" itself, once the reason is checked.
                    Button("approval:reject", tr("Reject"), value, style="danger"),
                    Button("approval:changes", tr("Ask for changes"), value),
                    Button("approval:handover", tr("Hand to another approver"), value),
                )
            )
        )
    else:
        blocks.append(Paragraph(await status_line(session, tr, request)))
    text = f"{title}. {history[-1] if history else ''}".strip()
    return Message(text=text, title=title, blocks=tuple(blocks))


async def status_line(session: AsyncSession, tr: Translator, request: AccountRequest) -> str:
    if request.status == RequestStatus.PENDING.value:
        names = await _names(session, [request.approver_id] if request.approver_id else [])
        return tr(
            "Waiting for the decision of {name}.", name=names.get(request.approver_id or 0, "?")
        )
    if request.status == RequestStatus.APPROVED.value:
        account = await register.get_account(session, request.account_id or 0)
        return tr("Approved. Registered as {number}.", number=account.number if account else "?")
    if request.status == RequestStatus.REJECTED.value:
        return tr("Rejected.")
    if request.status == RequestStatus.CHANGES_REQUESTED.value:
        return tr("Changes were asked for; waiting for the requester.")
    return tr("Withdrawn.")


async def _history_lines(
    session: AsyncSession, tr: Translator, request: AccountRequest
) -> list[str]:
    assert request.id is not None
    decided = [d for d in await requests.decisions(session, request.id) if d.round == request.round]
    names = await _names(session, [d.decider_id for d in decided])
    lines = []
    for d in decided:
        params = {
            "name": names.get(d.decider_id, "?"),
            "when": tr.when(d.decided_at),
            "reason": d.reason or "",
        }
        if d.decision == Decision.APPROVE.value:
            lines.append(tr("Approved by {name} on {when}.", **params))
        elif d.decision == Decision.REJECT.value:
            lines.append(tr("Rejected by {name} on {when}. Reason: {reason}", **params))
        else:
            lines.append(tr("Changes asked for by {name} on {when}: {reason}", **params))
    return lines


async def request_decided(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    request = await requests.get_request(session, int(params["request_id"]))
    assert request.id is not None
    decided = await requests.decisions(session, request.id)
    decision = next(
        d for d in decided if d.round == int(params["round"]) and d.stage == params["stage"]
    )
    names = await _names(session, [decision.decider_id])
    account = account_name(request.platform, request.handle)
    who = names.get(decision.decider_id, "?")
    blocks: list[Block] = []
    director_follows = decision.stage == Stage.MANAGER.value and (
        any(d.round == decision.round and d.stage == Stage.DIRECTOR.value for d in decided)
        or (request.round == decision.round and request.stage == Stage.DIRECTOR.value)
    )
    if decision.decision == Decision.APPROVE.value and director_follows:
        text = tr(
            "{name} approved your request for {account}. It now needs the approval of the Director of Communications.",
            name=who,
            account=account,
        )
    elif decision.decision == Decision.APPROVE.value:
        registered = await register.get_account(session, request.account_id or 0)
        text = tr(
            "Your request for {account} is approved. The account is registered as {number}.",
            account=account,
            number=registered.number if registered else "?",
        )
    elif decision.decision == Decision.REJECT.value:
        text = tr(
            "{name} rejected your request for {account}. Reason: {reason}",
            name=who,
            account=account,
            reason=decision.reason or "",
        )
    else:
        text = tr(
            "{name} asked for changes to your request for {account}: {reason}",
            name=who,
            account=account,
            reason=decision.reason or "",
        )
        blocks.append(Paragraph(text))
        blocks.append(
            Actions((Button("revise", tr("Revise the request"), str(request.id), style="primary"),))
        )
    return Message(text=text, blocks=tuple(blocks) or (Paragraph(text),))


async def request_handed(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    request = await requests.get_request(session, int(params["request_id"]))
    names = await _names(session, [int(params["to_person_id"])])
    text = tr(
        "The decision on your request for {account} was handed to {name}.",
        account=account_name(request.platform, request.handle),
        name=names.get(int(params["to_person_id"]), "?"),
    )
    return Message(text=text, blocks=(Paragraph(text),))


async def approval_escalated(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    """To the Communications Office: a request waits for a director and nobody else may take
    it (data.requests.escalate)."""
    request = await requests.get_request(session, int(params["request_id"]))
    approver = int(params["approver_id"])
    names = await _names(session, [request.requester_id, approver])
    title = tr("A request waits for the Director of Communications")
    text = tr(
        "{requester}'s request for {account} has waited {days} working days for {director}, and no other Director of Communications can decide on it. Please see to it that it is decided.",
        requester=names.get(request.requester_id, "?"),
        account=account_name(request.platform, request.handle),
        days=int(params["days"]),
        director=names.get(approver, "?"),
    )
    return Message(
        text=text,
        title=title,
        blocks=(Paragraph(text), Fields(await request_fields(session, tr, request))),
    )


async def _account(session: AsyncSession, params: dict[str, Any]) -> Account:
    account = await register.get_account(session, int(params["account_id"]))
    assert account is not None, params
    return account


async def account_registered(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    account = await _account(session, params)
    assert account.id is not None
    team = await register.team_of(session, account.id)
    names = await _names(session, [*team, account.manager_id])
    title = tr("New social-media account: {number}", number=account.number)
    text = tr(
        "{account} of {unit} has been approved and registered as {number}.",
        account=account_name(account.platform, account.handle),
        unit=account.unit,
        number=account.number,
    )
    return Message(
        text=text,
        title=title,
        blocks=(
            Paragraph(text),
            Fields(
                (
                    (tr("Scope"), tr(SCOPE_LABELS.get(account.scope, account.scope))),
                    (tr("Purpose"), account.purpose),
                    (tr("Responsible persons"), ", ".join(names.get(i, "?") for i in team)),
                    (tr("Immediate manager"), names.get(account.manager_id, "?")),
                    *(
                        ((tr("Why another manager"), account.manager_reason),)
                        if account.manager_reason
                        else ()
                    ),
                    (tr("Registered"), tr.when(account.registered_at)),
                )
            ),
        ),
    )


async def welcome(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    account = await _account(session, params)
    assert account.id is not None
    team = await register.team_of(session, account.id)
    names = await _names(session, team)
    name = account_name(account.platform, account.handle)
    text = tr("Welcome to the team of {account} ({number})!", account=name, number=account.number)
    duties = tr(
        "As a responsible person you share these duties: monitor the account every weekday all year round; answer questions promptly; archive a screenshot of the profile page every six months and before major changes; close the account when it is no longer active."
    )
    # The rota in its order: who is on duty first, and who after (data.rota).
    order = (await rota.rota_of(session, account.id)).order or tuple(team)
    first = names.get(order[0], "?") if order else "?"
    next_steps = tr(
        "{name} is first on duty, then the others in the rota's order. On your day I'll remind you in the morning: check the account, answer what is waiting, then click Monitored today. Away? Type /away so the rota skips you. Type /duty to see the week.",
        name=first,
    )
    return Message(
        text=text,
        title=text,
        blocks=(
            Paragraph(duties),
            Fields(
                (
                    (tr("Responsible persons"), ", ".join(names.get(i, "?") for i in team)),
                    (tr("Rota, first on duty first"),
                     ", ".join(names.get(i, "?") for i in order)),
                )
            ),
            Paragraph(next_steps),
        ),
    )


async def who_hears_of_unreachable(
    session: AsyncSession, kind: str, params: dict[str, Any]
) -> int | None:
    """Who waits on a message of `kind` that its recipient's platform refused for good."""
    if kind == "approval_card" and "request_id" in params:
        request = await requests.get_request(session, int(params["request_id"]))
        if request.status == RequestStatus.PENDING.value:
            return request.requester_id
    if kind == "expert_asked" and "referral_id" in params:
        # The colleague's card: whoever asked them, while the question waits on them.
        referral = await experts.get_referral(session, int(params["referral_id"]))
        if referral.status == ReferralStatus.ASKED.value:
            return referral.referred_by
    return None


async def unreachable(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    """The requester's news that their approver cannot be reached, and what to do about it
    (or, for a colleague's card, the asker's: dialogs.expert_notices)."""
    if params.get("about") == "expert_asked":
        return await expert_unreachable(session, tr, params, recipient_id)
    person = await people.get_person(session, int(params["person_id"]))
    name = person.display_name
    platform = chat_platforms.label(tr, person.last_platform)
    request = await requests.get_request(session, int(params["request_id"]))
    title = tr("{name} could not be reached", name=name)
    text = tr(
        "I could not send your request for {account} to {name}: {platform} refused to deliver it, usually because {name} has not added kontobot there or has blocked it. Your request is kept and waits for their decision.",
        account=account_name(request.platform, request.handle),
        name=name,
        platform=platform,
    )
    todo = tr(
        "Ask {name} to open kontobot in {platform} and write hello. I will then send them the request again.",
        name=name,
        platform=platform,
    )
    return Message(text=f"{text} {todo}", title=title, blocks=(Paragraph(text), Paragraph(todo)))


COMPOSERS: dict[str, Composer] = {
    "approval_card": approval_card,
    "request_decided": request_decided,
    "request_handed": request_handed,
    "approval_escalated": approval_escalated,
    "account_registered": account_registered,
    "welcome": welcome,
    "unreachable": unreachable,
    **NUDGE_COMPOSERS,
    **TEAM_COMPOSERS,
    **EXPERT_COMPOSERS,
    **CASE_COMPOSERS,
}


async def compose(
    session: AsyncSession,
    tr: Translator,
    kind: str,
    params: dict[str, Any],
    recipient_id: int | None,
) -> Message:
    return await COMPOSERS[kind](session, tr, params, recipient_id)
