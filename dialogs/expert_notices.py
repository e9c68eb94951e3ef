"""What people hear of questions with an expert and of the moderation log (issue 14): the
colleague's card with *Suggest an answer* and *Not me* (`expert_asked`, rewritten in place once
settled), the suggestion to the team (`expert_suggestion`), a *Not me* to whoever asked
(`expert_declined`), criticism shown to the manager (`question_criticism`), the manager's
reminder when a colleague is late (`nudge_expert`) and a removal the manager must hear of at
once (`moderation_alert`). Composed at delivery, from the database as it is then; what people
typed is shown as plain text in fields, never inside a catalogue string's markup."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from data import access, experts, moderation, people, questions
from data.models import AccountStatus, QuestionReferral, ReferralCategory, ReferralStatus
from dialogs import chat_platforms
from dialogs.digest import Composer, Digest, items_of, label_of
from dialogs.i18n import N_, Translator
from dialogs.messages import Actions, Block, Button, Context, Fields, Message, Paragraph
from dialogs.moderation import CATEGORY_LABELS, guidance
from dialogs.naming import names


def _refer_button(tr: Translator, question_id: int) -> Button:
    return Button("question:refer", tr("Ask a colleague"), str(question_id))


async def _question_fields(
    session: AsyncSession, tr: Translator, referral: QuestionReferral
) -> Fields:
    question = await questions.get_question(session, referral.question_id)
    rows = [(tr("Question"), question.text)]
    if question.asked_by:
        rows.append((tr("Asked by"), question.asked_by))
    if referral.note:
        rows.append((tr("Note"), referral.note))
    return Fields(tuple(rows))


async def expert_asked(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    """The colleague's card; live buttons while it waits for them."""
    referral = await experts.get_referral(session, int(params["referral_id"]))
    account = await access.account(session, referral.account_id)
    question = await questions.get_question(session, referral.question_id)
    known = await names(session, [referral.referred_by])
    if referral.category == ReferralCategory.CRITICISM.value:
        text = tr(
            "{name}, who runs {account}, asks for your help with criticism of KI's activities that came in on the account. Please suggest an answer by {due}.",
            name=known.get(referral.referred_by, "?"), account=label_of(account),
            due=tr.when(referral.due_at),
        )
    else:
        text = tr(
            "{name}, who runs {account}, asks for your help with a question in your area that came in on the account. Please suggest an answer by {due}.",
            name=known.get(referral.referred_by, "?"), account=label_of(account),
            due=tr.when(referral.due_at),
        )
    title = tr("Can you help answer a question to {account}?", account=label_of(account))
    blocks: list[Block] = [Paragraph(text), await _question_fields(session, tr, referral)]
    live = (
        referral.status == ReferralStatus.ASKED.value
        and question.answered_at is None
        and account.status == AccountStatus.ACTIVE.value
    )
    if live:
        blocks.append(Context(tr(
            "KI's guidelines ask that such questions are answered with the support of colleagues who have expertise in the area. If it isn't yours, click Not me."
        )))
        value = str(referral.id)
        blocks.append(Actions((
            Button("expert:suggest", tr("Suggest an answer"), value, style="primary"),
            Button("expert:notme", tr("Not me"), value),
        )))
    else:
        when = tr.when(referral.responded_at) if referral.responded_at else ""
        status = {
            ReferralStatus.SUGGESTED.value: tr("You suggested an answer on {when}. Thank you!",
                                               when=when),
            ReferralStatus.DECLINED.value: tr("You said on {when} that it isn't yours.",
                                              when=when),
            ReferralStatus.WITHDRAWN.value: tr(
                "This was withdrawn on {when}: someone else was asked instead.", when=when
            ),
        }.get(referral.status, tr("The question has been answered meanwhile."))
        blocks.append(Context(status))
    return Message(text=text, title=title, blocks=tuple(blocks))


async def expert_unreachable(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    """Whoever asked hears that the colleague's platform refused the card for good (they
    never added kontobot, or blocked it): the question still waits, and they can ask someone
    else. Sent once per card (hub.delivery); the card goes out again if the colleague writes."""
    referral = await experts.get_referral(session, int(params["referral_id"]))
    account = await access.account(session, referral.account_id)
    question = await questions.get_question(session, referral.question_id)
    person = await people.get_person(session, int(params["person_id"]))
    name, platform = person.display_name, chat_platforms.label(tr, person.last_platform)
    text = tr(
        "I could not send the question to {account} to {name}: {platform} refused to deliver it, usually because {name} has not added kontobot there or has blocked it. The question still waits for an answer.",
        account=label_of(account), name=name, platform=platform,
    )
    todo = tr(
        "Ask {name} to open kontobot in {platform} and write hello, and I will send it to them again. Or click Ask a colleague to ask someone else.",
        name=name, platform=platform,
    )
    blocks: list[Block] = [Paragraph(text), Paragraph(todo),
                           Fields(((tr("Question"), question.text),))]
    if question.answered_at is None:
        blocks.append(Actions((_refer_button(tr, referral.question_id),)))
    return Message(text=f"{text} {todo}", title=tr("{name} could not be reached", name=name),
                   blocks=tuple(blocks))


async def expert_suggestion(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    referral = await experts.get_referral(session, int(params["referral_id"]))
    account = await access.account(session, referral.account_id)
    question = await questions.get_question(session, referral.question_id)
    known = await names(session, [referral.expert_id])
    text = tr(
        "{name} suggests an answer to the question to {account}. Answer it on the account, then click Answered.",
        name=known.get(referral.expert_id, "?"), account=label_of(account),
    )
    blocks: list[Block] = [
        Paragraph(text),
        Fields(((tr("Question"), question.text), (tr("Suggested answer"),
                                                  referral.suggestion or ""))),
    ]
    if question.answered_at is None:
        blocks.append(Actions((
            Button("question:answered", tr("Answered"), str(question.id), style="primary"),
        )))
    return Message(text=text, title=tr("A suggested answer"), blocks=tuple(blocks))


async def expert_declined(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    referral = await experts.get_referral(session, int(params["referral_id"]))
    account = await access.account(session, referral.account_id)
    question = await questions.get_question(session, referral.question_id)
    known = await names(session, [referral.expert_id])
    text = tr(
        "{name} says the question to {account} isn't theirs to answer. Ask someone else?",
        name=known.get(referral.expert_id, "?"), account=label_of(account),
    )
    blocks: list[Block] = [Paragraph(text), Fields(((tr("Question"), question.text),))]
    if question.answered_at is None:
        blocks.append(Actions((_refer_button(tr, referral.question_id),)))
    return Message(text=text, blocks=tuple(blocks))


async def question_criticism(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    referral = await experts.get_referral(session, int(params["referral_id"]))
    account = await access.account(session, referral.account_id)
    known = await names(session, [referral.referred_by, referral.expert_id])
    text = tr(
        "Criticism of KI's activities came in on {account}. {name} handles it and has asked {expert} to suggest an answer by {due}. As manager you are shown it; you hear again if no answer is suggested by then.",
        account=label_of(account), name=known.get(referral.referred_by, "?"),
        expert=known.get(referral.expert_id, "?"), due=tr.when(referral.due_at),
    )
    blocks = (Paragraph(text), await _question_fields(session, tr, referral))
    return Message(text=text, title=tr("Criticism on {account}", account=label_of(account)),
                   blocks=blocks)


async def nudge_expert(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    digest = Digest(tr, tr("Questions waiting for a colleague's answer"))
    for item in items_of(params):
        account = await access.account(session, int(item["account_id"]))
        if account.status != AccountStatus.ACTIVE.value:
            continue
        for raw in item.get("referral_ids", []):
            referral = await experts.get_referral(session, int(raw))
            question = await questions.get_question(session, referral.question_id)
            if referral.status != ReferralStatus.ASKED.value or question.answered_at is not None:
                continue
            known = await names(session, [referral.expert_id])
            values = {
                "account": label_of(account), "expert": known.get(referral.expert_id, "?"),
                "due": tr.when(referral.due_at),
            }
            if recipient_id == account.manager_id:
                text = tr(
                    "{expert} was asked to help answer a question to {account} by {due}, the account's promised response time, and has not. As manager, please make sure it is answered.",
                    **values,
                )
            else:
                text = tr(
                    "{expert} has not suggested an answer to the question to {account} by {due}. The manager has been told; you can ask someone else.",
                    **values,
                )
            blocks: list[Block] = [Paragraph(text), Fields(((tr("Question"), question.text),))]
            if await access.is_member(session, account.id or 0, recipient_id or 0):
                blocks.append(Actions((
                    _refer_button(tr, question.id or 0),
                    Button("question:answered", tr("Answered"), str(question.id),
                           style="primary"),
                )))
            digest.add(*blocks)
    return digest.message(N_("The questions have all been answered meanwhile. Thank you!"))


async def moderation_alert(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    entry = await moderation.get_entry(session, int(params["entry_id"]))
    if entry is None:
        text = tr("I can't find that removal.")
        return Message(text=text, blocks=(Paragraph(text),))
    account = await access.account(session, entry.account_id)
    known = await names(session, [entry.removed_by])
    text = tr(
        "{name} removed content from {account} that you as manager must know of at once.",
        name=known.get(entry.removed_by, "?"), account=label_of(account),
    )
    fields = Fields((
        (tr("Kind of content"), tr(CATEGORY_LABELS.get(entry.category, entry.category))),
        (tr("What was removed"), entry.content),
        (tr("Why"), entry.reason),
        (tr("Removed"), tr.when(entry.removed_at)),
        (tr("Evidence saved at"), entry.evidence),
    ))
    return Message(
        text=text,
        title=tr("Removed from {account}", account=label_of(account)),
        blocks=(Paragraph(text), fields, Paragraph(tr(guidance(entry.category)))),
    )


COMPOSERS: dict[str, Composer] = {
    "expert_asked": expert_asked,
    "expert_suggestion": expert_suggestion,
    "expert_declined": expert_declined,
    "question_criticism": question_criticism,
    "nudge_expert": nudge_expert,
    "moderation_alert": moderation_alert,
}
