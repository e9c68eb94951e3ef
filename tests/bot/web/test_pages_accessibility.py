"""Accessible posts on the dashboard: each account's page lists its accessibility checks (what
was still to fix, what was fixed, what did not apply; typed text escaped), each viewer only
their own accounts', in English and Swedish."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from data import accessibility
from tests.bot.web.conftest import World, id_of_account, sign_in, text_of
from tests.helpers import T0

NEURO, MEDICINE = "SOME-2027-0001", "SOME-2027-0002"
EVIL_POST = "https://x.example/p/9 <script>alert('post')</script>"
OK = dict.fromkeys(accessibility.ITEMS, "ok")


async def checked(world: World) -> None:
    async with world.store.transaction() as session:
        await accessibility.record_check(
            session, account_id=id_of_account(world.neuro), actor_id=world.bo, post=EVIL_POST,
            items=OK | {"alt_text": "fixed", "link_text": "to_fix", "captions": "not_applicable"},
            now=T0,
        )
        await accessibility.record_check(
            session, account_id=id_of_account(world.medicine), actor_id=world.cia,
            post="The Nobel lecture film", items=OK, now=T0,
        )


async def test_the_account_page_lists_its_accessibility_checks(
    client: TestClient[Any, Any], world: World
) -> None:
    await checked(world)
    anna = await sign_in(client, world, world.anna)
    body = await anna.page(f"/dashboard/accounts/{NEURO}")
    shown = text_of(body)
    assert "Accessible posts" in shown and "Bo Ek" in shown
    row = shown[shown.index("Accessibility checks, most recent first"):]
    assert "Descriptive link text Alt text for images Captions for video and audio" in row
    assert "<script>alert('post')" not in body
    assert "&lt;script&gt;alert(&#39;post&#39;)&lt;/script&gt;" in body
    # Another account's checks are not on this page, and its page is not Anna's to see.
    assert "The Nobel lecture film" not in shown
    response = await anna.get(f"/dashboard/accounts/{MEDICINE}")
    assert response.status == 404
    assert "The Nobel lecture film" not in await response.text()


async def test_in_swedish_and_without_checks(
    client: TestClient[Any, Any], world: World
) -> None:
    await checked(world)
    eva = await sign_in(client, world, world.eva)
    eva.cookies["kontobot_lang"] = "sv"
    shown = text_of(await eva.page(f"/dashboard/accounts/{NEURO}"))
    assert "Tillgängliga inlägg" in shown
    assert "Beskrivande länktexter" in shown and "Alternativtext till bilder" in shown
    shown = text_of(await eva.page("/dashboard/accounts/SOME-2027-0003"))
    assert "Inga inlägg har kontrollerats för tillgänglighet." in shown
