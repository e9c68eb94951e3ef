"""One Teams activity: translated, stored in the hub's inbox, answered.

A message is committed to the inbox before the Bot Connector gets its 200, and a worker runs
the turn; the replies are owed to the outbox and posted in the conversation the person wrote
in. An `Action.Execute` click must be answered with a card in the same HTTP response: it is
stored, then run at once (`Hub.run_now`), and its first reply is the card that replaces the
clicked one: a question answered shows what was chosen, without its buttons, and the next
question comes as a message of its own; for an approval card it is that card as it stands now
(so a repeated or late click shows the current state), to those who may see the request
(hub.home.approval_card): anyone else, whatever request id the click names, gets an empty
answer. If it cannot run at once, it stays in the inbox, the click gets
an empty answer, and the card arrives as a message when a worker has run it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.teams import render
from bot.teams.channel import TeamsChannel, card_ref
from bot.teams.translate import PLATFORM, Incoming, translate
from dialogs.events import Command, Event, Sender
from dialogs.help import GREETING
from dialogs.router import Brain
from hub import home, people_search
from hub.identities import Identities
from hub.turns import CARD, Hub

log = logging.getLogger(__name__)


class TeamsBot:
    name = PLATFORM
    label = "Microsoft Teams"
    same_origin = False

    def __init__(
        self,
        hub: Hub,
        brain: Brain,
        identities: Identities,
        channel: TeamsChannel,
        clock: Callable[[], datetime],
    ) -> None:
        self.hub = hub
        self.brain = brain
        self.identities = identities
        self.channel = channel
        self.clock = clock

    async def turn(self, raw: dict[str, Any]) -> dict[str, Any] | None:
        """Handle one activity; returns the invoke response body for invokes."""
        incoming = translate(raw)
        sender = incoming.sender
        if sender is None:
            return render.message_response("") if incoming.invoke else None
        self.channel.learn(sender.address, channel_id=raw.get("channelId"))
        if incoming.kind not in ("message", "action"):
            # Every activity teaches us how to reach its sender.
            await self.hub.met(sender)
        if incoming.kind == "refresh":
            return await self._card_for(sender, incoming.value)
        if incoming.kind == "search":
            # A read, answered at once and never stored: Teams shows what it gets back.
            found = await people_search.offered(
                self.hub.store, PLATFORM, incoming.query, exclude=incoming.exclude
            )
            return render.search_response(found)
        if incoming.kind == "install":
            if incoming.greet:
                await self.hub.receive(*self._keyed(incoming, Command(sender, GREETING)))
            return None
        if incoming.kind not in ("message", "action") or incoming.event is None:
            return render.message_response("") if incoming.invoke else None
        # Requests are made in the personal chat; elsewhere the bot only explains itself.
        event = incoming.event if incoming.personal else Command(sender, "help")
        key, event, context = self._keyed(incoming, event)
        if not incoming.invoke:
            await self.hub.receive(key, event, context)
            return None
        approval = incoming.personal and _is_approval(incoming)
        replies = await self.hub.run_now(key, event, context, take_first=not approval)
        if approval:
            return await self._card_for(sender, _value(incoming))
        if not replies or not incoming.personal:
            return render.message_response("")
        first = replies[0]
        if first.ephemeral and not first.in_place and render.text_only(first.message):
            # Said beside the card (a refusal that may pass, a note): Teams shows the text and
            # keeps the card as it was, its buttons with it.
            return render.message_response(first.message.text)
        return render.card_response(first.message)

    @staticmethod
    def _keyed(incoming: Incoming, event: Event) -> tuple[str, Event, dict[str, Any]]:
        """The inbox key (the activity's id), the event, and what answering it needs."""
        key = (
            f"teams:{incoming.conversation_id}:{incoming.activity_id}"
            if incoming.activity_id
            else f"teams:once:{uuid.uuid4().hex}"
        )
        address = event.sender.address
        context = {
            "picked": list(incoming.picked_people),
            "conversation": incoming.conversation_id,
            "personal": incoming.personal,
            # Answers go back into the conversation the person wrote in.
            "reply": {
                "reply_conversation": incoming.conversation_id,
                "service_url": address.get("service_url", ""),
            },
        }
        service_url = address.get("service_url", "")
        if incoming.reply_to and service_url and incoming.conversation_id:
            # The clicked card: an answer rewrites it (when not in the invoke response).
            context[CARD] = card_ref(
                service_url, incoming.conversation_id, incoming.reply_to, address.get("user_id")
            )
        return key, event, context

    # --- around a turn (hub.turns.Platform) -------------------------------------------------

    async def prepare(self, event: Event, context: dict[str, Any]) -> Event:
        """The sender's work e-mail, and people picked in a people picker whom we have never
        met: learn who they are."""
        event = replace(event, sender=await self._with_email(event.sender, context))
        address = event.sender.address
        for aad in context.get("picked") or ():
            if await self.identities.known(PLATFORM, str(aad)) is not None:
                continue
            member = await self.channel.member(
                str(context.get("conversation") or ""), str(aad), address.get("service_url")
            )
            await self.identities.remember(
                Sender(
                    PLATFORM,
                    str(aad),
                    display_name=member.name if member else None,
                    email=member.email if member else None,
                    address={
                        k: v
                        for k, v in {
                            "user_id": member.user_id if member else None,
                            "tenant_id": address.get("tenant_id"),
                            "service_url": address.get("service_url"),
                        }.items()
                        if v
                    },
                )
            )
        return event

    async def after(self, event: Event, context: dict[str, Any]) -> None:
        return None

    async def _with_email(self, sender: Sender, context: dict[str, Any]) -> Sender:
        """The sender with their work e-mail (or UPN) from Teams' member details, until it is
        known: it links their Teams identity to the same person elsewhere (data.people)."""
        if sender.email or not context.get("personal"):
            return sender
        known = await self.identities.known(PLATFORM, sender.external_id)
        if known is not None and known.email:
            return sender
        member = await self.channel.member(
            str(context.get("conversation") or ""),
            sender.external_id,
            sender.address.get("service_url"),
        )
        return replace(sender, email=member.email) if member and member.email else sender

    async def _card_for(self, sender: Sender, value: str) -> dict[str, Any]:
        """The approval card of `value` as `sender` should see it now; an empty answer when
        there is none for them (no such request, or one they may not see)."""
        try:
            request_id = int(value.split(":")[0])
        except ValueError:
            return render.message_response("")
        card = await home.approval_card(self.hub.store, self.brain, sender, request_id)
        if card is None:
            return render.message_response("")
        return render.card_response(card, live_for=sender.address.get("user_id"))


def _is_approval(incoming: Incoming) -> bool:
    event = incoming.event
    return event is not None and getattr(event, "action", "").startswith(render.LIVE_PREFIX)


def _value(incoming: Incoming) -> str:
    return str(getattr(incoming.event, "value", ""))
