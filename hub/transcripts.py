"""Conversations a platform keeps itself: the web chat has no service that holds its
messages, so what the bot and people said there is kept in the database, through here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from data import webchat
from data.db import Store


@dataclass(frozen=True)
class Said:
    id: int
    sender_id: int | None
    payload: dict[str, Any]


class Transcripts:
    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    async def append(
        self, conversation: str, sender_id: int | None, payload: dict[str, Any]
    ) -> int:
        async with self.store.transaction() as session:
            return await webchat.append(
                session,
                conversation=conversation,
                sender_id=sender_id,
                payload=payload,
                now=self.clock(),
            )

    async def replace(self, message_id: int, payload: dict[str, Any]) -> None:
        async with self.store.transaction() as session:
            await webchat.replace(
                session, message_id=message_id, payload=payload, now=self.clock()
            )

    async def history(self, conversation: str) -> list[Said]:
        async with self.store.read() as session:
            rows = await webchat.history(session, conversation)
        return [Said(r.id, r.sender_id, dict(r.payload)) for r in rows if r.id is not None]
