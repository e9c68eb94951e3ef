"""The web chat over HTTP: the real app in-process, driven through the JSON API the page uses.

The clock is fixed at T0 (a Monday, 10:00 in Stockholm); notices are delivered by the app's own
background task and waited for with the page's long poll, never with sleeps.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import ClientResponse, ClientSession, web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.keys import STORE
from bot.settings import Settings
from data import retention
from data.inbox import Incoming
from data.models import Account, AccountRequest, RequestStatus
from dialogs.explain import REASONS
from dialogs.i18n import Translator
from tests.helpers import T0, count, load
from tests.helpers.journey import STEPS, open_account_answers
from tests.helpers.web import Shown, WebChat, chat_app, fixed_clock, running_chat

en, sv = Translator("en"), Translator("sv")
ACCOUNT = "Instagram ki_neuro_demo"
NUMBER = "SOME-2027-0001"


async def file_request(chat: WebChat, who: str = "anna", **answers: Any) -> None:
    """`who` answers every question of /open-account in turn, then clicks Submit."""
    await chat.say(who, "/open-account")
    for number, answer in enumerate(open_account_answers(**answers), start=1):
        latest = (await chat.messages(who))[-1]
        if "dlg:handle:form" in latest.buttons():
            # The questions about the account come on one form; typed answers work too.
            assert answer.step == "handle", latest.text
        else:
            assert f"question {number} of {len(STEPS)}" in latest.text, (answer.step, latest.text)
        await chat.answer(who, answer)
    summary = (await chat.messages(who))[-1]
    assert "dlg:summary:submit" in summary.buttons(), summary.text
    await chat.act(who, "dlg:summary:submit")


async def card_of(chat: WebChat, who: str, tr: Translator, stage: str) -> Shown:
    """The approval card in `who`'s chat once it has arrived with live buttons."""
    needed = tr(
        "Your decision is needed as the immediate manager."
        if stage == "manager"
        else "Your decision is needed as Director of Communications."
    )
    return await chat.wait_for_text(who, needed)


def still_card(shown: list[Shown], card: Shown) -> Shown:
    return next(m for m in shown if m.id == card.id)


def texts(shown: list[Shown]) -> str:
    return "\n".join(m.text for m in shown)


# The server around the chat.


async def test_healthz_says_the_database_answers(chat: WebChat) -> None:
    response = await chat.client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok", "database": "ok"}


async def test_metrics_are_prometheus_text(chat: WebChat) -> None:
    response = await chat.client.get("/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    body = await response.text()
    for name in (
        "kontobot_inbox_events",
        "kontobot_outbox_messages",
        "kontobot_requests",
        "kontobot_accounts",
    ):
        assert f"# TYPE {name} gauge" in body
    for name in ("done", "failed", "parked"):
        assert f"# TYPE kontobot_turns_{name}_total counter" in body


async def test_metrics_count_the_events_waiting_in_the_spool(chat: WebChat) -> None:
    """On SQLite (data/spool.py): acknowledged, not in the inbox yet; a count that grows says
    the moves fail."""
    spool = chat.client.app[STORE].spool
    assert spool is not None  # (the chat is on SQLite: tests/bot/conftest.py)
    body = await (await chat.client.get("/metrics")).text()
    assert 'kontobot_inbox_events{status="spooled"} 0' in body
    await spool.put([Incoming("web:x:1", "web", "web:x", {}, T0)])
    body = await (await chat.client.get("/metrics")).text()
    assert 'kontobot_inbox_events{status="spooled"} 1' in body


def metric(body: str, name: str) -> int:
    [value] = [line.split()[-1] for line in body.splitlines() if line.startswith(f"{name} ")]
    return int(value)


async def test_the_turn_totals_do_not_fall_when_old_events_are_deleted(chat: WebChat) -> None:
    await chat.say("anna", "/help")
    await chat.wait_for_text("anna", "/open-account")
    before = await (await chat.client.get("/metrics")).text()
    assert metric(before, "kontobot_turns_done_total") >= 1
    assert "kontobot_pruned_rows_total{" not in before
    # Everything done is old a year on (the app's clock stands at T0).
    pruned = await retention.prune(chat.client.app[STORE], now=T0 + timedelta(days=365), days=90)
    assert pruned.inbox >= 1 and pruned.web_chat >= 1
    after = await (await chat.client.get("/metrics")).text()
    assert 'kontobot_inbox_events{status="done"}' not in after
    for name in ("kontobot_turns_done_total", "kontobot_turns_failed_total"):
        assert metric(after, name) == metric(before, name)
    assert metric(after, 'kontobot_pruned_rows_total{table="inbox"}') == pruned.inbox
    assert metric(after, 'kontobot_pruned_rows_total{table="web_message"}') == pruned.web_chat


async def test_the_page_and_its_assets_are_served(chat: WebChat) -> None:
    page = await chat.client.get("/")
    assert page.status == 200
    assert page.content_type == "text/html"
    html = await page.text()
    assert '<title data-page="title">kontobot web chat</title>' in html
    assert "/static/app.js" in html and "/static/app.css" in html
    for asset, kind in (("/static/app.js", "javascript"), ("/static/app.css", "text/css")):
        response = await chat.client.get(asset)
        assert response.status == 200
        assert kind in response.content_type


def assert_not_to_be_framed(response: ClientResponse) -> dict[str, str]:
    """The security headers the dashboard's answers carry too; the policy, by directive."""
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    directives = response.headers["Content-Security-Policy"].split(";")
    policy = {name: value for name, _, value in (d.strip().partition(" ") for d in directives)}
    assert policy["frame-ancestors"] == "'none'"
    return policy


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/", None, 200),
        ("GET", "/web/api/people", None, 200),
        ("GET", "/web/api/messages?as=anna", None, 200),
        ("POST", "/web/api/say", {"as": "anna", "text": "help"}, 200),
        ("POST", "/web/api/act", {"as": "anna", "action": "cmd:help"}, 200),
        ("POST", "/web/api/locale", {"as": "anna", "locale": "sv"}, 200),
        ("GET", "/static/app.js", None, 200),
        ("GET", "/static/favicon.svg", None, 200),
        # Refusals and what is not there too.
        ("POST", "/web/api/say", {"as": "mallory", "text": "help"}, 404),
        ("GET", "/web/api/messages?as=anna&conversation=place:comms", None, 403),
        ("GET", "/web/api/nothing-here", None, 404),
    ],
)
async def test_no_page_elsewhere_may_frame_the_web_chat(
    chat: WebChat, method: str, path: str, body: dict[str, str] | None, status: int
) -> None:
    """A page the developer visits could show the chat in a frame and trick clicks on its
    buttons: the chat's answers say no browser may frame them."""
    response = await chat.client.request(method, path, json=body)
    assert response.status == status
    policy = assert_not_to_be_framed(response)
    if path != "/":
        # JSON, a script, an icon, an error: nothing of it is a page that loads anything.
        assert policy["default-src"] == "'none'"


async def test_a_refused_host_name_is_not_to_be_framed_either(chat: WebChat) -> None:
    response = await chat.client.get("/", headers={"Host": "attacker.example"})
    assert response.status == 403
    assert_not_to_be_framed(response)


async def test_the_page_loads_only_its_own_script_style_and_icon(chat: WebChat) -> None:
    """The page's policy allows what it loads (test_browser.py runs it under it) and nothing
    else: no inline script or style, nothing from elsewhere."""
    page = await chat.client.get("/")
    policy = assert_not_to_be_framed(page)
    assert policy["default-src"] == "'none'"
    for directive in ("script-src", "style-src", "img-src", "connect-src"):
        assert policy[directive] == "'self'", directive
    assert policy["base-uri"] == "'none'"
    html = await page.text()
    # What the page itself names: its own files, by path.
    assert re.findall(r'<script\b[^>]*\bsrc="([^"]*)"', html) == ["/static/app.js"]
    assert sorted(re.findall(r'<link\b[^>]*\bhref="([^"]*)"', html)) == [
        "/static/app.css", "/static/favicon.svg"
    ]
    assert len(re.findall(r"<script\b", html)) == 1
    assert "<style" not in html and " style=" not in html


async def test_other_routes_keep_their_own_headers(chat: WebChat) -> None:
    """The dashboard keeps its policy (no script at all); operator routes get none."""
    dashboard = await chat.client.get("/dashboard/help")
    assert assert_not_to_be_framed(dashboard)["script-src"] == "'none'"
    health = await chat.client.get("/healthz")
    assert "Content-Security-Policy" not in health.headers


async def test_without_the_web_chat_only_the_operator_routes_exist(sqlite_url: str) -> None:
    async with running_chat(sqlite_url, web_chat=False) as chat:
        assert (await chat.client.get("/healthz")).status == 200
        assert (await chat.client.get("/")).status == 404
        assert (await chat.client.get("/web/api/people")).status == 404
        assert (await chat.client.post("/web/api/say", json={"as": "anna"})).status == 404


async def test_people_are_the_six_demo_people_with_their_places(chat: WebChat) -> None:
    response = await chat.client.get("/web/api/people")
    assert response.status == 200
    data = await response.json()
    assert data["locales"] == ["en", "sv"]
    people = {p["key"]: p for p in data["people"]}
    assert list(people) == ["anna", "bjorn", "cecilia", "david", "eva", "filip"]
    assert {k: p["locale"] for k, p in people.items()} == {
        "anna": "en",
        "bjorn": "sv",
        "cecilia": "sv",
        "david": "en",
        "eva": "sv",
        "filip": "en",
    }
    assert people["anna"]["name"] == "Anna Andersson"
    assert people["david"]["role"] == "Director of Communications"
    assert people["cecilia"]["role"] == "Manager"
    assert data["page"]["send"] == "Send"
    # Everyone talks to the bot; only the Communications Office sees its channels.
    assert [c["id"] for c in people["anna"]["conversations"]] == ["dm:anna"]
    assert [c["id"] for c in people["eva"]["conversations"]] == [
        "dm:eva",
        "place:comms",
        "place:registry",
    ]


async def test_roles_and_page_words_are_in_the_viewers_language(chat: WebChat) -> None:
    data = await (await chat.client.get("/web/api/people?as=bjorn")).json()
    roles = {p["key"]: p["role"] for p in data["people"]}
    assert roles["cecilia"] == sv("Manager") != "Manager"
    assert roles["david"] == sv("Director of Communications")
    assert data["page"]["send"] == sv("Send") != "Send"
    assert data["page"]["act_as"] == sv("Act as") != "Act as"
    assert data["page"]["chat"] == sv("web chat") != "web chat"


async def test_a_person_can_switch_language(chat: WebChat) -> None:
    await chat.post("/web/api/locale", {"as": "anna", "locale": "sv"})
    people = (await (await chat.client.get("/web/api/people")).json())["people"]
    assert next(p for p in people if p["key"] == "anna")["locale"] == "sv"
    await chat.post("/web/api/locale", {"as": "anna", "locale": "fi"}, expect=400)


async def test_the_chat_opens_with_a_greeting_once(chat: WebChat) -> None:
    shown = await chat.wait_for_text("anna", en("Hello {name}, I'm kontobot.", name="Anna Andersson"))
    assert "cmd:open-account" in shown.buttons()
    # Opened again, the chat shows the same greeting, not a second one.
    again = await chat.messages("anna")
    assert len(again) == 1


async def test_a_blank_message_gets_an_answer(chat: WebChat) -> None:
    await chat.say("bjorn", "   ")
    await chat.wait_for_text("bjorn", sv("I found no text in your message. Here is what I can do."))


# The whole journey, on SQLite and on PostgreSQL.


async def test_a_request_goes_from_chat_to_the_register(database_url: str) -> None:
    async with running_chat(database_url) as chat:
        store = chat.client.app[STORE]
        await file_request(chat, scope="university_wide")
        await chat.wait_for_text(
            "anna",
            en(
                "Thank you! Your request has been sent to {manager} for approval. I will tell you when they have decided.",
                manager="Cecilia Carlsson",
            ),
        )

        # The manager gets the card, in Swedish, with live buttons.
        card = await card_of(chat, "cecilia", sv, "manager")
        value = card.buttons()["approval:approve"]
        assert set(card.buttons()) == {
            "approval:approve",
            "approval:reject",
            "approval:changes",
            "approval:handover",
        }

        # Someone else clicking it is refused politely, and nothing changes.
        await chat.act("filip", "approval:approve", value)
        await chat.wait_for_text("filip", en(REASONS["not_approver"]))
        await chat.act("anna", "approval:approve", value)
        await chat.wait_for_text("anna", en(REASONS["own_request"]))
        assert await count(store, AccountRequest, AccountRequest.status == "pending") == 1

        # The manager approves; the card is rewritten in place and the director is asked.
        await chat.act("cecilia", "approval:approve", value)
        await chat.wait_for_text(
            "cecilia",
            sv(
                "Approved. The request for {account} now goes to the Director of Communications.",
                account=ACCOUNT,
            ),
        )
        decided = sv(
            "Approved by {name} on {when}.", name="Cecilia Carlsson", when="2027-03-01 10:00"
        )
        shown = await chat.wait_for("cecilia", lambda ms: decided in still_card(ms, card).text)
        assert "approval:approve" not in still_card(shown, card).buttons()
        await chat.wait_for_text(
            "anna",
            en(
                "{name} approved your request for {account}. It now needs the approval of the Director of Communications.",
                name="Cecilia Carlsson",
                account=ACCOUNT,
            ),
        )

        # The director approves: the account is registered.
        director_card = await card_of(chat, "david", en, "Director of Communications")
        await chat.act("david", "approval:approve", director_card.buttons()["approval:approve"])
        await chat.wait_for_text(
            "david",
            en(
                "Approved. {account} is registered as {number}; the team and the Communications Office are told.",
                account=ACCOUNT,
                number=NUMBER,
            ),
        )
        [account] = await load(store, Account, Account.number == NUMBER)
        assert (account.platform, account.handle, account.scope) == (
            "instagram",
            "ki_neuro_demo",
            "university_wide",
        )

        # The Communications Office sees it in its channel, in Swedish.
        comms = await chat.wait_for_text(
            "eva", sv("New social-media account: {number}", number=NUMBER), "place:comms"
        )
        assert "Anna Andersson, Björn Berg" in comms.text
        # The team is welcomed, each in their own language; the requester hears the outcome.
        welcome = "Welcome to the team of {account} ({number})!"
        await chat.wait_for_text("bjorn", sv(welcome, account=ACCOUNT, number=NUMBER))
        await chat.wait_for_text("anna", en(welcome, account=ACCOUNT, number=NUMBER))
        await chat.wait_for_text(
            "anna",
            en(
                "Your request for {account} is approved. The account is registered as {number}.",
                account=ACCOUNT,
                number=NUMBER,
            ),
        )

        # A second click on a card that has moved on changes nothing.
        await chat.act("cecilia", "approval:approve", value)
        await chat.wait_for_text("cecilia", sv(REASONS["request_moved_on"]))
        assert await count(store, Account) == 1

        # Each person sees only what is theirs.
        # Björn: the greeting of his first visit and the team's welcome; Eva: her greeting.
        assert len(await chat.messages("bjorn")) == 2
        assert len(await chat.messages("eva")) == 1
        assert texts(await chat.messages("eva", "place:registry")) == ""
        filip = texts(await chat.messages("filip"))
        assert "ki_neuro_demo" not in filip and "Welcome" not in filip
        for who in ("bjorn", "eva", "filip"):
            assert "Prospective master's students" not in texts(await chat.messages(who))

        metrics = await (await chat.client.get("/metrics")).text()
        assert 'kontobot_accounts{status="active"} 1' in metrics
        assert 'kontobot_requests{status="approved"} 1' in metrics
        assert 'kontobot_outbox_messages{status="pending"}' not in metrics
        # Every event the web chat sent is stored, and ran.
        assert 'kontobot_inbox_events{status="done"}' in metrics
        assert 'kontobot_inbox_events{status="pending"}' not in metrics


async def test_a_hand_over_moves_the_decision_and_the_old_approver_is_refused(
    chat: WebChat,
) -> None:
    await file_request(chat, scope="unit")
    card = await card_of(chat, "cecilia", sv, "manager")
    value = card.buttons()["approval:handover"]
    await chat.act("cecilia", "approval:handover", value)
    picker = await chat.wait_for_text("cecilia", sv("Who should decide instead of you?"))
    assert picker.buttons() == {"handover:to": value, "handover:cancel": value}
    # The picker offers neither Cecilia herself nor Anna, who asked.
    assert 'value="filip"' in picker.html
    assert 'value="cecilia"' not in picker.html and 'value="anna"' not in picker.html
    await chat.act("cecilia", "handover:to", value, selected=("filip",))
    await chat.wait_for_text(
        "cecilia",
        sv("Handed over to {name}. They have been sent the request.", name="Filip Fors"),
    )
    await chat.wait_for_text(
        "anna",
        en(
            "The decision on your request for {account} was handed to {name}.",
            account=ACCOUNT,
            name="Filip Fors",
        ),
    )
    # Cecilia's card now says who decides, with nothing left to click.
    waiting = sv("Waiting for the decision of {name}.", name="Filip Fors")
    shown = await chat.wait_for("cecilia", lambda ms: waiting in still_card(ms, card).text)
    assert still_card(shown, card).buttons() == {}
    # Her click on the card as it was (say, from a window that did not refresh) is refused.
    await chat.act("cecilia", "approval:approve", card.buttons()["approval:approve"])
    await chat.wait_for_text("cecilia", sv(REASONS["not_approver"]))

    filip_card = await card_of(chat, "filip", en, "manager")
    await chat.act("filip", "approval:approve", filip_card.buttons()["approval:approve"])
    await chat.wait_for_text(
        "eva", sv("New social-media account: {number}", number=NUMBER), "place:comms"
    )


async def test_reject_needs_a_reason_and_tells_the_requester(chat: WebChat) -> None:
    await file_request(chat, scope="unit")
    card = await card_of(chat, "cecilia", sv, "manager")
    value = card.buttons()["approval:reject"]
    await chat.act("cecilia", "approval:reject", value)
    await chat.wait_for_text("cecilia", sv(REASONS["reason_required"]))
    await chat.act("cecilia", "approval:reject", value, text="Vi har redan ett sådant konto.")
    # The reason given, Reject asks before it rejects.
    await chat.wait_for_text(
        "cecilia",
        sv(
            "Do you want to reject the request for {account}? The requester is told, with your reason. This cannot be undone.",
            account=ACCOUNT,
        ),
    )
    await chat.act(
        "cecilia", "approval:reject_confirmed", value, text="Vi har redan ett sådant konto."
    )
    await chat.wait_for_text(
        "anna",
        en(
            "{name} rejected your request for {account}. Reason: {reason}",
            name="Cecilia Carlsson",
            account=ACCOUNT,
            reason="Vi har redan ett sådant konto.",
        ),
    )


# What a person typed is shown to others as text, never as markup.

MARKUP_PURPOSE = (
    '<script>alert("owned")</script> Read <a href="https://evil.example/">our page</a> <b>now</b>'
)


async def test_typed_markup_is_escaped_for_everyone_who_sees_it(chat: WebChat) -> None:
    await file_request(chat, scope="unit", purpose=MARKUP_PURPOSE, unit="Neuro <i>lab</i> @channel")
    card = await card_of(chat, "cecilia", sv, "manager")
    own = [m for m in await chat.messages("anna") if "evil.example" in m.html]
    await chat.act("cecilia", "approval:approve", card.buttons()["approval:approve"])
    comms = await chat.wait_for_text(
        "eva", sv("New social-media account: {number}", number=NUMBER), "place:comms"
    )
    assert any(m.html.startswith('<article class="msg person"') for m in own)
    for shown in (card, comms, *own):
        # No tag a person typed survives as a tag...
        assert not re.search(r"<\s*(script|a|b|i)[\s>]", shown.html), shown.html
    # ...and it reads exactly as typed.
    for shown in (card, *own):
        assert MARKUP_PURPOSE in shown.text
    for shown in (card, comms):
        assert "Neuro <i>lab</i> @channel" in shown.text
    assert "&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;" in card.html
    assert "&lt;a href=&quot;https://evil.example/&quot;&gt;our page&lt;/a&gt;" in card.html


async def test_the_dashboard_link_is_a_path_on_this_server(chat: WebChat) -> None:
    await chat.say("eva", "/dashboard")
    [shown] = [m for m in await chat.messages("eva") if sv("Your dashboard link") in m.text]
    [href] = re.findall(r'<a class="btn primary" href="([^"]*)"', shown.html)
    assert re.fullmatch(r"/dashboard/sign-in\?token=v1\.[0-9]+\.[0-9]+\.[\w-]+\.[\w-]+", href)
    assert 'target="_blank" rel="noopener noreferrer"' in shown.html


# Who may read and write what.


async def test_the_comms_channel_is_for_the_communications_office_only(chat: WebChat) -> None:
    for who in ("anna", "bjorn", "cecilia", "david", "filip"):
        response = await chat.client.get(
            "/web/api/messages", params={"as": who, "conversation": "place:comms"}
        )
        assert response.status == 403, who
    await chat.messages("eva", "place:comms")
    await chat.messages("eva", "place:registry")


async def test_nobody_reads_another_persons_chat(chat: WebChat) -> None:
    response = await chat.client.get(
        "/web/api/messages", params={"as": "anna", "conversation": "dm:cecilia"}
    )
    assert response.status == 403
    response = await chat.client.get(
        "/web/api/messages", params={"as": "eva", "conversation": "place:elsewhere"}
    )
    # A place that does not exist shows nothing rather than failing.
    assert response.status == 200


async def test_writes_must_be_json(chat: WebChat) -> None:
    for path in ("/web/api/say", "/web/api/act", "/web/api/locale"):
        response = await chat.client.post(path, data="as=anna&text=hello")
        assert response.status == 415, path
        response = await chat.client.post(
            path,
            data=json.dumps({"as": "anna", "text": "hi"}),
            headers={"Content-Type": "text/plain"},
        )
        assert response.status == 415, path
    assert len(await chat.messages("anna")) == 1  # the greeting alone: nothing was said


async def test_broken_json_is_a_bad_request(chat: WebChat) -> None:
    for body in ("{not json", "[1, 2]", '"anna"'):
        response = await chat.client.post(
            "/web/api/say", data=body, headers={"Content-Type": "application/json"}
        )
        assert response.status == 400, body
    # (A blank message is no bad request: it gets an answer, test_a_blank_message_gets_an_answer.)
    await chat.post("/web/api/act", {"as": "anna", "action": "x", "selected": "bjorn"}, expect=400)


async def test_a_message_whose_text_is_not_a_string_is_a_bad_request(chat: WebChat) -> None:
    """Refused like other input the page never sends (a 400 saying what is wrong), not said
    as its repr ("{'a': 1}", "None")."""
    for text in (12, None, ["hello"], {"a": 1}):
        answer = await chat.post("/web/api/say", {"as": "anna", "text": text}, expect=400)
        assert answer == "text must be a string"
    answer = await chat.post(
        "/web/api/act", {"as": "anna", "action": "cmd:help", "text": ["x"]}, expect=400
    )
    assert answer == "text must be a string"
    assert len(await chat.messages("anna")) == 1  # the greeting alone: nothing was said


async def test_writes_from_another_origin_are_refused(chat: WebChat) -> None:
    body = {"as": "anna", "text": "/open-account"}
    for origin in ("https://evil.example", "null", "http://localhost.evil.example"):
        response = await chat.client.post("/web/api/say", json=body, headers={"Origin": origin})
        assert response.status == 403, origin
    assert len(await chat.messages("anna")) == 1  # the greeting alone: nothing was said
    # The page's own origin is fine.
    own = str(chat.client.make_url("")).rstrip("/")
    response = await chat.client.post("/web/api/say", json=body, headers={"Origin": own})
    assert response.status == 200


async def test_on_loopback_only_loopback_names_reach_the_web_chat(chat: WebChat) -> None:
    """DNS rebinding: a page at attacker.example, its name pointed at 127.0.0.1, would be the
    chat's own origin (Origin and Host agree), and could act as anyone through a browser."""
    body = {"as": "david", "text": "help", "id": "r1"}
    port = chat.client.port
    for host in (f"attacker.example:{port}", "attacker.example", "localhost.attacker.example",
                 "a b"):
        said = await chat.client.post("/web/api/say", json=body,
                                      headers={"Host": host, "Origin": f"http://{host}"})
        assert said.status == 403, host
        for path in ("/", "/web/api/people", "/web/api/messages?as=david"):
            assert (await chat.client.get(path, headers={"Host": host})).status == 403, path
    assert len(await chat.messages("david")) == 1  # the greeting alone: nothing was said
    for host in (f"localhost:{port}", f"LOCALHOST:{port}", f"127.0.0.1:{port}", f"[::1]:{port}"):
        response = await chat.client.get("/web/api/people", headers={"Host": host})
        assert response.status == 200, host
    said = await chat.client.post(
        "/web/api/say", json=body,
        headers={"Host": f"localhost:{port}", "Origin": f"http://localhost:{port}"},
    )
    assert said.status == 200


async def test_on_loopback_a_request_through_a_proxy_is_refused(chat: WebChat) -> None:
    """A reverse proxy on the same machine reaches the loopback address, naming it as the
    host (nginx's default): its clients, anywhere, would act as anyone. Whatever the proxy
    adds to say so, the web chat answers only the machine's own browser."""
    body = {"as": "eva", "text": "/dashboard", "id": "p1"}
    host = f"127.0.0.1:{chat.client.port}"
    for header, value in (
        ("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-Host", "kontobot.ki.se"),
        ("X-Forwarded-Proto", "https"), ("Forwarded", "for=203.0.113.9;proto=https"),
        ("X-Real-IP", "203.0.113.9"),
    ):
        for path in ("/", "/web/api/people", "/web/api/messages?as=eva"):
            response = await chat.client.get(path, headers={"Host": host, header: value})
            assert response.status == 403, (header, path)
        said = await chat.client.post(
            "/web/api/say", json=body, headers={"Host": host, header: value}
        )
        assert said.status == 403, header
    assert len(await chat.messages("eva")) == 1  # the greeting alone: nothing was said
    assert (await chat.client.get("/web/api/people", headers={"Host": host})).status == 200


async def test_switched_on_the_web_chat_answers_through_a_proxy(sqlite_url: str) -> None:
    """KONTOBOT_WEB_CHAT=on: the operator asked for it to be served, proxy and all."""
    app = create_app(
        Settings(database_url=sqlite_url, web_chat="on", _env_file=None),
        web_chat_enabled=True, clock=fixed_clock(T0),
    )
    async with TestClient(TestServer(app)) as client:
        response = await client.get(
            "/web/api/people",
            headers={"Host": f"127.0.0.1:{client.port}", "X-Forwarded-For": "203.0.113.9"},
        )
        assert response.status == 200


async def test_switched_on_at_another_address_the_web_chat_answers_any_name(
    sqlite_url: str,
) -> None:
    async with running_chat(sqlite_url, host="0.0.0.0") as chat:  # noqa: S104
        response = await chat.client.get(
            "/web/api/people", headers={"Host": "kontobot-demo.example"}
        )
        assert response.status == 200


async def test_json_nested_deeper_than_python_reads_is_refused(chat: WebChat) -> None:
    deep = '{"as": "anna", "text": ' + "[" * 5000 + "]" * 5000 + "}"
    response = await chat.client.post(
        "/web/api/say", data=deep, headers={"Content-Type": "application/json"}
    )
    assert response.status == 400


async def test_unknown_demo_people_are_not_found(chat: WebChat) -> None:
    await chat.post("/web/api/say", {"as": "mallory", "text": "hello"}, expect=404)
    await chat.post("/web/api/act", {"as": "mallory", "action": "cmd:help"}, expect=404)
    await chat.post("/web/api/say", {"text": "hello"}, expect=404)
    response = await chat.client.get("/web/api/messages", params={"as": "mallory"})
    assert response.status == 404


async def test_oversized_bodies_are_refused(chat: WebChat) -> None:
    body = json.dumps({"as": "anna", "text": "x" * 20_000}).encode()
    response = await chat.client.post(
        "/web/api/say", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status == 413

    async def chunked() -> AsyncIterator[bytes]:
        # No Content-Length: the limit must hold on what actually arrives.
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    response = await chat.client.post(
        "/web/api/say", data=chunked(), headers={"Content-Type": "application/json"}
    )
    assert response.status == 413
    assert len(await chat.messages("anna")) == 1  # the greeting alone: nothing was said
    # Long text within the limit is passed on whole, not refused: a step that takes fewer
    # characters says so (dialogs.text.MAX_TYPED).
    await chat.say("anna", "y" * 5000)
    echo = (await chat.messages("anna"))[1]  # after the greeting
    assert echo.text == "Anna Andersson " + "y" * 5000


# The long poll.


async def test_the_long_poll_wakes_when_the_conversation_changes(chat: WebChat) -> None:
    version, shown = await chat.fetch("anna")
    assert len(shown) == 1  # the greeting
    waiting = asyncio.create_task(chat.fetch("anna", after=version))
    await chat.say("anna", "help")
    async with asyncio.timeout(5):
        new_version, shown = await waiting
    assert new_version != version
    assert shown[1].text == "Anna Andersson help"


async def test_a_stale_version_answers_at_once(chat: WebChat) -> None:
    await chat.say("anna", "help")
    async with asyncio.timeout(5):
        _, shown = await chat.fetch("anna", after="an old version")
    assert len(shown) == 2


async def test_stopping_the_server_answers_waiting_polls_at_once(sqlite_url: str) -> None:
    # As `kontobot serve` runs it: a runner that lets handlers finish when the server stops.
    # A long poll must not hold up the stop for its full 20 seconds.
    runner = web.AppRunner(chat_app(sqlite_url))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    polling: asyncio.Task[ClientResponse] | None = None
    try:
        async with ClientSession(f"http://{host}:{port}") as session:
            url = "/web/api/messages"
            async with session.get(url, params={"as": "anna"}) as response:
                version = (await response.json())["version"]
            polling = asyncio.create_task(session.get(url, params={"as": "anna", "after": version}))
            # Something written elsewhere wakes the poll, which goes on waiting for its own chat.
            async with session.post("/web/api/say", json={"as": "bjorn", "text": "help"}) as said:
                assert said.status == 200
            assert not polling.done()
            async with asyncio.timeout(5):
                await runner.cleanup()
                response = await polling
            assert response.status == 200
            assert (await response.json())["version"] == version
            response.release()
    finally:
        if polling is not None and not polling.done():
            polling.cancel()
            await asyncio.gather(polling, return_exceptions=True)
        await runner.cleanup()


# A restart in the middle of a conversation loses nothing.


async def test_a_restart_mid_conversation_loses_nothing(database_url: str) -> None:
    answers = open_account_answers()
    async with running_chat(database_url) as chat:
        await chat.say("anna", "/open-account")
        for answer in answers[:3]:
            await chat.answer("anna", answer)
        before = await chat.messages("anna")
        assert "question 4 of 14" in before[-1].text
        stale_platform_click = before[1]

    async with running_chat(database_url) as chat:
        # The history is still shown, exactly as it was.
        shown = await chat.messages("anna")
        assert [m.html for m in shown] == [m.html for m in before]
        # The next answer is taken at the step where Anna left off.
        await chat.answer("anna", answers[3])
        latest = (await chat.messages("anna"))[-1]
        assert "question 5 of 14" in latest.text
        assert en("What is the purpose of the account?") in latest.text
        # A click on a question answered before the restart (from a page that still shows its
        # buttons; this one shows the answer) does not rewind the dialog.
        assert "dlg:platform:choose" not in stale_platform_click.buttons()
        await chat.act("anna", "dlg:platform:choose", selected=("facebook",))
        latest = (await chat.messages("anna"))[-1]
        assert (
            en("That question has already been answered. Here is where we are now.") in latest.text
        )
        assert "question 5 of 14" in latest.text
        # /open-account again resumes rather than starting over.
        await chat.say("anna", "/open-account")
        latest = (await chat.messages("anna"))[-1]
        assert (
            en("You have a request in progress. Let's continue where you left off.") in latest.text
        )
        for answer in answers[4:]:
            await chat.answer("anna", answer)
        await chat.act("anna", "dlg:summary:submit")
        await card_of(chat, "cecilia", sv, "manager")
        [request] = await load(chat.client.app[STORE], AccountRequest)
        assert (request.platform, request.handle, request.scope) == (
            "instagram",
            "ki_neuro_demo",
            "university_wide",
        )
        assert request.status == RequestStatus.PENDING.value


# Text with invalid code points: normalised where it enters, never a 500.


async def test_a_lone_surrogate_is_replaced_where_it_enters(chat: WebChat) -> None:
    raw = b'{"as": "anna", "text": "caf\\u0065\\u0301 \\ud800 \\u0000ok\\ud83d\\ude00"}'
    response = await chat.client.post(
        "/web/api/say", data=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status == 200, await response.text()
    shown = await chat.messages("anna")
    assert any("café \ufffd ok😀" in m.text for m in shown), [m.text for m in shown]
    response = await chat.client.post(
        "/web/api/act", data=b'{"as": "anna", "action": "x:\\udfff", "value": "\\ud800"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 200


async def test_a_message_stored_before_normalisation_does_not_break_the_history(
    chat: WebChat,
) -> None:
    from datetime import UTC, datetime

    from data import webchat

    store = chat.client.app[STORE]  # type: ignore[union-attr]
    async with store.transaction() as session:
        # JSON columns store a lone surrogate as an escape: older rows can hold one.
        await webchat.append(
            session, conversation="dm:anna", sender_id=None,
            payload={"text": "old \ud800 text", "blocks": [{"kind": "paragraph", "text": "old \ud800"}]},
            now=datetime(2027, 3, 1, tzinfo=UTC),
        )
    response = await chat.client.get("/web/api/messages", params={"as": "anna"})
    assert response.status == 200, await response.text()
    assert any("old" in m["html"] for m in (await response.json())["messages"])


async def test_the_team_and_manager_pickers_leave_out_the_requester(chat: WebChat) -> None:
    await chat.say("anna", "/open-account")
    for answer in open_account_answers(scope="unit"):
        if answer.step in ("team", "manager"):
            latest = (await chat.messages("anna"))[-1]
            # Anna is a responsible person already and can't approve her own request.
            assert 'value="filip"' in latest.html, answer.step
            assert 'value="anna"' not in latest.html, answer.step
        if answer.step == "manager":
            break
        await chat.answer("anna", answer)


async def test_a_clicked_question_is_replaced_by_the_choice_without_buttons(
    chat: WebChat,
) -> None:
    await chat.say("anna", "/open-account")
    question = await chat.wait_for_text("anna", en("Which platform is the account on?"))
    assert "dlg:platform:choose" in question.buttons()
    await chat.act("anna", "dlg:platform:choose", selected=("instagram",), message=question.id)
    shown = await chat.wait_for(
        "anna", lambda ms: any(en("✓ You chose: {answer}", answer="Instagram") in m.text for m in ms)
    )
    [rewritten] = [m for m in shown if m.id == question.id]
    assert en("Which platform is the account on?") in rewritten.text
    # As it was sent: the introduction it opened with is kept.
    intro = en("Let's open a social-media account in KI's name.")
    assert intro in question.text and intro in rewritten.text
    assert en("✓ You chose: {answer}", answer="Instagram") in rewritten.text
    assert rewritten.buttons() == {} and "<select" not in rewritten.html
    assert en("What is the account's name or handle on the platform?") in shown[-1].text


@pytest.mark.parametrize("message", ["²", "１２", "9" * 30, "-1", ""])
async def test_a_click_naming_no_message_id_still_counts(chat: WebChat, message: str) -> None:
    await chat.say("anna", "/open-account")
    await chat.wait_for_text("anna", en("Which platform is the account on?"))
    # Not an id ("²" passes str.isdigit() but not int()): a click without its message named.
    value = await chat.carried("anna", "dlg:platform:choose")
    await chat.post("/web/api/act", {"as": "anna", "action": "dlg:platform:choose",
                                     "value": value, "selected": ["instagram"],
                                     "message": message})
    await chat.wait_for_text("anna", en("What is the account's name or handle on the platform?"))


async def test_a_click_rewrites_no_message_of_another_persons_chat(chat: WebChat) -> None:
    await chat.say("bjorn", "/open-account")
    theirs = await chat.wait_for_text("bjorn", sv("Which platform is the account on?"))
    await chat.say("anna", "/open-account")
    await chat.wait_for_text("anna", en("Which platform is the account on?"))
    await chat.act("anna", "dlg:platform:choose", selected=("instagram",), message=theirs.id)
    await chat.wait_for_text("anna", en("What is the account's name or handle on the platform?"))
    [still] = [m for m in await chat.messages("bjorn") if m.id == theirs.id]
    assert still.html == theirs.html
