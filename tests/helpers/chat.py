"""Talking to the bot in tests: neutral events in through `Brain.handle`, replies read back.

A `Chat` is one person's side of the conversation on the web console. Time is never read from a
clock: every turn happens at `chat.now`, which tests set explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from data import people, rules
from data.db import Store
from data.models import DialogState
from dialogs.engine import Progress, Reply
from dialogs.events import Action, Command, Sender, Text
from dialogs.messages import (
    Actions,
    Button,
    Choice,
    Fields,
    Form,
    Message,
    Paragraph,
    PersonPicker,
)
from dialogs.open_account import OpenAccount
from dialogs.router import Brain
from tests.helpers import T0, Cast, load
from tests.helpers.journey import in_progress

# The open-account questions, in the order they are asked (without a directory: the reason
# for naming another manager than the directory's is then never asked).
STEPS: tuple[str, ...] = tuple(
    step.name for step in OpenAccount().steps if step.applies(Progress("open_account", ""))
)
SUMMARY = "summary"


async def sender_of(
    store: Store, person_id: int, *, platform: str = "web", locale: str | None = None
) -> Sender:
    """How `person_id` appears to the bot on `platform` (their stored chat identity)."""
    async with store.transaction() as session:
        person = await people.get_person(session, person_id)
        known = [i for i in await people.identities(session, person_id) if i.platform == platform]
    assert known, f"person {person_id} has no identity on {platform}"
    return Sender(platform, known[0].external_id, person.display_name, person.email, locale)


@dataclass
class Chat:
    brain: Brain
    sender: Sender
    now: datetime = T0
    # Every reply this chat received, oldest first.
    log: list[Reply] = field(default_factory=list)
    # The clicked cards as rewritten once answered (`Reply.in_place`), oldest first: they
    # replace a card already in the chat rather than arrive as new messages.
    answered: list[Message] = field(default_factory=list)

    async def _turn(self, event: Command | Text | Action) -> list[Reply]:
        """The turn's new messages; the rewritten clicked card goes to `answered`."""
        replies = await self.brain.handle(event, self.now)
        # No platform names a clicked card here: what may come anew instead (`or_new`) does.
        self.answered.extend(r.message for r in replies if r.in_place and not r.or_new)
        replies = [r for r in replies if not r.in_place or r.or_new]
        self.log.extend(replies)
        return replies

    async def command(self, name: str, args: str = "") -> list[Reply]:
        return await self._turn(Command(self.sender, name, args))

    async def say(self, text: str) -> list[Reply]:
        return await self._turn(Text(self.sender, text))

    async def click(
        self,
        action: str,
        *selected: str,
        value: str = "",
        text: str = "",
        values: tuple[tuple[str, str], ...] = (),
    ) -> list[Reply]:
        """A click on `action`; a dialog's (`dlg:`) without `value` carries what the newest
        card in the chat offering it carries, as the platform sends it (the conversation the
        card belongs to); when none in the chat does (a test taking a short cut), what the
        conversation in progress's cards carry."""
        if not value and action.startswith("dlg:"):
            value = self.carried(action) or await in_progress(self.brain.store, self.sender)
        return await self._turn(
            Action(self.sender, action, value, tuple(selected), text, values)
        )

    def carried(self, action: str) -> str:
        """The value of `action` on the newest card in the chat that offers it ("": none)."""
        for reply in reversed(self.log):
            for block in reply.message.blocks:
                offered = (
                    [b for b in block.buttons if b.action == action]
                    if isinstance(block, Actions)
                    else [block] if isinstance(block, Choice | PersonPicker | Form)
                    and block.action == action else []
                )
                if offered:
                    return offered[0].value
        return ""

    async def dlg(self, step: str, what: str, *selected: str, text: str = "") -> list[Reply]:
        """A click on a dialog prompt: `dlg:<step>:<what>`."""
        return await self.click(f"dlg:{step}:{what}", *selected, text=text)


@dataclass(frozen=True)
class CastSenders:
    """The cast of `tests.helpers.make_cast` as senders on the web console."""

    requester: Sender
    colleague: Sender
    second_colleague: Sender
    manager: Sender
    director: Sender
    outsider: Sender


async def cast_senders(store: Store, cast: Cast, locale: str | None = None) -> CastSenders:
    return CastSenders(
        requester=await sender_of(store, cast.requester, locale=locale),
        colleague=await sender_of(store, cast.colleague),
        second_colleague=await sender_of(store, cast.second_colleague),
        manager=await sender_of(store, cast.manager),
        director=await sender_of(store, cast.director),
        outsider=await sender_of(store, cast.outsider),
    )


# Answers that pass every check, given half by typing and half by clicking.
PURPOSE = "Show the department's research to prospective students."


async def answer(chat: Chat, step: str, cast: CastSenders) -> list[Reply]:
    """Give `step` a valid answer, the way a person would."""
    if step == "platform":
        return await chat.dlg("platform", "choose", "instagram")
    if step == "handle":
        return await chat.say("@ki_neuroscience")
    if step == "unit":
        return await chat.say("Department of Neuroscience")
    if step == "scope":
        return await chat.dlg("scope", "choose", "unit")
    if step == "purpose":
        return await chat.say(PURPOSE)
    if step == "objectives":
        return await chat.say("Two posts a week about ongoing projects.")
    if step == "target_group":
        return await chat.say("Prospective master's students")
    if step == "benefit":
        return await chat.say("More applicants to the department's programmes.")
    if step == "team":
        return await chat.dlg("team", "pick", cast.colleague.external_id)
    if step == "manager":
        # Typed by full name, as the step's hint allows.
        assert cast.manager.display_name is not None
        return await chat.say(cast.manager.display_name)
    if step == "monitoring":
        return await chat.say("Checked every working day by the team in turn.")
    if step == "holiday_cover":
        return await chat.say("The unit's communicator covers holidays.")
    if step == "response_time":
        return await chat.say("2")  # the second option: within 24 hours
    if step == "acknowledgements":
        return await chat.dlg("acknowledgements", "choose", *rules.ACKNOWLEDGEMENTS)
    raise KeyError(step)


async def fill(chat: Chat, cast: CastSenders, *, until: str = SUMMARY) -> Message:
    """Start `/open-account` and answer every question before `until`; returns the prompt
    for `until` (the summary by default), checking each answer moved to the next question."""
    [reply] = await chat.command("open-account")
    for step in STEPS:
        assert step_of(reply.message) == step, texts(reply.message)
        if step == until:
            break
        [reply] = await answer(chat, step, cast)
    assert step_of(reply.message) == until, texts(reply.message)
    return reply.message


async def fill_from(chat: Chat, cast: CastSenders, first: str, *, until: str = SUMMARY) -> Message:
    """Answer the questions from `first` (the current one) up to `until`; returns the prompt
    for `until`."""
    order = (*STEPS, SUMMARY)
    steps = order[order.index(first) : order.index(until)]
    assert steps, (first, until)
    for step in steps:
        message = only(await answer(chat, step, cast))
    assert step_of(message) == until, texts(message)
    return message


# Reading replies.


def only(replies: list[Reply]) -> Message:
    assert len(replies) == 1, replies
    return replies[0].message


def buttons(message: Message) -> list[Button]:
    return [b for block in message.blocks if isinstance(block, Actions) for b in block.buttons]


def step_of(message: Message) -> str | None:
    """The dialog step a prompt asks (`summary` for the summary), None if it is no prompt."""
    for button in buttons(message):
        prefix, _, rest = button.action.partition(":")
        step, _, what = rest.partition(":")
        if prefix == "dlg" and what in ("help", "submit"):
            return step
    return None


def texts(message: Message) -> list[str]:
    """The message's one-line text and every paragraph in it."""
    return [message.text, *(b.text for b in message.blocks if isinstance(b, Paragraph))]


def says(message: Message, text: str) -> bool:
    """Whether `text` is part of what the message says (its line or one of its paragraphs)."""
    return any(text in line for line in texts(message))


def fields(message: Message) -> dict[str, str]:
    return {k: v for block in message.blocks if isinstance(block, Fields) for k, v in block.items}


def choices(message: Message) -> list[Choice]:
    return [block for block in message.blocks if isinstance(block, Choice)]


def pickers(message: Message) -> list[PersonPicker]:
    return [block for block in message.blocks if isinstance(block, PersonPicker)]


async def dialog_state(store: Store, person_id: int) -> DialogState | None:
    found = await load(store, DialogState, DialogState.person_id == person_id)
    return found[0] if found else None
