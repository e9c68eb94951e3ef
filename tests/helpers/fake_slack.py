"""A fake Slack Web API: an aiohttp server on 127.0.0.1 that records every call.

It implements the methods kontobot calls (auth.test, users.info, conversations.open,
chat.postMessage, chat.update, chat.postEphemeral, views.publish, apps.connections.open),
keeps the conversations as Slack would show them (updates applied in place), checks blocks
against Block Kit's limits the way Slack refuses them (`invalid_blocks`), and answers 429 (with
`Retry-After`) or 5xx on demand.

Tests wait for what they expect with `wait_for`, which wakes on every recorded call.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_USER = "UKONTOBOT"
BOT_ID = "BKONTOBOT"
TEAM = "TKI"


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    status: int
    answer: dict[str, Any]
    token: str | None

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.answer.get("ok"))


@dataclass
class Posted:
    """A message as it stands in a conversation (after any updates)."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    ephemeral_for: str | None = None
    updates: int = 0

    @property
    def ref(self) -> str:
        return f"{self.channel}:{self.ts}"

    def all_text(self) -> str:
        """Every piece of text in the message, mrkdwn as sent (escaped)."""
        return "\n".join([self.text, *_texts(self.blocks)])


@dataclass
class Failure:
    status: int
    times: int
    retry_after: int | None = None
    error: str | None = None
    # Only calls whose arguments match (say, a channel) fail; None: every call.
    only: Callable[[dict[str, Any]], bool] | None = None


@dataclass
class User:
    id: str
    real_name: str
    email: str | None = None
    locale: str = "en-US"
    is_bot: bool = False
    deleted: bool = False
    # Their home workspace, and Grid organisation if any: ours unless said otherwise; someone
    # of another in a channel shared with ours (Slack Connect) has their own.
    team_id: str = TEAM
    enterprise_id: str | None = None
    # Slack's flags for a guest (multi-channel, single-channel) and for a stranger (someone of
    # another organisation who shares no channel with the one asking).
    is_restricted: bool = False
    is_ultra_restricted: bool = False
    is_stranger: bool = False


def _texts(value: Any) -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                found.append(item)
            else:
                found += _texts(item)
    elif isinstance(value, list):
        for item in value:
            found += _texts(item)
    return found


# --- Block Kit's limits, as Slack enforces them ---------------------------------------------


def _text_len(obj: Any, limit: int, where: str, problems: list[str]) -> None:
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        problems.append(f"{where}: not a text object")
        return
    text = obj.get("text", "")
    if not text:
        problems.append(f"{where}: empty text")
    if len(text) > limit:
        problems.append(f"{where}: {len(text)} > {limit} characters")


def _plain(obj: Any, limit: int, where: str, problems: list[str]) -> None:
    _text_len(obj, limit, where, problems)
    if isinstance(obj, dict) and obj.get("type") != "plain_text":
        problems.append(f"{where}: must be plain_text")


def _options(options: Any, limit: int, where: str, problems: list[str]) -> None:
    if not isinstance(options, list) or not options or len(options) > limit:
        problems.append(f"{where}: 1..{limit} options")
        return
    for i, option in enumerate(options):
        _text_len(option.get("text"), 75, f"{where}.options[{i}].text", problems)
        if "description" in option:
            _text_len(option["description"], 75, f"{where}.options[{i}].description", problems)
        if not 1 <= len(option.get("value", "")) <= 150:
            problems.append(f"{where}.options[{i}].value: 1..150 characters")


def _element(element: dict[str, Any], where: str, problems: list[str]) -> None:
    kind = element.get("type")
    action_id = element.get("action_id", "")
    if not 1 <= len(action_id) <= 255:
        problems.append(f"{where}.action_id: 1..255 characters")
    if kind == "button":
        _plain(element.get("text"), 75, f"{where}.text", problems)
        if len(element.get("value", "")) > 2000:
            problems.append(f"{where}.value: > 2000 characters")
        if element.get("style") not in (None, "primary", "danger"):
            problems.append(f"{where}.style: unknown")
        url = element.get("url")
        if url is not None and (
            not 1 <= len(url) <= 3000 or not str(url).startswith(("https://", "http://"))
        ):
            problems.append(f"{where}.url: an absolute link of 1..3000 characters")
        confirm = element.get("confirm")
        if confirm is not None:
            _plain(confirm.get("title"), 100, f"{where}.confirm.title", problems)
            _text_len(confirm.get("text"), 300, f"{where}.confirm.text", problems)
            _plain(confirm.get("confirm"), 30, f"{where}.confirm.confirm", problems)
            _plain(confirm.get("deny"), 30, f"{where}.confirm.deny", problems)
    elif kind in ("static_select", "multi_static_select"):
        _options(element.get("options"), 100, where, problems)
    elif kind == "checkboxes":
        _options(element.get("options"), 10, where, problems)
    elif kind in ("users_select", "multi_users_select"):
        pass
    elif kind in ("external_select", "multi_external_select"):
        # Its options come from the app's answer to block_suggestion, asked for once
        # min_query_length characters are typed (Slack's default is 3).
        if not isinstance(element.get("min_query_length", 3), int):
            problems.append(f"{where}.min_query_length: a number")
    elif kind == "plain_text_input":
        if not 1 <= element.get("max_length", 3000) <= 3000:
            problems.append(f"{where}.max_length: 1..3000")
    else:
        problems.append(f"{where}: element type {kind!r} not expected")
    if "placeholder" in element:
        _plain(element["placeholder"], 150, f"{where}.placeholder", problems)


def block_problems(blocks: Any, maximum: int = 50) -> list[str]:
    """What Slack would refuse in `blocks` (empty when it would take them)."""
    problems: list[str] = []
    if not isinstance(blocks, list):
        return ["blocks: not a list"]
    if len(blocks) > maximum:
        problems.append(f"blocks: {len(blocks)} > {maximum}")
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"blocks[{i}]"
        block_id = block.get("block_id")
        if block_id is not None:
            if not 1 <= len(block_id) <= 255 or block_id in block_ids:
                problems.append(f"{where}.block_id: duplicate or bad length")
            block_ids.add(block_id)
        kind = block.get("type")
        if kind == "section":
            if "text" in block:
                _text_len(block["text"], 3000, f"{where}.text", problems)
            fields = block.get("fields")
            if fields is not None:
                if len(fields) > 10:
                    problems.append(f"{where}.fields: {len(fields)} > 10")
                for j, item in enumerate(fields):
                    _text_len(item, 2000, f"{where}.fields[{j}]", problems)
            if "text" not in block and not fields:
                problems.append(f"{where}: a section needs text or fields")
        elif kind == "header":
            _plain(block.get("text"), 150, f"{where}.text", problems)
        elif kind == "context":
            elements = block.get("elements", [])
            if not 1 <= len(elements) <= 10:
                problems.append(f"{where}.elements: 1..10")
            for j, item in enumerate(elements):
                _text_len(item, 3000, f"{where}.elements[{j}]", problems)
        elif kind == "actions":
            elements = block.get("elements", [])
            if not 1 <= len(elements) <= 25:
                problems.append(f"{where}.elements: 1..25")
            action_ids = [e.get("action_id") for e in elements]
            if len(set(action_ids)) != len(action_ids):
                problems.append(f"{where}: action_id repeated in one block")
            for j, element in enumerate(elements):
                _element(element, f"{where}.elements[{j}]", problems)
        elif kind == "input":
            _plain(block.get("label"), 2000, f"{where}.label", problems)
            if "hint" in block:
                _plain(block["hint"], 2000, f"{where}.hint", problems)
            _element(block.get("element", {}), f"{where}.element", problems)
        elif kind == "divider":
            pass
        else:
            problems.append(f"{where}: block type {kind!r} not expected")
    return problems


# --- the server -------------------------------------------------------------------------------


@dataclass
class FakeSlack:
    token: str = "xoxb-fake-token"
    app_token: str | None = None
    users: dict[str, User] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    messages: list[Posted] = field(default_factory=list)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    gates: dict[str, asyncio.Event] = field(default_factory=dict)
    # Set when a call held by `hold` has arrived (and waits for its gate).
    arrivals: dict[str, asyncio.Event] = field(default_factory=dict)
    url: str = ""
    socket_url: str = ""
    # Answer for any user id, as if everyone were in the workspace (for the benchmark).
    everyone: bool = False
    # The Grid organisation our workspace is part of (auth.test names it); None: none.
    enterprise_id: str | None = None

    def __post_init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._changed: asyncio.Condition | None = None
        self._ts = 1_700_000_000_000_100
        self._sockets: list[web.WebSocketResponse] = []
        self._envelopes = 0
        # What Socket Mode clients sent back: their acknowledgements, by envelope id.
        self.socket_acks: dict[str, dict[str, Any]] = {}

    # --- control ------------------------------------------------------------------------

    async def start(self) -> str:
        self._changed = asyncio.Condition()
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server)
        port = server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/api/"
        self.socket_url = f"ws://127.0.0.1:{port}/socket"
        return self.url

    async def stop(self) -> None:
        for socket in self._sockets:
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def add_user(
        self,
        user_id: str,
        real_name: str,
        *,
        email: str | None = None,
        locale: str = "en-US",
        is_bot: bool = False,
        team_id: str = TEAM,
        enterprise_id: str | None = None,
        is_restricted: bool = False,
        is_ultra_restricted: bool = False,
        is_stranger: bool = False,
    ) -> User:
        user = User(
            user_id, real_name, email, locale, is_bot, team_id=team_id,
            enterprise_id=enterprise_id, is_restricted=is_restricted,
            is_ultra_restricted=is_ultra_restricted, is_stranger=is_stranger,
        )
        self.users[user_id] = user
        return user

    def fail(
        self,
        method: str,
        status: int,
        *,
        times: int = 1,
        retry_after: int | None = None,
        error: str | None = None,
        only: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """The next `times` calls of `method` (those `only` matches) answer `status`, a 429
        with `Retry-After: retry_after`."""
        self.failures.setdefault(method, []).append(
            Failure(status, times, retry_after, error, only)
        )

    def hold(self, method: str) -> asyncio.Event:
        """Calls of `method` wait until the returned event is set."""
        gate = asyncio.Event()
        self.gates[method] = gate
        self.arrivals[method] = asyncio.Event()
        return gate

    async def arrived(self, method: str) -> None:
        """Return once a call of `method`, held by `hold`, has arrived."""
        await self.arrivals[method].wait()

    def heal(self, method: str | None = None) -> None:
        if method is None:
            self.failures.clear()
        else:
            self.failures.pop(method, None)

    # --- reading what happened ------------------------------------------------------------

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def in_channel(self, channel: str) -> list[Posted]:
        return [m for m in self.messages if m.channel == channel and m.ephemeral_for is None]

    def dm(self, user_id: str) -> list[Posted]:
        return self.in_channel(dm_channel(user_id))

    def ephemeral(self, user_id: str) -> list[Posted]:
        return [m for m in self.messages if m.ephemeral_for == user_id]

    def message(self, ref: str) -> Posted:
        channel, _, ts = ref.partition(":")
        [found] = [m for m in self.messages if m.channel == channel and m.ts == ts]
        return found

    async def wait_for(
        self, predicate: Callable[[], Any], within: float = 10.0, what: str = ""
    ) -> Any:
        """Wait until `predicate()` is truthy (checked on every call the fake records)."""
        assert self._changed is not None

        async def until() -> Any:
            assert self._changed is not None
            async with self._changed:
                while not (result := predicate()):
                    await self._changed.wait()
                return result

        try:
            return await asyncio.wait_for(until(), within)
        except TimeoutError:
            recent = [f"{c.method} {c.status}" for c in self.calls[-15:]]
            raise AssertionError(
                f"timed out waiting for {what or predicate}; recent calls {recent}"
            ) from None

    async def changed(self, within: float) -> None:
        """Wait for the next recorded call, at most `within` seconds."""
        assert self._changed is not None
        with contextlib.suppress(TimeoutError):
            async with self._changed:
                await asyncio.wait_for(self._changed.wait(), within)

    # --- the Web API ------------------------------------------------------------------------

    def _next_ts(self) -> str:
        self._ts += 100
        raw = str(self._ts)
        return f"{raw[:10]}.{raw[10:]}"

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(dict(await request.post()))
        for key in ("blocks", "view"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        gate = self.gates.get(method)
        if gate is not None:
            self.arrivals[method].set()
            await gate.wait()
        status, answer, headers = 200, {"ok": False, "error": "unknown_method"}, {}
        pending = [f for f in self.failures.get(method, []) if f.only is None or f.only(args)]
        if pending:
            failure = pending[0]
            failure.times -= 1
            if failure.times <= 0:
                self.failures[method].remove(failure)
            status = failure.status
            answer = {
                "ok": False,
                "error": failure.error or ("ratelimited" if status == 429 else "fatal_error"),
            }
            if failure.retry_after is not None:
                headers["Retry-After"] = str(failure.retry_after)
        elif method == "apps.connections.open":
            answer = (
                {"ok": True, "url": self.socket_url}
                if token == self.app_token
                else {"ok": False, "error": "invalid_auth"}
            )
        elif token != self.token:
            answer = {"ok": False, "error": "invalid_auth"}
        else:
            answer = self._answer(method, args)
        self.calls.append(Call(method, args, status, answer, token))
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()
        return web.json_response(answer, status=status, headers=headers)

    # --- Socket Mode ------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "connection_info": {"app_id": "AKONTOBOT"},
                "debug_info": {"host": "fake"},
            }
        )
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()
        async for frame in socket:
            if frame.type.name == "TEXT":
                sent = json.loads(frame.data)
                self.socket_acks[str(sent.get("envelope_id"))] = sent
                async with self._changed:
                    self._changed.notify_all()
        return socket

    @property
    def socket_connected(self) -> bool:
        return any(not s.closed for s in self._sockets)

    async def send_envelope(self, kind: str, payload: dict[str, Any]) -> str:
        """Push a request to the connected Socket Mode client; returns its envelope id."""
        self._envelopes += 1
        envelope_id = f"envelope-{self._envelopes}"
        [socket] = [s for s in self._sockets if not s.closed]
        await socket.send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        return envelope_id

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "user_id": BOT_USER,
                "bot_id": BOT_ID,
                "team_id": TEAM,
                "user": "kontobot",
                "team": "KI",
                "url": "https://ki.slack.com/",
                **({"enterprise_id": self.enterprise_id} if self.enterprise_id else {}),
            }
        if method in ("users.info", "users.lookupByEmail"):
            if method == "users.info":
                user = self.users.get(str(args.get("user")))
                if user is None and self.everyone:
                    user = User(str(args.get("user")), f"Person {args.get('user')}")
            else:
                wanted = str(args.get("email", "")).lower()
                user = next((u for u in self.users.values() if u.email == wanted), None)
            if user is None:
                return {
                    "ok": False,
                    "error": "user_not_found" if method == "users.info" else "users_not_found",
                }
            found: dict[str, Any] = {
                "id": user.id,
                "name": user.real_name.lower().replace(" ", "."),
                "real_name": user.real_name,
                "team_id": user.team_id,
                "deleted": user.deleted,
                "is_bot": user.is_bot,
                "is_restricted": user.is_restricted,
                "is_ultra_restricted": user.is_ultra_restricted,
                "profile": {"real_name": user.real_name, "display_name": user.real_name.split()[0]},
            }
            # As Slack says them: only of a stranger, and only of someone in a Grid organisation.
            if user.is_stranger:
                found["is_stranger"] = True
            if user.enterprise_id:
                found["enterprise_user"] = {"id": user.id, "enterprise_id": user.enterprise_id}
            if user.email:
                found["profile"]["email"] = user.email
            if str(args.get("include_locale")).lower() in ("1", "true"):
                found["locale"] = user.locale
            return {"ok": True, "user": found}
        if method == "conversations.open":
            users = str(args.get("users", ""))
            if users not in self.users and not self.everyone:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "channel": {"id": dm_channel(users)}}
        if method in ("chat.postMessage", "chat.postEphemeral", "chat.update"):
            problems = block_problems(args.get("blocks", []))
            if problems:
                return {"ok": False, "error": "invalid_blocks", "errors": problems}
            if not args.get("text") and not args.get("blocks"):
                return {"ok": False, "error": "no_text"}
            channel = str(args.get("channel", ""))
            if method == "chat.update":
                for posted in self.messages:
                    if posted.channel == channel and posted.ts == args.get("ts"):
                        posted.text = str(args.get("text", ""))
                        posted.blocks = list(args.get("blocks", []))
                        posted.updates += 1
                        return {"ok": True, "channel": channel, "ts": posted.ts}
                return {"ok": False, "error": "message_not_found"}
            ts = self._next_ts()
            posted = Posted(
                channel,
                ts,
                str(args.get("text", "")),
                list(args.get("blocks", [])),
                ephemeral_for=str(args["user"]) if method == "chat.postEphemeral" else None,
            )
            self.messages.append(posted)
            if method == "chat.postEphemeral":
                return {"ok": True, "message_ts": ts}
            return {"ok": True, "channel": channel, "ts": ts, "message": {"text": posted.text}}
        if method == "views.publish":
            view = args.get("view") or {}
            problems = block_problems(view.get("blocks", []), maximum=100)
            if problems:
                return {"ok": False, "error": "invalid_blocks", "errors": problems}
            user_id = str(args.get("user_id"))
            self.views[user_id] = view
            return {"ok": True, "view": {"id": f"V{user_id}", **view}}
        return {"ok": False, "error": "unknown_method"}


def dm_channel(user_id: str) -> str:
    return f"D{user_id}"


def sign(body: str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends with a request: v0 HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}
