"""Fixtures for Teams: the real server in emulator mode and a fake Bot Connector."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.bot.teams.rig import TeamsRig, running_teams


@pytest.fixture
async def teams(sqlite_url: str) -> AsyncIterator[TeamsRig]:
    """Teams on a new SQLite file, English by default, its clock fixed at T0."""
    async with running_teams(sqlite_url) as rig:
        yield rig
