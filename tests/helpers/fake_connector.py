"""A fake Bot Connector: the Teams REST API the bot calls, on 127.0.0.1 at a random port.

It implements the routes the bot uses — `POST /v3/conversations`, `POST` and `PUT`
`/v3/conversations/{id}/activities[/{activityId}]`, `GET /v3/conversations/{id}/members[/{id}]`
— records every call, keeps each conversation's messages as Teams would show them (a `PUT`
replaces a message), tells of members with their tenant and role (`add_member`), refuses a
message over 28 KB with 413 as Teams does, and answers 403, 429 or 500 when a test asks it to.
`card_problems` says what Teams would refuse or not show of a card. Activities that tests
post to the bot carry `serviceUrl` pointing here, so every call the bot makes back lands here.

Tests wait for what they expect with `wait_for`, which wakes on every call: no sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web

T = TypeVar("T")
WAIT = 10.0
CARD = "application/vnd.microsoft.card.adaptive"
# Teams refuses a message bigger than this (413, MessageSizeTooBig).
MESSAGE_BYTES = 28 * 1024
# Teams shows at most this many actions in a set; the rest are hidden.
MAX_ACTIONS = 6
# The schema version that brought each of these properties or element types.
SINCE = {
    "choices.data": (1, 6),
    "Data.Query": (1, 6),
    "Action.Execute": (1, 4),
    "refresh": (1, 4),
    "label": (1, 3),
    "ActionSet": (1, 2),
}


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def card_problems(card: dict[str, Any], *, sent: dict[str, Any] | None = None) -> list[str]:
    """What Teams would refuse or hide of `card` (empty when it shows all of it). `sent` is
    the whole activity or invoke response it goes in, measured against the 28 KB a message."""
    problems: list[str] = []
    whole = json.dumps(card if sent is None else sent, ensure_ascii=True)
    if len(whole) > MESSAGE_BYTES:
        problems.append(f"{len(whole)} bytes > {MESSAGE_BYTES}")

    def walk(node: Any, declared: tuple[int, ...], where: str) -> None:
        if isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, declared, f"{where}[{index}]")
            return
        if not isinstance(node, dict):
            return
        if node.get("type") == "AdaptiveCard":
            declared = _version(str(node.get("version", "0")))
        for feature in (*node.keys(), str(node.get("type", ""))):
            needed = SINCE.get(feature)
            if needed is not None and needed > declared:
                problems.append(f"{where}: {feature} needs {needed} > version {declared}")
        if node.get("type") == "ActionSet" and len(node.get("actions", [])) > MAX_ACTIONS:
            problems.append(f"{where}: {len(node['actions'])} actions > {MAX_ACTIONS}")
        for key, value in node.items():
            walk(value, declared, f"{where}.{key}")

    walk(card, _version(str(card.get("version", "0"))), "card")
    return problems


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: Any
    status: int
    # The Authorization header the bot sent (its bearer token, when it has an app id).
    authorization: str | None = None


@dataclass
class Failure:
    method: str
    path: re.Pattern[str]
    status: int
    code: str
    retry_after: float | None
    times: int


@dataclass
class Posted:
    """A message in a conversation, as it stands now."""

    id: str
    conversation: str
    activity: dict[str, Any]
    versions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def card(self) -> dict[str, Any]:
        for attachment in self.activity.get("attachments") or []:
            if attachment.get("contentType") == CARD:
                content: dict[str, Any] = attachment["content"]
                return content
        raise AssertionError(f"message {self.id} has no Adaptive Card: {self.activity}")


class FakeConnector:
    def __init__(self, *, tenant: str | None = None) -> None:
        self.calls: list[Call] = []
        self.messages: list[Posted] = []
        # What `GET .../members/{id}` knows: Azure AD object id -> the member Teams returns.
        self.members: dict[str, dict[str, Any]] = {}
        # The tenant Teams names its members in, unless `add_member` says another.
        self.tenant = tenant
        # Members of conversations created with `POST /v3/conversations`, by conversation.
        self.created: dict[str, list[dict[str, Any]]] = {}
        self._failures: list[Failure] = []
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._post)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._post)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._put)
        app.router.add_get("/v3/conversations/{conversation}/members", self._members)
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self._member)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        assert site._server is not None
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{port}/"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- what tests ask of it ----------------------------------------------------------

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        *,
        code: str = "",
        retry_after: float | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` to a path matching regex `path` with
        `status` (and an error `code`, and a `Retry-After` header)."""
        self._failures.append(Failure(method, re.compile(path), status, code, retry_after, times))

    def add_member(
        self,
        aad: str,
        user_id: str,
        name: str,
        email: str,
        *,
        tenant: str | None = None,
        role: str = "user",
    ) -> None:
        """A member as Teams tells of them: `role` is Teams' `userRole` (`guest` for a B2B
        guest, who is in the tenant they were invited to)."""
        member = {
            "id": user_id,
            "name": name,
            "aadObjectId": aad,
            "email": email,
            "userPrincipalName": email,
            "userRole": role,
        }
        if tenant or self.tenant:
            member["tenantId"] = tenant or self.tenant
        self.members[aad] = member

    def in_conversation(self, conversation: str) -> list[Posted]:
        return [m for m in self.messages if m.conversation == conversation]

    def puts(self, conversation: str | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == "PUT" and (conversation is None or f"/{conversation}/" in c.path)
        ]

    async def wait_for(self, probe: Callable[[], T | None], what: str) -> T:
        """Wait until `probe()` returns something truthy (it is asked again after every call)."""
        try:
            async with asyncio.timeout(WAIT):
                async with self._changed:
                    while not (found := probe()):
                        await self._changed.wait()
                    return found
        except TimeoutError:
            recent = "\n".join(f"  {c.method} {c.path} -> {c.status}" for c in self.calls[-15:])
            raise AssertionError(f"waited {WAIT}s for {what}; the last calls:\n{recent}") from None

    async def changed(self, within: float) -> None:
        """Return after the next call, or after `within` seconds without one."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within), self._changed:
                await self._changed.wait()

    # --- the REST API ------------------------------------------------------------------

    async def _record(self, request: web.Request, status: int, body: Any) -> None:
        self.calls.append(
            Call(request.method, request.path, body, status, request.headers.get("Authorization"))
        )
        async with self._changed:
            self._changed.notify_all()

    async def _failure(self, request: web.Request, body: Any) -> web.Response | None:
        for failure in self._failures:
            if failure.method == request.method and failure.path.search(request.path):
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                headers = {}
                if failure.retry_after is not None:
                    headers["Retry-After"] = str(failure.retry_after)
                await self._record(request, failure.status, body)
                return web.json_response(
                    {"error": {"code": failure.code, "message": "refused by the fake"}},
                    status=failure.status,
                    headers=headers,
                )
        return None

    async def _body(self, request: web.Request) -> Any:
        return await request.json() if request.can_read_body else None

    async def _too_big(self, request: web.Request, body: Any) -> web.Response | None:
        if len(await request.read()) <= MESSAGE_BYTES:
            return None
        await self._record(request, 413, body)
        return web.json_response(
            {"error": {"code": "MessageSizeTooBig", "message": "Message size too big"}},
            status=413,
        )

    async def _create(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if (refused := await self._failure(request, body)) is not None:
            return refused
        members = body.get("members") or []
        conversation = f"a:new-{next(self._ids)}"
        self.created[conversation] = members
        await self._record(request, 201, body)
        return web.json_response(
            {"id": conversation, "activityId": "", "serviceUrl": self.url}, status=201
        )

    async def _post(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if (refused := await self._failure(request, body) or await self._too_big(request, body)):
            return refused
        conversation = request.match_info["conversation"]
        posted = Posted(f"m{next(self._ids)}", conversation, body, [body])
        self.messages.append(posted)
        await self._record(request, 201, body)
        return web.json_response({"id": posted.id}, status=201)

    async def _put(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if (refused := await self._failure(request, body) or await self._too_big(request, body)):
            return refused
        conversation = request.match_info["conversation"]
        activity = request.match_info["activity"]
        for posted in self.messages:
            if posted.conversation == conversation and posted.id == activity:
                posted.activity = body
                posted.versions.append(body)
                await self._record(request, 200, body)
                return web.json_response({"id": activity})
        await self._record(request, 404, body)
        return web.json_response({"error": {"code": "NotFound"}}, status=404)

    async def _members(self, request: web.Request) -> web.Response:
        await self._record(request, 200, None)
        return web.json_response(list(self.members.values()))

    async def _member(self, request: web.Request) -> web.Response:
        if (refused := await self._failure(request, None)) is not None:
            return refused
        member = self.members.get(request.match_info["member"])
        if member is None:
            await self._record(request, 404, None)
            return web.json_response(
                {"error": {"code": "MemberNotFoundInConversation"}}, status=404
            )
        await self._record(request, 200, None)
        return web.json_response(member)
