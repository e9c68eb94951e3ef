"""The web chat as a `Channel`: messages are rows the browser polls for."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from data import webchat
from data.db import Store
from dialogs.channel import PLACES, Address
from dialogs.messages import Message, to_dict


def person_conversation(external_id: str) -> str:
    return f"dm:{external_id}"


def place_conversation(place: str) -> str:
    return f"place:{place}"


class WebChannel:
    platform = "web"

    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store = store
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
        async with self.store.transaction() as session:
            await webchat.replace(
                session, message_id=int(ref), payload=to_dict(message), now=self.clock()
            )
        await self._notify()

    async def append(self, conversation: str, sender_id: int | None, message: Message) -> str:
        async with self.store.transaction() as session:
            message_id = await webchat.append(
                session,
                conversation=conversation,
                sender_id=sender_id,
                payload=to_dict(message),
                now=self.clock(),
            )
        await self._notify()
        return str(message_id)

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
