"""Lines typed in Teams stay lines: a purpose written over three lines, sent by Teams as the
text typed or as HTML, is stored with its line breaks and shown with them on the manager's
card, as on Slack and in the web chat. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Literal

import pytest

from data.models import AccountRequest
from tests.bot.teams.rig import ANNA, CECILIA, running_teams, texts
from tests.bot.teams.test_journey import request_account
from tests.helpers import load

PURPOSE = (
    "Line one of the purpose.\nLine two: *not bold* <b>x</b> [link](https://evil.example)\n- item"
)


@pytest.mark.parametrize("typed_as", ["plain", "html"])
async def test_a_purpose_typed_over_three_lines_keeps_them(
    database_url: str, typed_as: Literal["plain", "html"]
) -> None:
    async with running_teams(database_url) as rig:
        rig.typed_as = typed_as
        for user in (ANNA, CECILIA):
            await rig.install(user)
        # Every answer typed (the account's name, its unit, ...) goes the same way.
        summary = await request_account(rig, ANNA, "en", purpose=PURPOSE)
        assert PURPOSE in texts(summary)
        [request] = await load(rig.store, AccountRequest)
        assert request.purpose == PURPOSE
        assert request.handle == "ki_neuro_demo"
        card = (await rig.wait_card(CECILIA, "approval:approve", "the manager's card")).card
        assert PURPOSE in texts(card)
