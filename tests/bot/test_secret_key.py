"""bot.secret_key: the key that signs sign-in links comes from outside the database."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from bot import secret_key
from bot.settings import Settings


def settings(tmp_path: Path, key: str | None = None) -> Settings:
    return Settings(
        _env_file=None, secret_key=key, secret_key_file=str(tmp_path / "var" / "secret.key")
    )


def test_without_a_key_one_is_made_on_first_start_readable_by_the_owner_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    key = secret_key.load(settings(tmp_path))
    path = tmp_path / "var" / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) >= 64
    assert path.read_text().strip().encode() == key
    # The next start reads the same key; nothing else was left in the folder.
    assert secret_key.load(settings(tmp_path)) == key
    assert [p.name for p in path.parent.iterdir()] == ["secret.key"]
    # It is said where the key is, never what it is.
    assert str(path) in caplog.text and key.decode() not in caplog.text


def test_each_server_makes_its_own_key(tmp_path: Path) -> None:
    assert secret_key.load(settings(tmp_path / "a")) != secret_key.load(settings(tmp_path / "b"))


def test_the_environment_wins_and_no_file_is_made(tmp_path: Path) -> None:
    given = "k" * 40
    assert secret_key.load(settings(tmp_path, given)) == given.encode()
    assert not (tmp_path / "var").exists()


def test_a_short_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(secret_key.SecretKeyError, match="shorter than 32"):
        secret_key.load(settings(tmp_path, "too-short"))
    path = tmp_path / "var" / "secret.key"
    path.parent.mkdir()
    path.write_text("short\n")
    path.chmod(0o600)
    with pytest.raises(secret_key.SecretKeyError, match="shorter than 32"):
        secret_key.load(settings(tmp_path))


def test_a_key_file_others_can_read_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "var" / "secret.key"
    path.parent.mkdir()
    path.write_text("x" * 50)
    path.chmod(0o644)
    assert secret_key.load(settings(tmp_path)) == b"x" * 50
    assert "chmod 600" in caplog.text
