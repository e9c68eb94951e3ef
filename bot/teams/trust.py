"""What an authenticated activity must be besides signed: from Teams, with a channel's token.

botbuilder's check (bot.teams.server) proves that the Bot Framework signed the token, not that
Teams sent the activity. Microsoft's signing keys are endorsed for every channel of an Azure Bot,
so a Web Chat or Direct Line conversation with the same bot carries a token as valid as Teams',
on a body its client wrote: `channelData.tenant` and `from.aadObjectId` included. Only
`msteams` activities are taken (`from_teams`).

botbuilder also takes tokens the Bot Framework Emulator path accepts: any token Azure AD issued
to our app id (its `appid`), with no audience and no service URL checked. Only the channel's
tokens are taken (`channel_token`): the issuer is the Bot Framework channel service's, and the
token names the service URL the activity asks the bot to answer at.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The Bot Framework's channel id for Microsoft Teams.
CHANNEL_ID = "msteams"


def from_teams(raw: Mapping[str, Any]) -> bool:
    return raw.get("channelId") == CHANNEL_ID


def channel_token(claims: Mapping[str, Any], *, issuer: str, service_url: str | None) -> bool:
    """True when `claims` (of a token botbuilder accepted) are the channel service's, for
    `service_url`."""
    return (
        bool(issuer)
        and claims.get("iss") == issuer
        and bool(service_url)
        and claims.get("serviceurl") == service_url
    )
