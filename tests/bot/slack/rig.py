"""The real server with Slack on, driven the way Slack drives it.

`SlackRig` serves `bot.app.create_app` on a test server, points its Web API client at a
`FakeSlack`, and sends signed requests: slash commands, `message.im` events, clicks and picks
built from the blocks the bot actually posted, `app_home_opened`, and a `view_submission` (which
the bot, opening no modals, does not take).
`settle()` waits (on the fake's calls, never by sleeping) until every turn has run and the
outbox has nothing due.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import col, select

from bot.app import create_app
from bot.keys import DELIVERER, HUB, STORE
from bot.settings import Settings
from bot.slack import TUNING
from bot.slack.client import Tuning
from bot.slack.render import FIELD_PREFIX
from data.db import Store
from data.models import Outbox, OutboxStatus
from tests.helpers import T0, Clock
from tests.helpers.fake_slack import TEAM, FakeSlack, Posted, dm_channel, sign
from tests.helpers.journey import Answer

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-fake-token"
COMMS = "CCOMMS"
REGISTRY = "CREGISTRY"
GENERAL = "CGENERAL"
WAIT = 10.0


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    email: str
    locale: str


ANNA = Person("UANNA", "Anna Andersson", "anna.andersson@ki.se", "en-US")
BJORN = Person("UBJORN", "Björn Berg", "bjorn.berg@ki.se", "sv-SE")
CECILIA = Person("UCECILIA", "Cecilia Carlsson", "cecilia.carlsson@ki.se", "sv-SE")
DAVID = Person("UDAVID", "David Dahl", "david.dahl@ki.se", "en-GB")
EVA = Person("UEVA", "Eva Ek", "eva.ek@ki.se", "sv-SE")
FILIP = Person("UFILIP", "Filip Fors", "filip.fors@ki.se", "en-US")
GRETA = Person("UGRETA", "Greta Gran", "greta.gran@ki.se", "en-GB")
CAST = (ANNA, BJORN, CECILIA, DAVID, EVA, FILIP, GRETA)


def slack_settings(database_url: str, api_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "default_locale": "sv",
        "slack_bot_token": TOKEN,
        "slack_signing_secret": SECRET,
        "slack_api_url": api_url,
        "director_slack_id": DAVID.id,
        "comms_slack_channel": COMMS,
        "registry_slack_channel": REGISTRY,
        "comms_slack_members": [EVA.id],
    }
    values.update(overrides)
    # No .env: what a developer has configured locally must not change the tests.
    return Settings(_env_file=None, **values)


def impatient() -> Tuning:
    """Retries without waiting long, so that tests of 429 and 5xx stay fast."""
    return Tuning(
        rate_limit_retries=2,
        max_retry_after=1.0,
        server_error_retries=2,
        backoff_factor=0.01,
        jitter=False,
        timeout_seconds=5,
        drain_seconds=5.0,
    )


class SlackRig:
    def __init__(self, client: TestClient[Any, Any], fake: FakeSlack, clock: Clock) -> None:
        self.client = client
        self.fake = fake
        self.clock = clock
        self._ids = itertools.count(1)

    @property
    def app(self) -> Any:
        return self.client.app

    @property
    def store(self) -> Store:
        store: Store = self.app[STORE]
        return store

    # --- raw requests ---------------------------------------------------------------------

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str = SECRET,
        headers: dict[str, str] | None = None,
    ) -> ClientResponse:
        sent = {"Content-Type": content_type, **sign(body, secret, timestamp), **(headers or {})}
        response = await self.client.post("/slack/events", data=body.encode(), headers=sent)
        await response.read()
        return response

    def _next(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):06d}"

    # --- what Slack sends -----------------------------------------------------------------

    def command_body(
        self, user: str, name: str, text: str = "", channel: str = GENERAL, trigger: str = ""
    ) -> str:
        return urlencode(
            {
                "token": "deprecated",
                "team_id": TEAM,
                "team_domain": "ki",
                "channel_id": channel,
                "channel_name": "general",
                "user_id": user,
                "user_name": user.lower(),
                "command": f"/{name}",
                "text": text,
                "api_app_id": "AKONTOBOT",
                "response_url": "https://hooks.slack.invalid/commands/1",
                "trigger_id": trigger or self._next("trigger."),
            }
        )

    async def command(
        self, user: str, name: str, text: str = "", channel: str = GENERAL, **options: Any
    ) -> ClientResponse:
        body = self.command_body(user, name, text, channel)
        return await self.post(body, "application/x-www-form-urlencoded", **options)

    def event_body(self, event: dict[str, Any], event_id: str = "") -> str:
        return json.dumps(
            {
                "token": "deprecated",
                "team_id": TEAM,
                "api_app_id": "AKONTOBOT",
                "event": event,
                "type": "event_callback",
                "event_id": event_id or self._next("Ev"),
                "event_time": int(time.time()),
                "authorizations": [{"team_id": TEAM, "user_id": "UKONTOBOT", "is_bot": True}],
            }
        )

    async def say(self, user: str, text: str, **options: Any) -> ClientResponse:
        """`user` writes `text` (Slack-formatted, as Slack sends it) in their direct chat."""
        ts = f"{int(time.time())}.{next(self._ids):06d}"
        event = {
            "type": "message",
            "channel": dm_channel(user),
            "user": user,
            "text": text,
            "ts": ts,
            "event_ts": ts,
            "channel_type": "im",
        }
        return await self.post(self.event_body(event), "application/json", **options)

    async def home_opened(self, user: str) -> ClientResponse:
        event = {
            "type": "app_home_opened",
            "user": user,
            "channel": dm_channel(user),
            "tab": "home",
        }
        return await self.post(self.event_body(event), "application/json")

    def action_body(
        self,
        user: str,
        posted: Posted | None,
        action_id: str,
        *,
        option: str | None = None,
        users: list[str] | None = None,
        options: list[str] | None = None,
        text: str | None = None,
        view: dict[str, Any] | None = None,
        trigger: str = "",
        action_ts: str = "",
        values: dict[str, str] | None = None,
    ) -> str:
        """A block_actions payload for the element `action_id` of a posted message (or of
        the published Home `view`), with the inputs filled in as given."""
        blocks = view["blocks"] if view is not None else (posted.blocks if posted else [])
        block, element = find_element(blocks, action_id)
        clicked: dict[str, Any] = {
            "action_id": element["action_id"],
            "block_id": block["block_id"],
            "type": element["type"],
            # Slack's time of the click: the rig's clock, which the tests move.
            "action_ts": action_ts or f"{int(self.clock().timestamp())}.{next(self._ids):06d}",
        }
        if element["type"] == "button":
            clicked["text"] = element["text"]
            if "value" in element:
                clicked["value"] = element["value"]
        elif element["type"] == "static_select":
            [chosen] = [o for o in element["options"] if o["value"] == option]
            clicked["selected_option"] = chosen
        else:
            raise AssertionError(f"{element['type']} is not clicked directly")
        state = self._state(
            blocks, block_group_of(block["block_id"]), users, options, text, values or {}
        )
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
            "api_app_id": "AKONTOBOT",
            "token": "deprecated",
            "trigger_id": trigger or self._next("trigger."),
            "team": {"id": TEAM, "domain": "ki"},
            "actions": [clicked],
            "state": {"values": state},
            "response_url": "https://hooks.slack.invalid/actions/1",
        }
        if view is not None:
            payload["container"] = {"type": "view", "view_id": f"V{user}"}
            payload["view"] = {"id": f"V{user}", "type": "home", "blocks": view["blocks"]}
        else:
            assert posted is not None
            payload["container"] = {
                "type": "message",
                "message_ts": posted.ts,
                "channel_id": posted.channel,
                "is_ephemeral": posted.ephemeral_for is not None,
            }
            payload["channel"] = {"id": posted.channel, "name": "directmessage"}
            if posted.ephemeral_for is None:
                payload["message"] = {"ts": posted.ts, "text": posted.text, "blocks": posted.blocks}
        return urlencode({"payload": json.dumps(payload)})

    @staticmethod
    def _state(
        blocks: list[dict[str, Any]],
        group: str,
        users: list[str] | None,
        options: list[str] | None,
        text: str | None,
        values: dict[str, str],
    ) -> dict[str, Any]:
        state: dict[str, Any] = {}
        for block in blocks:
            if block.get("type") != "input" or block_group_of(block["block_id"]) != group:
                continue
            element = block["element"]
            kind = element["type"]
            entry: dict[str, Any] = {"type": kind}
            field = element["action_id"].removeprefix(FIELD_PREFIX)
            if element["action_id"].startswith(FIELD_PREFIX):
                # A form's field: what the person typed or picked, else what it shows.
                if kind == "plain_text_input":
                    entry["value"] = values.get(field, element.get("initial_value"))
                else:
                    chosen = [o for o in element["options"] if o["value"] == values.get(field)]
                    entry["selected_option"] = (chosen or [element.get("initial_option")])[0]
            elif kind == "plain_text_input":
                entry["value"] = text
            elif kind == "users_select":
                entry["selected_user"] = users[0] if users else None
            elif kind == "multi_users_select":
                entry["selected_users"] = list(users or [])
            elif kind == "external_select":
                # The people the bot offered (`suggest`) carry their values as options.
                entry["selected_option"] = (
                    {"text": {"type": "plain_text", "text": users[0]}, "value": users[0]}
                    if users
                    else None
                )
            elif kind == "multi_external_select":
                entry["selected_options"] = [
                    {"text": {"type": "plain_text", "text": u}, "value": u} for u in users or []
                ]
            elif kind in ("checkboxes", "multi_static_select"):
                entry["selected_options"] = [
                    o for o in element["options"] if o["value"] in (options or [])
                ]
            state[block["block_id"]] = {element["action_id"]: entry}
        return state

    async def act(
        self, user: str, posted: Posted | None, action_id: str, **options: Any
    ) -> ClientResponse:
        retry = options.pop("headers", None)
        body = self.action_body(user, posted, action_id, **options)
        return await self.post(body, "application/x-www-form-urlencoded", headers=retry)

    def suggestion_body(self, user: str, posted: Posted, action_id: str, typed: str) -> str:
        """A block_suggestion payload: `user` types `typed` in the external select
        `action_id` of a posted message."""
        block, element = find_input(posted.blocks, action_id)
        payload = {
            "type": "block_suggestion",
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
            "container": {"type": "message", "message_ts": posted.ts, "channel_id": posted.channel},
            "api_app_id": "AKONTOBOT",
            "token": "deprecated",
            "action_id": element["action_id"],
            "block_id": block["block_id"],
            "value": typed,
            "team": {"id": TEAM, "domain": "ki"},
        }
        return urlencode({"payload": json.dumps(payload)})

    async def suggest(
        self, user: str, posted: Posted, action_id: str, typed: str, **options: Any
    ) -> ClientResponse:
        body = self.suggestion_body(user, posted, action_id, typed)
        return await self.post(body, "application/x-www-form-urlencoded", **options)

    async def submit_view(
        self, user: str, callback_id: str, metadata: str, text: str, view_id: str = "VMODAL"
    ) -> ClientResponse:
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": "ki"},
            "user": {"id": user, "username": user.lower(), "team_id": TEAM},
            "api_app_id": "AKONTOBOT",
            "token": "deprecated",
            "trigger_id": self._next("trigger."),
            "view": {
                "id": view_id,
                "type": "modal",
                "callback_id": callback_id,
                "private_metadata": metadata,
                "hash": "1700000000.abcdef",
                "state": {
                    "values": {
                        "reason": {"approval:reason": {"type": "plain_text_input", "value": text}}
                    }
                },
            },
        }
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded")

    # --- waiting ----------------------------------------------------------------------------

    async def settle(self, within: float = WAIT) -> None:
        """Until every turn has run and nothing in the outbox is due or being sent."""
        hub = self.app[HUB]
        deadline = time.monotonic() + within
        while True:
            turns_idle = await hub.idle()
            async with self.store.transaction() as session:
                busy = list(
                    await session.exec(
                        select(Outbox.id).where(
                            (col(Outbox.status) == OutboxStatus.SENDING.value)
                            | (
                                (col(Outbox.status) == OutboxStatus.PENDING.value)
                                & (col(Outbox.next_attempt_at) <= self.clock())
                            )
                        )
                    )
                )
            if not busy and turns_idle:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"not settled within {within}s: outbox rows {busy} busy")
            self.app[DELIVERER].kick()
            await self.fake.changed(0.05)

    async def next_dm(self, user: str, before: int, what: str = "") -> Posted:
        """The newest message in `user`'s direct chat once there are more than `before`."""
        await self.fake.wait_for(
            lambda: len(self.fake.dm(user)) > before, WAIT, what or f"a message to {user}"
        )
        return self.fake.dm(user)[-1]

    # --- the journey ------------------------------------------------------------------------

    async def answer(self, user: str, answer: Answer) -> Posted:
        """Answer the question in the newest message to `user`; returns the next one."""
        before = len(self.fake.dm(user))
        prompt = self.fake.dm(user)[-1]
        if answer.text is not None:
            response = await self.say(user, answer.text)
        else:
            response = await self._choose(user, prompt, answer)
        assert response.status == 200, (answer, response.status)
        return await self.next_dm(user, before, f"the question after {answer.step}")

    async def _choose(self, user: str, prompt: Posted, answer: Answer) -> ClientResponse:
        inputs = [
            b["element"]["type"]
            for b in prompt.blocks
            if b.get("type") == "input" and b["element"]["action_id"] == answer.action
        ]
        kind = inputs[0] if inputs else find_element(prompt.blocks, answer.action)[1]["type"]
        if kind == "static_select":
            return await self.act(user, prompt, answer.action, option=answer.selected[0])
        if kind in ("checkboxes", "multi_static_select"):
            return await self.act(user, prompt, answer.action, options=list(answer.selected))
        if kind in ("users_select", "multi_users_select", "external_select",
                    "multi_external_select"):
            return await self.act(user, prompt, answer.action, users=list(answer.selected))
        if kind == "button" and answer.verb == "form":
            return await self.act(user, prompt, answer.action, values=dict(answer.values))
        if kind == "button":
            return await self.act(user, prompt, answer.action)
        raise AssertionError(f"no way to answer with a {kind}")


def block_group_of(block_id: str) -> str:
    return block_id.partition(":")[0].partition("b")[0]


def find_element(
    blocks: list[dict[str, Any]], action_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The block and element whose action is `action_id`: the clickable one first (a button
    or a menu), since an input shares its action with the button that sends it."""
    inputs = []
    for block in blocks:
        if block.get("type") == "actions":
            for element in block["elements"]:
                if element.get("action_id") == action_id:
                    return block, element
        if block.get("type") == "input" and block["element"].get("action_id") == action_id:
            inputs.append((block, block["element"]))
    if inputs:
        return inputs[0]
    raise AssertionError(f"no element {action_id!r} in {json.dumps(blocks)[:2000]}")


def buttons(posted: Posted | dict[str, Any]) -> dict[str, str]:
    """The buttons of a message (or view): action_id -> value."""
    blocks = posted.blocks if isinstance(posted, Posted) else posted["blocks"]
    return {
        e["action_id"]: e.get("value", "")
        for b in blocks
        if b.get("type") == "actions"
        for e in b["elements"]
        if e["type"] == "button"
    }


@asynccontextmanager
async def running(
    database_url: str,
    *,
    now: datetime = T0,
    people: tuple[Person, ...] = CAST,
    tuning: Tuning | None = None,
    organisation: str | None = None,
    **overrides: Any,
) -> AsyncIterator[SlackRig]:
    """The server against a fake Slack that knows `people`, our workspace part of the Grid
    organisation `organisation` when one is named."""
    fake = FakeSlack(token=TOKEN, enterprise_id=organisation)
    for person in people:
        fake.add_user(person.id, person.name, email=person.email, locale=person.locale)
    await fake.start()
    try:
        clock = Clock(now)
        settings = slack_settings(database_url, fake.url, **overrides)
        app = create_app(settings, web_chat_enabled=False, clock=clock)
        app[TUNING] = tuning or impatient()
        async with TestClient(TestServer(app)) as client:
            yield SlackRig(client, fake, clock)
    finally:
        await fake.stop()


def find_input(
    blocks: list[dict[str, Any]], action_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The input block whose element has `action_id`, and that element."""
    for block in blocks:
        element = block.get("element") or {}
        if block.get("type") == "input" and element.get("action_id") == action_id:
            return block, element
    raise AssertionError(f"no input {action_id}")
