"""`/team`: change who runs an account after registration (issue 11). It shows the account's
people with *Remove …* for each responsible person, *Add a person*, *Change the manager* and
*Correct the unit*; the last three are short conversations (a person picker, or typed text)
ending in a confirmation. The new manager accepts or declines on a card of their own
(`manager:accept`, `manager:decline`). data.team decides who may and keeps the rota in step."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from data import access, people, register, rota, team
from data.errors import MovedOn, NotAllowed
from data.models import Account, Person, Role
from data.policy import NudgeConfig
from dialogs.common import (
    ACCOUNTS,
    AccountStep,
    Host,
    account_choice,
    choose_account,
    int_value,
    note,
    offered,
    own_accounts,
    split_value,
)
from dialogs.engine import Ctx, Dialog, PeopleStep, Progress, Reply, TextStep
from dialogs.events import Action
from dialogs.explain import explain
from dialogs.i18n import N_
from dialogs.messages import Actions, Block, Button, Confirm, Context, Fields
from dialogs.naming import account_label, account_name, names

ADD = "team_add"
MANAGER = "team_manager"
UNIT = "team_unit"


def _account_step(question: str) -> AccountStep:
    return AccountStep(
        "account",
        N_("Account"),
        question,
        N_("You can change the people of the accounts you are on the team of or the manager of."),
    )


async def _account_of(ctx: Ctx, progress: Progress) -> Account:
    return await access.active_account(ctx.session, int(progress.data["account"]))


async def _newcomer(ctx: Ctx, progress: Progress, found: list[Person]) -> None:
    assert found[0].id is not None
    await team.check_newcomer(ctx.session, await _account_of(ctx, progress), found[0].id)


async def _already_there(ctx: Ctx, progress: Progress) -> set[int]:
    return await team.already_there(ctx.session, await _account_of(ctx, progress))


async def _new_manager(ctx: Ctx, progress: Progress, found: list[Person]) -> None:
    assert found[0].id is not None
    await team.check_new_manager(ctx.session, await _account_of(ctx, progress), found[0].id)


class _TeamDialog(Dialog):
    use_buttons = N_("Please use the buttons: Confirm, Edit a field or Cancel.")
    cancel_title = N_("Stop the change?")
    cancel_text = N_("Nothing is changed.")
    summary_help = N_(
        "Check the change before you confirm it. Edit a field changes one answer; Cancel leaves everything as it is."
    )

    def __init__(self, nudges: NudgeConfig) -> None:
        # The rota's working-day calendar and zone: a change of the team moves it.
        self.nudges = nudges

    async def cancelled(self, ctx: Ctx, progress: Progress) -> list[Reply]:
        return [note(ctx.tr("Cancelled. Nothing was changed."))]

    async def _refused(self, ctx: Ctx, error: MovedOn | NotAllowed) -> list[Reply]:
        return [note(explain(ctx.tr, error))]


class AddMember(_TeamDialog):
    name = ADD
    title = N_("Add a responsible person")
    summary_text = N_("Add this person to the team? Confirm, edit a field, or cancel.")
    submit_label = N_("Add to the team")
    use_buttons = N_("Please use the buttons: Add to the team, Edit a field or Cancel.")

    def __init__(self, nudges: NudgeConfig) -> None:
        super().__init__(nudges)
        self.steps = [
            _account_step(N_("Which account should the person join the team of?")),
            PeopleStep(
                "person",
                N_("New responsible person"),
                N_("Who should join the team of the account?"),
                N_(
                    "Responsible persons monitor the account on weekdays in turn, answer questions and archive it. The new person is added last in the rota. The manager can't be one of them."
                ),
                multi=False,
                check=_newcomer,
                unoffered=_already_there,
            ),
        ]

    async def submit(self, ctx: Ctx, progress: Progress) -> list[Reply]:
        assert ctx.person.id is not None
        account = await _account_of(ctx, progress)
        assert account.id is not None
        person_id = int(progress.data["person"])
        try:
            async with ctx.session.begin_nested():
                await team.add_member(
                    ctx.session, account_id=account.id, person_id=person_id,
                    actor_id=ctx.person.id, now=ctx.now, calendar=self.nudges.monitoring,
                    zone=self.nudges.zone,
                )
        except (MovedOn, NotAllowed) as error:
            return await self._refused(ctx, error)
        known = await names(ctx.session, [person_id])
        text = ctx.tr(
            "{name} is now on the team of {account}, last in the rota. They have been welcomed, and the team and the Communications Office have been told.",
            name=known.get(person_id, "?"),
            account=account_name(account.platform, account.handle),
        )
        return [await team_card(ctx, account, self.nudges, text)]


class ChangeManager(_TeamDialog):
    name = MANAGER
    title = N_("Change the manager")
    summary_text = N_(
        "Ask this person to take over as the immediate manager? Confirm, edit a field, or cancel."
    )
    submit_label = N_("Ask them to accept")
    use_buttons = N_("Please use the buttons: Ask them to accept, Edit a field or Cancel.")

    def __init__(self, nudges: NudgeConfig) -> None:
        super().__init__(nudges)
        self.steps = [
            _account_step(N_("Which account gets a new manager?")),
            PeopleStep(
                "manager",
                N_("New immediate manager"),
                N_("Who should be the account's immediate manager from now on?"),
                N_(
                    "The immediate manager with operational responsibility answers for the account and for cover when nobody in the team is available. They must accept before the change takes effect, and can't be one of the responsible persons."
                ),
                multi=False,
                check=_new_manager,
                unoffered=_already_there,
            ),
        ]

    async def submit(self, ctx: Ctx, progress: Progress) -> list[Reply]:
        assert ctx.person.id is not None
        account = await _account_of(ctx, progress)
        assert account.id is not None
        person_id = int(progress.data["manager"])
        try:
            async with ctx.session.begin_nested():
                await team.propose_manager(
                    ctx.session, account_id=account.id, person_id=person_id,
                    actor_id=ctx.person.id, now=ctx.now,
                )
        except (MovedOn, NotAllowed) as error:
            return await self._refused(ctx, error)
        known = await names(ctx.session, [person_id, account.manager_id])
        text = ctx.tr(
            "{name} has been asked to accept being the immediate manager of {account}. Until they do, {manager} stays the manager.",
            name=known.get(person_id, "?"),
            account=account_name(account.platform, account.handle),
            manager=known.get(account.manager_id, "?"),
        )
        return [await team_card(ctx, account, self.nudges, text)]


class CorrectUnit(_TeamDialog):
    name = UNIT
    title = N_("Correct the unit")
    summary_text = N_("Correct the organisational unit? Confirm, edit a field, or cancel.")
    submit_label = N_("Correct the unit")
    use_buttons = N_("Please use the buttons: Correct the unit, Edit a field or Cancel.")

    def __init__(self, nudges: NudgeConfig) -> None:
        super().__init__(nudges)
        self.steps = [
            _account_step(N_("Which account's unit needs correcting?")),
            TextStep(
                "unit",
                N_("Organisational unit"),
                N_("Which organisational unit is responsible for the account?"),
                N_(
                    "Write the department, unit or office as KI names it, for example Department of Neuroscience. The account must name the part of KI that is responsible for it."
                ),
                maximum=team.UNIT_TEXT,
            ),
        ]

    async def submit(self, ctx: Ctx, progress: Progress) -> list[Reply]:
        assert ctx.person.id is not None
        account = await _account_of(ctx, progress)
        assert account.id is not None
        try:
            async with ctx.session.begin_nested():
                await team.correct_unit(
                    ctx.session, account_id=account.id, unit=str(progress.data["unit"]),
                    actor_id=ctx.person.id, now=ctx.now,
                )
        except (MovedOn, NotAllowed) as error:
            return await self._refused(ctx, error)
        text = ctx.tr(
            "{account} is now registered to {unit}. The team and the Communications Office have been told.",
            account=account_name(account.platform, account.handle),
            unit=account.unit,
        )
        return [await team_card(ctx, account, self.nudges, text)]


def dialogs(nudges: NudgeConfig) -> list[Dialog]:
    return [AddMember(nudges), ChangeManager(nudges), CorrectUnit(nudges)]


# --- /team and its card -----------------------------------------------------------------------


async def team_card(ctx: Ctx, account: Account, nudges: NudgeConfig, text: str = "") -> Reply:
    """The account's people as they are now, with the buttons that change them."""
    assert account.id is not None
    order = (await rota.rota_of(ctx.session, account.id, nudges.zone)).order
    today = access.today(ctx.now, nudges.zone)
    on_duty = await rota.duty_on(
        ctx.session, account_id=account.id, day=today, calendar=nudges.monitoring,
        zone=nudges.zone,
    )
    waiting = await team.pending_handover(ctx.session, account.id)
    known = await names(
        ctx.session,
        [*order, account.manager_id, *([waiting.to_person_id] if waiting else [])],
    )
    if not nudges.monitoring.is_working_day(today):
        duty_today = ctx.tr("Not a working day")
    elif on_duty is None:
        duty_today = ctx.tr("Nobody available")
    else:
        duty_today = known.get(on_duty, "?")
    title = ctx.tr("The people of {account}", account=account_label(account))
    intro = text or ctx.tr(
        "Who runs {account}. Change it here when someone joins or leaves.",
        account=account_name(account.platform, account.handle),
    )
    blocks: list[Block] = [
        Fields(
            (
                (ctx.tr("Responsible persons (in rota order)"),
                 ", ".join(known.get(p, "?") for p in order)),
                (ctx.tr("Immediate manager"), known.get(account.manager_id, "?")),
                (ctx.tr("Organisational unit"), account.unit),
                (ctx.tr("On duty today"), duty_today),
            )
        )
    ]
    if waiting is not None:
        blocks.append(
            Context(
                ctx.tr(
                    "Waiting for {name} to accept being the immediate manager (asked {when}).",
                    name=known.get(waiting.to_person_id, "?"),
                    when=ctx.tr.when(waiting.proposed_at),
                )
            )
        )
    assert ctx.person.id is not None
    if not await team.may_change(ctx.session, account, ctx.person.id):
        # Someone who has just left the team: what they see is no longer theirs to change.
        return note(intro, *blocks, title=title)
    if len(order) > team.MIN_TEAM:
        blocks.append(Actions(tuple(_remove_button(ctx, account.id, p, known) for p in order)))
    else:
        blocks.append(
            Context(
                ctx.tr(
                    "An account needs at least {minimum} responsible persons: add someone before anyone leaves the team.",
                    minimum=team.MIN_TEAM,
                )
            )
        )
    value = str(account.id)
    blocks.append(
        Actions(
            (
                Button("team:add", ctx.tr("Add a person"), value, style="primary"),
                Button("team:manager", ctx.tr("Change the manager"), value),
                Button("team:unit", ctx.tr("Correct the unit"), value),
            )
        )
    )
    return note(intro, *blocks, title=title)


def _remove_button(ctx: Ctx, account_id: int, person_id: int, known: dict[int, str]) -> Button:
    name = known.get(person_id, "?")
    return Button(
        "team:remove",
        ctx.tr("Remove {name}", name=name),
        f"{account_id}:{person_id}",
        style="danger",
        confirm=Confirm(
            title=ctx.tr("Remove {name} from the team?", name=name),
            text=ctx.tr(
                "They leave the rota, and the team and the Communications Office are told."
            ),
            yes=ctx.tr("Yes, remove"),
            no=ctx.tr("No, keep them"),
        ),
    )


async def start(ctx: Ctx, host: Host, args: str) -> list[Reply]:
    """`/team [SOME-2027-0001]`: the account's card, after a choice when there are several.
    The Communications Office may name any open account by its number."""
    assert ctx.person.id is not None
    person_id = ctx.person.id
    accounts = await own_accounts(ctx.session, person_id)
    comms = await people.has_role(ctx.session, person_id, Role.COMMS.value)

    async def any_open(number: str) -> Account | None:
        found = await register.account_by_number(ctx.session, number)
        if found is None or not await team.may_change(ctx.session, found, person_id):
            return None
        return await access.active_account(ctx.session, found.id or 0)

    chosen = await choose_account(
        ctx, accounts, args,
        unnamed=N_(
            "None of the accounts whose people you may change is numbered {number}. Type /team alone to choose one."
        ),
        elsewhere=any_open if comms else None,
    )
    if isinstance(chosen, Reply):
        return [chosen]
    if chosen is None and not accounts:
        if comms:
            text = ctx.tr(
                "Type /team with the account's number, for example /team SOME-2027-0001."
            )
        else:
            text = ctx.tr(
                "You are not on the team of any open account, nor its manager, so there are no people you may change."
            )
        return [note(text)]
    if chosen is not None:
        return [await team_card(ctx, chosen, host.nudges)]
    text = ctx.tr("Which account's people do you want to see or change?")
    return [note(text, account_choice("team:show", accounts))]


async def _changeable(ctx: Ctx, raw: str) -> Account:
    """The account a button names, once data.team says the person may change it."""
    assert ctx.person.id is not None
    account = await access.active_account(ctx.session, int_value(raw, "unknown_account"))
    if not await team.may_change(ctx.session, account, ctx.person.id):
        raise NotAllowed("may_not_change_team")
    return account


async def show(ctx: Ctx, host: Host, action: Action) -> list[Reply]:
    """`team:show`: the account picked for `/team`."""
    account = await _changeable(ctx, action.selected[0] if action.selected else action.value)
    return [await team_card(ctx, account, host.nudges)]


async def remove(ctx: Ctx, host: Host, action: Action) -> list[Reply]:
    """`team:remove` (value `account_id:person_id`)."""
    assert ctx.person.id is not None
    account_id, raw_person = split_value(action.value, "unknown_account")
    person_id = int_value(raw_person, "unknown_person")
    removed = await team.remove_member(
        ctx.session, account_id=account_id, person_id=person_id, actor_id=ctx.person.id,
        now=ctx.now, calendar=host.nudges.monitoring, zone=host.nudges.zone,
    )
    account = await access.account(ctx.session, account_id)
    known = await names(ctx.session, [person_id, *([removed.on_duty] if removed.on_duty else [])])
    name = account_name(account.platform, account.handle)
    if person_id == ctx.person.id:
        text = ctx.tr(
            "You have left the team of {account} and its rota. The team and the Communications Office have been told.",
            account=name,
        )
    else:
        text = ctx.tr(
            "{name} has left the team of {account} and its rota. The team and the Communications Office have been told.",
            name=known.get(person_id, "?"),
            account=name,
        )
    if removed.was_on_duty and removed.on_duty is not None:
        text += " " + ctx.tr(
            "{name} is on duty today instead and has been told.",
            name=known.get(removed.on_duty, "?"),
        )
    elif removed.was_on_duty:
        text += " " + ctx.tr(
            "Nobody else in the team is available today, so the manager has been told."
        )
    # The card clicked on is shown as the team now is, so no stale Remove stays live on it.
    card = await team_card(ctx, account, host.nudges, text)
    return [replace(card, in_place=True, or_new=True)]


async def _begin(ctx: Ctx, host: Host, action: Action, dialog: str, step: str) -> list[Reply]:
    account = await _changeable(ctx, action.value)
    data: dict[str, Any] = {ACCOUNTS: offered([account]), "account": account.id}
    return await host.start_dialog(ctx, dialog, data=data, step=step)


async def add(ctx: Ctx, host: Host, action: Action) -> list[Reply]:
    """*Add a person* (`team:add`, value the account id)."""
    return await _begin(ctx, host, action, ADD, "person")


async def manager(ctx: Ctx, host: Host, action: Action) -> list[Reply]:
    """*Change the manager* (`team:manager`)."""
    return await _begin(ctx, host, action, MANAGER, "manager")


async def unit(ctx: Ctx, host: Host, action: Action) -> list[Reply]:
    """*Correct the unit* (`team:unit`)."""
    return await _begin(ctx, host, action, UNIT, "unit")


# --- the new manager's card -------------------------------------------------------------------


async def accept(ctx: Ctx, host: Host, action: Action) -> list[Reply]:
    """*Accept* (`manager:accept`, value the hand-over id) on the new manager's card."""
    assert ctx.person.id is not None
    handover = await team.accept_manager(
        ctx.session, handover_id=int_value(action.value, "unknown_handover"),
        actor_id=ctx.person.id, now=ctx.now,
    )
    account = await access.account(ctx.session, handover.account_id)
    text = ctx.tr(
        "You are now the immediate manager of {account} ({number}). The team and the Communications Office have been told.",
        account=account_name(account.platform, account.handle),
        number=account.number,
    )
    return [await team_card(ctx, account, host.nudges, text)]


async def decline(ctx: Ctx, host: Host, action: Action) -> list[Reply]:
    """*Decline* (`manager:decline`)."""
    assert ctx.person.id is not None
    handover = await team.decline_manager(
        ctx.session, handover_id=int_value(action.value, "unknown_handover"),
        actor_id=ctx.person.id, now=ctx.now,
    )
    account = await access.account(ctx.session, handover.account_id)
    text = ctx.tr(
        "You declined to become the immediate manager of {account}. Whoever asked you has been told.",
        account=account_name(account.platform, account.handle),
    )
    return [note(text)]
