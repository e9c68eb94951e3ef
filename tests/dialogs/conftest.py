"""Fixtures the dialog tests share."""

from __future__ import annotations

import pytest

from bot.web.channel import WebChannel
from data.db import Store
from dialogs import chat_platforms
from tests.helpers import Cast
from tests.helpers.chat import CastSenders, cast_senders


@pytest.fixture
async def who(store: Store, cast: Cast) -> CastSenders:
    """The cast as senders on the web chat."""
    return await cast_senders(store, cast)


@pytest.fixture(autouse=True)
def web_chat_described() -> None:
    """The dialog tests speak as people on the web chat: the platform is described as its
    adapter describes itself when it registers with the hub (a served page, so links are
    paths)."""
    chat_platforms.describe(WebChannel.name, WebChannel.label, same_origin=WebChannel.same_origin)
