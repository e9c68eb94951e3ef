"""Whose request it is (bot/slack/workspace.py): ours, from one workspace or from a Grid
organisation installed as a whole; anyone else's, wherever Slack names them. And which is
ours, as Slack's `auth.test` says."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError

from bot.slack.client import Tuning, make_client
from bot.slack.workspace import Ours, Workspace, from_ours
from tests.helpers.fake_slack import FakeSlack

OURS = Workspace("TKI")
IN_AN_ORG = Workspace("TKI", "EKI")
ORG_WIDE = Workspace(None, "EKI")

COMMAND = {"team_id": "TKI", "user_id": "U1", "command": "/accounts"}
CLICK = {"type": "block_actions", "team": {"id": "TKI"}, "user": {"id": "U1", "team_id": "TKI"}}
DM = {"team_id": "TKI", "event": {"type": "message", "user": "U1", "team": "TKI"},
      "authorizations": [{"team_id": "TKI"}]}


def but(body: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """`body` with some of its parts (`part__key`) changed."""
    changed = {k: dict(v) if isinstance(v, dict) else v for k, v in body.items()}
    for name, value in changes.items():
        part, _, key = name.partition("__")
        if key:
            changed[part] = {**changed.get(part, {}), key: value}
        else:
            changed[part] = value
    return changed


@pytest.mark.parametrize("body", [COMMAND, CLICK, DM], ids=["command", "click", "message"])
def test_our_workspace_is_ours(body: dict[str, Any]) -> None:
    assert from_ours(body, OURS)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (but(COMMAND, team_id="TOTHER"), "a command typed in another workspace"),
        (but(CLICK, user__team_id="TOTHER"), "a click by someone of another workspace"),
        (but(CLICK, team={"id": "TOTHER"}), "a click in another workspace"),
        (but(DM, event__user_team="TOTHER", is_ext_shared_channel=True),
         "a message in a shared channel by someone of another workspace"),
        (but(DM, event__source_team="TOTHER"), "a message from another workspace"),
        (but(COMMAND, enterprise_id="EOTHER"), "a command from a Grid organisation"),
        ({"type": "block_suggestion", "user": {"id": "U1"}}, "a request that names nobody"),
        (but(DM, team_id=None, event={"type": "message", "user": "U1"}),
         "an event that names only our installation"),
    ],
)
def test_anyone_elses_is_not(body: dict[str, Any], why: str) -> None:
    assert not from_ours(body, OURS), why


def test_in_an_organisation_our_workspace_alone() -> None:
    assert from_ours(but(COMMAND, enterprise_id="EKI"), IN_AN_ORG)
    assert from_ours(COMMAND, IN_AN_ORG)
    assert not from_ours(but(COMMAND, team_id="TSISTER", enterprise_id="EKI"), IN_AN_ORG)
    assert not from_ours(but(COMMAND, enterprise_id="EOTHER"), IN_AN_ORG)


def test_an_installation_for_a_whole_organisation_takes_nothing() -> None:
    """Not supported (the manifest does not enable it): its clicks name the installation's
    organisation, whoever clicks, so a shared channel's outsiders could not be told apart."""
    sister = {"team_id": "TSISTER", "enterprise_id": "EKI", "user_id": "U1"}
    assert not from_ours(sister, ORG_WIDE)
    assert not from_ours(but(COMMAND, enterprise_id="EKI"), ORG_WIDE)
    assert not from_ours(sister, Workspace(None, None))


@pytest.mark.parametrize("organisation", [None, "EKI"], ids=["a workspace", "in a Grid org"])
async def test_ours_is_what_slack_says_asked_again_after_a_failure(
    organisation: str | None,
) -> None:
    fake = FakeSlack(enterprise_id=organisation)
    await fake.start()
    try:
        async with aiohttp.ClientSession() as session:
            ours = Ours(make_client(fake.token, fake.url, session, Tuning()))
            fake.fail("auth.test", 200, error="fatal_error")
            with pytest.raises(SlackApiError):
                await ours.get()
            assert await ours.get() == Workspace("TKI", organisation)
            assert await ours.get() == Workspace("TKI", organisation)
    finally:
        await fake.stop()
    # Asked until Slack said, then never again.
    assert [c.ok for c in fake.calls_of("auth.test")] == [False, True]
