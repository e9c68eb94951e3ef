"""No log line carries a credential: `kontobot serve` (a subprocess, logging as in production)
through a whole dashboard sign-in, a question webhook call and Slack requests; then every line
it wrote is searched for every token, cookie, link and secret it handled."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from pathlib import Path
from urllib.parse import urlencode

from aiohttp import ClientSession, web
from aiohttp.test_utils import make_mocked_request

from bot.logs import MAX_LOGGED_PATH, AccessLog, redact_query
from data import migrate, tokens
from data.db import Store
from tests.helpers import T0, make_cast
from tests.helpers.accounts import id_of, register
from tests.helpers.fake_slack import TEAM, FakeSlack
from tests.helpers.server import serving
from tests.helpers.web import through_the_page

SECRET_KEY = "serve-secret-key-for-the-log-test-0123456789"
SIGNING_SECRET = "slack-signing-secret-for-the-log-test"
BOT_TOKEN = "xoxb-bot-token-for-the-log-test"


def test_a_long_path_is_logged_cut_short() -> None:
    """What a client sends is not ours to store at any length."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logger = logging.getLogger("test.access")
    logger.addHandler(Keep())
    logger.setLevel(logging.INFO)
    path = "/api/accounts/" + "9" * 5000 + "/questions"
    AccessLog(logger, "").log(make_mocked_request("POST", path), web.Response(status=401), 0.01)
    [line] = lines
    assert "9" * MAX_LOGGED_PATH not in line and len(line) < MAX_LOGGED_PATH + 200
    assert '"POST /api/accounts/999' in line


def test_credential_like_query_values_are_redacted() -> None:
    assert redact_query("/dashboard/sign-in?token=v1.2.3.n.s") == "/dashboard/sign-in?token=REDACTED"
    assert redact_query("/x?as=eva&access_token=a&code=c&after=1") == (
        "/x?as=eva&access_token=REDACTED&code=REDACTED&after=1"
    )
    assert redact_query("/dashboard") == "/dashboard"
    # A page named in a parameter, with a credential in its own query.
    assert redact_query("/dashboard/language?lang=sv&next=/dashboard/sign-in%3Ftoken%3Dv1.2") == (
        "/dashboard/language?lang=sv&next=%2Fdashboard%2Fsign-in%3Ftoken%3DREDACTED"
    )


def slack_headers(body: str) -> dict[str, str]:
    stamp = str(int(time.time()))
    digest = hmac.new(
        SIGNING_SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256
    ).hexdigest()
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


async def test_no_log_line_carries_a_credential(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'kontobot.db'}"
    store = Store.from_url(database_url)
    try:
        await migrate.upgrade(store.engine)
        cast = await make_cast(store)
        account = await register(store, requester=cast.requester, team=(cast.colleague,),
                                 manager=cast.manager, now=T0)
        async with store.transaction() as session:
            hook_token = await tokens.create_token(session, account_id=id_of(account), now=T0)
    finally:
        await store.close()

    fake = FakeSlack(token=BOT_TOKEN)
    fake.add_user("UANNA", "Anna Andersson", email="anna@ki.example")
    await fake.start()
    secrets: dict[str, str] = {
        "secret key": SECRET_KEY, "signing secret": SIGNING_SECRET, "bot token": BOT_TOKEN,
        "webhook token": hook_token,
    }
    try:
        with serving(
            database_url, tmp_path, KONTOBOT_WEB_CHAT="on", KONTOBOT_SECRET_KEY=SECRET_KEY,
            SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
            KONTOBOT_SLACK_API_URL=fake.url, KONTOBOT_SCHEDULER="off",
        ) as server:
            async with ClientSession(server.url) as http:
                # The dashboard, signed in through a link from the web chat.
                said = await http.post("/web/api/say", json={"as": "eva", "text": "/dashboard"})
                assert said.status == 200
                answer = await (await http.get("/web/api/messages", params={"as": "eva"})).json()
                [link] = re.findall(
                    r'href="(/dashboard/sign-in\?token=[^"]+)"',
                    "".join(m["html"] for m in answer["messages"]),
                )
                link_token = link.split("token=", 1)[1]
                secrets |= {"link": link, "link token": link_token}
                assert (await http.get(link)).status == 200
                # The sign-in page's language switch names the page, link and all, to come
                # back to.
                switched = await http.get("/dashboard/language", params={"lang": "sv", "next": link},
                                          allow_redirects=False)
                assert switched.status == 303 and switched.headers["Location"] == link
                # As a browser that does not say where it posts from (the page's proof and
                # its cookie, neither of which may be logged either).
                form, proof_cookie = await through_the_page(http, link_token)
                secrets["sign-in proof"] = form["proof"]
                signed = await http.post("/dashboard/sign-in", data=form, headers=proof_cookie,
                                         allow_redirects=False)
                assert signed.status == 303
                cookie = signed.cookies["kontobot_session"].value
                secrets["session cookie"] = cookie
                browse = {"Cookie": f"kontobot_session={cookie}"}
                page = await (await http.get("/dashboard", headers=browse)).text()
                [csrf] = re.findall(r'name="csrf" value="([^"]+)"', page)
                secrets["csrf token"] = csrf
                exported = await http.get("/dashboard/export", params={"format": "csv"},
                                          headers=browse)
                assert exported.status == 200
                out = await http.post("/dashboard/sign-out", data={"csrf": csrf}, headers=browse)
                assert out.status == 200
                # Used again, the link is refused (and that refusal logged).
                again = await http.post("/dashboard/sign-in", data={"token": link_token})
                assert again.status == 403
                # The question webhook, with its token and with a wrong one.
                url = f"/api/accounts/{account.number}/questions"
                for bearer, status in ((hook_token, 201), (hook_token + "x", 401)):
                    posted = await http.post(url, json={"text": "Open day?"},
                                             headers={"Authorization": f"Bearer {bearer}"})
                    assert posted.status == status
                # Slack: a signed slash command, and the same with a wrong signature.
                body = urlencode({
                    "token": "verification-token-deprecated", "team_id": TEAM,
                    "channel_id": "C1", "user_id": "UANNA", "command": "/accounts", "text": "",
                    "trigger_id": "trigger-1", "response_url": "https://hooks.slack.invalid/1",
                })
                headers = slack_headers(body)
                assert (await http.post("/slack/events", data=body, headers=headers)).status == 200
                headers["X-Slack-Signature"] = "v0=" + "0" * 64
                assert (await http.post("/slack/events", data=body, headers=headers)).status == 401
                # The acknowledged command's turn runs to its answer.
                await fake.wait_for(
                    lambda: fake.calls_of("chat.postEphemeral") or fake.calls_of("chat.postMessage"),
                    within=20, what="the answer to /accounts",
                )
    finally:
        await fake.stop()
    output = server.output()
    assert "GET /dashboard/sign-in?token=REDACTED" in output, output[-3000:]
    assert "POST /slack/events" in output
    for name, value in secrets.items():
        assert value not in output, f"the {name} is in the log"
