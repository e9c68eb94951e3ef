"""`/removed`: a team member records a post or comment removed from an account (the moderation
log, issue 14), one question at a time: which account, what was removed, the policy's
category, why, when and where the evidence was saved. data.moderation decides who may and
tells the manager at once of threats and sensitive personal data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from data import access, moderation
from data.errors import Invalid, MovedOn
from data.models import ModerationCategory
from dialogs.common import (
    ECHOED,
    AccountStep,
    Host,
    note,
    start_on_account,
    team_accounts,
)
from dialogs.engine import Answer, ChoiceStep, Ctx, Dialog, Progress, Reply, Step, TextStep
from dialogs.explain import explain
from dialogs.i18n import N_
from dialogs.messages import Actions, Block, Button
from dialogs.naming import account_name

NAME = "record_removal"

# The policy's list ("Prohibited content"), in its words, and the rest.
CATEGORY_LABELS = {
    ModerationCategory.CRIME.value: N_(
        "Incitement to crime, unlawful threats, unlawful depictions of violence or child pornography"
    ),
    ModerationCategory.SENSITIVE_DATA.value: N_("Sensitive personal or confidential information"),
    ModerationCategory.AGITATION.value: N_("Agitation against an ethnic group"),
    ModerationCategory.DEFAMATION.value: N_("Defamation, libel or unlawful invasion of privacy"),
    ModerationCategory.COPYRIGHT.value: N_("Unauthorised use of copyrighted material"),
    ModerationCategory.OTHER.value: N_("Other inappropriate content"),
}


class WhenStep(Step):
    """When it was removed: *Just now*, or a local date and time typed."""

    def inputs(self, ctx: Ctx, progress: Progress) -> list[Block]:
        return [Actions((Button(f"dlg:{self.name}:now", ctx.tr("Just now"), style="primary"),))]

    def hint(self, ctx: Ctx, progress: Progress) -> str:
        return ctx.tr("Click Just now, or type the date and time, for example 2027-03-01 14:30.")

    async def accept(self, ctx: Ctx, progress: Progress, answer: Answer) -> Any:
        if answer.verb == "now":
            return ctx.now.isoformat()
        typed = answer.text.strip()
        moment = None
        for shape in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
            try:
                moment = datetime.strptime(typed, shape).replace(tzinfo=ctx.tr.timezone)
                break
            except ValueError:
                continue
        if moment is None:
            raise Invalid("bad_moment", text=typed[:ECHOED])
        if moment > ctx.now:
            raise Invalid("in_the_future")
        return moment.isoformat()

    async def show(self, ctx: Ctx, value: Any) -> str:
        return ctx.tr.when(datetime.fromisoformat(str(value)))


class RecordRemoval(Dialog):
    name = NAME
    title = N_("Record a removed post or comment")
    summary_text = N_("Here is the removal to record. Record it, edit a field, or cancel.")
    summary_help = N_(
        "Check the record. Record the removal saves it in the account's moderation log; threats and sensitive personal data are also sent to the manager at once. Edit a field changes one answer; Cancel throws it away."
    )
    submit_label = N_("Record the removal")
    use_buttons = N_("Please use the buttons: Record the removal, Edit a field or Cancel.")
    cancel_title = N_("Cancel the record?")
    cancel_text = N_("Nothing will be saved.")

    def __init__(self) -> None:
        self.steps = [
            AccountStep(
                "account",
                N_("Account"),
                N_("Which account was the post or comment removed from?"),
                N_("Pick the account the content was removed from."),
            ),
            TextStep(
                "content",
                N_("What was removed"),
                N_("What was removed? Paste a link to the post or comment, or describe it."),
                N_(
                    "A link, or enough of a description that someone can tell later what it was. Don't paste sensitive personal data here: say where it is saved instead."
                ),
                maximum=moderation.CONTENT_TEXT,
            ),
            ChoiceStep(
                "category",
                N_("Kind of content"),
                N_("What kind of prohibited content was it?"),
                N_(
                    "KI's guidelines list the content that must be removed promptly. Threats and crimes, and sensitive personal data, are sent to the manager at once."
                ),
                options=list(CATEGORY_LABELS.items()),
            ),
            TextStep(
                "reason",
                N_("Why"),
                N_("Why was it removed? A sentence is enough."),
                N_("Say what in it broke the rules, so that the decision can be explained later."),
                maximum=moderation.REASON_TEXT,
            ),
            WhenStep(
                "removed_at",
                N_("Removed"),
                N_("When was it removed?"),
                N_("The time it was taken down, in Swedish time."),
            ),
            TextStep(
                "evidence",
                N_("Evidence saved at"),
                N_("Where did you save the evidence (a screenshot or a copy)?"),
                N_(
                    "A folder, a case number or a link: somewhere the team and the manager can find it. Posts and comments are public documents and must be kept in order."
                ),
                maximum=moderation.EVIDENCE_TEXT,
            ),
        ]

    async def submit(self, ctx: Ctx, progress: Progress) -> list[Reply]:
        assert ctx.person.id is not None
        account_id = int(progress.data["account"])
        try:
            async with ctx.session.begin_nested():
                entry = await moderation.record_removal(
                    ctx.session, account_id=account_id, actor_id=ctx.person.id,
                    content=str(progress.data["content"]),
                    category=str(progress.data["category"]),
                    reason=str(progress.data["reason"]),
                    evidence=str(progress.data["evidence"]),
                    removed_at=datetime.fromisoformat(str(progress.data["removed_at"])),
                    now=ctx.now,
                )
        except MovedOn as error:
            return [note(explain(ctx.tr, error))]
        account = await access.account(ctx.session, account_id)
        text = ctx.tr(
            "The removal is recorded in the moderation log of {account}.",
            account=account_name(account.platform, account.handle),
        )
        if entry.category in moderation.URGENT:
            text += " " + ctx.tr("The manager has been told at once.")
            text += " " + ctx.tr(guidance(entry.category))
        return [note(text)]

    async def cancelled(self, ctx: Ctx, progress: Progress) -> list[Reply]:
        return [note(ctx.tr("Cancelled. Nothing was recorded."))]


def guidance(category: str) -> str:
    """What to do next for an urgent category (a catalogue msgid)."""
    if category == ModerationCategory.CRIME.value:
        return N_(
            "Report threats and other crimes to the police (polisen.se or 114 14; 112 if someone is in danger now), and keep the evidence."
        )
    return N_(
        "Sensitive personal data may be a personal data breach: tell KI's data protection officer at once, since a breach must be reported to the Swedish Authority for Privacy Protection (IMY) within 72 hours."
    )


async def start(ctx: Ctx, host: Host, args: str) -> list[Reply]:
    """`/removed [SOME-2027-0001]`: which account (when the person has several), then the rest."""
    assert ctx.person.id is not None
    return await start_on_account(
        ctx, host, args, name=NAME, accounts=await team_accounts(ctx.session, ctx.person.id),
        first="content",
        refusal=ctx.tr(
            "Removals are recorded by an account's team, and you are not on the team of any account."
        ),
        intro=ctx.tr(
            "Let's record a post or comment you removed, so that the account can show it was handled."
        ),
    )
