"""Fixtures for the server side: the web chat in-process on SQLite, and free ports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.helpers.web import WebChat, running_chat


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'kontobot.db'}"


@pytest.fixture
async def chat(sqlite_url: str) -> AsyncIterator[WebChat]:
    """The app with the web chat on, on a new SQLite file, its clock fixed at T0."""
    async with running_chat(sqlite_url) as chat:
        yield chat
