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
        # Browsers long-poll; this wakes them when anything is written.
        self.changed = asyncio.Condition()

    def places(self) -> frozenset[str]:
        return frozenset(PLACES)

    async def send(self, to: Address, message: Message) -> str:
        return await self.append(person_conversation(to.external_id), None, message)

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

    async def _notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()
