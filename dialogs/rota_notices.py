"""The rota's nudges and notices: the morning reminder, "not marked by two", the day handed
to a substitute, nobody on duty, and the rota changed (journey 4)."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from data import access, questions, rota
from data.models import AccountStatus
from dialogs.digest import Digest, day_of, is_member, items_of, label_of, open_accounts
from dialogs.duty import check_in_buttons, holiday_duty_note, rotation_text
from dialogs.i18n import N_, Translator
from dialogs.messages import Actions, Block, Button, Context, Fields, Message, Paragraph
from dialogs.naming import names

# The oldest open questions the morning reminder shows with their buttons (the rest wait for
# the question reminders): the person on duty can answer or hand on one that came in on the
# webhook before any reminder of it.
MORNING_QUESTIONS = 3


async def _open_questions(
    session: AsyncSession, tr: Translator, account_id: int
) -> list[Block]:
    blocks: list[Block] = []
    for question in (await questions.open_questions(session, [account_id]))[:MORNING_QUESTIONS]:
        value = str(question.id)
        blocks.append(Fields(((tr.when(question.received_at), question.text),)))
        blocks.append(Actions((
            Button("question:answered", tr("Answered"), value, style="primary"),
            Button("question:refer", tr("Ask a colleague"), value),
        )))
    return blocks


async def nudge_rota(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    items = items_of(params)
    day = day_of(params)
    accounts = await open_accounts(session, items)
    digest = Digest(tr, tr("Monitoring today"))
    for item in items:
        account = accounts.get(int(item["account_id"]))
        if account is None or account.id is None:
            continue
        if item["why"] == "nobody_available":
            away = await names(session, [int(p) for p in item.get("away", [])])
            blocks: list[Block] = [
                Paragraph(
                    tr(
                        "Nobody in the team of {account} is available to monitor it today. As manager you are responsible for arranging cover.",
                        account=label_of(account),
                    )
                )
            ]
            if away:
                blocks.append(
                    Context(tr("Away or unable today: {names}", names=", ".join(away.values())))
                )
            blocks.append(Actions((Button("cmd:duty", tr("Who is on duty")),)))
            digest.add(*blocks)
            continue
        blocks = [
            Paragraph(
                tr(
                    "You are on duty for {account} today: look at the account, answer what is waiting, and mark it as monitored.",
                    account=label_of(account),
                )
            )
        ]
        if item.get("holiday"):
            blocks.append(Context(holiday_duty_note(tr, day, str(item["holiday"]))))
        waiting = int(item.get("open_questions") or 0)
        if waiting:
            blocks.append(Context(tr("Open questions: {count}", count=waiting)))
            blocks.extend(await _open_questions(session, tr, account.id))
        if item.get("archive_overdue"):
            blocks.append(
                Context(tr("Archiving overdue since {due}", due=item.get("archive_due") or "?"))
            )
        elif item.get("archive_due"):
            blocks.append(Context(tr("Archiving due on {due}", due=item["archive_due"])))
        blocks.append(check_in_buttons(tr, account.id, day))
        digest.add(*blocks)
    return digest.message(N_("Nothing is waiting for you today any more."))


async def nudge_rota_unmarked(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    items = items_of(params)
    day = day_of(params)
    accounts = await open_accounts(session, items)
    on_duty = await names(session, [int(i["on_duty"]) for i in items if i.get("on_duty")])
    digest = Digest(tr, tr("Not marked as monitored yet"))
    for item in items:
        account = accounts.get(int(item["account_id"]))
        if account is None or account.id is None:
            continue
        name = on_duty.get(int(item.get("on_duty") or 0), "?")
        if await is_member(session, account.id, recipient_id):
            digest.add(
                Paragraph(
                    tr(
                        "Nobody has marked {account} as monitored today, and {name} is on duty. If you can, look at the account and mark it.",
                        account=label_of(account),
                        name=name,
                    )
                ),
                Actions(
                    (
                        Button(
                            "duty:monitored",
                            tr("Monitored today"),
                            f"{account.id}:{day.isoformat()}",
                            style="primary",
                        ),
                    )
                ),
            )
        else:
            digest.add(
                Paragraph(
                    tr(
                        "Nobody has marked {account} as monitored today. {name} is on duty and nobody else in the team is available. As manager you are responsible for cover.",
                        account=label_of(account),
                        name=name,
                    )
                ),
                Actions((Button("cmd:duty", tr("Who is on duty")),)),
            )
    return digest.message(N_("The accounts have been marked as monitored meanwhile."))


async def duty_handed(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    account = await access.account(session, int(params["account_id"]))
    assert account.id is not None
    who = await names(session, [int(params["from_person_id"])])
    if params.get("why") == "left_team":
        # data.team.remove_member: the person on duty left the team during the day.
        text = tr(
            "{name} has left the team of {account}, so you are on duty for it today instead.",
            name=who.get(int(params["from_person_id"]), "?"),
            account=label_of(account),
        )
    else:
        text = tr(
            "{name} can't monitor {account} today, so you are on duty for it instead.",
            name=who.get(int(params["from_person_id"]), "?"),
            account=label_of(account),
        )
    if account.status != AccountStatus.ACTIVE.value:
        return Message(text=text, blocks=(Paragraph(text),))
    return Message(
        text=text,
        title=tr("You are on duty today"),
        blocks=(Paragraph(text), check_in_buttons(tr, account.id, day_of(params))),
    )


async def nobody_on_duty(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    account = await access.account(session, int(params["account_id"]))
    text = tr(
        "Nobody in the team of {account} can monitor it today ({day}). As manager you are responsible for arranging cover.",
        account=label_of(account),
        day=day_of(params).isoformat(),
    )
    return Message(
        text=text,
        title=tr("Nobody on duty today"),
        blocks=(Paragraph(text), Actions((Button("cmd:duty", tr("Who is on duty")),))),
    )


async def rota_changed(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    account = await access.account(session, int(params["account_id"]))
    assert account.id is not None
    setting = await rota.rota_of(session, account.id)
    known = await names(session, [*setting.order, int(params["by"])])
    text = tr(
        "{name} changed the monitoring rota of {account}.",
        name=known.get(int(params["by"]), "?"),
        account=label_of(account),
    )
    order = ", ".join(known.get(p, "?") for p in setting.order)
    return Message(
        text=text,
        title=tr("The rota has changed"),
        blocks=(
            Paragraph(text),
            Fields(((tr("Order of the rota"), order),)),
            # Notices owed before the setting was passed: holiday duty is the default.
            Context(rotation_text(tr, setting.rotation, bool(params.get("holiday_duty", True)))),
            Actions((Button("cmd:duty", tr("Who is on duty")),)),
        ),
    )
