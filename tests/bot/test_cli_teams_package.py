"""`kontobot teams-package` with the app id as an operator may have typed it."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from bot.cli import main

APP_ID = "11111111-2222-3333-4444-555555555555"


def test_the_manifest_names_the_app_id_as_checked_not_as_typed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Pasted from the Azure portal with spaces around and in capitals: accepted as a GUID,
    # so the manifest must carry the GUID (Teams refuses the padded text).
    monkeypatch.chdir(tmp_path)
    for name in ("MICROSOFT_APP_PASSWORD", "MICROSOFT_APP_TENANT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MICROSOFT_APP_ID", f"  {APP_ID.upper()} ")
    assert main(["teams-package", "--output", "kontobot.zip"]) == 0
    with zipfile.ZipFile(tmp_path / "kontobot.zip") as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["id"] == APP_ID
    [bot] = manifest["bots"]
    assert bot["botId"] == APP_ID
