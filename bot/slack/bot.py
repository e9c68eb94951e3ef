"""The Slack front end: a slack-bolt `AsyncApp` whose listeners store, then acknowledge.

Every listener translates the payload into a neutral event and hands it to the hub's durable
inbox (hub/turns.py), which commits it before the listener acknowledges: what Slack was told we
received is in the database, so a restart or a crash right after the 200 loses nothing (Slack
never retries an acknowledged request). Storing is one short INSERT, well within Slack's three
seconds. The hub's workers run the turn; this module's `prepare` completes the event from
Slack's Web API first (the sender's profile, people picked or mentioned), and `after` publishes
the Home tab again when the person acted there.

A request that cannot be stored (the database failing) is answered 503, and nothing else is:
Slack sends an event again after a 5xx, which is what it should do then. One bolt or a
listener cannot take apart (a signed body of a shape Slack does not send) is answered 400:
sending it again would not help.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.keys import BRAIN, CHANNELS, CLOCK, HUB, IDENTITIES, STORE
from bot.settings import Settings
from bot.slack import guard, translate, workspace
from bot.slack.channel import SlackChannel
from bot.slack.client import Tuning, make_client
from bot.slack.config import Mode
from bot.slack.people import Directory
from bot.slack.render import SELECT_OPTIONS, home_view, option
from dialogs.channel import DeliveryError
from dialogs.events import Event, Text, Visit
from dialogs.router import ALL_COMMANDS
from hub import home, people_search
from hub.identities import COMMS, DIRECTOR
from hub.turns import CARD

log = logging.getLogger(__name__)


class _UnusedTokenNotice(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment itself and warns, at every start, that
    it goes unused beside the client we hand it, which is made from that very token: true,
    and nothing for anyone to act on."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


log.addFilter(_UnusedTokenNotice())

# What someone of another workspace is told when they type one of our commands (in English:
# nothing of theirs is known, their language neither).
OTHER_WORKSPACE = "kontobot answers only the people of the Slack workspace it is installed in."

# What Slack is told when a request could not be stored, and the status that has it retry.
NOT_STORED = {"error": "not stored, try again"}
UNAVAILABLE = 503


class NotStored(Exception):
    """The inbox could not commit a request (logged where it happened)."""


# `help` is a word typed in the direct chat; every other command is a slash command.
SLASH_COMMANDS = tuple(name for name in ALL_COMMANDS if name != "help")


class SlackBot:
    name = translate.PLATFORM
    label = "Slack"
    same_origin = False

    def __init__(
        self,
        app: web.Application,
        settings: Settings,
        mode: Mode,
        tuning: Tuning,
        *,
        listen: bool = True,
    ) -> None:
        self.app = app
        self.listen = listen
        self.settings = settings
        self.mode = mode
        self.tuning = tuning
        self.store = app[STORE]
        self.brain = app[BRAIN]
        self.identities = app[IDENTITIES]
        self.hub = app[HUB]
        self.clock: Callable[[], datetime] = app[CLOCK]
        self._socket: AsyncSocketModeHandler | None = None
        self._connecting: asyncio.Task[None] | None = None
        assert settings.slack_bot_token is not None
        # One connection pool for every Web API call (built inside the server's start-up).
        self._session = aiohttp.ClientSession()
        self.client = make_client(
            settings.slack_bot_token.get_secret_value(),
            settings.slack_api_url,
            self._session,
            tuning,
        )
        self.channel = SlackChannel(
            self.client,
            {
                "comms": settings.comms_slack_channel or "",
                "registry": settings.registry_slack_channel or "",
            },
        )
        self.workspace = workspace.Ours(self.client)
        self.directory = Directory(
            self.client, app[IDENTITIES], self.clock, self.workspace.get, tuning.profile_max_age
        )
        self.bolt = self._bolt()

    # --- life cycle -----------------------------------------------------------------------

    async def start(self) -> None:
        self.app[CHANNELS][self.channel.platform] = self.channel
        self.brain.resolvers[translate.PLATFORM] = self.directory.lookup
        self.brain.email_lookups[translate.PLATFORM] = self.directory.by_address
        self.hub.register(self)
        await self.sync_roles()
        if self.mode == "socket" and self.listen:
            assert self.settings.slack_app_token is not None
            self._socket = AsyncSocketModeHandler(
                self.bolt, self.settings.slack_app_token.get_secret_value(), logger=log
            )
            # Connecting retries until Slack answers: the rest of the server starts meanwhile.
            self._connecting = asyncio.create_task(
                self._socket.connect_async()  # type: ignore[no-untyped-call]
            )
            log.info("Slack: connecting in Socket Mode")
        elif self.listen:
            # `serve` said so already, in its line for the route.
            log.debug("Slack: listening at POST /slack/events")

    async def quiesce(self) -> None:
        """Take no more events (the server is stopping); the hub finishes the turns."""
        socket, self._socket = self._socket, None
        if socket is not None:
            await socket.close_async()  # type: ignore[no-untyped-call]
        connecting, self._connecting = self._connecting, None
        if connecting is not None:
            connecting.cancel()
            await asyncio.gather(connecting, return_exceptions=True)

    async def stop(self) -> None:
        await self.quiesce()
        await self._session.close()

    async def sync_roles(self) -> None:
        """The director, their deputy and the comms office's members as the settings name
        them."""
        director = [
            user
            for user in (self.settings.director_slack_id, self.settings.deputy_director_slack_id)
            if user
        ]
        for user in [*director, *self.settings.comms_slack_members]:
            await self.directory.ensure(user)
        await self.identities.hold_roles(
            translate.PLATFORM,
            {DIRECTOR: director, COMMS: self.settings.comms_slack_members},
        )

    # --- HTTP -----------------------------------------------------------------------------

    async def handle_http(self, request: web.Request) -> web.Response:
        """`POST /slack/events`: our guard, then bolt, check signature and timestamp first."""
        secret = self.settings.slack_signing_secret
        taken = await guard.check(request, secret.get_secret_value() if secret else "")
        if isinstance(taken, web.Response):
            return taken
        try:
            response = await self.bolt.async_dispatch(guard.bolt_request(request, taken))
        except Exception as error:
            # A signed body of a shape bolt trips over before its own error handling (its
            # context is built from `authorizations`, `enterprise`…): not a 500 (SECURITY.md).
            return guard.refusal(request, 400, "unreadable payload", type(error).__name__)
        return guard.settled(await to_aiohttp_response(response))

    # --- listeners: acknowledge, then work --------------------------------------------------

    def _bolt(self) -> AsyncApp:
        secret = self.settings.slack_signing_secret
        bolt = AsyncApp(
            client=self.client,
            signing_secret=secret.get_secret_value() if secret is not None else None,
            request_verification_enabled=self.mode == "http",
            # Listeners only acknowledge and start a task: answering after them is immediate.
            process_before_response=True,
            logger=log,
        )
        # First, before any listener: a request from another workspace runs nothing.
        bolt.use(self._only_ours)
        for name in SLASH_COMMANDS:
            bolt.command(f"/{name}")(self._on_command)
        bolt.event("message")(self._on_message)
        bolt.event("app_home_opened")(self._on_home_opened)
        bolt.action(re.compile(".*"))(self._on_action)
        # No `view_submission`: the bot opens no modals, and took any callback id for an
        # action and any metadata for its value. One gets what any other unused type gets.
        bolt.options(re.compile(".*"))(self._on_options)
        bolt.error(self._on_error)
        return bolt

    async def _on_error(self, error: Exception, request: AsyncBoltRequest) -> BoltResponse:
        """What a request is answered when a listener or bolt's matching raised (bolt's own
        answer is a 500, and a traceback that may quote the body)."""
        if isinstance(error, NotStored):
            return BoltResponse(status=UNAVAILABLE, body=NOT_STORED)
        log.warning("Slack: refused a request bolt could not read (%s; %s bytes)",
                    type(error).__name__, len(request.raw_body) if request.raw_body else "?")
        return BoltResponse(status=400, body={"error": "unreadable payload"})

    async def _only_ours(
        self, body: dict[str, Any], context: AsyncBoltContext, next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        """Bolt's global middleware: only our workspace's requests go on (bot/slack/workspace).
        Another's runs nothing and is answered with a 200, as Slack wants it: empty, or for a
        slash command a line saying why (Slack shows it to the one who typed it alone)."""
        result = context.authorize_result
        ours = workspace.Workspace(
            result.team_id if result else None, result.enterprise_id if result else None
        )
        if workspace.from_ours(body, ours):
            await next()
            return None
        teams, enterprises = workspace.named(body)
        log.warning("Slack: a request from outside our workspace refused (workspaces %s, "
                    "organisations %s)", sorted(teams), sorted(enterprises))
        return BoltResponse(status=200, body=OTHER_WORKSPACE if body.get("command") else "")

    async def _on_command(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await self._receive(translate.command(body))
        await ack()

    async def _on_message(self, body: dict[str, Any]) -> None:
        # Events are acknowledged by bolt as soon as this returns: stored by then.
        event = body.get("event") or {}
        turn = translate.message(body)
        if turn is not None:
            # Mentions become names in `prepare`, when Slack can be asked who they are.
            await self._receive(
                turn, raw_text=str(event.get("text", "")), dm=str(event.get("channel") or "")
            )

    async def _on_home_opened(self, body: dict[str, Any]) -> None:
        user = translate.home_opened(body)
        if user is not None:
            event_id = body.get("event_id")
            key = f"slack:event:{event_id}" if event_id else None
            await self._receive(translate.Turn(Visit(translate.sender(user)), key=key))

    async def _on_action(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        action = translate.block_action(body)
        if action is not None:
            await self._receive(action)
        await ack()

    async def _on_options(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """Someone types in a people search (`block_suggestion`): a read, answered at once
        (Slack waits three seconds), never stored."""
        asked = translate.suggestion(body)
        if asked is None:
            await ack(options=[])
            return
        _, typed, exclude = asked
        found = await people_search.offered(
            self.store, translate.PLATFORM, typed, exclude=exclude, by_email=True,
            limit=SELECT_OPTIONS,
        )
        await ack(options=[option(value, label) for value, label in found])

    async def _receive(self, turn: translate.Turn, *, raw_text: str = "", dm: str = "") -> None:
        """Commit the turn to the inbox; Slack is acknowledged after this returns."""
        context: dict[str, Any] = {
            "reply": {"channel": turn.channel} if turn.channel else {},
            "picked": list(turn.picked),
            "from_home": turn.from_home,
        }
        if turn.card:
            context[CARD] = turn.card
        if raw_text:
            context["raw_text"] = raw_text
        if dm:
            context["dm"] = dm
        # Without a delivery id nothing can recognise a repeat: each is its own event.
        key = turn.key or f"slack:once:{uuid.uuid4().hex}"
        try:
            await self.hub.receive(key, turn.event, context)
        except Exception as error:
            # Its type alone: a database's message may quote what was being stored.
            log.error("Slack: a request could not be stored (%s); answered %s for Slack to "
                      "send it again", type(error).__name__, UNAVAILABLE)
            raise NotStored from error

    # --- around a turn (hub.turns.Platform) -------------------------------------------------

    async def prepare(self, event: Event, context: dict[str, Any]) -> Event:
        user = event.sender.external_id
        if context.get("dm"):
            self.channel.learn_direct_channel(user, str(context["dm"]))
        raw = context.get("raw_text")
        if isinstance(event, Text) and isinstance(raw, str):
            names = await self.directory.names(translate.mentioned_users(raw))
            text = translate.plain_text(raw, names)[: translate.MAX_TEXT]
            await self.directory.by_email(translate.emails(text))
            event = Text(event.sender, text)
        await self.directory.prefetch(tuple(str(p) for p in context.get("picked") or ()))
        return replace(event, sender=await self.directory.sender(user))

    async def after(self, event: Event, context: dict[str, Any]) -> None:
        if context.get("from_home") or isinstance(event, Visit):
            await self.publish_home(event.sender.external_id)

    async def publish_home(self, user: str) -> None:
        """The Home tab: the person's accounts, what waits for their decision, and help."""
        sender = await self.directory.sender(user)
        messages = await home.home(self.store, self.brain, sender, self.clock())
        try:
            await self.channel.publish_home(user, home_view(messages))
        except DeliveryError as error:
            log.error("Slack: the Home tab of %s could not be published: %s", user, error)
