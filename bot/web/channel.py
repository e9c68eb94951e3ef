"""The web chat as a `Channel`: messages are rows the browser polls for."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from dialogs.channel import PLACES, Address
from dialogs.events import Event
from dialogs.i18n import N_
from dialogs.messages import Message, to_dict
from hub.transcripts import Transcripts


def person_conversation(external_id: str) -> str:
    return f"dm:{external_id}"


def place_conversation(place: str) -> str:
    return f"place:{place}"


class WebChannel:
    """The web chat's channel, and its description for the hub (hub.turns.Platform)."""

    platform = name = "web"
    label = N_("the web chat")
    # The page comes from this server: links to the dashboard are paths.
    same_origin = True

    def __init__(self, transcripts: Transcripts, clock: Callable[[], datetime]) -> None:
        self.transcripts = transcripts
        self.clock = clock
        # Browsers long-poll; this wakes them when anything is written. `generation` counts the
        # writes, so a poller that read before a write and waits after it still wakes.
        self.changed = asyncio.Condition()
        self.generation = 0
        self.closing = False

    def places(self) -> frozenset[str]:
        return frozenset(PLACES)

    async def send(self, to: Address, message: Message) -> str:
        return await self.append(person_conversation(to.external_id), None, message)

    async def reply(self, to: Address, message: Message, *, ephemeral: bool) -> str:
        # The web chat has one conversation per person: every answer is shown there.
        return await self.send(to, message)

    async def post(self, place: str, message: Message) -> str:
        return await self.append(place_conversation(place), None, message)

    async def update(self, ref: str, message: Message) -> None:
        await self.transcripts.replace(int(ref), to_dict(message))
        await self._notify()

    async def append(self, conversation: str, sender_id: int | None, message: Message) -> str:
        message_id = await self.transcripts.append(conversation, sender_id, to_dict(message))
        await self._notify()
        return str(message_id)

    async def prepare(self, event: Event, context: dict[str, Any]) -> Event:
        return event

    async def after(self, event: Event, context: dict[str, Any]) -> None:
        return None

    async def wait_for_change(self, since: int, seconds: float) -> bool:
        """Wait until something is written after `generation` was `since`: False when
        `seconds` pass first or the server is stopping."""
        try:
            async with asyncio.timeout(seconds), self.changed:
                await self.changed.wait_for(lambda: self.generation != since or self.closing)
        except TimeoutError:
            return False
        return not self.closing

    async def close(self) -> None:
        """Release every waiting poller, so the server can stop without waiting for them."""
        self.closing = True
        await self._notify()

    async def _notify(self) -> None:
        async with self.changed:
            self.generation += 1
            self.changed.notify_all()
