"""How a signed body is read (bot/slack/guard.py): once, by the guard, and bolt is handed that
reading. bolt's own took any form containing "payload" for an interaction and read nothing
from it: a slash command with the word in its text was answered and lost. A body of a shape
bolt trips over while building its request is a 400, never a 500 and its traceback."""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qsl, urlencode

import pytest

from data.models import InboxEvent
from tests.bot.slack.rig import ANNA, SlackRig, running
from tests.bot.slack.test_security import FORM, MARK, signed_bytes, snapshot
from tests.helpers import load
from tests.helpers.fake_slack import TEAM, dm_channel

COMMANDS = {
    "its text the word": {"text": "payload"},
    "its text an account and the word": {"text": "SOME-2027-0001 payload"},
    "its channel named with the word": {"channel_name": "payload-team"},
}


@pytest.mark.parametrize("changes", COMMANDS.values(), ids=COMMANDS.keys())
async def test_a_command_that_says_payload_is_stored_once_and_answered(
    rig: SlackRig, changes: dict[str, str]
) -> None:
    fields = dict(parse_qsl(rig.command_body(ANNA.id, "accounts")))
    body = urlencode({**fields, **changes})
    response = await rig.post(body, FORM)
    assert (response.status, await response.text()) == (200, "")
    # Twice, as Slack never sends it: the same trigger id, so stored once.
    assert (await rig.post(body, FORM)).status == 200
    await rig.settle()
    stored = [e for e in await load(rig.store, InboxEvent) if e.key.startswith("slack:command")]
    assert [e.key for e in stored] == [f"slack:command:{fields['trigger_id']}"]
    # /accounts answers Anna (she has none yet), once.
    assert len(rig.fake.dm(ANNA.id) + rig.fake.ephemeral(ANNA.id)) == 1


def click(action: str = "cmd:accounts") -> dict[str, object]:
    return {"type": "block_actions", "user": {"id": ANNA.id, "team_id": TEAM},
            "team": {"id": TEAM}, "trigger_id": "t.1",
            "container": {"type": "message", "message_ts": "1.1", "channel_id": "DUANNA"},
            "actions": [{"type": "button", "action_id": action, "block_id": "b1",
                         "action_ts": "1.2"}],
            "state": {"values": {}}}


def event(**fields: object) -> bytes:
    message = {"type": "message", "channel": "DUANNA", "channel_type": "im", "user": ANNA.id,
               "text": MARK, "ts": "1.1"}
    return json.dumps({"type": "event_callback", "team_id": TEAM, "event_id": "Ev1",
                       "event": message, **fields}).encode()


SHAPES = {
    # Found by a probe: bolt's request, built from these, raised before anything could answer.
    "authorizations of numbers": (event(authorizations=[1]), "application/json"),
    "authorizations a string": (event(authorizations="x"), "application/json"),
    "an enterprise that is a number": (event(enterprise=5), "application/json"),
    # The guard checked the first payload, bolt took the last.
    "two payloads": (urlencode([("payload", json.dumps(click())), ("payload", "[]")]).encode(),
                     FORM),
    "two payloads, both clicks": (
        urlencode([("payload", json.dumps(click())),
                   ("payload", json.dumps(click("cmd:open-account")))]).encode(), FORM),
    "nested deeper than Python parses": (
        b'{"event": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "application/json"),
    "a command's field twice": (
        urlencode([("command", "/accounts"), ("team_id", TEAM), ("user_id", ANNA.id),
                   ("text", ""), ("text", MARK)]).encode(), FORM),
}


@pytest.mark.parametrize(("body", "content_type"), SHAPES.values(), ids=SHAPES.keys())
async def test_a_signed_body_of_a_shape_slack_does_not_send_gets_400(
    rig: SlackRig, caplog: pytest.LogCaptureFixture, body: bytes, content_type: str
) -> None:
    caplog.set_level(logging.INFO)
    before = await snapshot(rig)
    response = await rig.client.post(
        "/slack/events", data=body, headers={"Content-Type": content_type, **signed_bytes(body)}
    )
    assert response.status == 400, await response.text()
    assert (await snapshot(rig))[0] == before[0]
    # One short line says why; no traceback, nothing of the body.
    [refusal] = [r for r in caplog.records if "refused a request" in r.getMessage()]
    assert len(refusal.getMessage()) < 120
    assert MARK not in caplog.text and "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info]


async def test_what_no_database_stores_is_replaced_not_refused(database_url: str) -> None:
    """A lone surrogate (JSON can escape one) or a NUL in what Slack sends: the inbox could
    not store it, and a request not stored is answered 503 for Slack to send it again, to no
    end. Slack sends neither; were it to, the request is taken with U+FFFD in their place."""
    async with running(database_url) as rig:
        message = {"type": "message", "channel": dm_channel(ANNA.id), "channel_type": "im",
                   "user": ANNA.id, "text": "help \ud800\u0000", "ts": "1.1"}
        body = json.dumps({"type": "event_callback", "team_id": TEAM,
                           "event_id": "Ev\u0000\udfff", "event": message})
        response = await rig.post(body, "application/json")
        assert (response.status, await response.text()) == (200, "")
        await rig.next_dm(ANNA.id, 0)
        await rig.settle()
        [stored] = await load(rig.store, InboxEvent)
        assert stored.key == "slack:event:Ev\ufffd\ufffd"
