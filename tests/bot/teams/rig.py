"""The real server with Teams on, driven the way the Bot Connector drives it.

`TeamsRig` serves `bot.app.create_app` on a test server (emulator mode: no app id, loopback)
and posts Teams-shaped activities to `/api/messages` whose `serviceUrl` is a `FakeConnector`.
Clicks are built from the cards the bot actually sent: the rig finds the `Action.Execute` in
the card, fills in the inputs as Teams would, and posts the `adaptiveCard/action` invoke.
`settle()` waits (on the fake's calls, never by sleeping) until the outbox has nothing due.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import col, select

from bot.app import create_app
from bot.keys import DELIVERER, HUB, STORE
from bot.settings import Settings
from bot.teams import AUTH_CONFIG
from data.db import Store
from data.models import Outbox, OutboxStatus
from tests.helpers import Clock
from tests.helpers.fake_connector import FakeConnector, Posted
from tests.helpers.journey import Answer

TENANT = "tenant-ki"
BOT = "28:kontobot"
COMMS = "19:comms-office@thread.tacv2"
REGISTRY = "19:registry-office@thread.tacv2"
WAIT = 10.0


@dataclass(frozen=True)
class TeamsUser:
    key: str
    name: str
    email: str
    locale: str

    @property
    def aad(self) -> str:
        """The Azure AD object id: a person's Teams identity."""
        return f"00000000-0000-0000-0000-{self.key:0>12}"

    @property
    def user_id(self) -> str:
        return f"29:{self.key}"

    @property
    def conversation(self) -> str:
        return f"a:dm-{self.key}"


ANNA = TeamsUser("anna", "Anna Andersson", "anna.andersson@ki.se", "en-US")
BJORN = TeamsUser("bjorn", "Björn Berg", "bjorn.berg@ki.se", "sv-SE")
CECILIA = TeamsUser("cecilia", "Cecilia Carlsson", "cecilia.carlsson@ki.se", "sv-SE")
DAVID = TeamsUser("david", "David Dahl", "david.dahl@ki.se", "en-GB")
EVA = TeamsUser("eva", "Eva Ek", "eva.ek@ki.se", "sv-SE")
FILIP = TeamsUser("filip", "Filip Fors", "filip.fors@ki.se", "en-US")


def teams_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "default_locale": "en",
        "director_teams_id": DAVID.aad,
        "comms_teams_conversation": COMMS,
        "registry_teams_conversation": REGISTRY,
        "comms_teams_members": [EVA.aad],
        # Without an app id, Teams is taken only when the emulator mode is asked for.
        "teams_emulator": "on",
        **overrides,
    }
    # No .env: what a developer has configured locally must not change the tests.
    return Settings(_env_file=None, **values)


def actions_of(card: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every action of a card, those inside show-cards (confirmations) included."""

    def walk(node: Any) -> Iterator[dict[str, Any]]:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Action."):
                yield node
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    yield from walk(card.get("body", []))
    yield from walk(card.get("actions", []))


def executes(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in actions_of(card) if a["type"] == "Action.Execute"]


def verbs(card: dict[str, Any]) -> list[str]:
    return [a["verb"] for a in executes(card)]


def shown(markdown: str) -> str:
    """What a person reads of Adaptive Card markdown the bot escaped."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u200b", "")


def texts(card: dict[str, Any]) -> str:
    """Everything a person reads on a card, as one string."""
    return shown(markdown(card))


def markdown(card: dict[str, Any]) -> str:
    """The card's text as sent: TextBlocks, facts and button titles, one per line."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                found.append(node["text"])
            if node.get("type") == "FactSet":
                found.extend(f"{f['title']}: {f['value']}" for f in node["facts"])
            if str(node.get("type", "")).startswith("Action."):
                found.append(node.get("title", ""))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card.get("body", []))
    return "\n".join(found)


def typed_html(text: str) -> str:
    """`text` as Teams sends it in HTML: a paragraph for each line (a blank one holds a
    no-break space), what was typed escaped, the HTML source broken over lines."""
    return "\n".join(f"<p>{html.escape(line, quote=False) or '&nbsp;'}</p>" for line in text.split("\n"))


def inputs_of(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for element in card.get("body", []):
        if str(element.get("type", "")).startswith("Input."):
            found[element["id"]] = element
    return found


class TeamsRig:
    def __init__(
        self, app: web.Application, client: TestClient[Any, Any], fake: FakeConnector, clock: Clock
    ) -> None:
        self.app = app
        self.client = client
        self.fake = fake
        self.clock = clock
        self._ids = itertools.count(1)
        # The card each person has in front of them: the last one posted to them or the one an
        # invoke response put in place of the clicked card.
        self.screen: dict[str, dict[str, Any]] = {}
        # How Teams sends what people type: as it was typed, or as HTML (`typed_html`).
        self.typed_as: Literal["plain", "html"] = "plain"

    @property
    def store(self) -> Store:
        return self.app[STORE]

    # --- activities --------------------------------------------------------------------------

    def activity(
        self,
        user: TeamsUser,
        kind: str,
        *,
        conversation: dict[str, Any] | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        return {
            "type": kind,
            "id": f"act-{next(self._ids)}",
            "timestamp": "2027-03-01T08:00:00.000Z",
            "serviceUrl": self.fake.url,
            "channelId": "msteams",
            "from": {"id": user.user_id, "name": user.name, "aadObjectId": user.aad},
            "conversation": conversation
            or {"id": user.conversation, "conversationType": "personal", "tenantId": TENANT},
            "recipient": {"id": BOT, "name": "kontobot"},
            "locale": user.locale,
            "channelData": {"tenant": {"id": TENANT}},
            **fields,
        }

    async def send(
        self, activity: dict[str, Any], *, expect: int = 200, headers: dict[str, str] | None = None
    ) -> Any:
        response = await self.client.post("/api/messages", json=activity, headers=headers or {})
        body = await response.read()
        assert response.status == expect, (activity["type"], response.status, body[:500])
        # The activity is in the inbox: let the turn run and its replies be posted, as Teams
        # would see them a moment later.
        await self.settle()
        if body and response.content_type == "application/json":
            return await response.json()
        return None

    async def install(self, user: TeamsUser) -> Posted:
        """`user` adds the app in Teams; returns the greeting."""
        before = len(self.fake.in_conversation(user.conversation))
        await self.send(self.activity(user, "installationUpdate", action="add"))
        # Anything that waited for this person may arrive alongside: the greeting is the help.
        [greeting] = [
            p
            for p in self.fake.in_conversation(user.conversation)[before:]
            if "cmd:open-account" in verbs(p.card)
        ]
        self.screen[user.key] = greeting.card
        return greeting

    async def say(self, user: TeamsUser, text: str) -> list[Posted]:
        """`user` types `text` in the personal chat; returns the replies."""
        before = len(self.fake.in_conversation(user.conversation))
        if self.typed_as == "html":
            sent = self.activity(user, "message", text=typed_html(text), textFormat="xml")
        else:
            sent = self.activity(user, "message", text=text, textFormat="plain")
        await self.send(sent)
        replies = self.fake.in_conversation(user.conversation)[before:]
        if replies:
            self.screen[user.key] = replies[-1].card
        return replies

    async def execute(
        self,
        user: TeamsUser,
        action: dict[str, Any],
        inputs: dict[str, str] | None = None,
        *,
        activity_id: str | None = None,
        reply_to: str | None = None,
    ) -> dict[str, Any]:
        """`user` clicks `action` (an `Action.Execute` from a card, of the message `reply_to`)
        with `inputs` filled in; returns the invoke response body. The card it returns replaces
        the clicked one; when that card is a question answered, the screen is the message after."""
        invoke = self._action(user, action["verb"], {**action.get("data", {}), **(inputs or {})})
        if activity_id is not None:
            invoke["id"] = activity_id
        if reply_to is not None:
            invoke["replyToId"] = reply_to
        before = len(self.fake.in_conversation(user.conversation))
        body: dict[str, Any] = await self.send(invoke)
        assert body["statusCode"] == 200, body
        if body["type"] == "application/vnd.microsoft.card.adaptive":
            self.screen[user.key] = body["value"]
            posted = self.fake.in_conversation(user.conversation)[before:]
            if posted and not executes(body["value"]):
                # The clicked card now shows the answer; what to do next came as a message.
                self.screen[user.key] = posted[-1].card
        return body

    async def search(
        self, user: TeamsUser, card: dict[str, Any], typed: str, *, expect: int = 200
    ) -> Any:
        """`user` types `typed` in the people picker of `card` whose search is the bot's:
        Teams sends the `application/search` invoke with the picker's dataset."""
        [dataset] = [
            element["choices.data"]["dataset"]
            for element in inputs_of(card).values()
            if "choices.data" in element
        ]
        invoke = self.activity(
            user,
            "invoke",
            name="application/search",
            value={
                "queryText": typed,
                "queryOptions": {"skip": 0, "top": 15},
                "dataset": dataset,
            },
        )
        return await self.send(invoke, expect=expect)

    def _action(
        self, user: TeamsUser, verb: str, data: dict[str, Any], trigger: str = "manual"
    ) -> dict[str, Any]:
        """The `adaptiveCard/action` invoke of an `Action.Execute`, as Teams sends it."""
        return self.activity(
            user,
            "invoke",
            name="adaptiveCard/action",
            value={
                "action": {"type": "Action.Execute", "verb": verb, "data": data},
                "trigger": trigger,
            },
        )

    async def refresh(self, user: TeamsUser, card: dict[str, Any]) -> dict[str, Any]:
        """Teams asks for the current state of `card` as `user` opens it."""
        refresh = card["refresh"]["action"]
        return await self.execute(user, refresh)

    async def refresh_naming(self, user: TeamsUser, value: str) -> dict[str, Any]:
        """Teams' automatic refresh of a card whose value is `value` (whatever a client sends),
        as `user`; the invoke answer, the screen left as it is."""
        body: dict[str, Any] = await self.send(
            self._action(user, "refresh", {"action": "refresh", "value": value}, "automatic")
        )
        assert body["statusCode"] == 200, body
        return body

    def click(self, user: TeamsUser, verb: str, **data: str) -> dict[str, Any]:
        """The action of `verb` (with `data` matching) on the card in front of `user`."""
        card = self.screen[user.key]
        for action in executes(card):
            if action["verb"] == verb and all(action["data"].get(k) == v for k, v in data.items()):
                return action
        raise AssertionError(f"no {verb} {data} on {user.key}'s card; it has {verbs(card)}")

    # --- the journey ---------------------------------------------------------------------------

    async def answer(self, user: TeamsUser, answer: Answer) -> dict[str, Any]:
        """Answer the question on `user`'s card as a person would; returns the next card."""
        if answer.text is not None:
            replies = await self.say(user, answer.text)
            assert replies, f"no reply to the {answer.step} answer"
            return replies[-1].card
        card = self.screen[user.key]
        verb = f"dlg:{answer.step}:{answer.verb}"
        buttons = [a for a in executes(card) if a["verb"] == verb]
        by_choice = {a["data"].get("choice"): a for a in buttons if "choice" in a["data"]}
        if answer.verb == "form":
            # One Action.Execute sends every field: what was typed, else what the card shows.
            [submit] = buttons
            shown = inputs_of(card)
            typed = dict(answer.values)
            filled = {}
            for name in submit["data"]["fields"]:
                field = shown[f"field_{name}"]
                filled[field["id"]] = typed.get(name, field.get("value", ""))
            body = await self.execute(user, submit, filled)
        elif len(answer.selected) == 1 and answer.selected[0] in by_choice:
            body = await self.execute(user, by_choice[answer.selected[0]])
        elif not answer.selected:
            # A button that answers alone (a proposal accepted with one click).
            [button] = buttons
            body = await self.execute(user, button)
        else:
            [submit] = [a for a in buttons if "input" in a["data"]]
            field = inputs_of(card)[submit["data"]["input"]]
            assert field["type"] == "Input.ChoiceSet", field
            body = await self.execute(user, submit, {field["id"]: ",".join(answer.selected)})
        assert body["type"] == "application/vnd.microsoft.card.adaptive", body
        return self.screen[user.key]

    async def wait_card(self, user: TeamsUser, verb: str, what: str) -> Posted:
        """The newest message to `user` whose card has a `verb` button."""

        def probe() -> Posted | None:
            found = [
                p for p in self.fake.in_conversation(user.conversation) if verb in verbs(p.card)
            ]
            return found[-1] if found else None

        posted = await self.fake.wait_for(probe, what)
        self.screen[user.key] = posted.card
        return posted

    async def wait_text(self, conversation: str, text: str) -> Posted:
        """The newest message in `conversation` whose card shows `text`."""

        def probe() -> Posted | None:
            found = [p for p in self.fake.in_conversation(conversation) if text in texts(p.card)]
            return found[-1] if found else None

        return await self.fake.wait_for(probe, f"{text!r} in {conversation}")

    async def settle(self, within: float = WAIT) -> None:
        """Until every stored activity has run and nothing in the outbox is due or being sent."""
        deliverer = self.app[DELIVERER]
        hub = self.app[HUB]
        async with asyncio.timeout(within):
            while True:
                await hub.run_due()
                await deliverer.deliver_due(self.clock())
                # The hub first: a turn commits its replies to the outbox before it is done, so
                # once the hub is idle the outbox holds all it owes (asked the other way round,
                # a turn finishing in between is missed).
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
                # Another sender (the app's own delivery task) holds rows: wait for its calls.
                await self.fake.changed(0.05)


@asynccontextmanager
async def running_teams(
    database_url: str,
    *,
    clock: Clock | None = None,
    auth_config: dict[str, str] | None = None,
    fake: FakeConnector | None = None,
    **overrides: Any,
) -> AsyncIterator[TeamsRig]:
    """The app with Teams on; `auth_config` is botbuilder's for where tokens come from.

    A `fake` given is used and left running (a restarted bot talks to the same Teams)."""
    own = fake is None
    if fake is None:
        fake = FakeConnector(tenant=TENANT)
        # Teams knows its members, all of KI's tenant and none a guest: the e-mail (UPN) of
        # whoever writes links their identity.
        for user in (ANNA, BJORN, CECILIA, DAVID, EVA, FILIP):
            fake.add_member(user.aad, user.user_id, user.name, user.email)
        await fake.start()
    clock = clock or Clock()
    try:
        app = create_app(
            teams_settings(database_url, **overrides),
            web_chat_enabled=False,
            clock=clock,
            host="127.0.0.1",
        )
        if auth_config is not None:
            app[AUTH_CONFIG] = auth_config
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            yield TeamsRig(app, client, fake, clock)
    finally:
        if own:
            await fake.close()
