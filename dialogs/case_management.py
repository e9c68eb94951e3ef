"""Case management in chat: *Needs case management* and *Research value* on a logged question
mark it (data.casework decides who may, and tells the Registry Office); *Record the number*
on the team's reminder records the registry number (diarienummer)."""

from __future__ import annotations

from data import access, casework
from data.models import MarkKind
from dialogs.common import Host, int_value, note
from dialogs.engine import Ctx, Reply
from dialogs.events import Action
from dialogs.i18n import Translator
from dialogs.messages import Actions, Button, Message, Paragraph, TextInput
from dialogs.naming import account_name


def number_input(tr: Translator) -> TextInput:
    """The field *Record the number* reads the registry number from (a message has one text
    field at most: every platform sends it with whichever button is clicked)."""
    return TextInput(
        action="case:number_text",
        label=tr("Registry number (diarienummer): write it, then click Record the number"),
        max_length=casework.REGISTRY_NUMBER_TEXT,
    )


def number_button(tr: Translator, mark_id: int) -> Button:
    return Button("case:number", tr("Record the number"), str(mark_id), style="primary")


def mark_buttons(tr: Translator, question_id: int) -> tuple[Button, Button]:
    value = str(question_id)
    return (
        Button("case:mark", tr("Needs case management"), value),
        Button("case:research", tr("Research value"), value),
    )


async def _mark(ctx: Ctx, action: Action, kind: str) -> list[Reply]:
    assert ctx.person.id is not None
    question_id = int_value(action.value, "unknown_question")
    question = await casework.question_of(ctx.session, question_id)
    mark = await casework.mark(
        ctx.session, account_id=question.account_id, actor_id=ctx.person.id, kind=kind,
        question_id=question_id, now=ctx.now,
    )
    account = await access.account(ctx.session, mark.account_id)
    return [note(marked_question(ctx, kind, account_name(account.platform, account.handle)))]


def marked_question(ctx: Ctx, kind: str, name: str) -> str:
    """What a mark on a question means (its buttons and /casework say the same)."""
    if kind == MarkKind.CASE_MANAGEMENT.value:
        return ctx.tr(
            "The question to {account} is marked as needing case management. The Registry Office has been told; the team is reminded until its registry number (diarienummer) is recorded. It may not be purged.",
            account=name,
        )
    return ctx.tr(
        "The question to {account} is marked as having research value. It may not be purged.",
        account=name,
    )


async def mark(ctx: Ctx, host: Host, action: Action) -> list[Reply]:
    """*Needs case management* (`case:mark`, value the question id)."""
    return await _mark(ctx, action, MarkKind.CASE_MANAGEMENT.value)


async def research(ctx: Ctx, host: Host, action: Action) -> list[Reply]:
    """*Research value* (`case:research`, value the question id)."""
    return await _mark(ctx, action, MarkKind.RESEARCH_VALUE.value)


async def number(ctx: Ctx, host: Host, action: Action) -> list[Reply]:
    """*Record the number* (`case:number`, value the mark id, the number typed in the
    message's text field): asks for it when nothing was typed."""
    assert ctx.person.id is not None
    mark_id = int_value(action.value, "unknown_mark")
    if not action.text.strip():
        text = ctx.tr("Write the registry number (diarienummer) first, then click Record the number.")
        return [Reply(Message(text=text, title=ctx.tr("Registry number"), blocks=(
            Paragraph(text), number_input(ctx.tr), Actions((number_button(ctx.tr, mark_id),)),
        )))]
    mark = await casework.record_registry_number(
        ctx.session, mark_id=mark_id, actor_id=ctx.person.id, registry_number=action.text,
        now=ctx.now,
    )
    account = await access.account(ctx.session, mark.account_id)
    text = ctx.tr(
        "Thanks! The registry number {number} is recorded for the content of {account} marked for case management. The reminders stop.",
        number=mark.registry_number or "",
        account=account_name(account.platform, account.handle),
    )
    return [note(text)]
