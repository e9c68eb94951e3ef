"""`/dashboard` in Slack: a sign-in link shown to the person alone, as a button that opens the
public address; never unfurled, and its click is no turn of the bot."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from data import people, signin
from data.errors import NotAllowed
from data.models import Outbox
from dialogs.i18n import Translator
from tests.bot.slack.rig import ANNA, EVA, GENERAL, SlackRig, running
from tests.helpers import KEY, T0, load
from tests.helpers.fake_slack import Posted

PUBLIC = "https://kontobot.example.org"
SV, EN = Translator("sv"), Translator("en")


def link_button(posted: Posted) -> dict[str, Any]:
    [button] = [
        e
        for b in posted.blocks
        if b.get("type") == "actions"
        for e in b["elements"]
        if "url" in e
    ]
    return button


async def shown_to(rig: SlackRig, user: str, before: int = 0) -> Posted:
    """The newest message shown to `user` alone, once there are more than `before`."""
    await rig.fake.wait_for(lambda: len(rig.fake.ephemeral(user)) > before, 10.0, "an answer")
    return rig.fake.ephemeral(user)[-1]


async def redeems_as(rig: SlackRig, url: str) -> str:
    """The Slack user the link in `url` signs in."""
    [token] = parse_qs(urlsplit(url).query)["token"]
    async with rig.store.transaction() as session:
        _cookie, row = await signin.redeem_link(
            session, key=KEY, token=token, now=T0, zone=ZoneInfo("Europe/Stockholm")
        )
        ids = await people.identities(session, row.person_id)
    [slack] = [i.external_id for i in ids if i.platform == "slack"]
    return slack


async def test_the_link_is_a_button_to_the_public_address_only_the_person_sees(
    slack_db: str,
) -> None:
    async with running(slack_db, public_url=PUBLIC) as rig:
        response = await rig.command(EVA.id, "dashboard")
        assert response.status == 200
        posted = await shown_to(rig, EVA.id)
        await rig.settle()
        # Eva's alone, in the channel where she typed it; nothing in any conversation.
        assert posted.channel == GENERAL
        assert not [m for m in rig.fake.messages if m.ephemeral_for is None]
        text = posted.all_text()
        assert SV("Din länk till översikten") in text
        assert "slutar gälla om 10 minuter" in text
        button = link_button(posted)
        assert button["text"]["text"] == SV("Öppna översikten")
        assert button["url"].startswith(f"{PUBLIC}/dashboard/sign-in?token=v1.")
        assert await redeems_as(rig, button["url"]) == EVA.id

        # Slack opens the link and tells the bot of the click, which does nothing more.
        calls = len(rig.fake.calls)
        response = await rig.act(EVA.id, posted, button["action_id"])
        assert response.status == 200
        await rig.settle()
        assert [c.method for c in rig.fake.calls[calls:]] == []


async def test_where_ephemerals_cannot_go_the_link_goes_to_the_direct_chat_unfurled_never(
    slack_db: str,
) -> None:
    async with running(slack_db, public_url=PUBLIC) as rig:
        rig.fake.fail("chat.postEphemeral", 200, error="not_in_channel")
        await rig.command(ANNA.id, "dashboard")
        posted = await rig.next_dm(ANNA.id, 0, "the link")
        assert link_button(posted)["url"].startswith(f"{PUBLIC}/dashboard/sign-in?token=")
        [sent] = [
            c for c in rig.fake.calls_of("chat.postMessage") if c.args["channel"] == posted.channel
        ]
        assert sent.args["unfurl_links"] is False and sent.args["unfurl_media"] is False


async def test_without_a_public_address_it_says_who_must_set_it(rig: SlackRig) -> None:
    await rig.command(ANNA.id, "dashboard")
    posted = await shown_to(rig, ANNA.id)
    assert not [e for b in posted.blocks for e in b.get("elements", ()) if "url" in e]
    assert "KONTOBOT_PUBLIC_URL" in posted.all_text()
    assert EN("The dashboard is not set up yet") in posted.all_text()


async def test_the_outbox_keeps_the_reply_without_a_link_that_signs_anyone_in(
    slack_db: str,
) -> None:
    """The reply waits in the outbox (and stays there, sent, until the retention deletes it):
    the link in it lacks its signature, added with the key as it leaves (SECURITY.md: a copy
    of the database signs nobody in)."""
    async with running(slack_db, public_url=PUBLIC) as rig:
        await rig.command(EVA.id, "dashboard")
        posted = await shown_to(rig, EVA.id)
        await rig.settle()
        [row] = [r for r in await load(rig.store, Outbox) if "dashboard" in str(r.params)]
        [stored] = [b for b in row.params["message"]["blocks"] if b["kind"] == "link"]
        assert stored["unsigned"] is True
        [unsigned] = parse_qs(urlsplit(stored["url"]).query)["token"]
        sent = link_button(posted)["url"]
        [token] = parse_qs(urlsplit(sent).query)["token"]
        assert token.startswith(unsigned + ".") and unsigned not in str(row.delivered)
        for copied in (unsigned, token.rpartition(".")[0]):
            async with rig.store.transaction() as session:
                with pytest.raises(NotAllowed, match="link_invalid"):
                    await signin.redeem_link(session, key=KEY, token=copied, now=T0)
        assert await redeems_as(rig, sent) == EVA.id
