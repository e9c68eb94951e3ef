"""Fixtures for the Slack front end: the real server, a fake Slack Web API, signed requests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.bot.slack.rig import SlackRig, running


@pytest.fixture
def slack_db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'kontobot.db'}"


@pytest.fixture
async def rig(slack_db: str) -> AsyncIterator[SlackRig]:
    """The server with Slack on, on a new SQLite file, its clock fixed at T0."""
    async with running(slack_db) as rig:
        yield rig
