"""Questions from the public in chat: `/question` logs one (journey 5), *Answered* closes it."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

from data import access, questions
from data.errors import DomainError, MovedOn
from data.models import Account
from data.questions import QUESTION_TEXT
from data.register import NUMBER
from data.rules import check_text
from dialogs.case_management import mark_buttons
from dialogs.common import (
    AccountStep,
    Host,
    int_value,
    note,
    pick,
    start_on_account,
    team_accounts,
)
from dialogs.engine import (
    FORM_ANSWERED,
    SUMMARY,
    Ctx,
    Dialog,
    Progress,
    Reply,
    TextStep,
)
from dialogs.events import Action
from dialogs.explain import explain
from dialogs.i18n import N_
from dialogs.messages import Actions, Button, Context
from dialogs.naming import account_name, names
from dialogs.open_account import RESPONSE_LABELS

NAME = "log_question"


class LogQuestion(Dialog):
    name = NAME
    title = N_("Log a question")
    summary_text = N_("Here is the question to log. Log it, edit a field, or cancel.")
    summary_help = N_(
        "Check the question. Log the question saves it, and the person on duty is reminded until someone marks it answered; Edit a field changes one answer; Cancel throws it away."
    )
    submit_label = N_("Log the question")
    use_buttons = N_("Please use the buttons: Log the question, Edit a field or Cancel.")
    cancel_title = N_("Cancel logging the question?")
    cancel_text = N_("Nothing will be saved.")

    def __init__(self) -> None:
        self.steps = [
            AccountStep(
                "account",
                N_("Account"),
                N_("Which account was the question asked on?"),
                N_("Pick the account the question or comment came in on."),
            ),
            TextStep(
                "text",
                N_("Question"),
                N_("What was asked? Paste or type the question or comment."),
                N_(
                    "Write the question as it was asked, so that whoever answers it knows what it is about. Questions from the public must be answered promptly."
                ),
                maximum=QUESTION_TEXT,
            ),
        ]

    async def submit(self, ctx: Ctx, progress: Progress) -> list[Reply]:
        assert ctx.person.id is not None
        account_id = int(progress.data["account"])
        try:
            async with ctx.session.begin_nested():
                question = await questions.log_question(
                    ctx.session,
                    account_id=account_id,
                    actor_id=ctx.person.id,
                    text=str(progress.data["text"]),
                    now=ctx.now,
                )
        except MovedOn as error:
            return [note(explain(ctx.tr, error))]
        account = await access.account(ctx.session, account_id)
        text = ctx.tr(
            "The question to {account} is logged. If nobody marks it answered in the time the account promises ({promise}), the person on duty is reminded.",
            account=account_name(account.platform, account.handle),
            promise=ctx.tr(RESPONSE_LABELS.get(account.response_time, RESPONSE_LABELS["24h"])),
        )
        return [
            note(
                text,
                Context(ctx.tr(
                    "Answered it already? Click the button. Criticism, or a question someone else knows better? Ask a colleague."
                )),
                Actions((answered_button(ctx, question.id or 0), refer_button(ctx, question.id or 0))),
                Context(ctx.tr(
                    "Does it need case management (a request for public documents, a complaint, personal data), or has it research value? Mark it: it is then kept, not purged."
                )),
                Actions(mark_buttons(ctx.tr, question.id or 0)),
            )
        ]

    async def cancelled(self, ctx: Ctx, progress: Progress) -> list[Reply]:
        return [note(ctx.tr("Cancelled. No question was logged."))]


def answered_button(ctx: Ctx, question_id: int) -> Button:
    return Button("question:answered", ctx.tr("Answered"), str(question_id), style="primary")


def refer_button(ctx: Ctx, question_id: int) -> Button:
    """*Ask a colleague*: mark the question as criticism or for an expert (dialogs.experts)."""
    return Button("question:refer", ctx.tr("Ask a colleague"), str(question_id))


async def start(ctx: Ctx, host: Host, args: str) -> list[Reply]:
    """`/question [SOME-2027-0001] [the question]`: which account (when the person has
    several), then the text; a question typed after the command is taken as the text, and
    the summary shows it to log (what precedes it names the account when it is a number)."""
    assert ctx.person.id is not None
    accounts = await team_accounts(ctx.session, ctx.person.id)
    named, text = _named_and_text(accounts, args)
    data: dict[str, Any] = {}
    if text:
        try:
            data = {"text": check_text(text, maximum=QUESTION_TEXT), FORM_ANSWERED: ["text"]}
        except DomainError as error:
            return [note(explain(ctx.tr, error))]
    return await start_on_account(
        ctx, host, named, name=NAME, accounts=accounts, first=SUMMARY if text else "text",
        refusal=ctx.tr(
            "Questions are logged by an account's team, and you are not on the team of any account."
        ),
        intro=ctx.tr("Let's log a question from the public, so that it is not forgotten."),
        data=data,
    )


def _named_and_text(accounts: Sequence[Account], args: str) -> tuple[str, str]:
    """What names the account and what is the question in `args`. Its first word names the
    account when it is one of `accounts`, or an account number (refused as naming none when
    it is not theirs), or a place in the list typed alone (the same). A place that names
    none of them before more words is the question's start ("3 people asked…")."""
    head, *rest = args.split(maxsplit=1) or [""]
    wanted = unicodedata.normalize("NFKC", head)
    if (
        pick(accounts, head) is not None
        or NUMBER.fullmatch(wanted)
        or (wanted.isdecimal() and not rest)
    ):
        return head, rest[0].strip() if rest else ""
    return "", args.strip()


async def answered(ctx: Ctx, host: Host, action: Action) -> list[Reply]:
    """*Answered* (`question:answered`, value the question id)."""
    assert ctx.person.id is not None
    question_id = int_value(action.value, "unknown_question")
    try:
        question = await questions.answer_question(
            ctx.session, question_id=question_id, actor_id=ctx.person.id, now=ctx.now
        )
    except MovedOn as error:
        who = error.params.get("answered_by")
        known = await names(ctx.session, [who] if isinstance(who, int) else [])
        raise MovedOn(error.code, name=known.get(who or 0, "?")) from None
    account = await access.account(ctx.session, question.account_id)
    text = ctx.tr(
        "Thanks! The question to {account} is marked as answered.",
        account=account_name(account.platform, account.handle),
    )
    return [note(text)]
