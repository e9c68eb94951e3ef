"""What people hear when an account's people change (issue 11): the team and the
Communications Office (`team_changed`), the new manager's card with *Accept* and *Decline*
(`manager_handover`, updated in place once decided), and a declined hand-over
(`manager_declined`). Composed at delivery, from the database as it is then."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from data import access, register, team
from data.models import Account, AccountStatus, HandoverStatus
from dialogs.digest import label_of
from dialogs.i18n import Translator
from dialogs.messages import Actions, Block, Button, Confirm, Context, Fields, Message, Paragraph
from dialogs.naming import account_name, names


async def _people(
    session: AsyncSession, tr: Translator, account: Account, known: dict[int, str]
) -> Fields:
    """The account's people now (the change may have been followed by others)."""
    assert account.id is not None
    order = await register.team_of(session, account.id)
    known = {**known, **await names(session, [*order, account.manager_id])}
    return Fields(
        (
            (tr("Responsible persons (in rota order)"), ", ".join(known.get(p, "?") for p in order)),
            (tr("Immediate manager"), known.get(account.manager_id, "?")),
            (tr("Organisational unit"), account.unit),
        )
    )


async def team_changed(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    account = await access.account(session, int(params["account_id"]))
    change = str(params["change"])
    person_id = int(params.get("person_id") or 0)
    by = int(params.get("by") or 0)
    old = int(params.get("old_manager_id") or 0)
    known = await names(session, [person_id, by, old])
    values = {
        "account": label_of(account),
        "name": known.get(person_id, "?"),
        "by": known.get(by, "?"),
    }
    if change == "added":
        text = tr("{by} added {name} to the team of {account}, last in the rota.", **values)
    elif change == "removed" and recipient_id == person_id:
        text = tr(
            "{by} took you off the team of {account}. You are no longer on its rota.", **values
        )
    elif change == "removed" and by == person_id:
        text = tr("{name} has left the team of {account} and its rota.", **values)
    elif change == "removed":
        text = tr("{by} took {name} off the team of {account} and its rota.", **values)
    elif change == "manager":
        text = tr(
            "{name} is now the immediate manager of {account}, taking over from {old}.",
            old=known.get(old, "?"),
            **values,
        )
    else:
        text = tr(
            "{by} corrected the organisational unit of {account} from {before} to {after}.",
            before=str(params.get("before", "")),
            after=str(params.get("after", "")),
            **values,
        )
    title = tr("The people of {account} have changed", account=label_of(account))
    blocks: list[Block] = [Paragraph(text)]
    if account.status == AccountStatus.ACTIVE.value:
        blocks.append(await _people(session, tr, account, known))
        if recipient_id is not None:
            blocks.append(Actions((Button("cmd:duty", tr("Who is on duty")),)))
    return Message(text=text, title=title, blocks=tuple(blocks))


async def manager_handover(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    """The card asking the person named to accept the account; live buttons while it waits."""
    handover = await team.get_handover(session, int(params["handover_id"]))
    account = await access.account(session, handover.account_id)
    known = await names(session, [handover.proposed_by, handover.from_manager_id])
    name = account_name(account.platform, account.handle)
    title = tr("Will you be the manager of {account}?", account=label_of(account))
    text = tr(
        "{by} asks you to take over as the immediate manager of {account} ({number}) from {manager}.",
        by=known.get(handover.proposed_by, "?"),
        account=name,
        number=account.number,
        manager=known.get(handover.from_manager_id, "?"),
    )
    duties = tr(
        "The immediate manager answers for the account: approves its changes, is told when nobody in the team can monitor it and must then arrange cover, and hears of overdue questions and archiving."
    )
    blocks: list[Block] = [Paragraph(text), Paragraph(duties), await _people(session, tr, account, known)]
    live = (
        handover.status == HandoverStatus.PENDING.value
        and account.status == AccountStatus.ACTIVE.value
    )
    if live:
        value = str(handover.id)
        blocks.append(
            Actions(
                (
                    Button("manager:accept", tr("Accept"), value, style="primary"),
                    Button(
                        "manager:decline",
                        tr("Decline"),
                        value,
                        style="danger",
                        confirm=Confirm(
                            title=tr("Decline?"),
                            text=tr("The account keeps its manager, and whoever asked is told."),
                            yes=tr("Decline"),
                            no=tr("Go back"),
                        ),
                    ),
                )
            )
        )
    else:
        when = tr.when(handover.decided_at) if handover.decided_at else ""
        status = {
            HandoverStatus.ACCEPTED.value: tr("You accepted on {when}.", when=when),
            HandoverStatus.DECLINED.value: tr("You declined on {when}.", when=when),
            HandoverStatus.WITHDRAWN.value: tr(
                "This was withdrawn on {when}: someone else was asked instead.", when=when
            ),
        }.get(handover.status, tr("The account is closed."))
        blocks.append(Context(status))
    return Message(text=text, title=title, blocks=tuple(blocks))


async def manager_declined(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    handover = await team.get_handover(session, int(params["handover_id"]))
    account = await access.account(session, handover.account_id)
    known = await names(session, [handover.to_person_id, account.manager_id])
    text = tr(
        "{name} declined to become the immediate manager of {account}. {manager} stays the manager; type /team to ask someone else.",
        name=known.get(handover.to_person_id, "?"),
        account=label_of(account),
        manager=known.get(account.manager_id, "?"),
    )
    return Message(text=text, blocks=(Paragraph(text),))


COMPOSERS = {
    "team_changed": team_changed,
    "manager_handover": manager_handover,
    "manager_declined": manager_declined,
}
