"""Teams authentication end to end, against a fake Microsoft identity platform
(tests/helpers/fake_identity.py) and the fake Bot Connector.

The bot has an app id, a password and a tenant; botbuilder is told (bot.teams.AUTH_CONFIG) to
trust the fake's OpenID metadata and issuer, and to get its own tokens from the fake's login
authority. A token signed for our app id is accepted and the turn runs, and the bot's replies
to the Bot Connector carry the bearer token the fake's token endpoint issued to it; a token for
another audience, from another issuer, expired, or signed with a key the metadata does not
publish gets 401, as does a token Azure AD issued to our app id that botbuilder takes for the
Bot Framework Emulator's; an activity from another tenant gets 403, and nothing runs for
either. The bot's id in Teams is its app id's, whatever an activity names.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.keys import CHANNELS
from bot.teams.server import channel_issuer
from bot.teams.translate import PLATFORM
from data.models import ChatIdentity
from dialogs.channel import Address
from dialogs.messages import Message
from tests.bot.teams.authenticated import (
    APP_ID,
    PASSWORD,
    authenticated_teams,
    bearer,
    nothing_ran,
)
from tests.bot.teams.rig import ANNA, BJORN, TeamsRig
from tests.helpers import count
from tests.helpers.fake_identity import OAUTH_SCOPE, FakeIdentity, new_key

UNPUBLISHED = new_key()


@pytest.fixture
async def rig(sqlite_url: str, identity: FakeIdentity) -> AsyncIterator[TeamsRig]:
    async with authenticated_teams(sqlite_url, identity) as rig:
        yield rig


async def test_a_token_signed_for_our_app_runs_the_turn_and_replies_carry_our_token(
    rig: TeamsRig, identity: FakeIdentity
) -> None:
    token = identity.channel_token("trusted", audience=APP_ID, service_url=rig.fake.url)
    await rig.send(rig.activity(ANNA, "message", text="help"), headers=bearer(token))
    # The turn ran: Anna is known, and the bot answered her in her chat.
    assert await count(rig.store, ChatIdentity, ChatIdentity.external_id == ANNA.aad) == 1
    reply = await rig.fake.wait_for(
        lambda: next((c for c in rig.fake.calls if c.method == "POST"), None), "a reply"
    )
    assert reply.path == f"/v3/conversations/{ANNA.conversation}/activities"
    # ...with the token the identity platform issued to the bot for its app id and secret.
    [issued] = identity.token_requests
    assert (issued.grant_type, issued.client_id, issued.client_secret) == (
        "client_credentials", APP_ID, PASSWORD
    )
    assert issued.scope.split()[0] == f"{OAUTH_SCOPE}/.default"
    assert all(c.authorization == f"Bearer {issued.access_token}" for c in rig.fake.calls)


@pytest.mark.parametrize(
    ("case", "token_of"),
    [
        ("wrong audience", lambda i, url: i.channel_token("trusted", audience="another-bot",
                                                          service_url=url)),
        ("wrong issuer", lambda i, url: i.channel_token("trusted", audience=APP_ID,
                                                        service_url=url,
                                                        issuer="https://evil.example")),
        ("expired", lambda i, url: i.channel_token("trusted", audience=APP_ID, service_url=url,
                                                   lifetime=-3600)),
        ("unknown key id", lambda i, url: i.channel_token("unknown", audience=APP_ID,
                                                          service_url=url, key=UNPUBLISHED)),
        ("published key id, other key", lambda i, url: i.channel_token(
            "trusted", audience=APP_ID, service_url=url, key=UNPUBLISHED)),
        ("no token", lambda i, url: None),
    ],
)
async def test_a_token_that_is_not_for_us_is_refused(
    rig: TeamsRig, identity: FakeIdentity, case: str, token_of: Any
) -> None:
    token = token_of(identity, rig.fake.url)
    headers = bearer(token) if token else {}
    for activity in (
        rig.activity(ANNA, "message", text="open account"),
        rig.activity(ANNA, "invoke", name="adaptiveCard/action", value={"action": {}}),
    ):
        await rig.send(activity, expect=401, headers=headers)
    await nothing_ran(rig)
    assert identity.token_requests == []


@pytest.mark.parametrize(
    "where",
    ["channelData", "conversation", "both", "neither"],
)
async def test_an_activity_from_another_tenant_is_refused(
    rig: TeamsRig, identity: FakeIdentity, where: str
) -> None:
    token = identity.channel_token("trusted", audience=APP_ID, service_url=rig.fake.url)
    activity = rig.activity(ANNA, "message", text="help")
    if where in ("channelData", "both"):
        activity["channelData"] = {"tenant": {"id": "another-tenant"}}
    if where in ("conversation", "both"):
        activity["conversation"]["tenantId"] = "another-tenant"
    if where == "neither":
        del activity["channelData"]
        del activity["conversation"]["tenantId"]
    await rig.send(activity, expect=403, headers=bearer(token))
    await nothing_ran(rig)


# The audience of the tokens Azure AD issues for calling the Bot Connector: the bot's own, sent
# with every call it makes to a service URL.
BOT_CONNECTOR = "https://api.botframework.com"


@pytest.mark.parametrize(
    ("version", "audience", "service_url_claimed"),
    [
        pytest.param("1.0", BOT_CONNECTOR, False, id="v1-for-the-bot-connector"),
        pytest.param("1.0", APP_ID, False, id="v1-for-our-app"),
        pytest.param("2.0", APP_ID, False, id="v2-for-our-app"),
        pytest.param("1.0", BOT_CONNECTOR, True, id="v1-naming-the-service-url"),
    ],
)
async def test_a_token_azure_ad_issued_to_our_app_is_not_the_channels(
    rig: TeamsRig, identity: FakeIdentity, version: str, audience: str,
    service_url_claimed: bool,
) -> None:
    """botbuilder takes such a token as the Bot Framework Emulator's, checking only whose app
    it was issued to: the bot's own token for the Bot Connector, caught by whatever answers at
    a service URL, would let its holder write as anyone. Only the channel service's are taken."""
    claims = {"serviceurl": rig.fake.url} if service_url_claimed else {}
    token = identity.emulator_token(
        "trusted", app_id=APP_ID, audience=audience, version=version, **claims
    )
    for activity in (
        rig.activity(ANNA, "message", text="help"),
        rig.activity(ANNA, "invoke", name="adaptiveCard/action",
                     value={"action": {"type": "Action.Execute", "verb": "cmd:help", "data": {}}}),
        rig.activity(ANNA, "conversationUpdate", membersAdded=[{"id": ANNA.user_id}]),
    ):
        await rig.send(activity, expect=401, headers=bearer(token))
    await nothing_ran(rig)


@pytest.mark.parametrize(
    ("config", "issuer"),
    [
        ({}, "https://api.botframework.com"),
        ({"CHANNEL_SERVICE": "https://botframework.azure.us"}, "https://api.botframework.us"),
        ({"TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": "https://api.botframework.test"},
         "https://api.botframework.test"),
    ],
)
def test_the_channel_issuer_is_the_clouds_botbuilder_is_configured_for(
    config: dict[str, str], issuer: str
) -> None:
    # Without AUTH_CONFIG (the public cloud), the tokens Teams' activities carry are issued by
    # https://api.botframework.com: the one issuer taken (bot.teams.trust).
    assert channel_issuer(config) == issuer


async def test_the_bots_id_is_its_app_ids_whatever_an_activity_names(
    rig: TeamsRig, identity: FakeIdentity
) -> None:
    """The bot's Teams id is `28:` and its app id; an activity's `recipient.id` is what its
    sender wrote there, and is not taken for the bot's id in messages or in chats it opens."""
    token = identity.channel_token("trusted", audience=APP_ID, service_url=rig.fake.url)
    said = rig.activity(ANNA, "message", text="help", recipient={"id": "28:someone-else"})
    await rig.send(said, headers=bearer(token))
    reply = await rig.fake.wait_for(
        lambda: next((c for c in rig.fake.calls if c.method == "POST"), None), "a reply"
    )
    assert reply.body["from"]["id"] == f"28:{APP_ID}"
    # A chat with someone the bot has never spoken with.
    await rig.app[CHANNELS][PLATFORM].send(
        Address(PLATFORM, BJORN.aad, {"user_id": BJORN.user_id}), Message(text="Hello")
    )
    [opened] = [c for c in rig.fake.calls if c.path == "/v3/conversations"]
    assert opened.body["bot"]["id"] == f"28:{APP_ID}"
    [hello] = [p for p in rig.fake.messages if p.activity.get("summary") == "Hello"]
    assert hello.activity["from"]["id"] == f"28:{APP_ID}"
