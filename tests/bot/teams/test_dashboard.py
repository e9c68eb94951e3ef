"""`dashboard` in Teams: in the personal chat, a card whose `Action.OpenUrl` opens the sign-in
link at the public address; never in a channel, where everyone would see it."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from data import people, signin
from data.models import AuditEvent
from dialogs.i18n import Translator
from tests.bot.teams.rig import ANNA, COMMS, EVA, TeamsRig, actions_of, running_teams, texts
from tests.helpers import KEY, T0, load

PUBLIC = "https://kontobot.example.org"


def open_urls(card: dict[str, Any]) -> list[str]:
    return [a["url"] for a in actions_of(card) if a["type"] == "Action.OpenUrl"]


async def redeems_as(rig: TeamsRig, url: str) -> str:
    """The Teams user (Azure AD object id) the link in `url` signs in."""
    [token] = parse_qs(urlsplit(url).query)["token"]
    async with rig.store.transaction() as session:
        _cookie, row = await signin.redeem_link(
            session, key=KEY, token=token, now=T0, zone=ZoneInfo("Europe/Stockholm")
        )
        ids = await people.identities(session, row.person_id)
    [teams] = [i.external_id for i in ids if i.platform == "teams"]
    return teams


@pytest.mark.parametrize("typed", ["dashboard", "/dashboard", "Översikten"])
async def test_the_link_opens_the_public_address(sqlite_url: str, typed: str) -> None:
    async with running_teams(sqlite_url, public_url=PUBLIC) as rig:
        [reply] = await rig.say(EVA, typed)
        card = reply.card
        sv = Translator("sv")
        assert sv("Din länk till översikten") in texts(card)
        [url] = open_urls(card)
        assert url.startswith(f"{PUBLIC}/dashboard/sign-in?token=v1.")
        assert await redeems_as(rig, url) == EVA.aad


async def test_without_a_public_address_it_says_who_must_set_it(teams: TeamsRig) -> None:
    [reply] = await teams.say(ANNA, "dashboard")
    assert open_urls(reply.card) == []
    assert "KONTOBOT_PUBLIC_URL" in texts(reply.card)


async def test_in_a_channel_no_link_is_shown(sqlite_url: str) -> None:
    async with running_teams(sqlite_url, public_url=PUBLIC) as rig:
        channel = {"id": COMMS, "conversationType": "channel", "isGroup": True, "tenantId": "t"}
        await rig.send(
            rig.activity(EVA, "message", text="<at>kontobot</at> dashboard", conversation=channel)
        )
        [reply] = rig.fake.in_conversation(COMMS)
        assert open_urls(reply.card) == []
        assert await load(rig.store, AuditEvent, AuditEvent.action == "dashboard_link_issued") == []


async def test_a_link_answered_in_the_invokes_response_is_signed(sqlite_url: str) -> None:
    """A card's button that runs /dashboard (`cmd:dashboard`) is answered with the next card in
    the HTTP response itself, not through the outbox: its link is signed there too."""
    async with running_teams(sqlite_url, public_url=PUBLIC) as rig:
        body = await rig.execute(EVA, {"verb": "cmd:dashboard"})
        [url] = open_urls(body["value"])
        assert await redeems_as(rig, url) == EVA.aad
