"""`kontobot teams-package`: the zip a Teams administrator uploads."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from bot.cli import main
from dialogs.help import DESCRIPTIONS
from dialogs.i18n import Translator
from dialogs.router import COMMANDS

APP_ID = "11111111-2222-3333-4444-555555555555"


def png_size_and_type(data: bytes) -> tuple[int, int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, tag = struct.unpack(">I4s", data[8:16])
    assert tag == b"IHDR" and length == 13
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert depth == 8
    (crc,) = struct.unpack(">I", data[29:33])
    assert crc == zlib.crc32(data[12:29]) & 0xFFFFFFFF
    return width, height, colour


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD", "MICROSOFT_APP_TENANT_ID"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_the_package_names_the_bot_and_every_command(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MICROSOFT_APP_ID", APP_ID)
    assert main(["teams-package", "--output", "out/kontobot.zip"]) == 0
    with zipfile.ZipFile(env / "out" / "kontobot.zip") as archive:
        assert sorted(archive.namelist()) == [
            "color.png",
            "manifest.json",
            "outline.png",
            "sv.json",
        ]
        manifest = json.loads(archive.read("manifest.json"))
        swedish = json.loads(archive.read("sv.json"))
        color = archive.read("color.png")
        outline = archive.read("outline.png")
    assert manifest["manifestVersion"] == "1.17"
    assert manifest["id"] == APP_ID
    [bot] = manifest["bots"]
    assert bot["botId"] == APP_ID and "personal" in bot["scopes"]
    [menu] = bot["commandLists"]
    assert [c["title"] for c in menu["commands"]] == list(COMMANDS)
    assert set(COMMANDS) == {
        "open-account", "accounts", "duty", "away", "question", "major-change", "close-account",
        "team", "dashboard", "help",
    }
    # Teams takes at most ten commands in a menu.
    assert len(menu["commands"]) <= 10
    assert all(0 < len(c["description"]) <= 128 for c in menu["commands"])
    # In Swedish too, before the package cuts a longer one off mid-word.
    swedish_menu = [Translator("sv")(DESCRIPTIONS[c]) for c in COMMANDS]
    too_long = [d for d in swedish_menu if len(d) > 128]
    assert not too_long
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert len(manifest["description"]["short"]) <= 80
    sv = Translator("sv")
    assert swedish["bots[0].commandLists[0].commands[0].description"] == sv(
        "Request a new social-media account in KI's name."
    )
    assert png_size_and_type(color) == (192, 192, 2)
    assert png_size_and_type(outline) == (32, 32, 6)


def test_the_same_input_builds_the_same_package(env: Path) -> None:
    assert main(["teams-package", "--app-id", APP_ID, "--output", "a.zip"]) == 0
    assert main(["teams-package", "--app-id", APP_ID, "--output", "b.zip"]) == 0
    assert (env / "a.zip").read_bytes() == (env / "b.zip").read_bytes()


def test_without_an_app_id_there_is_no_package(env: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert main(["teams-package"]) == 1
    assert "MICROSOFT_APP_ID" in caplog.text
    assert not (env / "kontobot-teams.zip").exists()


def test_an_app_id_that_is_no_guid_makes_no_package(
    env: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Teams refuses a manifest whose `id` and `botId` are not GUIDs: none is made."""
    with pytest.raises(SystemExit) as usage:
        main(["teams-package", "--app-id", 'x"y', "--output", "a.zip"])
    assert usage.value.code == 2
    assert "not a Microsoft app id" in capsys.readouterr().err
    monkeypatch.setenv("MICROSOFT_APP_ID", "not-a-guid")
    assert main(["teams-package", "--output", "a.zip"]) == 1
    assert "MICROSOFT_APP_ID is not a Microsoft app id" in caplog.text
    assert not (env / "a.zip").exists()
