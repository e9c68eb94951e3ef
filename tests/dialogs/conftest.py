"""Fixtures the dialog tests share."""

from __future__ import annotations

import pytest

from data.db import Store
from tests.helpers import Cast
from tests.helpers.chat import CastSenders, cast_senders


@pytest.fixture
async def who(store: Store, cast: Cast) -> CastSenders:
    """The cast as senders on the web chat."""
    return await cast_senders(store, cast)
