"""The `/open-account` conversation: journey 1 of the design, one question per policy demand."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from data import directory, register, requests, rules
from data.errors import Invalid
from data.models import AccountRequest, Person, Stage
from dialogs import glossary
from dialogs.engine import (
    EDITING,
    Answer,
    ChoiceStep,
    Ctx,
    Dialog,
    FormGroup,
    PeopleStep,
    Progress,
    Reply,
    Step,
    TextStep,
    typed_again,
)
from dialogs.explain import acknowledgement_labels
from dialogs.i18n import N_
from dialogs.messages import (
    Actions,
    Block,
    Button,
    Choice,
    FormField,
    Message,
    Option,
    Paragraph,
)

NAME = "open_account"
REVISE = "_revise_id"
# What the directory says of the requester (a directory.Proposal), looked up for the turn.
DIRECTORY = "proposal"
# Set when the manager named is not the directory's: the reason step is asked.
REASON_NEEDED = "_manager_reason_needed"
# The letters typed to narrow a long list of units.
UNIT_FILTER = "_unit_filter"
# More units than this are narrowed by a few typed letters first: Slack's menus hold 100.
MAX_UNIT_OPTIONS = 100
# A list of more units than this is a menu to search in rather than a row of buttons.
FILTERED_FROM = 8

# The chat's and the dashboard's words for these values (dialogs.glossary).
SCOPE_LABELS = glossary.SCOPES
RESPONSE_LABELS = glossary.RESPONSE_TIMES
# What the request's summary and the approver's card say of the confirmations, all given.
ALL_CONFIRMED = N_("All points of the guidelines confirmed")


# Room for a handle or a profile's whole address, typed again after Back or Edit a field.
HANDLE_FIELD = 200


class HandleStep(Step):
    def inputs(self, ctx: Ctx, progress: Progress) -> list[Block]:
        return typed_again(ctx, progress, self.name, HANDLE_FIELD)

    async def accept(self, ctx: Ctx, progress: Progress, answer: Answer) -> Any:
        platform = progress.data.get("platform", "")
        handle = rules.check_handle(platform, answer.text)
        # Checked again on Submit; said now, before the rest of the form is filled in.
        assert ctx.person.id is not None
        await register.check_handle_open(
            ctx.session, platform, handle, requester_id=ctx.person.id,
            besides=progress.data.get(REVISE),
        )
        return handle

    def hint(self, ctx: Ctx, progress: Progress) -> str:
        rule = rules.PLATFORMS.get(str(progress.data.get("platform", "")))
        if rule is None:
            return super().hint(ctx, progress)
        return ctx.tr("Type the handle, for example {example}.", example=rule.example)

    def field(self, ctx: Ctx, progress: Progress, value: str) -> FormField | None:
        rule = rules.PLATFORMS.get(str(progress.data.get("platform", "")))
        hint = ctx.tr("For example {example}.", example=rule.example) if rule else ""
        return FormField(
            self.name, ctx.tr(self.question), value=value, hint=hint, max_length=rules.SHORT_TEXT
        )


class AcknowledgementsStep(ChoiceStep):
    """Every point must be ticked: a partial answer is refused at once, not at Submit. One
    click confirms them all; ticking them one by one still works."""

    def inputs(self, ctx: Ctx, progress: Progress) -> list[Block]:
        confirm_all = Button(f"dlg:{self.name}:all", ctx.tr("I confirm all of them"),
                             style="primary")
        return [*super().inputs(ctx, progress), Actions((confirm_all,))]

    def hint(self, ctx: Ctx, progress: Progress) -> str:
        return ctx.tr(
            "Click I confirm all of them, or tick the boxes and confirm, or type the numbers separated by commas."
        )

    async def accept(self, ctx: Ctx, progress: Progress, answer: Answer) -> Any:
        if answer.verb == "all":
            return [key for key, _ in self.options]
        chosen = await super().accept(ctx, progress, answer)
        missing = [a for a in rules.ACKNOWLEDGEMENTS if a not in chosen]
        if missing:
            raise Invalid("acknowledgements_missing", missing=missing)
        return chosen

    async def show(self, ctx: Ctx, value: Any) -> str:
        # The points are whole sentences: the approver's card says the same in one line.
        if isinstance(value, list) and set(rules.ACKNOWLEDGEMENTS) <= set(value):
            return ctx.tr(ALL_CONFIRMED)
        return " ".join(ctx.tr(label) for key, label in self.options if key in value)


class TeamStep(PeopleStep):
    """The other responsible persons: the requester is one of them, so her summary lists her
    first, as the approver's card does."""

    offers_self = False

    async def show(self, ctx: Ctx, value: Any) -> str:
        others = await super().show(ctx, value)
        return ", ".join(name for name in (ctx.person.display_name, others) if name)


async def _check_team(ctx: Ctx, progress: Progress, chosen: list[Person]) -> None:
    ids = [p.id for p in chosen]
    if len(set(ids)) != len(ids):
        raise Invalid("team_duplicate")
    if ctx.person.id in ids:
        raise Invalid("team_includes_requester")
    # The manager named already (the team changed from the summary, or after Back) can't
    # join the team: refused now, not only on Submit.
    manager_id = progress.data.get("manager")
    team_ids = [i for i in ids if i is not None]
    if isinstance(manager_id, int) and await _manager_refusal(ctx, team_ids, manager_id) == (
        "team_member_as_approver"
    ):
        manager = await ctx.session.get(Person, manager_id)
        raise Invalid("manager_joins_team", name=manager.display_name if manager else "?")


async def _check_manager(ctx: Ctx, progress: Progress, chosen: list[Person]) -> None:
    """Neither the requester nor one of the responsible persons named at the step before
    (nor the same human under another identity): the rule Submit applies, applied now."""
    if chosen[0].id == ctx.person.id:
        raise Invalid("requester_as_manager")
    assert chosen[0].id is not None
    team = progress.data.get("team")
    team_ids = [int(i) for i in team] if isinstance(team, list) else []
    refusal = await _manager_refusal(ctx, team_ids, chosen[0].id)
    if refusal is not None:
        raise Invalid(requests.SUBMIT_REFUSALS.get(refusal, refusal))


async def _manager_refusal(ctx: Ctx, team_ids: list[int], manager_id: int) -> str | None:
    """Why `manager_id` may not approve the requester's request with this team (a code of
    data.requests.approver_refusal, the rule Submit applies), or None."""
    assert ctx.person.id is not None
    return await requests.approver_refusal(
        ctx.session, requester_id=ctx.person.id, team_ids=team_ids, person_id=manager_id,
        stage=Stage.MANAGER,
    )


def _proposal(progress: Progress) -> directory.Proposal:
    found = progress.lookups.get(DIRECTORY)
    return found if isinstance(found, directory.Proposal) else directory.Proposal()


async def _look_up(ctx: Ctx, progress: Progress) -> directory.Proposal:
    """The directory's word on the requester, once per turn (a remote directory's answers are
    cached in the directory's tables, so later turns ask the database)."""
    if DIRECTORY not in progress.lookups:
        found = await directory.proposal_for(
            ctx.session, ctx.person, now=ctx.now, remote=ctx.directory
        )
        if found.manager_email and found.manager_id is None and ctx.find_by_email is not None:
            # The manager has never written to the bot: the platform may know them by
            # address, and then they are one click away like any colleague.
            manager = await ctx.find_by_email(ctx.session, found.manager_email)
            if manager is not None and manager.id is not None:
                found = replace(found, manager_id=manager.id)
        progress.lookups[DIRECTORY] = found
    return _proposal(progress)


class UnitStep(Step):
    """The unit: from the directory's list where there is one (so the register never splits a
    unit by spelling), else one already registered or typed once. The requester's own unit,
    when the directory knows it, is one click away."""

    def inputs(self, ctx: Ctx, progress: Progress) -> list[Block]:
        blocks: list[Block] = []
        proposed = _proposal(progress).unit
        if proposed:
            blocks.append(
                Actions((Button(f"dlg:{self.name}:accept", ctx.tr("Use {unit}", unit=proposed),
                                style="primary"),))
            )
        options = self._options(progress)
        if options and len(options) <= MAX_UNIT_OPTIONS:
            blocks.append(
                Choice(
                    action=f"dlg:{self.name}:choose",
                    options=tuple(Option(u.value, u.name) for u in options),
                    filtered=len(options) > FILTERED_FROM,
                    submit_label=ctx.tr("Confirm"),
                )
            )
        return blocks

    def _options(self, progress: Progress) -> list[directory.UnitChoice]:
        units: list[directory.UnitChoice] = progress.lookups.get("units", [])
        typed = progress.data.get(UNIT_FILTER)
        return directory.matching(units, typed) if typed else units

    def hint(self, ctx: Ctx, progress: Progress) -> str:
        if progress.lookups.get("strict"):
            if len(self._options(progress)) > MAX_UNIT_OPTIONS:
                return ctx.tr("Type a few letters of the unit's name to find it in the list.")
            return ctx.tr("Pick the unit from the list, or type a few letters of its name.")
        if progress.lookups.get("units"):
            return ctx.tr(
                "Pick a unit already in the register, or type the name of another (at most {maximum} characters).",
                maximum=rules.SHORT_TEXT,
            )
        return ctx.tr(
            "Type your answer below (at most {maximum} characters).", maximum=rules.SHORT_TEXT
        )

    async def accept(self, ctx: Ctx, progress: Progress, answer: Answer) -> Any:
        if answer.verb == "accept":
            proposed = (await _look_up(ctx, progress)).unit
            if not proposed:
                raise Invalid("unknown_choice")
            unit = await directory.canonical_unit(ctx.session, proposed)
        elif answer.selected:
            found = await directory.unit_by_value(ctx.session, answer.selected[0])
            if found is None:
                raise Invalid("unknown_choice")
            unit = found
        else:
            unit = await self._typed(ctx, progress, answer.text)
        progress.data.pop(UNIT_FILTER, None)
        return unit

    async def _typed(self, ctx: Ctx, progress: Progress, text: str) -> str:
        typed = rules.check_text(directory.normalise_text(text), maximum=rules.SHORT_TEXT)
        listed = await directory.directory_units(ctx.session)
        if not listed:
            return await directory.canonical_unit(ctx.session, typed)
        exact = [u for u in listed if u.name.casefold() == typed.casefold()]
        if exact:
            return exact[0].name
        found = directory.matching(listed, typed)
        if not found:
            raise Invalid("unit_no_match", typed=typed)
        if len(found) == 1:
            return found[0].name
        # Several fit: the list is narrowed to them and the question asked again.
        progress.data[UNIT_FILTER] = typed
        raise Invalid("unit_narrowed", typed=typed, count=len(found))


class ManagerStep(PeopleStep):
    """The immediate manager: the directory's, one click away, or anyone else with a reason."""

    offers_self = False

    def inputs(self, ctx: Ctx, progress: Progress) -> list[Block]:
        proposal = _proposal(progress)
        blocks = super().inputs(ctx, progress)
        if proposal.manager_id is not None and proposal.manager_id != ctx.person.id:
            label = ctx.tr("Yes, {name}", name=proposal.manager_name or "?")
            blocks.insert(0, Actions((Button(f"dlg:{self.name}:accept", label, style="primary"),)))
        return blocks

    def hint(self, ctx: Ctx, progress: Progress) -> str:
        proposal = _proposal(progress)
        if proposal.manager_id is not None and proposal.manager_id != ctx.person.id:
            return ctx.tr(
                "KI's directory names {name} as your manager: click Yes, or pick someone else and say why.",
                name=proposal.manager_name or "?",
            )
        if proposal.manager_email:
            return ctx.tr(
                "KI's directory names {name} ({email}) as your manager: pick them, or someone else and say why.",
                name=proposal.manager_name or proposal.manager_email,
                email=proposal.manager_email,
            )
        return super().hint(ctx, progress)

    async def accept(self, ctx: Ctx, progress: Progress, answer: Answer) -> Any:
        if answer.verb == "accept":
            proposed = (await _look_up(ctx, progress)).manager_id
            person = await ctx.session.get(Person, proposed) if proposed is not None else None
            if person is None:
                raise Invalid("unknown_choice")
            await _check_manager(ctx, progress, [person])
            manager_id = person.id
        else:
            manager_id = await super().accept(ctx, progress, answer)
        assert ctx.person.id is not None and manager_id is not None
        if await directory.manager_reason_needed(ctx.session, ctx.person.id, manager_id):
            progress.data[REASON_NEEDED] = True
        else:
            progress.data.pop(REASON_NEEDED, None)
            progress.data.pop(MANAGER_REASON, None)
        return manager_id


MANAGER_REASON = "manager_reason"


class ManagerReasonStep(TextStep):
    """Asked only when the manager named is not the one the directory names."""

    def applies(self, progress: Progress) -> bool:
        return bool(progress.data.get(REASON_NEEDED)) or self.name in progress.data

    def hint(self, ctx: Ctx, progress: Progress) -> str:
        proposal = _proposal(progress)
        return ctx.tr(
            "KI's directory names {name} as your manager. Say why someone else approves (at most {maximum} characters).",
            name=proposal.manager_name or proposal.manager_email or "?",
            maximum=self.maximum,
        )

    async def accept(self, ctx: Ctx, progress: Progress, answer: Answer) -> Any:
        return directory.check_manager_reason(answer.text)


class OpenAccount(Dialog):
    name = NAME
    title = N_("Open a social-media account")
    # What the account is for and how it is run, on one form after the platform: with the
    # unit, team and manager proposed or picked, a request takes eight clicks.
    forms = (
        FormGroup(
            "handle",
            (
                "handle",
                "scope",
                "purpose",
                "objectives",
                "target_group",
                "benefit",
                "monitoring",
                "holiday_cover",
                "response_time",
            ),
            N_(
                "Tell me about the account on this form and send it. You can also answer one question at a time."
            ),
            N_(
                "KI's guidelines ask what the account is for, who it is for and how it is looked after. Fill in every field and click Send the answers; a field that needs changing says why, and everything you typed stays."
            ),
        ),
    )

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
            UnitStep(
                "unit",
                N_("Organisational unit"),
                N_("Which organisational unit is responsible for the account?"),
                N_(
                    "The department, centre, section or research group, as it will be named on the account."
                ),
            ),
            ChoiceStep(
                "scope",
                N_("Scope"),
                N_("Is the account for a unit, university-wide, or for university administration?"),
                N_(
                    "University-wide and university administration accounts also need the approval of the Director of Communications."
                ),
                # No default: the scope decides whether the Director of Communications is
                # asked, so a form sent without looking at it must not say "unit" for them.
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
            TeamStep(
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
            ManagerStep(
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
            ManagerReasonStep(
                MANAGER_REASON,
                N_("Why another manager"),
                N_("Why should someone other than the manager in KI's directory approve?"),
                N_(
                    "KI's directory names another person as your immediate manager. Say why the person you named approves instead, for example that the account belongs to another activity or that your manager is on long leave. The approver, the Communications Office and the register see it."
                ),
                maximum=directory.MANAGER_REASON_MAX,
                minimum=directory.MANAGER_REASON_MIN,
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
                default="24h",
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

    async def prepare(self, ctx: Ctx, progress: Progress) -> None:
        if progress.step in ("unit", "manager", MANAGER_REASON):
            await _look_up(ctx, progress)
        if progress.step == "unit":
            listed = await directory.directory_units(ctx.session)
            progress.lookups["strict"] = bool(listed)
            progress.lookups["units"] = listed or await directory.registered_units(ctx.session)

    def after(self, progress: Progress, step: Step) -> str:
        # A reason is owed for a manager other than the directory's, even when editing.
        if (
            step.name == "manager"
            and progress.data.get(EDITING)
            and progress.data.get(REASON_NEEDED)
            and MANAGER_REASON not in progress.data
        ):
            return MANAGER_REASON
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
        missing = [s.name for s in self.asked(progress) if s.name not in data]
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
                manager_reason=data.get(MANAGER_REASON),
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
        **({MANAGER_REASON: request.manager_reason} if request.manager_reason else {}),
        "monitoring": request.monitoring,
        "holiday_cover": request.holiday_cover,
        "response_time": request.response_time,
        "acknowledgements": list(request.acknowledgements),
        REVISE: request.id,
    }
