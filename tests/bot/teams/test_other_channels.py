"""Activities of another channel of the same Azure Bot (Web Chat, Direct Line...) are not Teams'.

Microsoft's signing keys are endorsed for every channel (so are the fake identity platform's),
so such an activity carries a token as valid as Teams', but its body is what its client wrote:
`channelData.tenant` and `from.aadObjectId` too. With an app id, one is refused with 403
before anything is stored or learnt; without (the emulator mode, where the Bot Framework
Emulator's activities are `emulator`'s), it is taken, but the service URL and bot id the bot
shares among everyone are learnt from Teams' activities alone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import col, select

from bot.keys import CHANNELS
from bot.teams.translate import PLATFORM
from data.models import ChatIdentity, InboxEvent, Outbox
from dialogs.messages import Message
from tests.bot.teams.authenticated import APP_ID, authenticated_teams, bearer
from tests.bot.teams.rig import ANNA, BOT, COMMS, FILIP, TENANT, TeamsRig, TeamsUser
from tests.helpers import count
from tests.helpers.fake_connector import FakeConnector
from tests.helpers.fake_identity import FakeIdentity


@pytest.fixture
async def elsewhere() -> AsyncIterator[FakeConnector]:
    """Where another channel's activities ask the bot to answer."""
    fake = FakeConnector()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


def written_by_a_client(
    rig: TeamsRig, user: TeamsUser, kind: str, channel: str | None, service_url: str,
    **fields: Any,
) -> dict[str, Any]:
    """An activity of `channel` whose client names `user` and KI's tenant."""
    activity = rig.activity(
        user,
        kind,
        serviceUrl=service_url,
        conversation={"id": "dl-conversation"},
        recipient={"id": "another-bot-handle"},
        **fields,
    )
    activity["from"] = {"id": "dl-user", "name": user.name, "aadObjectId": user.aad}
    activity["channelData"] = {"tenant": {"id": TENANT}}
    if channel is None:
        del activity["channelId"]
    else:
        activity["channelId"] = channel
    return activity


async def address_of(rig: TeamsRig, user: TeamsUser) -> dict[str, Any]:
    async with rig.store.transaction() as session:
        identity = (
            await session.exec(
                select(ChatIdentity).where(col(ChatIdentity.external_id) == user.aad)
            )
        ).one()
    return dict(identity.address)


@pytest.mark.parametrize("channel", ["directline", "webchat", "emulator", None])
async def test_another_channels_activity_with_a_valid_token_is_refused_and_changes_nothing(
    sqlite_url: str, identity: FakeIdentity, elsewhere: FakeConnector, channel: str | None
) -> None:
    async with authenticated_teams(sqlite_url, identity) as rig:
        # Anna writes in Teams: the bot knows where to reach her.
        token = identity.channel_token("trusted", audience=APP_ID, service_url=rig.fake.url)
        await rig.send(rig.activity(ANNA, "message", text="help"), headers=bearer(token))
        before = (
            await address_of(rig, ANNA),
            await count(rig.store, InboxEvent),
            await count(rig.store, Outbox),
        )
        # A token the Bot Framework signed for the other channel's service URL.
        theirs = bearer(
            identity.channel_token("trusted", audience=APP_ID, service_url=elsewhere.url)
        )
        for kind, fields in (
            ("message", {"text": "dashboard"}),
            ("invoke", {"name": "adaptiveCard/action",
                        "value": {"action": {"type": "Action.Execute", "verb": "cmd:dashboard",
                                             "data": {}}}}),
            ("conversationUpdate", {"membersAdded": [{"id": "dl-user"}]}),
        ):
            activity = written_by_a_client(rig, ANNA, kind, channel, elsewhere.url, **fields)
            await rig.send(activity, expect=403, headers=theirs)
        after = (
            await address_of(rig, ANNA),
            await count(rig.store, InboxEvent),
            await count(rig.store, Outbox),
        )
        assert after == before
        # Nothing was learnt from them: a channel post goes to Teams, as the bot.
        await rig.app[CHANNELS][PLATFORM].post("comms", Message(text="New account"))
        [posted] = rig.fake.in_conversation(COMMS)
        assert posted.activity["from"]["id"] == f"28:{APP_ID}"
        assert elsewhere.calls == []


async def test_the_emulator_mode_takes_other_channels_but_learns_from_teams_alone(
    teams: TeamsRig, elsewhere: FakeConnector
) -> None:
    await teams.install(ANNA)
    # The Bot Framework Emulator's activities are `emulator`'s; on loopback they are taken.
    said = written_by_a_client(teams, FILIP, "message", "emulator", elsewhere.url, text="help")
    await teams.send(said)
    assert await address_of(teams, FILIP) != {}
    # ...but the service URL and the bot id Teams posts go with are still Teams'.
    await teams.app[CHANNELS][PLATFORM].post("comms", Message(text="New account"))
    [posted] = teams.fake.in_conversation(COMMS)
    assert posted.activity["from"]["id"] == BOT
    assert [c for c in elsewhere.calls if COMMS in c.path] == []
