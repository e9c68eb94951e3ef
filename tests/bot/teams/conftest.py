"""Fixtures for Teams: the real server in emulator mode and a fake Bot Connector; for the tests
of tokens, a fake Microsoft identity platform."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.bot.teams.authenticated import identity_platform
from tests.bot.teams.rig import TeamsRig, running_teams
from tests.helpers.fake_identity import FakeIdentity


@pytest.fixture
async def teams(sqlite_url: str) -> AsyncIterator[TeamsRig]:
    """Teams on a new SQLite file, English by default, its clock fixed at T0."""
    async with running_teams(sqlite_url) as rig:
        yield rig


@pytest.fixture
def identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeIdentity]:
    """The fake identity platform, its one key (`authenticated.TRUSTED`) endorsed for every
    channel, as Microsoft's are."""
    with identity_platform(tmp_path, monkeypatch) as fake:
        yield fake
