"""Every HTTP route takes whatever a client can send without a 5xx: generated requests at the
question webhook, /slack/events (validly signed and not), /api/messages (Teams' emulator
mode), the web chat's API and the dashboard (signed in and not). Counts in
tests/helpers/fuzz.py.

One app serves them all (Slack over HTTP against a fake Slack, Teams in emulator mode against
a fake Bot Connector, the web chat on), driven through aiohttp's test client.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote_from_bytes

from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yarl import URL

from bot.app import create_app
from bot.keys import STORE
from bot.settings import Settings
from bot.slack import TUNING
from bot.slack.client import Tuning
from data import tokens
from tests.helpers import KEY, T0, Clock, make_cast
from tests.helpers.accounts import id_of, register
from tests.helpers.fake_connector import FakeConnector
from tests.helpers.fake_slack import TEAM, FakeSlack
from tests.helpers.fuzz import ANY_CHAR, NASTY, REQUESTS, SHORT, TEXT
from tests.helpers.web import MODERN

SECRET = "fuzz-signing-secret"
NUMBER = "SOME-2027-0001"
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | SHORT | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(SHORT, inner, max_size=4),
    max_leaves=12,
)


def q(text: str) -> str:
    """`text` percent-encoded for a URL, lone surrogates and all (as raw bytes)."""
    return quote_from_bytes(text.encode("utf-8", "surrogatepass"), safe="")


def form(fields: dict[str, str]) -> bytes:
    return "&".join(f"{q(k)}={q(v)}" for k, v in fields.items()).encode()


def raw_json(value: Any) -> bytes:
    """JSON text of `value`, lone surrogates written as escapes (as a client may send them)."""
    return json.dumps(value, ensure_ascii=True).encode()


BODIES = st.one_of(
    JSON_VALUES.map(raw_json),
    st.binary(max_size=200),
    st.text(ANY_CHAR, max_size=100).map(lambda t: t.encode("utf-8", "surrogatepass")),
)
CONTENT_TYPES = st.sampled_from(
    ["application/json", "text/plain", "application/x-www-form-urlencoded",
     "multipart/form-data", "", "application/json; charset=latin-1", "x/\u00e9"]
)


@dataclass
class Target:
    client: TestClient[Any, Any]
    hook_token: str
    cookie: str
    connector: str


def sign(body: bytes, timestamp: str | None = None) -> dict[str, str]:
    stamp = timestamp or str(int(time.time()))
    digest = hmac.new(SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest.hexdigest()}"}


async def target(tmp_path: Path, slack: FakeSlack, connector: FakeConnector) -> Target:
    url = f"sqlite:///{tmp_path / 'fuzz.db'}"
    settings_ = Settings(
        _env_file=None, database_url=url, default_locale="en", slack_bot_token="xoxb-fuzz",
        slack_signing_secret=SECRET, slack_api_url=slack.url, teams_emulator="on",
    )
    app = create_app(settings_, web_chat_enabled=True, clock=Clock(T0), host="127.0.0.1")
    app[TUNING] = Tuning(rate_limit_retries=0, server_error_retries=0, drain_seconds=2.0)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    store = app[STORE]
    cast = await make_cast(store)
    account = await register(store, requester=cast.requester, team=(cast.colleague,),
                             manager=cast.manager, now=T0)
    async with store.transaction() as session:
        hook_token = await tokens.create_token(session, account_id=id_of(account), now=T0)
        from data import signin

        link = await signin.issue_link(session, key=KEY, person_id=cast.manager, now=T0)
    response = await client.post("/dashboard/sign-in", data={"token": link}, headers=MODERN,
                                 allow_redirects=False)
    assert response.status == 303
    cookie = response.cookies["kontobot_session"].value
    return Target(client, hook_token, cookie, connector.url)


Request = Callable[[Target], Awaitable[int]]


def fuzz(tmp_path: Path, requests: st.SearchStrategy[Request], examples: int) -> None:
    """Send `examples` generated requests to one app; every answer must be below 500."""
    statuses: list[int] = []
    with asyncio.Runner() as runner:
        slack, connector = FakeSlack(token="xoxb-fuzz", everyone=True), FakeConnector()
        runner.run(slack.start())
        runner.run(connector.start())
        app = runner.run(target(tmp_path, slack, connector))

        @settings(max_examples=examples, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
        @given(requests)
        def send(request: Request) -> None:
            status = runner.run(request(app))
            statuses.append(status)
            assert status < 500, status

        try:
            send()
        finally:
            runner.run(app.client.close())
            runner.run(connector.close())
            runner.run(slack.stop())
    assert len(statuses) >= examples


class Described:
    """A request that says what it sends, for hypothesis' report of a failing example."""

    def __init__(self, what: str, send: Request) -> None:
        self.what = what
        self.send = send

    def __call__(self, app: Target) -> Awaitable[int]:
        return self.send(app)

    def __repr__(self) -> str:
        return self.what


def post(path: str, body: bytes, headers: dict[str, str]) -> Request:
    async def request(app: Target) -> int:
        response = await app.client.post(path, data=body, headers=headers)
        await response.read()
        return response.status

    return Described(f"POST {path} {headers} {body[:600]!r}", request)


def get(path: str, params: dict[str, str], headers: dict[str, str] | None = None) -> Request:
    query = "&".join(f"{q(k)}={q(v)}" for k, v in params.items())
    url = f"{path}?{query}" if query else path

    async def request(app: Target) -> int:
        response = await app.client.get(URL(url, encoded=True), headers=headers or {},
                                        allow_redirects=False)
        await response.read()
        return response.status

    return Described(f"GET {url} {headers}", request)


# --- the question webhook ------------------------------------------------------------------


@st.composite
def webhook_requests(draw: st.DrawFn) -> Request:
    fields = draw(st.dictionaries(
        st.sampled_from(["text", "asked_by", "external_ref", "received_at", "x"]),
        st.one_of(TEXT, JSON_VALUES, st.sampled_from(["2027-03-01T08:00:00+01:00", "2027-13"])),
        max_size=4,
    ))
    body = draw(st.one_of(st.just(raw_json(fields)), BODIES))
    number = draw(st.one_of(st.just(NUMBER), SHORT.filter(lambda s: "/" not in s)))
    auth = draw(st.sampled_from(["valid", "wrong", "none", "scheme"]))
    content_type = draw(st.one_of(st.just("application/json"), CONTENT_TYPES))
    body_bytes = body

    async def request(app: Target) -> int:
        headers = {"Content-Type": content_type}
        if auth == "valid":
            headers["Authorization"] = f"Bearer {app.hook_token}"
        elif auth == "wrong":
            headers["Authorization"] = f"Bearer {app.hook_token}x"
        elif auth == "scheme":
            headers["Authorization"] = app.hook_token
        path = f"/api/accounts/{q(number)}/questions"
        return await post(path, body_bytes, headers)(app)

    return Described(f"POST webhook {number!r} {auth} {content_type} {body_bytes[:400]!r}", request)


def test_the_question_webhook(tmp_path: Path) -> None:
    fuzz(tmp_path, webhook_requests(), REQUESTS // 5)


# --- Slack -----------------------------------------------------------------------------------


@st.composite
def slack_requests(draw: st.DrawFn) -> Request:
    user = draw(st.sampled_from(["UANNA", "UBJORN", "U0", ""]) | SHORT)
    kind = draw(st.sampled_from(["command", "event", "action", "view", "garbage"]))
    # Mostly our workspace, so that the requests reach the listeners; now and then another.
    team = draw(st.sampled_from([TEAM, TEAM, TEAM, "TOTHER"]))
    if kind == "command":
        body = form({
            "command": draw(st.sampled_from(["/open-account", "/accounts", "/duty", "/away",
                                             "/question", "/dashboard", "/x"])),
            "text": draw(TEXT), "user_id": user, "channel_id": draw(SHORT),
            "trigger_id": draw(SHORT), "team_id": team,
        })
        content_type = "application/x-www-form-urlencoded"
    elif kind == "event":
        event = draw(st.fixed_dictionaries(
            {"type": st.sampled_from(["message", "app_home_opened", "x"]),
             "user": st.just(user), "text": TEXT, "channel": SHORT, "ts": SHORT},
            optional={"channel_type": st.sampled_from(["im", "channel"]),
                      "subtype": SHORT, "bot_id": SHORT, "tab": SHORT},
        ))
        body = raw_json({"type": "event_callback", "event_id": draw(SHORT),
                         "team_id": team, "event": event})
        content_type = "application/json"
    elif kind in ("action", "view"):
        payload = {
            "type": "block_actions" if kind == "action" else "view_submission",
            "user": {"id": user}, "team": {"id": team}, "trigger_id": draw(SHORT),
            "actions": draw(st.lists(st.fixed_dictionaries(
                {"action_id": st.sampled_from(["approval:approve:0", "cmd:open-account",
                                               "duty:monitored:1", "x"]) | SHORT,
                 "block_id": SHORT, "value": SHORT | NASTY, "type": SHORT}),
                max_size=2)),
            "view": draw(st.fixed_dictionaries({"callback_id": SHORT, "private_metadata": SHORT,
                                                "state": JSON_VALUES})),
            "container": draw(JSON_VALUES), "state": draw(JSON_VALUES),
            "extra": draw(JSON_VALUES),
        }
        body = form({"payload": json.dumps(payload)})
        content_type = "application/x-www-form-urlencoded"
    else:
        body = draw(BODIES)
        content_type = draw(CONTENT_TYPES)
    signing = draw(st.sampled_from(["valid", "valid", "valid", "garbage", "none", "stale"]))
    garbage = draw(st.fixed_dictionaries({
        "X-Slack-Request-Timestamp": st.text(st.characters(min_codepoint=32, max_codepoint=126),
                                             max_size=20),
        "X-Slack-Signature": st.text(st.characters(min_codepoint=32, max_codepoint=126),
                                     max_size=80),
    }))

    async def request(app: Target) -> int:
        headers = {"Content-Type": content_type}
        if signing == "valid":
            headers |= sign(body)
        elif signing == "stale":
            headers |= sign(body, str(int(time.time()) - 3600))
        elif signing == "garbage":
            headers |= garbage
        return await post("/slack/events", body, headers)(app)

    return Described(f"POST /slack/events {signing} {content_type} {body[:800]!r}", request)


def test_slack_events(tmp_path: Path) -> None:
    fuzz(tmp_path, slack_requests(), REQUESTS // 4)


# --- Teams (emulator mode) -----------------------------------------------------------------


@st.composite
def teams_requests(draw: st.DrawFn) -> Request:
    activity = draw(st.fixed_dictionaries(
        {"type": st.sampled_from(["message", "invoke", "conversationUpdate",
                                  "installationUpdate", "typing", ""]) | SHORT},
        optional={
            "id": SHORT, "text": TEXT, "locale": SHORT, "name": st.just("adaptiveCard/action"),
            "from": st.fixed_dictionaries({"id": SHORT, "name": SHORT,
                                           "aadObjectId": st.sampled_from(["aad-1", ""]) | SHORT}),
            "conversation": st.fixed_dictionaries(
                {"id": SHORT, "conversationType": st.sampled_from(["personal", "channel"])},
                optional={"tenantId": SHORT, "isGroup": st.booleans()}),
            "recipient": st.fixed_dictionaries({"id": SHORT}),
            "value": JSON_VALUES, "channelData": JSON_VALUES, "membersAdded": JSON_VALUES,
        },
    ))
    body = draw(st.one_of(st.just(activity), st.just(activity), BODIES))
    content_type = draw(st.one_of(st.just("application/json"), CONTENT_TYPES))

    async def request(app: Target) -> int:
        sent = body
        if isinstance(sent, dict):
            sent = raw_json({**sent, "serviceUrl": app.connector, "channelId": "msteams"})
        return await post("/api/messages", sent, {"Content-Type": content_type})(app)

    return Described(f"POST /api/messages {content_type} {body!r}"[:1500], request)


def test_teams_messages(tmp_path: Path) -> None:
    fuzz(tmp_path, teams_requests(), REQUESTS // 5)


# --- the web chat and the dashboard --------------------------------------------------------


@st.composite
def web_requests(draw: st.DrawFn) -> Request:
    who = draw(st.sampled_from(["anna", "eva", "cecilia", ""]) | SHORT)
    which = draw(st.sampled_from(["say", "act", "locale", "messages", "people", "dashboard"]))
    if which in ("say", "act", "locale"):
        fields = draw(st.dictionaries(
            st.sampled_from(["as", "text", "action", "value", "selected", "locale", "message"]),
            st.one_of(TEXT, JSON_VALUES, st.lists(SHORT, max_size=3)), max_size=5))
        fields.setdefault("as", who)
        body = draw(st.one_of(st.just(raw_json(fields)), st.just(raw_json(fields)), BODIES))
        content_type = draw(st.one_of(st.just("application/json"), CONTENT_TYPES))
        return post(f"/web/api/{which}", body, {"Content-Type": content_type})
    if which == "messages":
        return get("/web/api/messages", {"as": draw(st.sampled_from(["anna", "eva"])),
                                         "conversation": draw(st.sampled_from(
                                             ["dm:anna", "place:comms", "dm:eva"]) | SHORT),
                                         "after": draw(SHORT.filter(bool))})
    if which == "people":
        return get("/web/api/people", {"as": who})
    path = draw(st.sampled_from(["/dashboard", "/dashboard/compliance", "/dashboard/export",
                                 "/dashboard/help", "/dashboard/language",
                                 "/dashboard/sign-in", f"/dashboard/accounts/{NUMBER}"])
                | SHORT.map(lambda s: "/dashboard/accounts/" + q(s)))
    params = draw(st.dictionaries(
        st.sampled_from(["format", "what", "unit", "platform", "status", "compliance", "q",
                         "sort", "order", "lang", "next", "token", "page"]),
        st.one_of(SHORT, st.sampled_from(["csv", "json", "all", "audit", "sv", "/dashboard"])),
        max_size=5))
    signed_in = draw(st.booleans())
    method = draw(st.sampled_from(["GET", "GET", "POST"]))
    form = draw(st.dictionaries(st.sampled_from(["token", "csrf"]), SHORT, max_size=2))

    async def request(app: Target) -> int:
        headers = {"Cookie": f"kontobot_session={app.cookie}"} if signed_in else {}
        if method == "GET":
            return await get(path, params, headers)(app)
        target_path = draw_post_path
        # Encoded here, lone surrogates and all (aiohttp's own encoding refuses them).
        encoded = "&".join(f"{q(key)}={q(value)}" for key, value in form.items())
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        response = await app.client.post(target_path, data=encoded.encode(), headers=headers,
                                         allow_redirects=False)
        await response.read()
        return response.status

    draw_post_path = draw(st.sampled_from(["/dashboard/sign-in", "/dashboard/sign-in",
                                           "/dashboard/sign-out"]))
    return Described(f"{method} {path} {params} {form} signed_in={signed_in}", request)


def test_web_chat_and_dashboard(tmp_path: Path) -> None:
    fuzz(tmp_path, web_requests(), REQUESTS // 3)
