"""Consent and credit on the dashboard: each account's page lists its consent records (typed
text escaped), each viewer only their own accounts'."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from data import consent
from tests.bot.web.conftest import World, id_of_account, sign_in, text_of
from tests.helpers import T0

NEURO, MEDICINE = "SOME-2027-0001", "SOME-2027-0002"
EVIL_POST = "https://x.example/p/9 <script>alert('post')</script>"


async def consented(world: World) -> None:
    async with world.store.transaction() as session:
        await consent.record_consent(
            session, account_id=id_of_account(world.neuro), actor_id=world.bo, post=EVIL_POST,
            people_named="Sara Lind, Omar Said", method="form",
            kept_at="W:/Comms/consent/lab-day.pdf", creator="Ulf Sirén", creator_credited=False,
            creator_consented=True, now=T0,
        )
        await consent.record_consent(
            session, account_id=id_of_account(world.medicine), actor_id=world.cia,
            post="The Nobel lecture film", people_named="Per Ek", method="email",
            kept_at="Case 2027-20", creator="Lena Ås", creator_credited=True,
            creator_consented=True, now=T0,
        )


async def test_the_account_page_lists_who_consented_and_the_creator(
    client: TestClient[Any, Any], world: World
) -> None:
    await consented(world)
    anna = await sign_in(client, world, world.anna)
    body = await anna.page(f"/dashboard/accounts/{NEURO}")
    shown = text_of(body)
    assert "Consent and credit" in shown
    assert "Sara Lind, Omar Said" in shown and "Consent form" in shown
    assert "W:/Comms/consent/lab-day.pdf" in shown and "Ulf Sirén" in shown
    assert "No, as agreed with the creator" in shown and "Bo Ek" in shown
    assert "<script>alert('post')" not in body
    assert "&lt;script&gt;alert(&#39;post&#39;)&lt;/script&gt;" in body
    # Another account's consents are not on this page, and its page is not Anna's to see.
    assert "Per Ek" not in shown
    response = await anna.get(f"/dashboard/accounts/{MEDICINE}")
    assert response.status == 404
    assert "Per Ek" not in await response.text()


async def test_an_account_without_consents_says_so_in_swedish(
    client: TestClient[Any, Any], world: World
) -> None:
    eva = await sign_in(client, world, world.eva)
    eva.cookies["kontobot_lang"] = "sv"
    shown = text_of(await eva.page(f"/dashboard/accounts/{NEURO}"))
    assert "Samtycke och upphovsperson" in shown
    assert "Inga samtycken registrerade." in shown
