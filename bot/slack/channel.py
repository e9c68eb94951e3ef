"""Slack as a `Channel`: direct messages, updates in place, posts to the configured channels.

The Web API client retries a 429 after its `Retry-After` and a 5xx with backoff (see
`bot.slack.client`); what still fails becomes a `DeliveryError`, so the outbox keeps the
message and tries again later. References are `<channel id>:<ts>`.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.render import render
from dialogs.channel import Address, DeliveryError
from dialogs.messages import Message

log = logging.getLogger(__name__)

# Answers that retrying cannot change: the person or channel is gone or out of reach.
PERMANENT = frozenset(
    {
        "channel_not_found",
        "user_not_found",
        "users_not_found",
        "user_disabled",
        "account_inactive",
        "is_archived",
        "not_in_channel",
        "cannot_dm_bot",
        "user_not_visible",
        "restricted_action",
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
        "invalid_blocks",
        "msg_too_long",
    }
)
# A direct-message channel's id (a public channel's is C…, a private or group one's G…).
_DIRECT = re.compile(r"^D[A-Z0-9]{2,}$")
# Where an ephemeral answer can't go, it goes to the person's direct chat instead.
EPHEMERAL_ELSEWHERE = frozenset(
    {"channel_not_found", "not_in_channel", "user_not_in_channel", "is_archived"}
)


def _retry_after(error: SlackApiError) -> float | None:
    headers = error.response.headers or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return float(raw)
            except (TypeError, ValueError):
                return None
    return None


def api_error(error: SlackApiError) -> str:
    """Slack's error code (`channel_not_found`…), or "" when the answer had none."""
    data = error.response.data
    return str(data.get("error") or "") if isinstance(data, dict) else ""


def delivery_error(method: str, error: Exception) -> DeliveryError:
    """A failed Web API call as a `DeliveryError`, worded without anything secret."""
    if isinstance(error, SlackApiError):
        status = error.response.status_code
        code = api_error(error)
        reason = f"slack {method}: HTTP {status} {code}".strip()
        if status == 429:
            return DeliveryError(reason, retry_after=_retry_after(error))
        return DeliveryError(reason, permanent=status < 500 and code in PERMANENT)
    return DeliveryError(f"slack {method}: {type(error).__name__}")


@contextlib.asynccontextmanager
async def web_api(method: str) -> AsyncIterator[None]:
    try:
        yield
    except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as error:
        raise delivery_error(method, error) from None


def split_ref(ref: str) -> tuple[str, str]:
    channel, _, ts = ref.partition(":")
    if not channel or not ts:
        raise DeliveryError(f"not a Slack message reference: {ref!r}", permanent=True)
    return channel, ts


class SlackChannel:
    platform = "slack"

    def __init__(self, client: AsyncWebClient, places: Mapping[str, str]) -> None:
        self.client = client
        self._places = {place: channel for place, channel in places.items() if channel}
        self._direct: dict[str, str] = {}

    def places(self) -> frozenset[str]:
        return frozenset(self._places)

    async def send(self, to: Address, message: Message) -> str:
        return await self.direct(to.external_id, message)

    async def reply(self, to: Address, message: Message, *, ephemeral: bool) -> str:
        """Ephemeral answers where the person acted (`channel` in the turn's context), the
        others in their direct chat."""
        if ephemeral:
            channel = to.details.get("channel")
            await self.ephemeral(str(channel) if channel else None, to.external_id, message)
            return ""
        return await self.direct(to.external_id, message)

    async def update(self, ref: str, message: Message) -> None:
        channel, ts = split_ref(ref)
        text, blocks = render(message)
        async with web_api("chat.update"):
            await self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)

    async def post(self, place: str, message: Message) -> str:
        channel = self._places.get(place)
        if channel is None:
            raise DeliveryError(f"no Slack channel configured for {place!r}", permanent=True)
        return await self._post(channel, message)

    async def direct(self, user_id: str, message: Message) -> str:
        """Send to a person's direct chat with the bot; returns the reference."""
        return await self._post(await self.direct_channel(user_id), message)

    async def direct_channel(self, user_id: str) -> str:
        if user_id not in self._direct:
            async with web_api("conversations.open"):
                response = await self.client.conversations_open(users=user_id)
            self._direct[user_id] = str(response["channel"]["id"])
        return self._direct[user_id]

    def learn_direct_channel(self, user_id: str, channel: str) -> None:
        """A person wrote to us in `channel`: that is their direct chat, when it is one. What a
        message event calls a direct message is not taken on its word: a channel learnt here
        gets everything the bot says to the person for as long as the process runs, so any
        other (a public one, say) is left to `conversations.open`."""
        if _DIRECT.match(channel):
            self._direct.setdefault(user_id, channel)
        else:
            log.warning("Slack: a direct message said to be in a channel that is not a direct "
                        "chat; not taken for %s's", user_id)

    async def ephemeral(self, channel: str | None, user_id: str, message: Message) -> None:
        """Show `message` to `user_id` alone where they acted, else in their direct chat."""
        if channel is not None:
            text, blocks = render(message)
            try:
                await self.client.chat_postEphemeral(
                    channel=channel, user=user_id, text=text, blocks=blocks
                )
                return
            except SlackApiError as error:
                if api_error(error) not in EPHEMERAL_ELSEWHERE:
                    raise delivery_error("chat.postEphemeral", error) from None
                log.info("an answer to %s goes to the direct chat: %s", user_id, api_error(error))
            except (aiohttp.ClientError, TimeoutError, OSError) as error:
                raise delivery_error("chat.postEphemeral", error) from None
        await self.direct(user_id, message)

    async def publish_home(self, user_id: str, view: dict[str, Any]) -> None:
        async with web_api("views.publish"):
            await self.client.views_publish(user_id=user_id, view=view)

    async def _post(self, channel: str, message: Message) -> str:
        text, blocks = render(message)
        async with web_api("chat.postMessage"):
            response = await self.client.chat_postMessage(
                channel=channel, text=text, blocks=blocks, unfurl_links=False, unfurl_media=False
            )
        return f"{response['channel']}:{response['ts']}"
