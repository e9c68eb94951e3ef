"""`/dashboard` hands the person a sign-in link for the dashboard, shown to them alone: a path
on the web chat (served by the same server), an address starting with the public URL on Slack
and Teams, and an explanation instead when that URL is not configured. The token in the link
is unsigned (the hub signs it as it leaves: hub/sign_in_links.py); signed, data.signin redeems
it, once. Through `Brain.handle`, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from data import signin
from data.db import Store
from data.errors import NotAllowed
from data.models import AuditEvent
from dialogs.engine import Reply
from dialogs.events import Sender
from dialogs.messages import Context, Link, Message, Paragraph
from dialogs.router import Brain
from tests.helpers import KEY, T0, Cast, id_of, load, make_person
from tests.helpers.chat import CastSenders, Chat, cast_senders, sender_of
from tests.helpers.nudging import chat

PUBLIC = "https://kontobot.example.org"
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def link_of(replies: list[Reply]) -> tuple[Message, Link]:
    """The one reply, which must be for the person alone, and its one link."""
    [reply] = replies
    assert reply.ephemeral, reply
    [link] = [b for b in reply.message.blocks if isinstance(b, Link)]
    assert link.unsigned, link
    return reply.message, link


def token_of(url: str) -> str:
    """The link's token, signed for the person it names, as the hub signs it when it leaves."""
    parts = urlsplit(url)
    assert parts.path == "/dashboard/sign-in", url
    [unsigned] = parse_qs(parts.query)["token"]
    return signin.sign_link(KEY, unsigned, person_id=int(unsigned.split(".")[1]))


async def redeem(store: Store, token: str, minutes: int = 1) -> int:
    """Sign in with `token` `minutes` after T0; the person the session is for."""
    async with store.transaction() as session:
        _cookie, row = await signin.redeem_link(
            session, key=KEY, token=token, now=T0 + timedelta(minutes=minutes),
            zone=STOCKHOLM,
        )
    return row.person_id


async def issued(store: Store) -> list[AuditEvent]:
    return await load(store, AuditEvent, AuditEvent.action == "dashboard_link_issued")


async def someone_on(store: Store, platform: str) -> tuple[Sender, int]:
    """A person known only on `platform`, as a sender there, and their id."""
    async with store.transaction() as session:
        person = await make_person(session, T0, "Greta Gran", platform=platform, ext="G1")
    return await sender_of(store, id_of(person), platform=platform), id_of(person)


async def test_on_the_web_the_link_is_a_path_that_signs_the_person_in_once(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    message, link = link_of(await chat(store, who.requester).command("dashboard"))
    assert message.title == "Your dashboard link"
    assert link.label == "Open the dashboard"
    assert link.url.startswith("/dashboard/sign-in?token=v1.")
    [said] = [b.text for b in message.blocks if isinstance(b, Paragraph)]
    assert said == (
        "Here is your link to the dashboard. It works once and expires in 10 minutes; once you"
        " have signed in, you stay signed in until the end of the day."
    )
    [small] = [b.text for b in message.blocks if isinstance(b, Context)]
    assert small == "Don't forward the link: whoever opens it is signed in as you."

    token = token_of(link.url)
    assert await redeem(store, token) == cast.requester
    with pytest.raises(NotAllowed) as refused:
        await redeem(store, token, minutes=2)
    assert refused.value.code == "link_used"
    [event] = await issued(store)
    assert event.actor_id == cast.requester and event.subject == f"person:{cast.requester}"


async def test_the_link_expires_after_ten_minutes(store: Store, who: CastSenders) -> None:
    _, link = link_of(await chat(store, who.colleague).command("dashboard"))
    with pytest.raises(NotAllowed) as refused:
        await redeem(store, token_of(link.url), minutes=11)
    assert refused.value.code == "link_expired"


async def test_each_command_gives_a_new_link(store: Store, cast: Cast, who: CastSenders) -> None:
    talk = chat(store, who.manager)
    _, first = link_of(await talk.command("dashboard"))
    _, second = link_of(await talk.say("/dashboard"))
    assert first.url != second.url
    assert await redeem(store, token_of(second.url)) == cast.manager
    assert await redeem(store, token_of(first.url)) == cast.manager


async def test_in_swedish(store: Store, cast: Cast) -> None:
    who = await cast_senders(store, cast, locale="sv")
    message, link = link_of(await chat(store, who.requester).command("dashboard"))
    assert message.title == "Din länk till översikten"
    assert link.label == "Öppna översikten"
    assert "slutar gälla om 10 minuter" in message.text


@pytest.mark.parametrize("platform", ["slack", "teams"])
async def test_elsewhere_the_link_starts_with_the_public_address(
    store: Store, platform: str
) -> None:
    sender, person = await someone_on(store, platform)
    # As configured, or with a trailing slash: one slash between the address and the path.
    talk = Chat(Brain(store, signing_key=KEY, public_url=f"{PUBLIC}/"), sender)
    _, link = link_of(await talk.command("dashboard"))
    assert link.url.startswith(f"{PUBLIC}/dashboard/sign-in?token=v1.")
    assert await redeem(store, token_of(link.url.removeprefix(PUBLIC))) == person


@pytest.mark.parametrize("platform", ["slack", "teams"])
async def test_elsewhere_without_a_public_address_there_is_no_link(
    store: Store, platform: str
) -> None:
    sender, _ = await someone_on(store, platform)
    [reply] = await Chat(Brain(store, signing_key=KEY), sender).command("dashboard")
    assert reply.ephemeral
    assert not [b for b in reply.message.blocks if isinstance(b, Link)]
    assert reply.message.text == (
        "The dashboard is not set up yet: an administrator must set KONTOBOT_PUBLIC_URL to the"
        " address people reach kontobot at."
    )
    assert await issued(store) == []


async def test_the_web_chat_needs_no_public_address(store: Store, who: CastSenders) -> None:
    talk = Chat(Brain(store, signing_key=KEY, public_url=PUBLIC), who.outsider)
    _, link = link_of(await talk.command("dashboard"))
    # Relative: the web chat and the dashboard are the same server, whatever it is called.
    assert link.url.startswith("/dashboard/sign-in?token=")
