"""Slack is on with a full set of settings, off without any, and the bot refuses to start
with half of them. Socket Mode is chosen when an app-level token is given."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

import bot.slack
from bot.app import create_app
from bot.settings import Settings
from bot.slack import MODE, SlackSettingsError, mode
from data import people
from tests.bot.slack.rig import DAVID, GRETA, running
from tests.helpers.fake_slack import FakeSlack


def settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'k.db'}", **values)


@pytest.mark.parametrize(
    ("values", "missing"),
    [
        ({"slack_bot_token": "xoxb-secret-111"}, "SLACK_SIGNING_SECRET is missing"),
        ({"slack_signing_secret": "sig-secret-222"}, "SLACK_BOT_TOKEN is missing"),
        ({"slack_app_token": "xapp-secret-333"}, "SLACK_BOT_TOKEN is missing"),
        ({"slack_bot_token": "xoxb-secret-111", "slack_app_token": "xoxb-secret-444"}, "xapp-"),
    ],
)
def test_half_the_settings_refuse_to_start_and_say_what_is_missing(
    tmp_path: Path, values: dict[str, Any], missing: str
) -> None:
    with pytest.raises(SlackSettingsError, match=missing) as raised:
        create_app(settings(tmp_path, **values), web_chat_enabled=False)
    # The message names settings, never their values.
    for secret in values.values():
        assert secret not in str(raised.value)


def test_the_command_line_reports_it_and_exits_with_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from bot import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KONTOBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'k.db'}")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret-111")
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    assert cli.main(["serve", "--port", "0"]) == 1
    assert "SLACK_SIGNING_SECRET is missing" in caplog.text
    assert "xoxb-secret-111" not in caplog.text


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, "off"),
        ({"slack_bot_token": "", "slack_signing_secret": ""}, "off"),
        ({"slack_bot_token": "xoxb-1", "slack_signing_secret": "s"}, "http"),
        ({"slack_bot_token": "xoxb-1", "slack_app_token": "xapp-1"}, "socket"),
        (
            {"slack_bot_token": "xoxb-1", "slack_signing_secret": "s", "slack_app_token": "xapp-1"},
            "socket",
        ),
    ],
)
def test_the_mode_follows_the_settings(
    tmp_path: Path, values: dict[str, Any], expected: str
) -> None:
    assert mode(settings(tmp_path, **values)) == expected


async def test_without_slack_settings_there_is_no_slack_route(tmp_path: Path) -> None:
    app = create_app(settings(tmp_path), web_chat_enabled=False)
    assert app[MODE] == "off"
    async with TestClient(TestServer(app)) as client:
        response = await client.post(bot.slack.ROUTE, data=b"{}")
        assert response.status in (404, 405)
        assert (await client.get("/healthz")).status == 200


async def test_socket_mode_uses_the_socket_handler_and_no_route(tmp_path: Path) -> None:
    app = create_app(
        settings(tmp_path, slack_bot_token="xoxb-1", slack_app_token="xapp-1"),
        web_chat_enabled=False,
    )
    assert app[MODE] == "socket"
    assert not [
        r for r in app.router.routes() if r.resource and r.resource.canonical == bot.slack.ROUTE
    ]


async def test_socket_mode_takes_a_slash_command_over_the_socket(tmp_path: Path) -> None:
    """Started for real against the fake: the handler opens the connection with the app-level
    token, acknowledges an envelope, and the turn answers with the bot token."""
    fake = FakeSlack(token="xoxb-1", app_token="xapp-1")
    fake.add_user("UANNA", "Anna Andersson", email="anna@ki.se")
    await fake.start()
    try:
        app = create_app(
            settings(
                tmp_path,
                slack_bot_token="xoxb-1",
                slack_app_token="xapp-1",
                slack_api_url=fake.url,
            ),
            web_chat_enabled=False,
        )
        async with TestClient(TestServer(app)):
            await fake.wait_for(lambda: fake.socket_connected, 10, "a Socket Mode connection")
            [opened] = fake.calls_of("apps.connections.open")
            assert opened.token == "xapp-1"
            envelope = await fake.send_envelope(
                "slash_commands",
                {
                    "command": "/open-account",
                    "text": "",
                    "user_id": "UANNA",
                    "channel_id": "CGENERAL",
                    "team_id": "TKI",
                    "trigger_id": "trigger.socket",
                    "api_app_id": "AKONTOBOT",
                },
            )
            await fake.wait_for(lambda: envelope in fake.socket_acks, 10, "the ack")
            await fake.wait_for(lambda: fake.dm("UANNA"), 10, "the first question")
        assert all(c.token == "xoxb-1" for c in fake.calls if c.method != "apps.connections.open")
    finally:
        await fake.stop()


async def test_the_deputy_director_holds_the_director_role_too(tmp_path: Path) -> None:
    async with running(
        f"sqlite:///{tmp_path / 'k.db'}", deputy_director_slack_id=GRETA.id
    ) as rig, rig.store.transaction() as session:
        directors = await people.people_with_role(session, "director")
        # Known by their Slack profiles, e-mail and all.
        assert sorted((p.display_name, p.email) for p in directors) == [
            (DAVID.name, DAVID.email), (GRETA.name, GRETA.email)
        ]
