"""Shortcuts for the tests of issue 5's chat side: a chat at an explicit time, reading a
refusal, and the sweep and delivery run as of an explicit time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from data.db import Store
from data.policy import NudgeConfig
from dialogs.engine import Reply
from dialogs.events import Sender
from dialogs.messages import Paragraph
from dialogs.router import Brain
from hub.delivery import Deliverer
from scheduler.sweep import SweepResult, sweep
from tests.helpers import KEY, T0, Cast, id_of
from tests.helpers.accounts import register
from tests.helpers.chat import Chat

STOCKHOLM = ZoneInfo("Europe/Stockholm")
CONFIG = NudgeConfig()


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A local time in Stockholm on `day`, as an aware UTC time."""
    return datetime.combine(day, time(hour, minute), tzinfo=STOCKHOLM).astimezone(UTC)


def chat(store: Store, sender: Sender, now: datetime = T0) -> Chat:
    """A chat with a Brain of its own (each turn may reach another bot process)."""
    return Chat(Brain(store, signing_key=KEY), sender, now=now)


def refusal(replies: list[Reply]) -> str:
    """The text of the one ephemeral refusal in `replies`."""
    [reply] = replies
    assert reply.ephemeral, reply
    block = reply.message.blocks[0]
    assert isinstance(block, Paragraph), block
    return block.text


async def sweep_and_deliver(
    store: Store, deliverer: Deliverer, now: datetime, config: NudgeConfig = CONFIG
) -> SweepResult:
    """Every rule as of `now`, then everything due delivered as of `now`."""
    result = await sweep(store, now, config)
    while await deliverer.deliver_due(now):
        pass
    return result


async def account_of(store: Store, cast: Cast, handle: str = "ki_neuroscience") -> int:
    """A registered account of the cast: the requester and a colleague, with the manager."""
    account = await register(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager, now=T0,
        handle=handle,
    )
    return id_of(account)
