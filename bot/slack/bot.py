"""The Slack front end: a slack-bolt `AsyncApp` whose listeners only acknowledge.

Every listener calls `ack()` at once and leaves the turn to a task of its own, so Slack hears
back well within its three seconds whatever the database or the Web API are doing. A turn:
recognise a retry or a double click (`data.seen`), look up the people involved, let the
`Brain` run it, and send the replies — ephemeral ones only to the person who acted. The turns
of one person run one after the other, in the order Slack delivered them, and at most
`Tuning.concurrent_turns` run at once.
"""

from __future__ import annotations

import asyncio
import logging
import re
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.keys import BRAIN, CHANNELS, CLOCK, DELIVERER, STORE
from bot.settings import Settings
from bot.slack import guard, translate
from bot.slack.channel import SlackChannel
from bot.slack.client import Tuning, make_client
from bot.slack.config import Mode
from bot.slack.people import Directory
from bot.slack.render import home_view
from data import people, requests, seen
from data.models import Role
from dialogs import notices
from dialogs.channel import DeliveryError
from dialogs.engine import Reply
from dialogs.events import Command, Text
from dialogs.messages import Message
from dialogs.router import COMMANDS

log = logging.getLogger(__name__)

# `help` is a word typed in the direct chat; every other command is a slash command.
SLASH_COMMANDS = tuple(name for name in COMMANDS if name != "help")

Work = Callable[[], Awaitable[None]]


class SlackBot:
    def __init__(
        self, app: web.Application, settings: Settings, mode: Mode, tuning: Tuning
    ) -> None:
        self.app = app
        self.settings = settings
        self.mode = mode
        self.tuning = tuning
        self.store = app[STORE]
        self.brain = app[BRAIN]
        self.clock: Callable[[], datetime] = app[CLOCK]
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(tuning.concurrent_turns)
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
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
        self.directory = Directory(self.client, self.store, self.clock, tuning.profile_max_age)
        self.bolt = self._bolt()

    # --- life cycle -----------------------------------------------------------------------

    async def start(self) -> None:
        self.app[CHANNELS][self.channel.platform] = self.channel
        self.brain.resolvers[translate.PLATFORM] = self.directory.resolve
        await self.sync_roles()
        if self.mode == "socket":
            assert self.settings.slack_app_token is not None
            self._socket = AsyncSocketModeHandler(
                self.bolt, self.settings.slack_app_token.get_secret_value(), logger=log
            )
            # Connecting retries until Slack answers: the rest of the server starts meanwhile.
            self._connecting = asyncio.create_task(
                self._socket.connect_async()  # type: ignore[no-untyped-call]
            )
            log.info("Slack: connecting in Socket Mode")
        else:
            log.info("Slack: listening at POST /slack/events")

    async def quiesce(self) -> None:
        """Take no more work, and let the turns in progress finish (the server is stopping).

        Runs on the server's shutdown signal, before the outbox delivery stops, so that what
        these turns owe is still handed to it."""
        socket, self._socket = self._socket, None
        if socket is not None:
            await socket.close_async()  # type: ignore[no-untyped-call]
        connecting, self._connecting = self._connecting, None
        if connecting is not None:
            connecting.cancel()
            await asyncio.gather(connecting, return_exceptions=True)
        try:
            await asyncio.wait_for(self.drain(), self.tuning.drain_seconds)
        except TimeoutError:
            log.warning("Slack: %d turns still running at shutdown", len(self._tasks))

    async def stop(self) -> None:
        await self.quiesce()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._session.close()

    async def drain(self) -> None:
        """Wait until every turn started so far (and any they started) has finished."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def sync_roles(self) -> None:
        """The director and the comms office's members as the settings name them."""
        director_ids: set[int] = set()
        if self.settings.director_slack_id:
            person = await self.directory.ensure(self.settings.director_slack_id)
            assert person.id is not None
            director_ids.add(person.id)
        comms_ids: set[int] = set()
        for member in self.settings.comms_slack_members:
            person = await self.directory.ensure(member)
            assert person.id is not None
            comms_ids.add(person.id)
        async with self.store.transaction() as session:
            now = self.clock()
            for role, ids in ((Role.DIRECTOR, director_ids), (Role.COMMS, comms_ids)):
                await people.set_role_holders(
                    session, now=now, role=role.value, platform=translate.PLATFORM, person_ids=ids
                )

    # --- HTTP -----------------------------------------------------------------------------

    async def handle_http(self, request: web.Request) -> web.Response:
        """`POST /slack/events`: our guard, then bolt, check signature and timestamp first."""
        secret = self.settings.slack_signing_secret
        refused = await guard.check(request, secret.get_secret_value() if secret else "")
        if refused is not None:
            return refused
        response = await self.bolt.async_dispatch(await to_bolt_request(request))
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
        for name in SLASH_COMMANDS:
            bolt.command(f"/{name}")(self._on_command)
        bolt.event("message")(self._on_message)
        bolt.event("app_home_opened")(self._on_home_opened)
        bolt.action(re.compile(".*"))(self._on_action)
        bolt.view(re.compile(".*"))(self._on_view)
        return bolt

    async def _on_command(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        turn = translate.command(body)
        self.spawn(lambda: self._turn(turn))

    async def _on_message(self, body: dict[str, Any]) -> None:
        # Events are acknowledged by bolt as soon as this returns.
        if translate.is_person_message(body.get("event") or {}):
            self.spawn(lambda: self._message(body))

    async def _on_home_opened(self, body: dict[str, Any]) -> None:
        user = translate.home_opened(body)
        if user is not None:
            self.spawn(lambda: self._locked(user, lambda: self.publish_home(user)))

    async def _on_action(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        action = translate.block_action(body)
        if action is not None:
            self.spawn(lambda: self._turn(action))

    async def _on_view(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        submitted = translate.view_submission(body)
        if submitted is not None:
            self.spawn(lambda: self._turn(submitted))

    def spawn(self, work: Work) -> None:
        """Run `work()` in a task of its own, after the acknowledgement."""
        task = asyncio.create_task(self._guarded(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _guarded(work: Work) -> None:
        try:
            await work()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("Slack: a turn failed")

    def _lock(self, user: str) -> asyncio.Lock:
        lock = self._locks.get(user)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[user] = lock
        return lock

    async def _locked(self, user: str, work: Work) -> None:
        """Run `work()` after `user`'s earlier turns, when a slot is free."""
        async with self._lock(user), self._slots:
            await work()

    # --- turns ----------------------------------------------------------------------------

    async def _message(self, body: dict[str, Any]) -> None:
        event = body.get("event") or {}
        user = str(event.get("user"))
        async with self._lock(user), self._slots:
            if event.get("channel"):
                self.channel.learn_direct_channel(user, str(event["channel"]))
            names = await self.directory.names(translate.mentioned_users(str(event.get("text"))))
            turn = translate.message(body, names)
            if turn is not None:
                assert isinstance(turn.event, Text)
                await self.directory.by_email(translate.emails(turn.event.text))
                await self._run(turn)

    async def _turn(self, turn: translate.Turn) -> None:
        await self._locked(turn.event.sender.external_id, lambda: self._run(turn))

    async def _run(self, turn: translate.Turn) -> None:
        user = turn.event.sender.external_id
        now = self.clock()
        if turn.key is not None:
            async with self.store.transaction() as session:
                repeat = await seen.known(session, turn.key)
            if repeat:
                log.info("Slack: %s seen before, ignored", turn.key)
                return
        await self.directory.prefetch(turn.picked)
        event = replace(turn.event, sender=await self.directory.sender(user))
        # The key is remembered in the turn's own transaction: a turn that fails is not
        # remembered, so Slack's retry of it runs.
        replies = await self.brain.handle(event, now, once=turn.key)
        for reply in replies:
            await self._answer(turn, user, reply)
        deliverer = self.app.get(DELIVERER)
        if deliverer is not None:
            deliverer.kick()
        if turn.from_home:
            await self.publish_home(user)

    async def _answer(self, turn: translate.Turn, user: str, reply: Reply) -> None:
        try:
            if reply.ephemeral:
                await self.channel.ephemeral(turn.channel, user, reply.message)
            else:
                await self.channel.direct(user, reply.message)
        except DeliveryError as error:
            # Replies are not in the outbox: the dialog's state is saved, and the person gets
            # the question again with their next message.
            log.error("Slack: a reply to %s could not be delivered: %s", user, error)

    async def publish_home(self, user: str) -> None:
        """The Home tab: the person's accounts, what waits for their decision, and help."""
        sender = await self.directory.sender(user)
        now = self.clock()
        accounts = await self.brain.handle(Command(sender, "accounts"), now)
        help_ = await self.brain.handle(Command(sender, "help"), now)
        cards: list[Message] = []
        async with self.store.transaction() as session:
            person = await people.find_by_identity(session, translate.PLATFORM, user)
            if person is not None and person.id is not None:
                tr = self.brain.translator(person)
                for request in await requests.pending_for(session, person.id):
                    cards.append(
                        await notices.approval_card(
                            session, tr, {"request_id": request.id}, person.id
                        )
                    )
        messages = [r.message for r in accounts] + cards + [r.message for r in help_]
        try:
            await self.channel.publish_home(user, home_view(messages))
        except DeliveryError as error:
            log.error("Slack: the Home tab of %s could not be published: %s", user, error)
