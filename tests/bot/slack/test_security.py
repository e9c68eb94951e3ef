"""Refused before anything runs: bad signatures and stale timestamps. Refused politely: a click
by the wrong person. Shown as typed: text that tries to mention @channel or hide a link."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlmodel import SQLModel

from bot.slack.bot import OTHER_WORKSPACE
from bot.slack.render import LITERAL_CLOSE, LITERAL_OPEN
from data.models import (
    Account,
    AccountRequest,
    ApprovalDecision,
    AuditEvent,
    ChatIdentity,
    DialogState,
    InboxEvent,
    Outbox,
    Person,
    RequestStatus,
)
from dialogs.i18n import Translator
from tests.bot.slack.mrkdwn import FALLBACK, markup, shown
from tests.bot.slack.rig import ANNA, BJORN, CECILIA, COMMS, FILIP, SECRET, SlackRig, buttons
from tests.helpers import count, load
from tests.helpers.fake_slack import sign
from tests.helpers.journey import SUBMIT, open_account_answers

EN = Translator("en")
TABLES: tuple[type[SQLModel], ...] = (
    Person,
    ChatIdentity,
    DialogState,
    InboxEvent,
    AuditEvent,
    AccountRequest,
    Outbox,
)


async def snapshot(rig: SlackRig) -> tuple[list[int], int]:
    """Rows in every table a turn could write, and the Web API calls made so far."""
    await rig.settle()
    return [await count(rig.store, table) for table in TABLES], len(rig.fake.calls)


def bodies(rig: SlackRig) -> list[tuple[str, str]]:
    """Every request kontobot could make, as (body, content type), one of each kind."""
    command = rig.command_body(ANNA.id, "open-account")
    event = rig.event_body(
        {
            "type": "message",
            "channel": "DUANNA",
            "user": ANNA.id,
            "text": "help",
            "ts": "1.1",
            "channel_type": "im",
        }
    )
    action = urlencode(
        {
            "payload": json.dumps(
                {
                    "type": "block_actions",
                    "user": {"id": ANNA.id},
                    "trigger_id": "t.1",
                    "container": {"type": "message", "message_ts": "1.1", "channel_id": "DUANNA"},
                    "actions": [
                        {
                            "type": "button",
                            "action_id": "cmd:open-account",
                            "block_id": "b1",
                            "action_ts": "1.2",
                        }
                    ],
                    "state": {"values": {}},
                }
            )
        }
    )
    form = "application/x-www-form-urlencoded"
    return [(command, form), (event, "application/json"), (action, form)]


@pytest.mark.parametrize("kind", [0, 1, 2], ids=["command", "event", "action"])
@pytest.mark.parametrize(
    "forge",
    ["wrong secret", "stale timestamp", "future timestamp", "tampered body", "no signature"],
)
async def test_a_request_slack_did_not_sign_is_refused_before_anything_runs(
    rig: SlackRig, kind: int, forge: str
) -> None:
    before = await snapshot(rig)
    body, content_type = bodies(rig)[kind]
    options: dict[str, Any] = {}
    if forge == "wrong secret":
        options["secret"] = "not-the-signing-secret"
    elif forge == "stale timestamp":
        options["timestamp"] = int(time.time()) - 6 * 60
    elif forge == "future timestamp":
        options["timestamp"] = int(time.time()) + 6 * 60
    if forge == "tampered body":
        headers = {"Content-Type": content_type, **sign(body, SECRET)}
        tampered = body.replace("open-account", "accounts").replace("help", "hello")
        response = await rig.client.post("/slack/events", data=tampered.encode(), headers=headers)
    elif forge == "no signature":
        response = await rig.client.post(
            "/slack/events", data=body.encode(), headers={"Content-Type": content_type}
        )
    else:
        response = await rig.post(body, content_type, **options)

    assert response.status == 401
    assert await snapshot(rig) == before


async def test_a_signed_request_in_time_is_taken(rig: SlackRig) -> None:
    """The control for the test above: the same request, signed properly, is answered."""
    body, content_type = bodies(rig)[0]
    response = await rig.post(body, content_type, timestamp=int(time.time()) - 60)
    assert response.status == 200
    await rig.next_dm(ANNA.id, 0)


async def submitted(rig: SlackRig, **answers: Any) -> AccountRequest:
    assert (await rig.command(ANNA.id, "open-account")).status == 200
    await rig.next_dm(ANNA.id, 0)
    for answer in open_account_answers(team=(BJORN.id,), manager=CECILIA.id, **answers):
        await rig.answer(ANNA.id, answer)
    await rig.answer(ANNA.id, SUBMIT)
    await rig.settle()
    [request] = await load(rig.store, AccountRequest)
    return request


async def test_approve_clicked_by_someone_else_is_refused_and_changes_nothing(
    rig: SlackRig,
) -> None:
    request = await submitted(rig)
    [card] = rig.fake.dm(CECILIA.id)
    outbox_rows = await count(rig.store, Outbox, Outbox.kind != "reply")
    to_anna = len(rig.fake.dm(ANNA.id))

    # Filip is a manager too, but not this request's approver; Anna made the request.
    for intruder, refusal in (
        (
            FILIP,
            "Only the person asked to decide on this request can do that. Nothing was changed.",
        ),
        (ANNA, "You can't decide on your own request. Nothing was changed."),
    ):
        response = await rig.act(intruder.id, card, "approval:approve")
        assert response.status == 200
        await rig.settle()
        [told] = rig.fake.ephemeral(intruder.id)
        assert told.channel == card.channel
        assert EN(refusal) in told.all_text()

    [after] = await load(rig.store, AccountRequest)
    assert after.status == RequestStatus.PENDING.value and after.approver_id == request.approver_id
    assert await count(rig.store, ApprovalDecision) == 0
    # Nothing is owed but the refusals, shown to each intruder alone.
    assert await count(rig.store, Outbox, Outbox.kind != "reply") == outbox_rows
    assert rig.fake.message(card.ref).updates == 0
    assert len(rig.fake.dm(ANNA.id)) == to_anna
    # (Anna's own answered questions were rewritten before; nothing of the approval card.)
    assert not [c for c in rig.fake.calls_of("chat.update") if c.args["ts"] == card.ts]


async def test_text_a_person_typed_can_never_mention_or_hide_a_link(rig: SlackRig) -> None:
    # What Slack delivers when someone types `<!channel>` literally, uses @here, formats a
    # link, mentions a person and types `&` and markup.
    typed = (
        "Research news &lt;!channel&gt; <!here> <http://evil.example|ki.se> "
        "<@UFILIP> &amp; *bold* &lt;https://x.example&gt;"
    )
    request = await submitted(rig, purpose=typed, scope="unit")
    assert request.purpose == (
        "Research news <!channel> @here ki.se (http://evil.example) filip.fors@ki.se & *bold* "
        "<https://x.example>"
    )
    [card] = rig.fake.dm(CECILIA.id)
    star = f"{LITERAL_OPEN}*{LITERAL_CLOSE}"
    escaped = (
        "Research news &lt;!channel&gt; @here ki.se (http://evil.example) filip.fors@ki.se "
        f"&amp; {star}bold{star} &lt;https://x.example&gt;"
    )
    assert escaped in card.all_text()

    await rig.act(CECILIA.id, card, "approval:approve")
    await rig.settle()
    [account] = await load(rig.store, Account)
    [notice] = rig.fake.in_channel(COMMS)
    assert escaped in notice.all_text()

    # Nothing any person was sent can ping, link or mention: no `<` reaches Slack but the
    # date fallbacks that show markers as they are, and mrkdwn is sent verbatim (Slack does
    # not parse bare @here or URLs in it).
    for call in rig.fake.calls:
        if call.method.startswith("chat.") or call.method == "views.publish":
            sent = FALLBACK.sub("", json.dumps(call.args, ensure_ascii=False))
            assert "<" not in sent and ">" not in sent, (call.method, sent[:500])
            for text in _mrkdwn(call.args):
                assert text["verbatim"] is True
    assert account.purpose == request.purpose


async def test_formatting_a_requester_typed_reaches_the_manager_as_typed(rig: SlackRig) -> None:
    purpose = "See *bold* _it_ ~s~ `c` and ```pre```, (*x*) > not a quote\n> nor this"
    request = await submitted(rig, purpose=purpose, scope="unit")
    assert request.purpose == purpose
    [card] = rig.fake.dm(CECILIA.id)
    # The card as the fake Slack Web API received it.
    [call] = [c for c in rig.fake.calls_of("chat.postMessage") if c.answer.get("ts") == card.ts]
    fields = [f["text"] for f in _mrkdwn(call.args["blocks"]) if f["text"].startswith("*")]
    [field] = [f for f in fields if purpose in shown(f)]
    # Cecilia sees the purpose's characters and no formatting but the label in bold.
    label, _, value = field.partition("\n")
    assert shown(value) == purpose and markup(value) == []
    assert markup(field) == [("*", "Syfte")] and label == "*Syfte*"
    # Every label of the card is still bold.
    assert len(fields) > 5
    assert all(markup(f.partition("\n")[0]) == [("*", f.partition("\n")[0][1:-1])]
               for f in fields)


def _mrkdwn(value: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn":
            found.append(value)
        for item in value.values():
            found += _mrkdwn(item)
    elif isinstance(value, list):
        for item in value:
            found += _mrkdwn(item)
    return found


async def test_the_approve_button_is_gone_once_decided(rig: SlackRig) -> None:
    await submitted(rig, scope="unit")
    [card] = rig.fake.dm(CECILIA.id)
    await rig.act(CECILIA.id, card, "approval:approve")
    await rig.settle()
    assert not buttons(rig.fake.message(card.ref))


async def test_a_refusal_where_the_person_cannot_see_ephemerals_goes_to_their_direct_chat(
    rig: SlackRig,
) -> None:
    await submitted(rig)
    [card] = rig.fake.dm(CECILIA.id)
    # Filip is not in Cecilia's direct chat: Slack refuses the ephemeral message there.
    rig.fake.fail("chat.postEphemeral", 200, error="user_not_in_channel")
    await rig.act(FILIP.id, card, "approval:approve")
    await rig.settle()
    [told] = rig.fake.dm(FILIP.id)
    assert (
        EN("Only the person asked to decide on this request can do that. Nothing was changed.")
        in told.all_text()
    )
    assert await count(rig.store, ApprovalDecision) == 0


# Malformed requests: 4xx, never 500, and their bodies never in the log.


def signed_bytes(body: bytes, timestamp: str | None = None) -> dict[str, str]:
    import hashlib
    import hmac

    stamp = timestamp or str(int(time.time()))
    digest = hmac.new(SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest.hexdigest()}"}


MARK = "S3CRET-CONTENT-MARK"
FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("name", "body", "content_type", "headers", "status"),
    [
        ("non-numeric timestamp", f"text={MARK}".encode(), FORM,
         {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"}, 400),
        ("timestamp in other digits", f"text={MARK}".encode(), FORM,
         {"X-Slack-Request-Timestamp": "١٧٠٠٠٠٠٠٠٠", "X-Slack-Signature": "v0=00"}, 400),
        ("huge timestamp", f"text={MARK}".encode(), FORM,
         {"X-Slack-Request-Timestamp": "9" * 400, "X-Slack-Signature": "v0=00"}, 400),
        ("unparsable payload=", urlencode({"payload": "{" + MARK}).encode(), FORM, None, 400),
        ("payload= not an object", urlencode({"payload": f'["{MARK}"]'}).encode(), FORM, None,
         400),
        ("bad JSON", ('{"type": "event_callback", "x": ' + MARK).encode(), "application/json",
         None, 400),
        ("not UTF-8", b"text=" + MARK.encode() + b"\xff\xfe", FORM, None, 400),
        ("huge body", b"text=" + MARK.encode() + b"x" * (300 * 1024), FORM, None, 413),
        ("unsigned", f"text={MARK}".encode(), FORM, {}, 401),
        ("signature not hex", f"text={MARK}".encode(), FORM,
         {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=\u00e9"},
         401),
    ],
)
async def test_a_malformed_request_gets_4xx_never_500(
    rig: SlackRig, caplog: pytest.LogCaptureFixture, name: str, body: bytes,
    content_type: str, headers: dict[str, str] | None, status: int,
) -> None:
    before = await snapshot(rig)
    sent = {"Content-Type": content_type, **(signed_bytes(body) if headers is None else headers)}
    response = await rig.client.post("/slack/events", data=body, headers=sent)
    assert response.status == status, (name, await response.text())
    assert await snapshot(rig) == before
    assert MARK not in caplog.text
    [refusal] = [r for r in caplog.records if "refused a request" in r.getMessage()]
    assert len(refusal.getMessage()) < 120


async def test_refused_bodies_add_only_small_log_lines(
    rig: SlackRig, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    caplog.set_level(logging.INFO)
    body = (MARK + "x" * (256 * 1024 - len(MARK))).encode()
    assert len(body) == 256 * 1024
    for _ in range(50):
        response = await rig.client.post(
            "/slack/events", data=body, headers={"Content-Type": FORM}
        )
        assert response.status == 401
    # One refusal line and one access-log line per request, each short.
    assert all(len(r.getMessage()) < 200 for r in caplog.records), caplog.text[:2000]
    assert sum(len(r.getMessage()) for r in caplog.records) < 50 * 400
    assert MARK not in caplog.text


async def test_a_signed_payload_bolt_cannot_read_gets_400(
    rig: SlackRig, caplog: pytest.LogCaptureFixture
) -> None:
    """Found by tests/bot/test_http_properties.py: bolt answered this signed (if odd) payload
    with a 500, which would have Slack retry it."""
    payload = {"type": "block_actions", "user": {"id": "UANNA"}, "actions": [],
               "view": {"callback_id": "", "private_metadata": MARK, "state": None}}
    body = urlencode({"payload": json.dumps(payload)}).encode()
    before = await snapshot(rig)
    response = await rig.client.post("/slack/events", data=body,
                                     headers={"Content-Type": FORM, **signed_bytes(body)})
    assert response.status == 400
    # Nothing stored (bolt may have asked Slack who it is, as on any first request).
    assert (await snapshot(rig))[0] == before[0]
    assert MARK not in caplog.text


def foreign(rig: SlackRig, ours: bool, typed: str = "") -> list[tuple[str, str, str]]:
    """(what, body, content type) of every kind of request, each as someone of another
    workspace sends it through a channel shared with ours (Slack Connect), or, with `ours`,
    as one of our people does: the control."""
    team = "TKI" if ours else "TOTHER"
    form = "application/x-www-form-urlencoded"
    command = rig.command_body(ANNA.id, "open-account").replace("team_id=TKI", f"team_id={team}")
    message = {"type": "message", "channel": "DUANNA", "user": ANNA.id, "text": "help",
               "ts": "1.1", "channel_type": "im", "user_team": team, "source_team": team}
    event = json.loads(rig.event_body(message))
    event["is_ext_shared_channel"] = True
    user = {"id": ANNA.id, "team_id": team}
    click = {"type": "block_actions", "user": user, "team": {"id": team}, "trigger_id": "t.1",
             "container": {"type": "message", "message_ts": "1.1", "channel_id": "DUANNA"},
             "actions": [{"type": "button", "action_id": "cmd:open-account", "block_id": "b1",
                          "action_ts": "1.2"}],
             "state": {"values": {}}}
    search = {"type": "block_suggestion", "user": user, "team": {"id": team},
              "action_id": "team:pick", "block_id": "b1", "value": typed}
    return [
        ("command", command, form),
        ("event", json.dumps(event), "application/json"),
        ("click", urlencode({"payload": json.dumps(click)}), form),
        ("people search", urlencode({"payload": json.dumps(search)}), form),
    ]


async def known(rig: SlackRig) -> str:
    """The name of someone the register knows at the start (the director, as the settings
    name them): what a people search finds."""
    [first, *_] = await load(rig.store, Person)
    return first.display_name


KINDS = ["command", "event", "click", "people search"]


@pytest.mark.parametrize("kind", KINDS)
async def test_a_request_from_another_workspace_runs_nothing(rig: SlackRig, kind: str) -> None:
    """Slack signs what people of a workspace that shares a channel with ours send: they are
    not KI's staff, whatever their e-mail address says (bot/slack/workspace.py)."""
    name = await known(rig)
    # Bolt asks Slack once which workspace our token is for (auth.test): not a turn's call.
    # A search that finds nobody makes it ask.
    await rig.post(*foreign(rig, ours=False, typed="zzzz")[-1][1:])
    before = await snapshot(rig)
    [(_, body, content_type)] = [
        f for f in foreign(rig, ours=False, typed=name[:4]) if f[0] == kind
    ]
    response = await rig.post(body, content_type)
    # A slash command is told why (Slack shows the answer to whoever typed it); the rest get
    # nothing.
    said = OTHER_WORKSPACE if kind == "command" else ""
    assert (response.status, await response.text()) == (200, said)
    assert await snapshot(rig) == before


@pytest.mark.parametrize("kind", KINDS)
async def test_the_same_request_from_our_workspace_is_taken(rig: SlackRig, kind: str) -> None:
    """The control for the test above."""
    name = await known(rig)
    [(_, body, content_type)] = [
        f for f in foreign(rig, ours=True, typed=name[:4]) if f[0] == kind
    ]
    response = await rig.post(body, content_type)
    assert response.status == 200
    if kind == "people search":
        assert name in await response.text()
    else:
        await rig.next_dm(ANNA.id, 0)
