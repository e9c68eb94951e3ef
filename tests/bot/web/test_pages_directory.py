"""The dashboard's account page shows why a manager other than the directory's approved it,
escaped like everything people typed; an account without such a reason shows nothing of it."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from data import directory
from tests.bot.web.conftest import Browser, World, sign_in, text_of
from tests.helpers import T0
from tests.helpers.accounts import register

REASON = "<b>Dan</b> is on leave; Filip approves."


@pytest.fixture
async def comms(client: TestClient[Any, Any], world: World) -> Browser:
    return await sign_in(client, world, world.eva)


async def test_the_account_page_shows_the_reason_for_another_manager(
    world: World, comms: Browser
) -> None:
    async with world.store.transaction() as session:
        await directory.import_csv(
            session,
            "email,name,unit,manager_email\n"
            "dan@ki.example,Dan Holm,Department of Neuroscience,\n"
            "cia@ki.example,Cia Lund,Department of Neuroscience,dan@ki.example\n",
            now=T0,
        )
    account = await register(
        world.store, requester=world.cia, team=(world.bo,), manager=world.filip, now=T0,
        handle="ki_neuro_two", manager_reason=REASON,
    )
    assert account.manager_reason == REASON
    body = await comms.page(f"/dashboard/accounts/{account.number}")
    assert f"Why another manager {REASON}" in text_of(body)
    assert "<b>Dan" not in body
    other = await comms.page("/dashboard/accounts/SOME-2027-0001")
    assert "Why another manager" not in text_of(other)
