"""The web console's conversation history."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import delete

from data import webchat
from data.db import Store
from data.models import WebMessage
from tests.helpers import T0, Cast


async def test_history_keeps_order_and_replacements(store: Store, cast: Cast) -> None:
    async with store.transaction() as session:
        ids = [
            await webchat.append(
                session,
                conversation="c1",
                sender_id=cast.requester if n % 2 else None,
                payload={"text": f"m{n}"},
                now=T0 + timedelta(seconds=n),
            )
            for n in range(5)
        ]
        await webchat.append(session, conversation="c2", sender_id=None, payload={}, now=T0)
    later = T0 + timedelta(minutes=1)
    async with store.transaction() as session:
        assert await webchat.replace(session, message_id=ids[1], payload={"text": "new"}, now=later)
        assert not await webchat.replace(session, message_id=999_999, payload={}, now=later)
    async with store.transaction() as session:
        history = await webchat.history(session, "c1")
        assert [m.payload["text"] for m in history] == ["m0", "new", "m2", "m3", "m4"]
        assert history[1].updated_at == later and history[1].created_at == T0 + timedelta(seconds=1)
        assert [m.payload["text"] for m in await webchat.history(session, "c1", limit=2)] == [
            "m3",
            "m4",
        ]
        assert await webchat.history(session, "none") == []


async def test_a_payload_changed_in_place_is_saved(store: Store) -> None:
    async with store.transaction() as session:
        await webchat.append(
            session, conversation="c1", sender_id=None, payload={"buttons": ["a", "b"]}, now=T0
        )
    async with store.transaction() as session:
        [message] = await webchat.history(session, "c1")
        assert message.id is not None
        payload = message.payload
        payload["buttons"] = []  # the card's buttons are spent
        assert await webchat.replace(session, message_id=message.id, payload=payload, now=T0)
    async with store.transaction() as session:
        [message] = await webchat.history(session, "c1")
        assert message.payload == {"buttons": []}


async def test_an_id_is_never_handed_out_twice(store: Store) -> None:
    """A card's rewrite names its message by id (the outbox's `delivered`): once the retention
    deletes the newest messages, a new one must not take an id an old card still names."""
    async with store.transaction() as session:
        ids = [
            await webchat.append(session, conversation="dm:cecilia", sender_id=None,
                                 payload={"text": f"card {n}"}, now=T0)
            for n in range(3)
        ]
    async with store.transaction() as session:
        await session.exec(delete(WebMessage))  # type: ignore[call-overload]
    async with store.transaction() as session:
        later = await webchat.append(session, conversation="dm:anna", sender_id=None,
                                     payload={"text": "away noted"}, now=T0)
        assert later > max(ids)
        assert not await webchat.replace(session, message_id=ids[-1], payload={}, now=T0)
    async with store.transaction() as session:
        [kept] = await webchat.history(session, "dm:anna")
        assert kept.payload == {"text": "away noted"}
