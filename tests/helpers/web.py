"""The web chat in-process: the real aiohttp app on a test server, driven through its JSON API.

Delivery of notices runs in the app's background task, kicked after every turn. Tests never
sleep for it: `WebChat.wait_for` long-polls `GET /web/api/messages` with `after=<version>`, which
answers as soon as the conversation changes.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from html import unescape
from typing import Any

from aiohttp import ClientSession, web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.keys import STORE
from bot.settings import Settings
from dialogs.events import Sender
from tests.helpers import T0
from tests.helpers.journey import Answer, in_progress

WAIT = 10.0


def fixed_clock(moment: datetime = T0) -> Callable[[], datetime]:
    return lambda: moment


def settings_for(database_url: str) -> Settings:
    # No .env: what a developer has configured locally must not change the tests.
    return Settings(database_url=database_url, _env_file=None)


def chat_app(
    database_url: str, *, web_chat: bool = True, now: datetime = T0, host: str | None = None
) -> web.Application:
    """The app as `serve` makes it listening on `host` (None: loopback, as a test server)."""
    return create_app(
        settings_for(database_url), web_chat_enabled=web_chat, clock=fixed_clock(now), host=host
    )


@dataclass(frozen=True)
class Shown:
    """One message of a conversation as the page gets it."""

    id: int
    html: str

    @property
    def text(self) -> str:
        """What a person reads: the HTML without tags, entities decoded, spaces collapsed."""
        return " ".join(unescape(re.sub(r"<[^>]+>", " ", self.html)).split())

    def form(self) -> dict[str, str]:
        """The fields of the message's form as the page would send them: name -> value."""
        found: dict[str, str] = {}
        for tag, name, rest in re.findall(
            r'<(textarea|select)[^>]*data-field="([^"]*)"[^>]*>(.*?)</\1>', self.html, re.S
        ):
            if tag == "textarea":
                found[unescape(name)] = unescape(rest)
            else:
                chosen = re.search(r'<option value="([^"]*)" selected>', rest)
                first = re.search(r'<option value="([^"]*)"', rest)
                picked = chosen or first
                found[unescape(name)] = unescape(picked.group(1)) if picked else ""
        return found

    def buttons(self) -> dict[str, str]:
        """Live buttons: action -> value (a repeated action: its last button's)."""
        return dict(self.pressable())

    def pressable(self) -> list[tuple[str, str]]:
        """Every live button, in order: (action, value); a digest repeats its actions."""
        return [
            (unescape(action), unescape(value))
            for action, value in re.findall(
                r'data-action="([^"]*)" data-value="([^"]*)"', self.html
            )
        ]


class WebChat:
    def __init__(self, client: TestClient[Any, Any]) -> None:
        self.client = client

    async def post(self, path: str, body: dict[str, Any], expect: int = 200) -> str:
        response = await self.client.post(path, json=body)
        text = await response.text()
        assert response.status == expect, (path, body, response.status, text)
        return text

    async def say(self, who: str, text: str) -> None:
        await self.post("/web/api/say", {"as": who, "text": text})

    async def act(
        self,
        who: str,
        action: str,
        value: str = "",
        selected: tuple[str, ...] = (),
        text: str = "",
        values: dict[str, str] | None = None,
        message: int | None = None,
    ) -> None:
        """A click; `message` is the id of the message clicked, as the page sends it. A dialog's
        (`dlg:`) without `value` carries what its button carries on the page: on the message
        named, else on the newest that offers it live; when none does (a test taking a short
        cut), what the cards of the conversation in progress carry."""
        if not value and action.startswith("dlg:"):
            value = await self.carried(who, action, message) or await in_progress(
                self.client.app[STORE], Sender("web", who)
            )
        body: dict[str, Any] = {
            "as": who, "action": action, "value": value, "selected": list(selected), "text": text
        }
        if values is not None:
            body["values"] = values
        if message is not None:
            body["message"] = str(message)
        await self.post("/web/api/act", body)

    async def carried(self, who: str, action: str, message: int | None = None) -> str:
        """The value of `action`'s live button in `who`'s chat: on message `message` if it
        offers one, else on the newest message that does ("": none does)."""
        offering = [m for m in await self.messages(who) if action in m.buttons()]
        named = [m for m in offering if m.id == message]
        found = named or offering[-1:]
        return found[0].buttons()[action] if found else ""

    async def answer(self, who: str, answer: Answer) -> None:
        """Type the answer, or click its choice, picker or confirm button."""
        if answer.text is not None:
            await self.say(who, answer.text)
        elif answer.verb == "form":
            # What the form shows, with the answer's fields typed in.
            shown = (await self.messages(who))[-1].form()
            assert set(dict(answer.values)) <= set(shown), (answer.values, shown)
            await self.act(who, answer.action, values={**shown, **dict(answer.values)})
        else:
            await self.act(who, answer.action, selected=answer.selected)

    async def fetch(
        self, who: str, conversation: str | None = None, after: str = ""
    ) -> tuple[str, list[Shown]]:
        """(version, messages) of a conversation; with `after`, waits until it changes."""
        query = {"as": who, "after": after}
        if conversation is not None:
            query["conversation"] = conversation
        response = await self.client.get("/web/api/messages", params=query)
        assert response.status == 200, (query, response.status, await response.text())
        data = await response.json()
        return data["version"], [Shown(m["id"], m["html"]) for m in data["messages"]]

    async def messages(self, who: str, conversation: str | None = None) -> list[Shown]:
        return (await self.fetch(who, conversation))[1]

    async def wait_for(
        self,
        who: str,
        predicate: Callable[[list[Shown]], bool],
        conversation: str | None = None,
        *,
        within: float = WAIT,
    ) -> list[Shown]:
        """The conversation once `predicate` holds for it, woken by the long poll."""
        version, shown = "", list[Shown]()
        try:
            async with asyncio.timeout(within):
                while True:
                    version, shown = await self.fetch(who, conversation, after=version)
                    if predicate(shown):
                        return shown
        except TimeoutError:
            seen = "\n".join(f"  [{m.id}] {m.text}" for m in shown)
            raise AssertionError(
                f"{conversation or who} did not get there within {within}s; it shows:\n{seen}"
            ) from None

    async def wait_for_text(self, who: str, text: str, conversation: str | None = None) -> Shown:
        """The newest message whose text contains `text`."""
        shown = await self.wait_for(who, lambda ms: any(text in m.text for m in ms), conversation)
        return [m for m in shown if text in m.text][-1]


@asynccontextmanager
async def running_chat(
    database_url: str, *, web_chat: bool = True, now: datetime = T0, host: str | None = None
) -> AsyncIterator[WebChat]:
    """The app on a test server with the web chat on, stopped (cleanly) on exit."""
    app = chat_app(database_url, web_chat=web_chat, now=now, host=host)
    async with TestClient(TestServer(app)) as client:
        yield WebChat(client)


# The dashboard's sign-in proof cookie (bot/web/dashboard/auth.py).
PROOF = "kontobot_sign_in"
# What a browser of today sends with a request made by the dashboard's own page.
MODERN = {"Sec-Fetch-Site": "same-origin"}


async def through_the_page(
    http: TestClient[Any, Any] | ClientSession, token: str
) -> tuple[dict[str, str], dict[str, str]]:
    """What a browser that does not say where it posts from (no Sec-Fetch-Site: older ones)
    sends to sign in: the form as the sign-in page fills it (the link's token, the page's
    proof), and the proof cookie the page set."""
    response = await http.get("/dashboard/sign-in", params={"token": token},
                              allow_redirects=False)
    assert response.status == 200, await response.text()
    [proof] = re.findall(r'name="proof" value="([^"]+)"', await response.text())
    return {"token": token, "proof": proof}, {"Cookie": f"{PROOF}={response.cookies[PROOF].value}"}
