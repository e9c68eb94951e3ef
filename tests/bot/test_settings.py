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
