"""One Teams turn: an activity in, the brain's replies out as Adaptive Cards.

Replies are posted to the conversation. An `Action.Execute` click also gets an invoke
response, a card that replaces the clicked one for the clicker: for an approval card it is
that card as it stands now (so a repeated or late click shows the current state), otherwise
the brain's first reply (so a question card turns into the next question).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import ErrorResponseException
from msrest.exceptions import ClientRequestError

from bot.teams import render
from bot.teams.channel import TeamsChannel, connector_of, message_activity
from bot.teams.translate import PLATFORM, Incoming, translate
from data import people, seen
from data.db import Store
from data.errors import DomainError
from dialogs import notices
from dialogs.engine import Reply
from dialogs.events import Command, Sender
from dialogs.router import Brain
from scheduler.delivery import Deliverer

log = logging.getLogger(__name__)


class TeamsBot:
    def __init__(
        self,
        brain: Brain,
        store: Store,
        channel: TeamsChannel,
        clock: Callable[[], datetime],
    ) -> None:
        self.brain = brain
        self.store = store
        self.channel = channel
        self.clock = clock

    async def turn(
        self, context: TurnContext, raw: dict[str, Any], deliverer: Deliverer
    ) -> dict[str, Any] | None:
        """Handle one activity; returns the invoke response body for invokes."""
        incoming = translate(raw)
        now = self.clock()
        sender = incoming.sender
        if sender is None:
            return render.message_response("") if incoming.invoke else None
        self.channel.learn(sender.address)
        if incoming.personal:
            sender = await self._with_email(context, incoming.conversation_id, sender)
        person_id = await self._capture(sender, now)
        # Whatever could not reach this person before may reach them now.
        await deliverer.reachable_again(person_id, now)
        try:
            return await self._dispatch(context, incoming, sender, now)
        finally:
            deliverer.kick()

    async def _dispatch(
        self, context: TurnContext, incoming: Incoming, sender: Sender, now: datetime
    ) -> dict[str, Any] | None:
        if incoming.kind == "refresh":
            return await self._card_for(sender, incoming.value)
        if incoming.kind == "install":
            if incoming.greet and await self._first_time(incoming, now):
                await self._reply(context, await self.brain.handle(Command(sender, "help"), now))
            return None
        if incoming.kind not in ("message", "action") or incoming.event is None:
            return render.message_response("") if incoming.invoke else None
        # A repeated delivery is dropped by the turn itself (the key is stored in the turn's own
        # transaction, so a turn that failed is run again when Teams redelivers it); its empty
        # answer below still shows a card click the current state.
        once = self._key(incoming)
        event = incoming.event
        if not incoming.personal:
            # Requests are made in the personal chat; elsewhere the bot only explains itself.
            await self._reply(
                context, await self.brain.handle(Command(sender, "help"), now, once=once)
            )
            return render.message_response("") if incoming.invoke else None
        if incoming.picked_people:
            await self._meet(context, incoming)
        replies = await self.brain.handle(event, now, once=once)
        if not incoming.invoke:
            await self._reply(context, replies)
            return None
        if incoming.kind == "action" and _is_approval(incoming):
            await self._reply(context, replies)
            return await self._card_for(sender, _value(incoming))
        if not replies:
            return render.message_response("")
        await self._reply(context, replies[1:])
        return render.card_response(replies[0].message)

    async def _with_email(
        self, context: TurnContext, conversation_id: str, sender: Sender
    ) -> Sender:
        """The sender with their work e-mail (or UPN) from Teams' member details, until it is
        known: it links their Teams identity to the same person elsewhere (data.people)."""
        async with self.store.transaction() as session:
            known = await people.find_by_identity(session, PLATFORM, sender.external_id)
        if known is not None and known.email:
            return sender
        try:
            member = await connector_of(context).conversations.get_conversation_member(
                conversation_id, sender.external_id
            )
        except (ErrorResponseException, ClientRequestError, OSError):
            log.info("no Teams member details for the sender")
            return sender
        extra = getattr(member, "additional_properties", None) or {}
        email = extra.get("email") or extra.get("userPrincipalName")
        return replace(sender, email=str(email)) if email else sender

    async def _capture(self, sender: Sender, now: datetime) -> int:
        """Store (or refresh) the person and how to reach them: every activity teaches us."""
        async with self.store.transaction() as session:
            person = await people.ensure_person(
                session,
                now=now,
                platform=PLATFORM,
                external_id=sender.external_id,
                display_name=sender.display_name,
                email=sender.email,
                locale=sender.locale,
                address=sender.address,
            )
        assert person.id is not None
        return person.id

    async def _first_time(self, incoming: Incoming, now: datetime) -> bool:
        key = self._key(incoming)
        if key is None:
            return True
        async with self.store.transaction() as session:
            return await seen.first_time(session, key=key, now=now)

    @staticmethod
    def _key(incoming: Incoming) -> str | None:
        if not incoming.activity_id:
            return None
        return f"teams:{incoming.conversation_id}:{incoming.activity_id}"

    async def _card_for(self, sender: Sender, value: str) -> dict[str, Any]:
        """The approval card of `value` as `sender` should see it now."""
        try:
            request_id = int(value.split(":")[0])
        except ValueError:
            return render.message_response("")
        async with self.store.transaction() as session:
            person = await people.find_by_identity(session, PLATFORM, sender.external_id)
            assert person is not None and person.id is not None
            tr = self.brain.translator(person)
            try:
                card = await notices.approval_card(
                    session, tr, {"request_id": request_id}, person.id
                )
            except DomainError:
                return render.message_response("")
        return render.card_response(card, live_for=sender.address.get("user_id"))

    async def _meet(self, context: TurnContext, incoming: Incoming) -> None:
        """People picked in a people picker whom we have never met: learn who they are."""
        assert incoming.sender is not None
        address = incoming.sender.address
        unknown = []
        async with self.store.transaction() as session:
            for aad in incoming.picked_people:
                if await people.find_by_identity(session, PLATFORM, aad) is None:
                    unknown.append(aad)
        for aad in unknown:
            name = email = user_id = None
            try:
                member = await connector_of(context).conversations.get_conversation_member(
                    incoming.conversation_id, aad
                )
                name, user_id = member.name, member.id
                extra = getattr(member, "additional_properties", None) or {}
                email = extra.get("email") or extra.get("userPrincipalName")
            except (ErrorResponseException, ClientRequestError, OSError):
                # Not someone Teams tells us about here: they are known by their id until
                # they write to the bot themselves.
                log.info("no Teams member details for a picked person")
            async with self.store.transaction() as session:
                await people.ensure_person(
                    session,
                    now=self.clock(),
                    platform=PLATFORM,
                    external_id=aad,
                    display_name=name,
                    email=str(email) if email else None,
                    spoke=False,
                    address={
                        k: v
                        for k, v in {
                            "user_id": user_id,
                            "tenant_id": address.get("tenant_id"),
                            "service_url": address.get("service_url"),
                        }.items()
                        if v
                    },
                )

    async def _reply(self, context: TurnContext, replies: list[Reply]) -> None:
        """Post replies in the conversation the activity came from.

        The turn's work is already stored; a reply that cannot be posted is logged, and the
        person sees where they are the next time they write.
        """
        conversation = context.activity.conversation.id
        bot_id = context.activity.recipient.id if context.activity.recipient else None
        for reply in replies:
            activity = message_activity(reply.message, bot_id=bot_id, conversation=conversation)
            try:
                await connector_of(context).conversations.send_to_conversation(
                    conversation, activity
                )
            except (ErrorResponseException, ClientRequestError, OSError) as error:
                log.warning("a Teams reply could not be posted: %s", type(error).__name__)


def _is_approval(incoming: Incoming) -> bool:
    event = incoming.event
    return event is not None and getattr(event, "action", "").startswith(render.LIVE_PREFIX)


def _value(incoming: Incoming) -> str:
    return str(getattr(incoming.event, "value", ""))
