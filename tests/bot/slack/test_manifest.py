"""The app manifest: every command the bot has is in it, none in it is dead, only the scopes
the bot uses, and every request URL is the one route the server mounts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

import bot.slack
from bot.slack.bot import SLASH_COMMANDS
from dialogs.router import ALL_COMMANDS, COMMANDS
from dialogs.words import WORDS
from tests.bot.slack.rig import ANNA, SlackRig

MANIFEST = Path(bot.slack.__file__).parent / "manifest.yml"


def manifest() -> dict[str, Any]:
    loaded = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_the_manifest_has_every_command_of_the_brain_and_no_other() -> None:
    commands = {c["command"] for c in manifest()["features"]["slash_commands"]}
    assert commands == {f"/{name}" for name in ALL_COMMANDS if name != "help"}
    # Beyond Teams' ten-command menu, the moderation log is a slash command too.
    assert {"/removed", "/consent", "/casework", "/accessible"} <= commands and set(COMMANDS) < set(
        ALL_COMMANDS
    )
    assert commands == {f"/{name}" for name in SLASH_COMMANDS}
    # `help` is a word typed in the direct chat instead.
    assert "help" in COMMANDS and "help" in WORDS["help"]


def test_the_manifest_asks_for_no_more_than_the_bot_uses() -> None:
    found = manifest()
    assert set(found["oauth_config"]["scopes"]["bot"]) == {
        "chat:write",
        "commands",
        "im:history",
        "im:write",
        "users:read",
        "users:read.email",
    }
    assert "user" not in found["oauth_config"]["scopes"]
    assert set(found["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "message.im",
    }
    assert found["features"]["app_home"]["home_tab_enabled"] is True


def test_every_request_url_is_the_events_route() -> None:
    found = manifest()
    urls = [c["url"] for c in found["features"]["slash_commands"]]
    urls.append(found["settings"]["event_subscriptions"]["request_url"])
    urls.append(found["settings"]["interactivity"]["request_url"])
    # The hand-over picker's people search: without it Slack never asks, and it stays empty.
    urls.append(found["settings"]["interactivity"]["options_load_url"])
    assert all(url.endswith(bot.slack.ROUTE) for url in urls)
    assert found["settings"]["interactivity"]["is_enabled"] is True


async def test_no_command_in_the_manifest_is_dead(rig: SlackRig) -> None:
    for index, entry in enumerate(manifest()["features"]["slash_commands"]):
        response = await rig.command(ANNA.id, entry["command"].lstrip("/"))
        assert response.status == 200, entry
        # In the direct chat, or (a sign-in link, a refusal) shown to Anna alone.
        await rig.fake.wait_for(
            lambda index=index: (
                len(rig.fake.dm(ANNA.id)) + len(rig.fake.ephemeral(ANNA.id)) > index
            ),
            10.0,
            f"an answer to {entry['command']}",
        )
