"""The `/open-account` conversation: journey 1 of the design, one question per policy demand."""

from __future__ import annotations

from typing import Any

from data import requests, rules
from data.errors import Invalid
from data.models import AccountRequest, Person
from dialogs.engine import (
    Answer,
    ChoiceStep,
    Ctx,
    Dialog,
    PeopleStep,
    Progress,
    Reply,
    Step,
    TextStep,
)
from dialogs.explain import acknowledgement_labels
from dialogs.i18n import N_
from dialogs.messages import Message, Paragraph

NAME = "open_account"
REVISE = "_revise_id"

SCOPE_LABELS = {
    "unit": N_("A unit (department, centre, section or research group)"),
    "university_wide": N_("University-wide"),
    "university_administration": N_("University administration"),
}
RESPONSE_LABELS = {
    "same_day": N_("The same working day"),
    "24h": N_("Within 24 hours"),
    "48h": N_("Within 48 hours"),
}


class HandleStep(Step):
    async def accept(self, ctx: Ctx, progress: Progress, answer: Answer) -> Any:
        return rules.check_handle(progress.data.get("platform", ""), answer.text)

    def hint(self, ctx: Ctx, progress: Progress) -> str:
        rule = rules.PLATFORMS.get(str(progress.data.get("platform", "")))
        if rule is None:
            return super().hint(ctx, progress)
        return ctx.tr("Type the handle, for example {example}.", example=rule.example)


class AcknowledgementsStep(ChoiceStep):
    """Every point must be ticked: a partial answer is refused at once, not at Submit."""

    async def accept(self, ctx: Ctx, progress: Progress, answer: Answer) -> Any:
        chosen = await super().accept(ctx, progress, answer)
        missing = [a for a in rules.ACKNOWLEDGEMENTS if a not in chosen]
        if missing:
            raise Invalid("acknowledgements_missing", missing=missing)
        return chosen


async def _check_team(ctx: Ctx, progress: Progress, chosen: list[Person]) -> None:
    ids = [p.id for p in chosen]
    if len(set(ids)) != len(ids):
        raise Invalid("team_duplicate")
    if ctx.person.id in ids:
        raise Invalid("team_includes_requester")


async def _check_manager(ctx: Ctx, progress: Progress, chosen: list[Person]) -> None:
    if chosen[0].id == ctx.person.id:
        raise Invalid("requester_as_manager")


class OpenAccount(Dialog):
    name = NAME
    title = N_("Open a social-media account")

    def __init__(self) -> None:
        self.steps = [
            ChoiceStep(
                "platform",
                N_("Platform"),
                N_("Which platform is the account on?"),
                N_("Pick the social-media platform where the account will be opened."),
                options=[(key, rule.label) for key, rule in rules.PLATFORMS.items()],
            ),
            HandleStep(
                "handle",
                N_("Account name or handle"),
                N_("What is the account's name or handle on the platform?"),
                N_(
                    "The name people find the account by, such as @karolinskainstitutet. I check it against the platform's rules."
                ),
            ),
            TextStep(
                "unit",
                N_("Organisational unit"),
                N_("Which organisational unit is responsible for the account?"),
                N_(
                    "The department, centre, section or research group, as it will be named on the account."
                ),
                maximum=rules.SHORT_TEXT,
            ),
            ChoiceStep(
                "scope",
                N_("Scope"),
                N_("Is the account for a unit, university-wide, or for university administration?"),
                N_(
                    "University-wide and university administration accounts also need the approval of the Director of Communications."
                ),
                options=list(SCOPE_LABELS.items()),
            ),
            TextStep(
                "purpose",
                N_("Purpose"),
                N_("What is the purpose of the account?"),
                N_(
                    "Why KI should be on this channel. Social media is not for internal communication to staff."
                ),
                maximum=rules.LONG_TEXT,
                minimum=rules.MIN_PURPOSE,
            ),
            TextStep(
                "objectives",
                N_("Objectives"),
                N_("What are the account's objectives?"),
                N_("What the account should achieve, in line with KI's operational objectives."),
                maximum=rules.LONG_TEXT,
            ),
            TextStep(
                "target_group",
                N_("Target group"),
                N_("Who is the target group?"),
                N_("The people the account is for. The target group decides which channel fits."),
                maximum=rules.LONG_TEXT,
            ),
            TextStep(
                "benefit",
                N_("Operational benefit"),
                N_("What is the operational benefit?"),
                N_("How the account helps KI's activities and its target group."),
                maximum=rules.LONG_TEXT,
            ),
            PeopleStep(
                "team",
                N_("Responsible persons"),
                N_(
                    "Who else is responsible for the account? You are one; the policy needs at least two."
                ),
                N_(
                    "At least two KI employees must have access to the account. Name the others besides you."
                ),
                multi=True,
                check=_check_team,
                none_named="team_too_small",
            ),
            PeopleStep(
                "manager",
                N_("Immediate manager"),
                N_(
                    "Who is your immediate manager with operational responsibility? They approve the request."
                ),
                N_(
                    "The manager who is responsible for the activity the account belongs to. It can't be you."
                ),
                multi=False,
                check=_check_manager,
            ),
            TextStep(
                "monitoring",
                N_("Weekday monitoring"),
                N_("Who monitors the account on weekdays, all year round?"),
                N_(
                    "KI must moderate its accounts every weekday of the year. Say who does it and how."
                ),
                maximum=rules.LONG_TEXT,
            ),
            TextStep(
                "holiday_cover",
                N_("Cover during holidays"),
                N_("Who substitutes during holidays and other absences?"),
                N_("Substitutes must always be available. Say who covers when the team is away."),
                maximum=rules.LONG_TEXT,
            ),
            ChoiceStep(
                "response_time",
                N_("Answering questions"),
                N_("How quickly will questions on the account be answered?"),
                N_("KI must answer questions promptly all year round."),
                options=list(RESPONSE_LABELS.items()),
            ),
            AcknowledgementsStep(
                "acknowledgements",
                N_("Confirmations"),
                N_("Please confirm each of these points from KI's social media guidelines."),
                N_("All points are required by the guidelines. Tick every box and confirm."),
                options=list(acknowledgement_labels().items()),
                multi=True,
            ),
        ]

    def after(self, progress: Progress, step: Step) -> str:
        # A new platform may make the handle wrong: ask for it again right away.
        if step.name == "platform" and "handle" in progress.data:
            try:
                rules.check_handle(progress.data["platform"], progress.data["handle"])
            except Invalid:
                return "handle"
        return super().after(progress, step)

    async def submit(self, ctx: Ctx, progress: Progress) -> list[Reply]:
        data = progress.data
        assert ctx.person.id is not None
        missing = [s.name for s in self.steps if s.name not in data]
        if missing:
            raise Invalid("empty", field=missing[0])
        request = await requests.submit(
            ctx.session,
            requester_id=ctx.person.id,
            given=requests.RequestInput(
                platform=data["platform"],
                handle=data["handle"],
                unit=data["unit"],
                scope=data["scope"],
                purpose=data["purpose"],
                objectives=data["objectives"],
                target_group=data["target_group"],
                benefit=data["benefit"],
                team_ids=tuple(data["team"]),
                manager_id=data["manager"],
                monitoring=data["monitoring"],
                holiday_cover=data["holiday_cover"],
                response_time=data["response_time"],
                acknowledgements=tuple(data["acknowledgements"]),
            ),
            now=ctx.now,
            revise_id=data.get(REVISE),
        )
        manager = await ctx.session.get(Person, request.manager_id)
        text = ctx.tr(
            "Thank you! Your request has been sent to {manager} for approval. I will tell you when they have decided.",
            manager=manager.display_name if manager else "?",
        )
        return [Reply(Message(text=text, blocks=(Paragraph(text),)))]


def request_answers(request: AccountRequest) -> dict[str, Any]:
    """A filed request as dialog answers, for revising it after "ask for changes"."""
    return {
        "platform": request.platform,
        "handle": request.handle,
        "unit": request.unit,
        "scope": request.scope,
        "purpose": request.purpose,
        "objectives": request.objectives,
        "target_group": request.target_group,
        "benefit": request.benefit,
        "team": list(request.team_ids),
        "manager": request.manager_id,
        "monitoring": request.monitoring,
        "holiday_cover": request.holiday_cover,
        "response_time": request.response_time,
        "acknowledgements": list(request.acknowledgements),
        REVISE: request.id,
    }
