"""Teams as a `Channel`: proactive messages, card updates and channel posts.

Everything goes through the Bot Connector REST API at the service URL Teams gave us:
`continue_conversation` for a conversation we know, `create_conversation` (with the tenant
id) for a person the bot has never spoken with. botbuilder's own HTTP retries are switched
off: the outbox decides when to try again, and a refusal (403, the person blocked the bot or
never added it) is reported as permanent so the requester can be told.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
    ErrorResponseException,
)
from botframework.connector.aio import ConnectorClient
from msrest.exceptions import ClientRequestError

from bot.teams import render
from bot.teams.translate import PLATFORM
from bot.teams.trust import CHANNEL_ID
from dialogs.channel import Address, DeliveryError
from dialogs.events import Sender
from dialogs.messages import Message
from hub.identities import Identities

log = logging.getLogger(__name__)

# A member Teams names so is no colleague of ours, whatever their e-mail address says.
_NOT_STAFF = frozenset({"guest", "anonymous"})


@dataclass(frozen=True)
class Member:
    """What Teams tells of a member of a conversation; `email` only for a member of our tenant
    who is not a guest (`TeamsChannel.member`)."""

    name: str | None
    email: str | None
    user_id: str | None


@dataclass
class Learnt:
    """What the bot knows of its tenant from the activities it has received."""

    service_url: str | None = None
    tenant_id: str | None = None
    bot_id: str | None = None


def connector_of(context: TurnContext) -> ConnectorClient:
    """The turn's Bot Connector client, with botbuilder's own retries switched off."""
    connector: ConnectorClient = context.turn_state[context.adapter.BOT_CONNECTOR_CLIENT_KEY]
    connector.config.retry_policy.retries = 0
    return connector


def message_activity(
    message: Message, *, bot_id: str | None, conversation: str, live_for: str | None = None
) -> Activity:
    return Activity(
        type=ActivityTypes.message,
        summary=message.text[: render.SUMMARY_TEXT],
        attachments=[render.attachment(message, live_for=live_for)],
        from_property=ChannelAccount(id=bot_id) if bot_id else None,
        conversation=ConversationAccount(id=conversation),
    )


@asynccontextmanager
async def connector_errors(what: str) -> Any:
    """Bot Connector failures as `DeliveryError`s the outbox understands."""
    try:
        yield
    except ErrorResponseException as error:
        status = error.response.status_code if error.response is not None else 0
        inner = getattr(getattr(error, "error", None), "error", None)
        code = getattr(inner, "code", None) or ""
        reason = f"Teams answered {status} {code} to {what}".strip()
        if status == 429:
            raise DeliveryError(reason, retry_after=_retry_after(error)) from None
        # 403: the person blocked the bot or never added it (MessageWritesBlocked,
        # BotNotInConversationRoster...); 404: the conversation or message is gone.
        raise DeliveryError(reason, permanent=status in (403, 404)) from None
    except (ClientRequestError, OSError) as error:
        raise DeliveryError(f"Teams could not be reached for {what}: {type(error).__name__}") from None


def _retry_after(error: ErrorResponseException) -> float | None:
    try:
        return float(error.response.headers.get("Retry-After", ""))
    except (TypeError, ValueError):
        return None


class TeamsChannel:
    platform = PLATFORM

    def __init__(
        self,
        adapter: CloudAdapter,
        identities: Identities,
        clock: Callable[[], datetime],
        *,
        app_id: str | None,
        tenant_id: str | None,
        places: dict[str, str],
    ) -> None:
        self.adapter = adapter
        self.identities = identities
        self.clock = clock
        self.app_id = app_id or None
        self.learnt = Learnt(tenant_id=tenant_id or None)
        self._places = {place: conversation for place, conversation in places.items() if conversation}

    def places(self) -> frozenset[str]:
        return frozenset(self._places)

    def learn(self, address: dict[str, str], *, channel_id: str | None) -> None:
        """Remember the tenant's service URL and the bot's id from an incoming activity of
        Teams (`channel_id`). What another channel's activity names is its client's word
        (bot.teams.trust): the shared service URL, where channel posts go, is never taken
        from it."""
        if channel_id == CHANNEL_ID:
            self._take(address)

    def _take(self, address: dict[str, str]) -> None:
        self.learnt.service_url = address.get("service_url") or self.learnt.service_url
        self.learnt.bot_id = address.get("bot_id") or self.learnt.bot_id
        self.learnt.tenant_id = self.learnt.tenant_id or address.get("tenant_id")

    async def send(self, to: Address, message: Message) -> str:
        details = {k: str(v) for k, v in to.details.items() if v}
        service_url = details.get("service_url") or await self._service_url()
        conversation = details.get("conversation_id")
        if not conversation:
            conversation = await self._create(to.external_id, details, service_url)
        live_for = details.get("user_id")
        activity_id = await self._post_activity(service_url, conversation, message, live_for)
        return _ref(service_url, conversation, activity_id, live_for)

    async def reply(self, to: Address, message: Message, *, ephemeral: bool) -> str:
        """Into the conversation the person wrote in (a group chat or channel too); Teams has
        no messages for one person alone in a shared conversation, so `ephemeral` changes
        nothing here (the dialogs keep ephemeral answers free of anything private)."""
        details = {k: str(v) for k, v in to.details.items() if v}
        conversation = details.get("reply_conversation")
        if not conversation:
            return await self.send(to, message)
        service_url = details.get("service_url") or await self._service_url()
        live_for = details.get("user_id")
        activity_id = await self._post_activity(service_url, conversation, message, live_for)
        return _ref(service_url, conversation, activity_id, live_for)

    async def update(self, ref: str, message: Message) -> None:
        where = json.loads(ref)
        service_url, conversation, activity_id = where["s"], where["c"], where["a"]
        activity = message_activity(
            message, bot_id=self._bot_id(), conversation=conversation, live_for=where.get("u")
        )
        activity.id = activity_id

        async def put(context: TurnContext) -> None:
            await connector_of(context).conversations.update_activity(
                conversation, activity_id, activity
            )

        async with connector_errors("a card update"):
            await self.adapter.continue_conversation(
                self._reference(service_url, conversation), put, self.app_id
            )

    async def post(self, place: str, message: Message) -> str:
        conversation = self._places.get(place)
        if conversation is None:
            raise DeliveryError(f"no Teams conversation is configured for {place}", permanent=True)
        service_url = await self._service_url()
        activity_id = await self._post_activity(service_url, conversation, message, None)
        return _ref(service_url, conversation, activity_id, None)

    async def _post_activity(
        self, service_url: str, conversation: str, message: Message, live_for: str | None
    ) -> str:
        activity = message_activity(
            message, bot_id=self._bot_id(), conversation=conversation, live_for=live_for
        )
        sent: list[str] = []

        async def send(context: TurnContext) -> None:
            response = await connector_of(context).conversations.send_to_conversation(
                conversation, activity
            )
            sent.append(str(getattr(response, "id", "") or ""))

        async with connector_errors("a message"):
            await self.adapter.continue_conversation(
                self._reference(service_url, conversation), send, self.app_id
            )
        return sent[0] if sent else ""

    async def _create(self, external_id: str, details: dict[str, str], service_url: str) -> str:
        """Open a personal chat with someone the bot has not spoken with, and remember it."""
        tenant = details.get("tenant_id") or self.learnt.tenant_id
        bot_id = self._bot_id()
        if not tenant or not bot_id:
            raise DeliveryError("the Teams tenant or the bot's id is not known yet")
        parameters = ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=bot_id),
            members=[ChannelAccount(id=details.get("user_id") or external_id)],
            tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}},
        )
        factory = self.adapter.bot_framework_authentication.create_connector_factory(
            self.adapter.create_claims_identity(self.app_id or "")
        )
        async with connector_errors("opening a personal chat"):
            connector: ConnectorClient = await factory.create(service_url, None)
            connector.config.retry_policy.retries = 0
            created = await connector.conversations.create_conversation(parameters)
        conversation = str(created.id)
        await self.identities.remember(
            Sender(
                PLATFORM,
                external_id,
                address={
                    "conversation_id": conversation,
                    "service_url": service_url,
                    "tenant_id": tenant,
                },
            )
        )
        return conversation

    async def member(
        self, conversation: str, aad: str, service_url: str | None
    ) -> Member | None:
        """Who `aad` is, as a member of `conversation` (None: Teams does not tell us here)."""
        if not conversation:
            return None
        found: list[Member] = []

        async def ask(context: TurnContext) -> None:
            member = await connector_of(context).conversations.get_conversation_member(
                conversation, aad
            )
            extra = getattr(member, "additional_properties", None) or {}
            email = extra.get("email") or extra.get("userPrincipalName")
            if email and not self._staff(extra):
                log.info("a Teams member of another tenant, or a guest: not linked by e-mail")
                email = None
            found.append(Member(member.name, str(email) if email else None, member.id))

        try:
            url = service_url or await self._service_url()
            await self.adapter.continue_conversation(
                self._reference(url, conversation), ask, self.app_id
            )
        except (ErrorResponseException, ClientRequestError, OSError, DeliveryError):
            # Not someone Teams tells us about here: they are known by their id until they
            # write to the bot themselves.
            log.info("no Teams member details for a picked person")
            return None
        return found[0] if found else None

    def _staff(self, member: dict[str, Any]) -> bool:
        """Whether Teams' e-mail address for `member` may link them to a person we know
        (data.people): only a member of our tenant who is not a guest. A B2B guest is in our
        tenant too, with whatever address their invitation gave; a member of another tenant
        (a shared channel) has an address their own administrators set. Either is served, known
        by their Teams id alone."""
        tenant = self.learnt.tenant_id
        theirs = str(member.get("tenantId") or "")
        role = str(member.get("userRole") or "").lower()
        return bool(tenant) and theirs.lower() == str(tenant).lower() and role not in _NOT_STAFF

    def _reference(self, service_url: str, conversation: str) -> ConversationReference:
        bot_id = self._bot_id()
        return ConversationReference(
            channel_id=CHANNEL_ID,
            service_url=service_url,
            conversation=ConversationAccount(id=conversation, tenant_id=self.learnt.tenant_id),
            bot=ChannelAccount(id=bot_id) if bot_id else None,
        )

    def _bot_id(self) -> str | None:
        # With an app id, the bot's Teams id is `28:` and the app id: never an activity's
        # `recipient.id`, which names whatever its sender wrote there.
        if self.app_id:
            return f"28:{self.app_id}"
        return self.learnt.bot_id

    async def _service_url(self) -> str:
        """The tenant's service URL: the last one seen, else one stored with a person."""
        if self.learnt.service_url is None:
            await self._recall()
        found = self.learnt.service_url
        if found is None:
            raise DeliveryError("no Teams service URL is known yet: nobody has written to the bot")
        return found

    async def _recall(self) -> None:
        """After a restart: learn from the addresses stored with people (those of activities
        the server took: with an app id, Teams' alone)."""
        for address in await self.identities.addresses(PLATFORM):
            if address.get("service_url"):
                self._take(address)
                return


def card_ref(
    service_url: str, conversation: str, activity_id: str, user_id: str | None = None
) -> str:
    """The reference `TeamsChannel.update` takes for a message a person clicked a card of: as
    `send` and `reply` made it (they send cards live for the person they address), so that
    the message it names is found among those sent (hub.turns) and stays live for them."""
    return _ref(service_url, conversation, activity_id, user_id)


def _ref(service_url: str, conversation: str, activity_id: str, user_id: str | None) -> str:
    where = {"s": service_url, "c": conversation, "a": activity_id}
    if user_id:
        where["u"] = user_id
    return json.dumps(where, separators=(",", ":"))
