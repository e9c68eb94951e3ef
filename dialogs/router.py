"""One turn of the bot: a neutral event in, replies out, in one database transaction.

Platforms translate their payloads into `dialogs.events` and render the replies; everything in
between is here. Dialog progress is loaded and saved in `dialog_turn` and nowhere else. This
module only dispatches: each command and each button's feature lives in a module of its own
(dialogs.duty, .questions, .experts, .moderation, .consent, .case_records, .accessible, .archiving, .closing,
.approval, .accounts,
.team).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from data import dialog_state, people
from data import directory as staff
from data.db import Store
from data.directory import Directory
from data.errors import DomainError, MovedOn
from data.models import Person
from data.policy import NudgeConfig
from data.workdays import Calendar
from dialogs import (
    accessible,
    accounts,
    approval,
    archiving,
    case_management,
    case_records,
    closing,
    consent,
    dashboard,
    duty,
    experts,
    language,
    moderation,
    questions,
    team,
)
from dialogs.answered import settled
from dialogs.common import Act, note
from dialogs.engine import Ctx, Engine, Progress, Reply
from dialogs.events import Action, Command, Event, Sender, Text, Visit
from dialogs.explain import explain
from dialogs.help import ALL_COMMANDS, COMMANDS, GREETING, greeting, help_message
from dialogs.i18n import Translator, normalise
from dialogs.messages import Message
from dialogs.open_account import NAME as OPEN_ACCOUNT
from dialogs.open_account import OpenAccount
from dialogs.text import clean_sender

__all__ = ["ALL_COMMANDS", "COMMANDS", "Brain"]

Resolver = Callable[[AsyncSession, tuple[str, ...]], Awaitable[list[Person | None]]]
# A platform's way to tell who the people picked on it are (neutral profiles; None: nobody).
Lookup = Callable[[tuple[str, ...]], Awaitable[list[Sender | None]]]
# A platform's way to find a colleague by work e-mail (a neutral profile; None: nobody).
EmailLookup = Callable[[str], Awaitable[Sender | None]]
Handler = Callable[[Ctx, "Brain", str, Action], Awaitable[list[Reply]]]


async def _check_in(ctx: Ctx, host: Brain, verb: str, action: Action) -> list[Reply]:
    if verb not in ("monitored", "cannot"):
        raise DomainError("unknown_button")
    return await duty.check_in(ctx, host, verb, action)


async def _language(ctx: Ctx, _host: Brain, verb: str, action: Action) -> list[Reply]:
    return await language.choose(ctx, verb, action)


def _one(
    handlers: dict[str, Callable[[Ctx, Brain, Action], Awaitable[list[Reply]]]],
) -> Handler:
    async def handle(ctx: Ctx, host: Brain, verb: str, action: Action) -> list[Reply]:
        handler = handlers.get(verb)
        if handler is None:
            raise DomainError("unknown_button")
        return await handler(ctx, host, action)

    return handle


# Buttons by the prefix of their action (`prefix:verb`).
BUTTONS: dict[str, Handler] = {
    "approval": approval.approval,
    "handover": _one({"to": approval.hand_over, "cancel": approval.keep}),
    "revise": _one({"": approval.revise}),
    "duty": _check_in,
    "away": _one({"cancel": duty.cancel_absence}),
    "rota": _one({"rotation": duty.change_rotation, "first": duty.put_first}),
    "active": _one({"yes": duty.still_active}),
    "question": _one({"answered": questions.answered, "refer": experts.refer}),
    "expert": _one({"suggest": experts.suggest, "notme": experts.not_me}),
    "case": _one({"mark": case_management.mark, "research": case_management.research,
                  "number": case_management.number}),
    "archive": _one(
        {"done": archiving.done, "snooze": archiving.snooze, "request": archiving.request}
    ),
    "close": _one({"start": closing.from_button}),
    "team": _one(
        {
            "show": team.show,
            "remove": team.remove,
            "add": team.add,
            "manager": team.manager,
            "unit": team.unit,
        }
    ),
    "manager": _one({"accept": team.accept, "decline": team.decline}),
    "accounts": _one({"page": accounts.turn_page}),
    "language": _language,
}

# The buttons that settle what their card asked (`prefix:verb`), and when: their row of the card
# is then rewritten to show what was chosen (dialogs.answered.settled). Buttons that open a
# conversation (Ask a colleague, Close the account) leave the card as it was; the cards of an
# approval, a colleague asked and a manager's hand-over are rewritten from the request's,
# referral's or hand-over's state by the domain itself (`update_of`).
SETTLES: dict[str, Callable[[Action], bool]] = {
    "duty:monitored": lambda _: True,
    "duty:cannot": lambda _: True,
    "away:cancel": lambda _: True,
    "rota:rotation": lambda _: True,
    "rota:first": lambda _: True,
    "active:yes": lambda _: True,
    "question:answered": lambda _: True,
    "case:mark": lambda _: True,
    "case:research": lambda _: True,
    # Without a location typed in, *Archived…* asks where first: nothing is settled yet.
    "archive:done": lambda action: bool(action.text.strip()),
    "archive:snooze": lambda _: True,
}
# The card a button was clicked on, as it reads now (None: not one the bot can find).
ClickedCard = Callable[[], Awaitable[Message | None]]

# The command that starts the /open-account conversation.
OPENING = "open-account"


def _typed_command(event: Event) -> Event:
    """A text typed as "/name args" is the command `name`."""
    if isinstance(event, Text) and event.text.strip().startswith("/"):
        name, _, args = event.text.strip()[1:].partition(" ")
        return Command(event.sender, name.lower(), args.strip())
    return event


class Brain:
    def __init__(
        self,
        store: Store,
        *,
        default_locale: str = "en",
        timezone: ZoneInfo | None = None,
        resolvers: dict[str, Lookup] | None = None,
        email_lookups: dict[str, EmailLookup] | None = None,
        nudges: NudgeConfig | None = None,
        public_url: str | None = None,
        directory: Directory | None = None,
        signing_key: bytes | None = None,
    ) -> None:
        self.store = store
        self.default_locale = normalise(default_locale)
        self.timezone = timezone or ZoneInfo("Europe/Stockholm")
        self.resolvers = resolvers or {}
        self.email_lookups = email_lookups or {}
        # The working-day calendar and zone the rota, /duty and the reminders count in.
        self.nudges = nudges or NudgeConfig(zone=self.timezone, calendar=Calendar())
        # Where people reach this server (https://…): links sent on Slack and Teams start with it.
        self.public_url = public_url
        # Signs dashboard sign-in links; from outside the database (bot/secret_key.py).
        self.signing_key = signing_key
        # The organisation's directory beyond the imported one (Microsoft Graph), if configured.
        self.directory = directory
        self.engine = Engine(
            [
                OpenAccount(),
                questions.LogQuestion(),
                closing.CloseAccount(),
                *team.dialogs(self.nudges),
                *experts.dialogs(self.nudges),
                moderation.RecordRemoval(),
                consent.RecordConsent(),
                case_records.RecordCasework(),
                accessible.AccessiblePost(),
            ]
        )

    def translator(self, person: Person) -> Translator:
        return Translator(normalise(person.locale, self.default_locale), self.timezone)

    async def handle(self, event: Event, now: datetime) -> list[Reply]:
        """Run one turn in a transaction of its own (tests, the CLI). The hub (hub/turns.py)
        runs turns from its inbox with `turn`, in the transaction that also marks the inbox row
        done, which is what recognises a platform's repeated delivery."""
        await self.look_up_ahead(event, now)
        async with self.store.transaction() as session:
            person = await self.capture(session, event.sender, now)
            return await self.turn(session, person, event, now)

    @staticmethod
    async def capture(
        session: AsyncSession, sender: Sender, now: datetime, *, spoke: bool = True
    ) -> Person:
        """The person behind `sender`, stored or refreshed with what the platform told us;
        `spoke`: it is they who wrote (not someone who picked or named them). What the
        platform said of them is cleaned first, as typed text is: an adapter may hand over a
        profile it looked up (a name with controls or invisible characters in it)."""
        sender = clean_sender(sender)
        return await people.ensure_person(
            session,
            now=now,
            platform=sender.platform,
            external_id=sender.external_id,
            display_name=sender.display_name,
            email=sender.email,
            locale=sender.locale,
            address=sender.address,
            spoke=spoke,
        )

    async def look_up_ahead(self, event: Event, now: datetime) -> None:
        """Before a turn that starts /open-account, outside any transaction: what its
        directory steps would otherwise ask other services for inside the turn's transaction
        (on SQLite the one write lock, which every acknowledgement waits for, held across a
        call to Graph or the platform): the sender's entry from the remote directory when the
        one stored is stale, then the manager it names, by work e-mail on the sender's
        platform, when the bot does not know them yet. Later turns find both stored; what
        cannot be had now is left to the turn, which goes on without it as before."""
        sender = event.sender
        event = _typed_command(event)
        starts = (isinstance(event, Command) and event.name == OPENING) or (
            isinstance(event, Action) and event.action == f"cmd:{OPENING}"
        )
        lookup = self.email_lookups.get(sender.platform)
        if not starts or (self.directory is None and lookup is None):
            return
        async with self.store.read() as session:
            person = await people.find_by_identity(session, sender.platform, sender.external_id)
            email = (person.email if person is not None else None) or sender.email
            if not email:
                return
            ask = self.directory is not None and staff.stale(
                await staff.entry(session, email), now
            )
        if ask and self.directory is not None:
            found = await staff.ask(self.directory, email)
            if found is not None:
                async with self.store.transaction() as session:
                    await staff.remember(session, found, now=now)
        if lookup is None:
            return
        async with self.store.read() as session:
            manager = await staff.unknown_manager(session, email)
        described = await lookup(manager) if manager else None
        if described is not None:
            async with self.store.transaction() as session:
                await self.capture(session, described, now, spoke=False)

    async def turn(
        self,
        session: AsyncSession,
        person: Person,
        event: Event,
        now: datetime,
        clicked: ClickedCard | None = None,
    ) -> list[Reply]:
        """One turn of `person` in `session`'s transaction: dialog state loaded and saved, domain
        operations called, replies returned (the caller owes or sends them). `clicked` finds
        the card a button was clicked on, for a button that settles it (`SETTLES`)."""
        sender = event.sender
        ctx = Ctx(
            session=session,
            person=person,
            platform=sender.platform,
            tr=self.translator(person),
            now=now,
            resolve_people=self._resolver(sender.platform, now),
            directory=self.directory,
            find_by_email=self._email_finder(sender.platform, now),
            external_id=sender.external_id,
            client_locale=sender.locale,
        )
        event = _typed_command(event)
        if isinstance(event, Command):
            return await self._refusing(ctx, lambda: self._command(ctx, event))
        if isinstance(event, Text):
            return await self._text(ctx, event)
        if isinstance(event, Visit):
            return []
        return await self._action(ctx, event, clicked)

    def _resolver(self, platform: str, now: datetime) -> Resolver:
        """People picked on `platform`, by their platform ids: those we know, else those the
        platform's lookup describes, made known in the turn's transaction."""
        lookup = self.resolvers.get(platform)

        async def resolve(session: AsyncSession, ids: tuple[str, ...]) -> list[Person | None]:
            found: list[Person | None] = []
            for external_id in ids:
                known = await people.find_by_identity(session, platform, external_id)
                if known is None and lookup is not None:
                    [described] = await lookup((external_id,))
                    if described is not None:
                        known = await self.capture(session, described, now, spoke=False)
                found.append(known)
            return found

        return resolve

    def _email_finder(
        self, platform: str, now: datetime
    ) -> Callable[[AsyncSession, str], Awaitable[Person | None]] | None:
        """A colleague by work e-mail on `platform`, for one the database does not know yet
        (the directory names a manager who has never written to the bot)."""
        lookup = self.email_lookups.get(platform)
        if lookup is None:
            return None

        async def find(session: AsyncSession, email: str) -> Person | None:
            described = await lookup(email)
            if described is None:
                return None
            return await self.capture(session, described, now, spoke=False)

        return find

    # --- dialogs ----------------------------------------------------------------------------

    async def dialog_turn(self, ctx: Ctx, act: Act) -> list[Reply]:
        assert ctx.person.id is not None
        state = await dialog_state.load(ctx.session, ctx.person.id)
        progress = (
            Progress(state.dialog, state.step, dict(state.data), list(state.history), state.turn)
            if state is not None
            else None
        )
        progress, replies = await act(progress)
        if progress is None or progress.finished:
            if state is not None:
                await dialog_state.clear(ctx.session, ctx.person.id)
        else:
            await dialog_state.save(
                ctx.session,
                person_id=ctx.person.id,
                dialog=progress.dialog,
                step=progress.step,
                data=progress.data,
                history=progress.history,
                turn=progress.turn,
                now=ctx.now,
            )
        return replies

    async def start_dialog(
        self,
        ctx: Ctx,
        name: str,
        *,
        data: dict[str, Any] | None = None,
        step: str | None = None,
        intro: str = "",
        resume: str = "",
    ) -> list[Reply]:
        """Start dialog `name`; the same dialog in progress is resumed instead, and another
        one must be finished or cancelled first (its answers are never thrown away)."""

        async def act(progress: Progress | None) -> tuple[Progress | None, list[Reply]]:
            if progress is not None and progress.dialog == name:
                return progress, await self.engine.resume(ctx, progress, resume)
            if progress is not None:
                return progress, await self.engine.busy(ctx, progress)
            fresh = self.engine.start(name, data)
            if step is not None:
                fresh.step = self.engine.applying(fresh, step)
            return fresh, await self.engine.prompt(ctx, fresh, intro)

        return await self.dialog_turn(ctx, act)

    # --- events -----------------------------------------------------------------------------

    async def _refusing(
        self, ctx: Ctx, work: Callable[[], Awaitable[list[Reply]]]
    ) -> list[Reply]:
        """Run `work`; a domain refusal becomes an answer only the person sees, and what the
        refused work had written is undone (a savepoint), as if it had never been asked."""
        try:
            async with ctx.session.begin_nested():
                return await work()
        except DomainError as error:
            return [note(explain(ctx.tr, error), ephemeral=True)]

    async def _command(self, ctx: Ctx, command: Command) -> list[Reply]:
        name, args = command.name, command.args
        if name == OPENING:
            intro = ctx.tr(
                "Let's open a social-media account in KI's name. I'll ask one thing at a time; your answers are saved as you go."
            )
            resume = ctx.tr("You have a request in progress. Let's continue where you left off.")
            return await self.start_dialog(ctx, OPEN_ACCOUNT, intro=intro, resume=resume)
        if name == "accounts":
            return [Reply(await accounts.accounts(ctx, self))]
        if name == "duty":
            return await duty.duty(ctx, self)
        if name == "away":
            return await duty.away(ctx, self, args)
        if name == "question":
            return await questions.start(ctx, self, args)
        if name == "removed":
            return await moderation.start(ctx, self, args)
        if name == "consent":
            return await consent.start(ctx, self, args)
        if name == "casework":
            return await case_records.start(ctx, self, args)
        if name == "accessible":
            return await accessible.start(ctx, self, args)
        if name == "major-change":
            return await archiving.major_change(ctx, self, args)
        if name == "close-account":
            return await closing.start(ctx, self, args)
        if name == "team":
            return await team.start(ctx, self, args)
        if name == "dashboard":
            return await dashboard.dashboard(ctx, self.public_url, self.signing_key)
        if name == "language":
            return await language.language(ctx, args)
        if name == "help":
            return [Reply(help_message(ctx))]
        if name == GREETING:
            return [Reply(greeting(ctx))]
        text = ctx.tr("I don't know the command /{name}.", name=name)
        return [Reply(help_message(ctx, notice=text), ephemeral=True)]

    async def _text(self, ctx: Ctx, event: Text) -> list[Reply]:
        async def answer(progress: Progress | None) -> tuple[Progress | None, list[Reply]]:
            if progress is None:
                hello = (
                    ctx.tr("I found no text in your message. Here is what I can do.")
                    if not event.text.strip()
                    else ctx.tr("Hello! Here is what I can do.")
                )
                return None, [Reply(help_message(ctx, notice=hello))]
            return progress, await self.engine.on_text(ctx, progress, event.text)

        return await self.dialog_turn(ctx, answer)

    @staticmethod
    async def _too_late(
        ctx: Ctx, action: Action, clicked: ClickedCard | None, card: Message | None,
        error: MovedOn,
    ) -> list[Reply]:
        """A settling button clicked after what it asks was done (another person's copy of a
        reminder, a double click, an old card): its card is settled where it is, saying who
        did it, rather than left offering what can no longer be done; when the card cannot
        be found, the person is told beside it. The refused click changed nothing (its
        savepoint), so the card is looked up now if it was not before."""
        said = explain(ctx.tr, error)
        settles = SETTLES.get(action.action)
        looked = settles is not None and settles(action)
        if not looked and clicked is not None and settles is not None:
            card = await clicked()
        if card is None:
            return [note(said, ephemeral=True)]
        return [Reply(settled(card, action.action, action.value, lambda _: said), in_place=True)]

    async def _action(
        self, ctx: Ctx, action: Action, clicked: ClickedCard | None = None
    ) -> list[Reply]:
        prefix, _, rest = action.action.partition(":")
        if prefix == "dlg":
            step, _, what = rest.partition(":")
            shown = await clicked() if clicked is not None else None

            async def click(progress: Progress | None) -> tuple[Progress | None, list[Reply]]:
                if progress is None:
                    text = ctx.tr(
                        "That conversation has ended. Type /open-account to start a new request."
                    )
                    return None, [note(text, ephemeral=True)]
                replies = await self.engine.on_action(
                    ctx, progress, step, what, action.selected, action.text, action.values,
                    shown, conversation=action.value,
                )
                return progress, replies

            return await self.dialog_turn(ctx, click)
        if prefix == "cmd":
            return await self._refusing(
                ctx, lambda: self._command(ctx, Command(action.sender, rest))
            )
        handler = BUTTONS.get(prefix)
        if handler is None:
            return [note(explain(ctx.tr, DomainError("unknown_button")), ephemeral=True)]
        settles = SETTLES.get(action.action)
        # The card as it read when clicked: looked up before the click changes what it shows.
        card = await clicked() if clicked is not None and settles and settles(action) else None
        try:
            # A refusal can come after the operation has written part of its work (a decision
            # row before "no director"); the savepoint undoes that part, as if never clicked.
            async with ctx.session.begin_nested():
                replies = await handler(ctx, self, rest, action)
        except MovedOn as error:
            return await self._too_late(ctx, action, clicked, card, error)
        except DomainError as error:
            return [note(explain(ctx.tr, error), ephemeral=True)]
        if card is None:
            return replies

        def line(label: str) -> str:
            if not label:
                return ctx.tr("✓ Done.")
            return ctx.tr("✓ You chose: {answer}", answer=label)

        done = settled(card, action.action, action.value, line)
        return [Reply(done, in_place=True), *replies]
