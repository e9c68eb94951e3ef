"""Questions with an expert in chat (issue 14). On a logged question *Ask a colleague*
(`question:refer`) starts a short conversation: criticism or a question for an expert, then
who (a colleague of the account's unit from the directory with one click, or anyone picked or
named). The colleague gets the question with *Suggest an answer* (`expert:suggest`, a one-step
conversation) and *Not me* (`expert:notme`). data.experts decides who may and owes the notices.
"""

from __future__ import annotations

from typing import Any

from data import access, experts, questions
from data.errors import Invalid, MovedOn
from data.experts import SUGGESTION_TEXT
from data.models import Person, ReferralCategory
from data.policy import NudgeConfig
from dialogs.common import Host, int_value, note
from dialogs.engine import Answer, ChoiceStep, Ctx, Dialog, PeopleStep, Progress, Reply, TextStep
from dialogs.events import Action
from dialogs.explain import explain
from dialogs.i18n import N_
from dialogs.messages import Block, Choice, Option
from dialogs.naming import account_name, names

REFER = "refer_question"
SUGGEST = "expert_suggest"

CATEGORY_LABELS = {
    ReferralCategory.EXPERT.value: N_("A question for an expert"),
    ReferralCategory.CRITICISM.value: N_("Criticism of KI's activities (the manager sees it too)"),
}


class ExpertStep(PeopleStep):
    """The colleague: one click on a colleague of the account's unit that KI's directory knows
    (and the bot can reach), or anyone picked or named like in the other people pickers."""

    offers_self = False

    def inputs(self, ctx: Ctx, progress: Progress) -> list[Block]:
        colleagues = progress.lookups.get("colleagues", [])
        found: list[Block] = []
        if colleagues:
            found.append(
                Choice(
                    action=f"dlg:{self.name}:colleague",
                    options=tuple(Option(str(i), label) for i, label in colleagues),
                )
            )
        return [*found, *super().inputs(ctx, progress)]

    async def accept(self, ctx: Ctx, progress: Progress, answer: Answer) -> Any:
        if answer.verb == "colleague":
            offered = {str(i) for i, _ in await _colleagues(ctx, progress)}
            if len(answer.selected) != 1 or answer.selected[0] not in offered:
                raise Invalid("unknown_choice")
            return int(answer.selected[0])
        return await super().accept(ctx, progress, answer)


async def _not_yourself(ctx: Ctx, progress: Progress, found: list[Person]) -> None:
    assert ctx.person.id is not None and found[0].id is not None
    await experts.check_expert(ctx.session, actor_id=ctx.person.id, expert_id=found[0].id)


async def _colleagues(ctx: Ctx, progress: Progress) -> list[tuple[int, str]]:
    account = await access.account(ctx.session, int(progress.data["account"]))
    assert ctx.person.id is not None
    found = await experts.directory_colleagues(ctx.session, account, exclude=ctx.person.id)
    return [(p.id, p.display_name) for p in found if p.id is not None]


class ReferQuestion(Dialog):
    name = REFER
    title = N_("Ask a colleague about a question")
    summary_text = N_("Ask this colleague? Send it, edit a field, or cancel.")
    summary_help = N_(
        "Ask the colleague sends them the question, to suggest an answer within the account's promised response time; if they don't, the manager is told. Edit a field changes one answer; Cancel asks nobody."
    )
    submit_label = N_("Ask the colleague")
    use_buttons = N_("Please use the buttons: Ask the colleague, Edit a field or Cancel.")
    cancel_title = N_("Stop asking?")
    cancel_text = N_("Nobody will be asked.")

    def __init__(self, nudges: NudgeConfig) -> None:
        # The promises' times (data.policy.answer_due) and zone the response time counts in.
        self.nudges = nudges
        self.steps = [
            ChoiceStep(
                "category",
                N_("Kind"),
                N_("What is it: a question for an expert, or criticism of KI's activities?"),
                N_(
                    "KI's guidelines ask that criticism and questions about KI's activities are answered with the support of those responsible for the activities or of colleagues with expertise in the area. Criticism is also shown to the account's manager."
                ),
                options=list(CATEGORY_LABELS.items()),
            ),
            ExpertStep(
                "expert",
                N_("Colleague"),
                N_("Which colleague knows the answer? Pick one of your unit or anyone else."),
                N_(
                    "The colleague gets the question with Suggest an answer and Not me. Their suggestion comes back to the team."
                ),
                multi=False,
                check=_not_yourself,
            ),
        ]

    async def prepare(self, ctx: Ctx, progress: Progress) -> None:
        if progress.step == "expert":
            progress.lookups["colleagues"] = await _colleagues(ctx, progress)

    async def submit(self, ctx: Ctx, progress: Progress) -> list[Reply]:
        assert ctx.person.id is not None
        try:
            async with ctx.session.begin_nested():
                referral = await experts.refer_question(
                    ctx.session, question_id=int(progress.data["question"]),
                    actor_id=ctx.person.id, expert_id=int(progress.data["expert"]),
                    category=str(progress.data["category"]), now=ctx.now,
                    nudges=self.nudges,
                )
        except MovedOn as error:
            return [note(explain(ctx.tr, error))]
        known = await names(ctx.session, [referral.expert_id])
        text = ctx.tr(
            "{name} has been asked to suggest an answer by {due}. Their suggestion will come to the team; if none comes by then, the manager is told.",
            name=known.get(referral.expert_id, "?"),
            due=ctx.tr.when(referral.due_at),
        )
        if referral.category == ReferralCategory.CRITICISM.value:
            text += " " + ctx.tr("The manager has been shown the criticism.")
        return [note(text)]

    async def cancelled(self, ctx: Ctx, progress: Progress) -> list[Reply]:
        return [note(ctx.tr("Cancelled. Nobody was asked."))]


class SuggestAnswer(Dialog):
    name = SUGGEST
    title = N_("Suggest an answer")
    summary_text = N_("Here is your suggestion. Send it, edit it, or cancel.")
    summary_help = N_(
        "Send the suggestion gives it to the account's team, who answer on the account. Cancel sends nothing."
    )
    submit_label = N_("Send the suggestion")
    use_buttons = N_("Please use the buttons: Send the suggestion, Edit a field or Cancel.")
    cancel_title = N_("Cancel the suggestion?")
    cancel_text = N_("Nothing will be sent.")

    def __init__(self) -> None:
        self.steps = [
            TextStep(
                "suggestion",
                N_("Suggested answer"),
                N_("What should the team answer? Write your suggestion."),
                N_(
                    "Write the answer as the team could post it, or what it should say. The team answers on the account."
                ),
                maximum=SUGGESTION_TEXT,
            ),
        ]

    async def submit(self, ctx: Ctx, progress: Progress) -> list[Reply]:
        assert ctx.person.id is not None
        try:
            async with ctx.session.begin_nested():
                await experts.suggest_answer(
                    ctx.session, referral_id=int(progress.data["referral"]),
                    actor_id=ctx.person.id, text=str(progress.data["suggestion"]), now=ctx.now,
                )
        except MovedOn as error:
            return [note(explain(ctx.tr, error))]
        return [note(ctx.tr("Thank you! Your suggestion has gone to the account's team."))]

    async def cancelled(self, ctx: Ctx, progress: Progress) -> list[Reply]:
        return [note(ctx.tr("Cancelled. No suggestion was sent."))]


async def refer(ctx: Ctx, host: Host, action: Action) -> list[Reply]:
    """*Ask a colleague* (`question:refer`, value the question id)."""
    assert ctx.person.id is not None
    question = await questions.get_question(ctx.session, int_value(action.value,
                                                                   "unknown_question"))
    await access.active_account(ctx.session, question.account_id)
    await access.require_member(ctx.session, question.account_id, ctx.person.id)
    if question.answered_at is not None:
        known = await names(ctx.session, [question.answered_by or 0])
        raise MovedOn("question_answered", name=known.get(question.answered_by or 0, "?"))
    account = await access.account(ctx.session, question.account_id)
    intro = ctx.tr(
        "Let's ask a colleague about this question to {account}: {text}",
        account=account_name(account.platform, account.handle),
        text=question.text,
    )
    data = {"question": question.id, "account": question.account_id}
    return await host.start_dialog(ctx, REFER, data=data, step="category", intro=intro)


async def suggest(ctx: Ctx, host: Host, action: Action) -> list[Reply]:
    """*Suggest an answer* (`expert:suggest`, value the referral id)."""
    assert ctx.person.id is not None
    referral = await experts.check_respondable(
        ctx.session, int_value(action.value, "unknown_referral"), ctx.person.id
    )
    intro = ctx.tr("Thank you for helping the team.")
    return await host.start_dialog(
        ctx, SUGGEST, data={"referral": referral.id}, step="suggestion", intro=intro
    )


async def not_me(ctx: Ctx, host: Host, action: Action) -> list[Reply]:
    """*Not me* (`expert:notme`, value the referral id)."""
    assert ctx.person.id is not None
    await experts.decline_referral(
        ctx.session, referral_id=int_value(action.value, "unknown_referral"),
        actor_id=ctx.person.id, now=ctx.now,
    )
    return [note(ctx.tr("Understood. Whoever asked you has been told, so they can ask someone else."))]


def dialogs(nudges: NudgeConfig) -> list[Dialog]:
    return [ReferQuestion(nudges), SuggestAnswer()]
