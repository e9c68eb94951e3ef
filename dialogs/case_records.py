"""`/casework`: the team marks a post of one of its accounts (or a logged question) as needing
case management or as having research value, or records that it was purged under a rule of the
disposal decision (gallringsbeslut), one question at a time (issue 14, the guidelines' "Posts that require case
management must be registered. Purging may not take place if the content is deemed to have
future research value or if doing so would violate the public's right of access").
data.casework decides who may, tells the Registry Office of a mark for case management, and
refuses a purge of anything marked; the dialog only shows the refusal. A closed account's
content is still purged when the disposal decision says so, so its team and manager are offered
it too, for a purge only (a closed account takes no new marks)."""

from __future__ import annotations

from datetime import date
from typing import Any

from data import access, casework, register
from data.errors import Invalid, MovedOn, NotAllowed
from data.models import Account, AccountStatus, MarkKind, Question
from data.rules import check_text
from dialogs.case_management import marked_question
from dialogs.common import (
    ECHOED,
    AccountStep,
    Host,
    note,
    parse_id,
    start_on_account,
)
from dialogs.engine import (
    EDITING,
    Answer,
    ChoiceStep,
    Ctx,
    Dialog,
    Progress,
    Reply,
    Step,
    TextStep,
)
from dialogs.explain import explain
from dialogs.i18n import N_
from dialogs.messages import Actions, Block, Button, Choice, Option
from dialogs.naming import account_label, account_name

NAME = "casework"
PURGE = "purge"
# The offered accounts that are closed (ids): on them only a purge may be recorded.
CLOSED = "closed"

WHAT_LABELS = {
    MarkKind.CASE_MANAGEMENT.value: N_("It needs case management (tell the Registry Office)"),
    MarkKind.RESEARCH_VALUE.value: N_("It has research value (it may not be purged)"),
    PURGE: N_("It has been purged: record the purge"),
}


# A logged question is offered by its first words and the day it came in.
QUOTE = 60


def _on_closed(progress: Progress) -> bool:
    account = progress.data.get("account")
    return account is not None and int(account) in progress.data.get(CLOSED, ())


def _purging(progress: Progress) -> bool:
    return _on_closed(progress) or progress.data.get("what") == PURGE


class CaseAccountStep(AccountStep):
    """Which account, open or closed; a closed one is named so."""

    def named(self, ctx: Ctx, account: Account) -> str:
        return _label(ctx, account)


class WhatStep(ChoiceStep):
    """What to record: not asked on a closed account, where only a purge may be."""

    def applies(self, progress: Progress) -> bool:
        return not _on_closed(progress)


def _quoted(question: Question) -> str:
    text = " ".join(question.text.split())
    return text if len(text) <= QUOTE else text[: QUOTE - 1] + "…"


class SubjectStep(Step):
    """The post, typed (a link or a description), or one of the account's newest logged
    questions picked. The answer is {"post": text} or {"question": id, "quote": first words}."""

    def inputs(self, ctx: Ctx, progress: Progress) -> list[Block]:
        offered_questions = progress.lookups.get("questions") or []
        if not offered_questions:
            return []
        return [Choice(
            action=f"dlg:{self.name}:choose",
            options=tuple(Option(value, label) for value, label in offered_questions),
        )]

    def hint(self, ctx: Ctx, progress: Progress) -> str:
        if progress.lookups.get("questions"):
            return ctx.tr("Type or paste the post below, or pick a logged question.")
        return ctx.tr(
            "Type your answer below (at most {maximum} characters).", maximum=casework.POST_TEXT
        )

    async def accept(self, ctx: Ctx, progress: Progress, answer: Answer) -> Any:
        if answer.selected:
            question_id = parse_id(answer.selected[0])
            question = None if question_id is None else await ctx.session.get(Question, question_id)
            if question is None or question.account_id != progress.data.get("account"):
                raise Invalid("unknown_question")
            return {"question": question_id, "quote": _quoted(question)}
        return {"post": check_text(answer.text, maximum=casework.POST_TEXT)}

    async def show(self, ctx: Ctx, value: Any) -> str:
        if "question" in value:
            return ctx.tr("The question “{quote}”", quote=value["quote"])
        return str(value["post"])


class RuleStep(TextStep):
    """Asked only for a purge."""

    def applies(self, progress: Progress) -> bool:
        return _purging(progress)


class PurgedOnStep(Step):
    """The day of a purge, asked only for a purge: *Today*, or a date typed."""

    def applies(self, progress: Progress) -> bool:
        return _purging(progress)

    def inputs(self, ctx: Ctx, progress: Progress) -> list[Block]:
        return [Actions((Button(f"dlg:{self.name}:today", ctx.tr("Today"), style="primary"),))]

    def hint(self, ctx: Ctx, progress: Progress) -> str:
        return ctx.tr("Click Today, or type the date, for example 2027-03-01.")

    async def accept(self, ctx: Ctx, progress: Progress, answer: Answer) -> Any:
        today = ctx.now.astimezone(ctx.tr.timezone).date()
        if answer.verb == "today":
            return today.isoformat()
        typed = answer.text.strip()
        try:
            day = date.fromisoformat(typed)
        except ValueError:
            raise Invalid("bad_date", text=typed[:ECHOED], example="2027-03-01") from None
        if day > today:
            raise Invalid("in_the_future")
        return day.isoformat()


class RecordCasework(Dialog):
    name = NAME
    title = N_("Case management and purging of a post")
    summary_text = N_("Here is what to record. Record it, edit a field, or cancel.")
    summary_help = N_(
        "Check the record. Record it saves it with the account; a mark for case management is also sent to the Registry Office. Edit a field changes one answer; Cancel throws it away."
    )
    submit_label = N_("Record it")
    use_buttons = N_("Please use the buttons: Record it, Edit a field or Cancel.")
    cancel_title = N_("Cancel the record?")
    cancel_text = N_("Nothing will be saved.")

    def __init__(self) -> None:
        self.steps = [
            CaseAccountStep(
                "account",
                N_("Account"),
                N_("Which account is the post on?"),
                N_("Pick the account the post is published on."),
            ),
            WhatStep(
                "what",
                N_("What to record"),
                N_("What do you want to record?"),
                N_(
                    "Posts that require case management must be registered, and the Registry Office is told. Content with research value, or marked for case management, may not be purged."
                ),
                options=list(WHAT_LABELS.items()),
            ),
            SubjectStep(
                "post",
                N_("Post or question"),
                N_("Which post? Paste a link to it, or describe it. Or pick a question from the public logged on the account."),
                N_(
                    "Enough that the Registry Office and the team can tell later which post it is."
                ),
            ),
            RuleStep(
                "rule",
                N_("Rule of the disposal decision"),
                N_("Under which rule of the disposal decision (gallringsbeslut) was it purged?"),
                N_("The decision's number and the item, for example KI's disposal decision, item 4.2."),
                maximum=casework.RULE_TEXT,
            ),
            PurgedOnStep(
                "purged_on",
                N_("Purged"),
                N_("When was it purged?"),
                N_("The day the content was removed for good, in Swedish time."),
            ),
        ]

    async def prepare(self, ctx: Ctx, progress: Progress) -> None:
        """The account's newest logged questions, to pick from at the post's question."""
        if progress.step != "post" or "account" not in progress.data:
            return
        # For a purge, not what a mark forbids purging (the domain would only refuse it).
        found = await casework.recent_questions(
            ctx.session, int(progress.data["account"]), purgeable=_purging(progress)
        )
        progress.lookups["questions"] = [
            (str(q.id), ctx.tr("{day}: {quote}", quote=_quoted(q),
                               day=q.received_at.astimezone(ctx.tr.timezone).date().isoformat()))
            for q in found
        ]

    def after(self, progress: Progress, step: Step) -> str:
        # An edit that turns a mark into a purge asks the purge's questions before the summary.
        missing = [s.name for s in self.asked(progress) if s.name not in progress.data]
        if progress.data.get(EDITING) and missing:
            return missing[0]
        return super().after(progress, step)

    async def submit(self, ctx: Ctx, progress: Progress) -> list[Reply]:
        assert ctx.person.id is not None
        account_id = int(progress.data["account"])
        subject: dict[str, Any] = progress.data["post"]
        question_id = subject.get("question")
        post = None if question_id is not None else str(subject["post"])
        what = PURGE if _on_closed(progress) else str(progress.data["what"])
        try:
            async with ctx.session.begin_nested():
                if what == PURGE:
                    await casework.record_purge(
                        ctx.session, account_id=account_id, actor_id=ctx.person.id,
                        question_id=question_id, post=post, rule=str(progress.data["rule"]),
                        purged_on=date.fromisoformat(str(progress.data["purged_on"])),
                        now=ctx.now, zone=ctx.tr.timezone,
                    )
                else:
                    await casework.mark(
                        ctx.session, account_id=account_id, actor_id=ctx.person.id, kind=what,
                        question_id=question_id, post=post, now=ctx.now,
                    )
        except (MovedOn, NotAllowed) as error:
            # Refused (a purge of marked content, say): nothing is recorded.
            return [note(explain(ctx.tr, error) + " " + ctx.tr("Nothing was recorded."))]
        account = await access.account(ctx.session, account_id)
        name = account_name(account.platform, account.handle)
        if question_id is not None:
            return [note(question_done(ctx, what, name))]
        if what == PURGE:
            text = ctx.tr("The purge of the post is recorded with {account}.", account=name)
        elif what == MarkKind.CASE_MANAGEMENT.value:
            text = ctx.tr(
                "The post on {account} is marked as needing case management. The Registry Office has been told; the team is reminded until its registry number (diarienummer) is recorded. It may not be purged.",
                account=name,
            )
        else:
            text = ctx.tr(
                "The post on {account} is marked as having research value. It may not be purged.",
                account=name,
            )
        return [note(text)]

    async def cancelled(self, ctx: Ctx, progress: Progress) -> list[Reply]:
        return [note(ctx.tr("Cancelled. Nothing was recorded."))]


def question_done(ctx: Ctx, what: str, name: str) -> str:
    """What was recorded of a logged question (as its own buttons say it)."""
    if what == PURGE:
        return ctx.tr("The purge of the question is recorded with {account}.", account=name)
    return marked_question(ctx, what, name)


def _label(ctx: Ctx, account: Account) -> str:
    if account.status == AccountStatus.ACTIVE.value:
        return account_label(account)
    return ctx.tr("{account} (closed)", account=account_label(account))


async def start(ctx: Ctx, host: Host, args: str) -> list[Reply]:
    """`/casework [SOME-2027-0001]`: which account (when the person has several: the open ones
    first, then the closed), then the post and what to record (on a closed account only a
    purge). The account's team and manager may."""
    assert ctx.person.id is not None
    accounts = sorted(
        await register.accounts_of(ctx.session, ctx.person.id),
        key=lambda a: a.status != AccountStatus.ACTIVE.value,
    )
    closed = [a.id for a in accounts if a.status != AccountStatus.ACTIVE.value]
    return await start_on_account(
        ctx, host, args, name=NAME, accounts=accounts, first="what",
        refusal=ctx.tr(
            "Case management and purges are recorded by an account's team or manager, and you are neither for any account."
        ),
        intro=ctx.tr("Let's record that a post was purged.")
        if len(closed) == len(accounts)
        else ctx.tr(
            "Let's mark a post for case management or research value, or record that it was purged."
        ),
        label=lambda account: _label(ctx, account),
        data={CLOSED: closed},
    )
