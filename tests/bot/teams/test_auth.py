"""Teams authentication end to end, against a fake Microsoft identity platform
(tests/helpers/fake_identity.py) and the fake Bot Connector.

The bot has an app id, a password and a tenant; botbuilder is told (bot.teams.AUTH_CONFIG) to
trust the fake's OpenID metadata and issuer, and to get its own tokens from the fake's login
authority. A token signed for our app id is accepted and the turn runs, and the bot's replies
to the Bot Connector carry the bearer token the fake's token endpoint issued to it; a token for
another audience, from another issuer, expired, or signed with a key the metadata does not
publish gets 401; an activity from another tenant gets 403, and nothing runs for either.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.teams import MODE
from data.models import ChatIdentity, InboxEvent, Outbox, Person
from tests.bot.teams.rig import ANNA, TENANT, TeamsRig, running_teams
from tests.helpers import count
from tests.helpers.fake_identity import OAUTH_SCOPE, FakeIdentity, new_key

APP_ID = "11111111-2222-3333-4444-555555555555"
PASSWORD = "the-bots-client-secret"
TRUSTED = new_key()
UNPUBLISHED = new_key()


@pytest.fixture
def identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeIdentity]:
    fake = FakeIdentity(tmp_path, keys={"trusted": TRUSTED})
    fake.start()
    # requests (botbuilder's and MSAL's HTTP client) trusts the fake's certificate.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fake.ca_bundle))
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
async def rig(sqlite_url: str, identity: FakeIdentity) -> AsyncIterator[TeamsRig]:
    async with running_teams(
        sqlite_url,
        auth_config=identity.auth_config(),
        microsoft_app_id=APP_ID,
        microsoft_app_password=PASSWORD,
        microsoft_app_tenant_id=TENANT,
        teams_emulator="off",
        director_teams_id=None,
        comms_teams_members=[],
    ) as rig:
        assert rig.app[MODE] == "authenticated"
        yield rig


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def nothing_ran(rig: TeamsRig) -> None:
    assert await count(rig.store, Person) == 0
    assert await count(rig.store, ChatIdentity) == 0
    assert await count(rig.store, InboxEvent) == 0
    assert await count(rig.store, Outbox) == 0
    assert rig.fake.calls == []


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
