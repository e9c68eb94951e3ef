"""Settings the dashboard adds: the public address and the trusted proxy header."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.settings import Settings


def settings(**given: str) -> Settings:
    return Settings(_env_file=None, **given)  # type: ignore[arg-type]


def test_public_url_is_kept_without_a_trailing_slash() -> None:
    assert settings(KONTOBOT_PUBLIC_URL="https://kontobot.ki.se/").public_url == (
        "https://kontobot.ki.se"
    )


def test_an_empty_public_url_means_none() -> None:
    assert settings(KONTOBOT_PUBLIC_URL="  ").public_url is None
    assert settings().public_url is None


def test_a_public_url_must_be_http_or_https() -> None:
    with pytest.raises(ValidationError, match="KONTOBOT_PUBLIC_URL"):
        settings(KONTOBOT_PUBLIC_URL="kontobot.ki.se")


def test_the_trusted_header_is_off_unless_set() -> None:
    assert settings().trusted_user_header is None
    assert settings(KONTOBOT_TRUSTED_USER_HEADER="X-Remote-User").trusted_user_header == (
        "X-Remote-User"
    )


def test_the_default_language_is_one_of_ours() -> None:
    assert settings(KONTOBOT_DEFAULT_LOCALE="sv-SE").default_locale == "sv"
    assert settings(KONTOBOT_DEFAULT_LOCALE="en").default_locale == "en"
    with pytest.raises(ValidationError, match="KONTOBOT_DEFAULT_LOCALE"):
        settings(KONTOBOT_DEFAULT_LOCALE="de")


def test_trusted_proxies_are_addresses_or_networks() -> None:
    default = settings()
    assert default.trusted_proxy("127.0.0.1") and default.trusted_proxy("::1")
    assert not default.trusted_proxy("192.0.2.7") and not default.trusted_proxy(None)
    assert default.trusted_proxy("::ffff:127.0.0.1")  # IPv4 on a dual-stack socket
    chosen = settings(KONTOBOT_TRUSTED_PROXIES="10.0.0.0/8, 192.0.2.7")
    assert chosen.trusted_proxy("10.20.30.40") and chosen.trusted_proxy("192.0.2.7")
    assert not chosen.trusted_proxy("127.0.0.1") and not chosen.trusted_proxy("junk")
    with pytest.raises(ValidationError, match="KONTOBOT_TRUSTED_PROXIES"):
        settings(KONTOBOT_TRUSTED_PROXIES="proxy.ki.se")


# Nothing unauthenticated unless asked for: the web chat.


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_the_web_chat_comes_on_by_itself_only_on_a_developers_machine() -> None:
    assert _settings().web_chat_decision("127.0.0.1") == (
        True, "KONTOBOT_WEB_CHAT=auto, no chat platform, no KONTOBOT_PUBLIC_URL, loopback 127.0.0.1"
    )
    assert _settings().web_chat_enabled("::1")
    assert not _settings().web_chat_enabled("0.0.0.0")  # noqa: S104
    # A Slack-only server behind a TLS proxy on loopback: off.
    slack = _settings(slack_bot_token="xoxb-1", slack_signing_secret="s")
    assert slack.web_chat_decision("127.0.0.1") == (
        False, "KONTOBOT_WEB_CHAT=auto and Slack configured"
    )
    assert not _settings(slack_bot_token="xoxb-1", slack_app_token="xapp-1").web_chat_enabled(
        "127.0.0.1"
    )
    assert not _settings(microsoft_app_id="app").web_chat_enabled("127.0.0.1")
    assert not _settings(comms_teams_conversation="19:x").web_chat_enabled("127.0.0.1")
    assert _settings(public_url="https://kontobot.ki.se").web_chat_decision("127.0.0.1") == (
        False, "KONTOBOT_WEB_CHAT=auto and KONTOBOT_PUBLIC_URL set"
    )
    # The dashboard alone, on loopback behind an authenticating proxy: a deployment, off.
    proxied = _settings(trusted_user_header="X-Remote-Email")
    assert proxied.web_chat_decision("127.0.0.1") == (
        False, "KONTOBOT_WEB_CHAT=auto and KONTOBOT_TRUSTED_USER_HEADER set"
    )
    assert proxied.model_copy(update={"web_chat": "on"}).web_chat_enabled("127.0.0.1")
    # Asked for explicitly: as asked.
    assert slack.model_copy(update={"web_chat": "on"}).web_chat_decision("0.0.0.0") == (  # noqa: S104
        True, "KONTOBOT_WEB_CHAT=on"
    )
    assert not _settings(web_chat="off").web_chat_enabled("127.0.0.1")


def test_the_teams_emulator_is_off_unless_asked_for() -> None:
    assert _settings().teams_emulator == "off"
    assert _settings(teams_emulator="on").teams_emulator == "on"
