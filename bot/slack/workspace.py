"""Which Slack workspace (or Enterprise Grid organisation) a request comes from, and whether
it is ours.

Slack signs every request it sends our app, whoever caused it: in a channel shared with
another organisation (Slack Connect), its people can type our slash commands, click our
buttons, search our people pickers and write where the bot reads. Without this check they
would be taken as KI staff, each as the colleague with their e-mail address (data.people
links identities by address). Teams has the same guard (bot/teams/tenant.py).

Ours is what our bot token says it belongs to (`auth.test`, which bolt asks once): a
workspace, and the Grid organisation it is part of, if any. A request is taken only when
every workspace and organisation it names, for the person acting and for where they act, is
ours. One that names another, or none, is refused before anything runs. In a Grid
organisation that means our workspace's people alone: Slack names a person's home workspace
on their clicks, and another workspace of the organisation cannot be told from a stranger's
without asking Slack about each person.

The same goes for what Slack says of a person (`member`): a Slack Connect user's profile
carries whatever e-mail address their own organisation's admins gave them, a KI colleague's
included, so only our own people's addresses may link them to a KI person (bot/slack/people).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient


@dataclass(frozen=True)
class Workspace:
    team_id: str | None
    enterprise_id: str | None = None


class Ours:
    """Our workspace as `auth.test` names it for our token, asked once per process (bolt
    asks too, for its requests; a turn process takes none, yet looks people up). A failure
    is not remembered: it raises, and the next call asks again."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._known: Workspace | None = None
        self._asking = asyncio.Lock()

    async def get(self) -> Workspace:
        async with self._asking:
            if self._known is None:
                response = await self.client.auth_test()
                self._known = Workspace(
                    _id(response.get("team_id")), _id(response.get("enterprise_id"))
                )
            return self._known


def member(user: Mapping[str, Any], ours: Workspace) -> bool:
    """Whether `user` (as `users.info` or `users.lookupByEmail` describe them) is one of our
    own people, whose Slack e-mail address is theirs at KI: a full member of our workspace,
    or of our Grid organisation, not a guest (`is_restricted`, `is_ultra_restricted`: their
    address is whatever their invitation said), not a stranger (`is_stranger`), not a bot."""
    if any(user.get(flag) for flag in (
        "is_bot", "is_stranger", "is_restricted", "is_ultra_restricted",
    )):
        return False
    grid = user.get("enterprise_user")
    organisation = _id(grid.get("enterprise_id")) if isinstance(grid, Mapping) else None
    if ours.enterprise_id is not None and organisation == ours.enterprise_id:
        return True
    team = _id(user.get("team_id"))
    return team is not None and team in (ours.team_id, ours.enterprise_id)


def _id(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if isinstance(value, str) and value else None


def named(body: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The workspace ids (T…) and organisation ids (E…) the request names, wherever Slack
    puts them for a slash command, an event, a click, a form or a people search. The
    installation's own (`authorizations`) is left out: it names us, not who acted."""
    found: list[str | None] = [
        _id(body.get("team_id")),
        _id(body.get("team")),
        _id(body.get("enterprise_id")),
        _id(body.get("enterprise")),
        _id(body.get("user_team")),
    ]
    for part in ("team", "user", "view", "event"):
        inner = body.get(part)
        if isinstance(inner, dict):
            found += [_id(inner.get(k)) for k in (
                "team_id", "enterprise_id", "user_team", "source_team", "app_installed_team_id",
            )]
    event = body.get("event")
    if isinstance(event, dict):
        found.append(_id(event.get("team")))
    ids = {i for i in found if i is not None}
    return {i for i in ids if not i.startswith("E")}, {i for i in ids if i.startswith("E")}


def from_ours(body: dict[str, Any], ours: Workspace) -> bool:
    """Whether the request is of our workspace alone (of an organisation or not). An
    organisation-wide installation (a token of no one workspace) is not one we support (the
    manifest does not enable it): a click names the installation's organisation, not that of
    the person acting, so nothing here could tell its people from a shared channel's."""
    if ours.team_id is None:
        return False
    teams, enterprises = named(body)
    return teams == {ours.team_id} and enterprises <= {ours.enterprise_id}
