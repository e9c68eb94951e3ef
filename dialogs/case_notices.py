"""The notices of case management (data.casework): the Registry Office is asked to register a
question or a post an account's team marked as needing case management."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from data import access, casework
from data.models import CaseMark, Question
from dialogs.case_management import number_button, number_input
from dialogs.digest import Digest, items_of, label_of, name_of, open_accounts
from dialogs.i18n import N_, Translator
from dialogs.messages import Actions, Block, Context, Fields, Message, Paragraph
from dialogs.naming import names

# A question is quoted up to this many characters in the notice.
QUOTE = 300


async def case_registration_needed(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    account = await access.account(session, int(params["account_id"]))
    mark = await casework.get_mark(session, int(params["mark_id"]))
    title = tr("To register: content of {number}", number=account.number)
    if mark.question_id is not None:
        question = await session.get(Question, mark.question_id)
        what = question.text if question is not None else "?"
        if len(what) > QUOTE:
            what = what[: QUOTE - 1] + "…"
        text = tr(
            "The team of {account} ({number}) of {unit} has marked a question from the public as needing case management. Please register it and give the team its registry number (diarienummer).",
            account=name_of(account), number=account.number, unit=account.unit,
        )
    else:
        what = mark.post or "?"
        text = tr(
            "The team of {account} ({number}) of {unit} has marked a post as needing case management. Please register it and give the team its registry number (diarienummer).",
            account=name_of(account), number=account.number, unit=account.unit,
        )
    who = await names(session, [mark.marked_by])
    rows = [
        (tr("What"), what),
        (tr("Marked by"), who.get(mark.marked_by, "?")),
        (tr("Marked"), tr.when(mark.marked_at)),
    ]
    if mark.note:
        rows.append((tr("Note"), mark.note))
    if mark.registry_number:
        rows.append((tr("Registry number"), mark.registry_number))
    return Message(text=text, title=title, blocks=(Paragraph(text), Fields(tuple(rows))))


async def nudge_case(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    """The team's reminder: content marked for case management still has no registry number.
    Marks registered by the time it is delivered are left out."""
    items = items_of(params)
    accounts = await open_accounts(session, items)
    digest = Digest(tr, tr("Case management: registry numbers missing"))
    for item in items:
        account = accounts.get(int(item["account_id"]))
        if account is None or account.id is None:
            continue
        waiting = [
            mark for mark in [await casework.get_mark(session, int(i))
                              for i in item.get("mark_ids", [])]
            if mark.registry_number is None
        ]
        if not waiting:
            continue
        blocks: list[Block] = [
            Paragraph(tr(
                "{account}: {count} marked for case management still without a registry number (diarienummer). Ask the Registry Office, then record the number.",
                account=label_of(account), count=len(waiting),
            )),
            Context(tr("Waiting since {day}", day=waiting[0].marked_at.astimezone(
                tr.timezone).date().isoformat())),
        ]
        for mark in waiting:
            assert mark.id is not None
            blocks.append(Context(await _what(session, mark)))
            blocks.append(Actions((number_button(tr, mark.id),)))
        digest.add(*blocks)
    message = digest.message(N_("Everything marked for case management has been registered."))
    first = next((i for i, b in enumerate(message.blocks) if isinstance(b, Actions)), None)
    if first is None:
        return message
    # One text field per message, above the first *Record the number*.
    blocks = list(message.blocks)
    blocks.insert(first, number_input(tr))
    return Message(text=message.text, title=message.title, blocks=tuple(blocks))


async def _what(session: AsyncSession, mark: CaseMark) -> str:
    """The marked question (quoted, shortened) or post."""
    if mark.question_id is None:
        return mark.post or "?"
    question = await session.get(Question, mark.question_id)
    what = question.text if question is not None else "?"
    return what if len(what) <= QUOTE else what[: QUOTE - 1] + "…"


COMPOSERS = {"case_registration_needed": case_registration_needed, "nudge_case": nudge_case}
