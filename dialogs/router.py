"""One turn of the bot: a neutral event in, replies out, in one database transaction.

Platforms translate their payloads into `dialogs.events` and render the replies; everything in
between is here. Dialog progress is loaded and saved in `_dialog_turn` and nowhere else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from data import dialog_state, people, register, requests
from data.db import Store
from data.errors import DomainError, MovedOn
from data.models import Decision, Person, RequestStatus, Role
from dialogs import notices
from dialogs.engine import Ctx, Engine, Progress, Reply
from dialogs.events import Action, Command, Event, Text
from dialogs.explain import explain
from dialogs.i18n import N_, Translator, normalise
from dialogs.messages import Actions, Block, Button, Fields, Message, Paragraph, PersonPicker
from dialogs.open_account import NAME as OPEN_ACCOUNT
from dialogs.open_account import OpenAccount, request_answers

Resolver = Callable[[AsyncSession, tuple[str, ...]], Awaitable[list[Person | None]]]

# The commands of DESIGN.md section 6 that have a flow so far.
COMMANDS = ("open-account", "accounts", "help")

ACCOUNT_STATUS = {"active": N_("active"), "closed": N_("closed")}


class Brain:
    def __init__(
        self,
        store: Store,
        *,
        default_locale: str = "en",
        timezone: ZoneInfo | None = None,
        resolvers: dict[str, Resolver] | None = None,
    ) -> None:
        self.store = store
        self.default_locale = normalise(default_locale)
        self.timezone = timezone or ZoneInfo("Europe/Stockholm")
        self.resolvers = resolvers or {}
        self.engine = Engine([OpenAccount()])

    def translator(self, person: Person) -> Translator:
        return Translator(normalise(person.locale, self.default_locale), self.timezone)

    async def handle(self, event: Event, now: datetime) -> list[Reply]:
        async with self.store.transaction() as session:
            sender = event.sender
            person = await people.ensure_person(
                session,
                now=now,
                platform=sender.platform,
                external_id=sender.external_id,
                display_name=sender.display_name,
                email=sender.email,
                locale=sender.locale,
                address=sender.address,
            )
            ctx = Ctx(
                session=session,
                person=person,
                platform=sender.platform,
                tr=self.translator(person),
                now=now,
                resolve_people=self._resolver(sender.platform),
            )
            if isinstance(event, Text) and event.text.strip().startswith("/"):
                name, _, args = event.text.strip()[1:].partition(" ")
                event = Command(sender, name.lower(), args.strip())
            if isinstance(event, Command):
                return await self._command(ctx, event)
            if isinstance(event, Text):
                return await self._text(ctx, event)
            return await self._action(ctx, event)

    def _resolver(self, platform: str) -> Resolver:
        if platform in self.resolvers:
            return self.resolvers[platform]

        async def by_identity(session: AsyncSession, ids: tuple[str, ...]) -> list[Person | None]:
            return [await people.find_by_identity(session, platform, i) for i in ids]

        return by_identity

    async def _dialog_turn(
        self,
        ctx: Ctx,
        act: Callable[[Progress | None], Awaitable[tuple[Progress | None, list[Reply]]]],
    ) -> list[Reply]:
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

    async def _command(self, ctx: Ctx, command: Command) -> list[Reply]:
        if command.name == "open-account":

            async def start(progress: Progress | None) -> tuple[Progress | None, list[Reply]]:
                if progress is not None and progress.dialog == OPEN_ACCOUNT:
                    notice = ctx.tr(
                        "You have a request in progress. Let's continue where you left off."
                    )
                    return progress, await self.engine.prompt(ctx, progress, notice)
                fresh = self.engine.start(OPEN_ACCOUNT)
                intro = ctx.tr(
                    "Let's open a social-media account in KI's name. I'll ask one thing at a time; your answers are saved as you go."
                )
                return fresh, await self.engine.prompt(ctx, fresh, intro)

            return await self._dialog_turn(ctx, start)
        if command.name == "accounts":
            return [Reply(await self._accounts(ctx))]
        if command.name == "help":
            return [Reply(self._help(ctx))]
        text = ctx.tr("I don't know the command /{name}.", name=command.name)
        return [Reply(self._help(ctx, notice=text), ephemeral=True)]

    async def _text(self, ctx: Ctx, event: Text) -> list[Reply]:
        async def answer(progress: Progress | None) -> tuple[Progress | None, list[Reply]]:
            if progress is None:
                return None, [
                    Reply(self._help(ctx, notice=ctx.tr("Hello! Here is what I can do.")))
                ]
            return progress, await self.engine.on_text(ctx, progress, event.text)

        return await self._dialog_turn(ctx, answer)

    async def _action(self, ctx: Ctx, action: Action) -> list[Reply]:
        prefix, _, rest = action.action.partition(":")
        if prefix == "dlg":
            step, _, what = rest.partition(":")

            async def click(progress: Progress | None) -> tuple[Progress | None, list[Reply]]:
                if progress is None:
                    text = ctx.tr(
                        "That conversation has ended. Type /open-account to start a new request."
                    )
                    return None, [
                        Reply(Message(text=text, blocks=(Paragraph(text),)), ephemeral=True)
                    ]
                replies = await self.engine.on_action(
                    ctx, progress, step, what, action.selected, action.text
                )
                return progress, replies

            return await self._dialog_turn(ctx, click)
        if prefix == "cmd":
            return await self._command(ctx, Command(action.sender, rest))
        try:
            if prefix == "approval":
                return await self._approval(ctx, rest, action)
            if prefix == "handover":
                return await self._hand_over(ctx, action)
            if prefix == "revise":
                return await self._revise(ctx, action)
        except DomainError as error:
            text = explain(ctx.tr, error)
            return [Reply(Message(text=text, blocks=(Paragraph(text),)), ephemeral=True)]
        text = ctx.tr("That button no longer does anything.")
        return [Reply(Message(text=text, blocks=(Paragraph(text),)), ephemeral=True)]

    async def _approval(self, ctx: Ctx, verb: str, action: Action) -> list[Reply]:
        request_id, round_, stage = _card_value(action.value)
        assert ctx.person.id is not None
        if verb == "handover":
            request = await requests.get_request(ctx.session, request_id)
            if request.approver_id != ctx.person.id and request.requester_id != ctx.person.id:
                raise DomainError("not_approver")
            text = ctx.tr("Who should decide instead of you?")
            return [
                Reply(
                    Message(
                        text=text,
                        blocks=(
                            Paragraph(text),
                            PersonPicker(
                                "handover:to",
                                action.value,
                                placeholder=ctx.tr("Choose a person"),
                                submit_label=ctx.tr("Hand over"),
                            ),
                        ),
                    ),
                    ephemeral=True,
                )
            ]
        decision = {
            "approve": Decision.APPROVE,
            "reject": Decision.REJECT,
            "changes": Decision.CHANGES,
        }[verb]
        outcome = await requests.decide(
            ctx.session,
            request_id=request_id,
            actor_id=ctx.person.id,
            decision=decision,
            reason=action.text or None,
            now=ctx.now,
            expect_round=round_,
            expect_stage=stage,
        )
        account = notices.account_name(outcome.request.platform, outcome.request.handle)
        if outcome.account is not None:
            text = ctx.tr(
                "Approved. {account} is registered as {number}; the team and the Communications Office are told.",
                account=account,
                number=outcome.account.number,
            )
        elif decision is Decision.APPROVE:
            text = ctx.tr(
                "Approved. The request for {account} now goes to the Director of Communications.",
                account=account,
            )
        elif decision is Decision.REJECT:
            text = ctx.tr("Rejected. The requester is told, with your reason.")
        else:
            text = ctx.tr("Sent back to the requester with your request for changes.")
        return [Reply(Message(text=text, blocks=(Paragraph(text),)))]

    async def _hand_over(self, ctx: Ctx, action: Action) -> list[Reply]:
        request_id, round_, stage = _card_value(action.value)
        assert ctx.person.id is not None
        if not action.selected:
            raise DomainError("empty")
        resolved = await ctx.resolve_people(ctx.session, action.selected[:1])
        target = resolved[0]
        if target is None or target.id is None:
            raise DomainError("unknown_person", name=action.selected[0])
        await requests.hand_over(
            ctx.session,
            request_id=request_id,
            actor_id=ctx.person.id,
            to_person_id=target.id,
            now=ctx.now,
            expect_round=round_,
            expect_stage=stage,
        )
        text = ctx.tr(
            "Handed over to {name}. They have been sent the request.", name=target.display_name
        )
        return [Reply(Message(text=text, blocks=(Paragraph(text),)))]

    async def _revise(self, ctx: Ctx, action: Action) -> list[Reply]:
        request = await requests.get_request(ctx.session, int(action.value))
        if request.requester_id != ctx.person.id:
            raise DomainError("not_requester")
        if request.status != RequestStatus.CHANGES_REQUESTED.value:
            raise MovedOn("request_moved_on")

        async def revise(progress: Progress | None) -> tuple[Progress | None, list[Reply]]:
            fresh = self.engine.start(OPEN_ACCOUNT, request_answers(request))
            notice = ctx.tr("Change what is needed, then submit the request again.")
            return fresh, await self.engine.prompt(ctx, fresh, notice)

        return await self._dialog_turn(ctx, revise)

    async def _accounts(self, ctx: Ctx) -> Message:
        assert ctx.person.id is not None
        sees_all = await people.has_role(ctx.session, ctx.person.id, Role.COMMS.value)
        found = (
            await register.accounts(ctx.session)
            if sees_all
            else await register.accounts_of(ctx.session, ctx.person.id)
        )
        if not found:
            text = ctx.tr(
                "You have no accounts in the register yet. Type /open-account to request one."
            )
            return Message(text=text, blocks=(Paragraph(text),))
        title = ctx.tr("Accounts in the register") if sees_all else ctx.tr("Your accounts")
        items = tuple(
            (
                a.number,
                f"{notices.account_name(a.platform, a.handle)} · {a.unit} · {ctx.tr(ACCOUNT_STATUS.get(a.status, a.status))}",
            )
            for a in found
        )
        return Message(text=title, title=title, blocks=(Fields(items),))

    def _help(self, ctx: Ctx, notice: str = "") -> Message:
        tr = ctx.tr
        lines = (
            ("/open-account", tr("Request a new social-media account in KI's name.")),
            ("/accounts", tr("List your accounts in the register.")),
            ("help", tr("Show this help.")),
        )
        intro = tr("I help you follow KI's rules for social-media accounts.")
        blocks: list[Block] = [Paragraph(notice)] if notice else []
        blocks += [
            Paragraph(intro),
            Fields(lines),
            Actions((Button("cmd:open-account", tr("Open an account"), style="primary"),)),
        ]
        return Message(
            text=f"{notice} {intro}".strip(), title=tr("kontobot help"), blocks=tuple(blocks)
        )


def _card_value(value: str) -> tuple[int, int, str]:
    try:
        request_id, round_, stage = value.split(":")
        return int(request_id), int(round_), stage
    except ValueError:
        raise DomainError("unknown_request") from None
