"""The moderation log and the questions with a colleague on the dashboard: each account's page
lists them (typed text escaped), and the compliance overview counts removals per account and
month, each viewer only their own accounts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from data import experts, moderation, questions
from data.policy import NudgeConfig
from tests.bot.web.conftest import Browser, World, id_of_account, sign_in, text_of
from tests.helpers import T0

NEURO, MEDICINE = "SOME-2027-0001", "SOME-2027-0002"
EVIL_LINK = "https://x.example/p/1 <script>alert('link')</script>"


async def moderated(world: World) -> None:
    """Two removals on NEURO (one in February, one in March), one on MEDICINE, and a question
    on NEURO handed to Filip."""
    neuro, medicine = id_of_account(world.neuro), id_of_account(world.medicine)
    async with world.store.transaction() as session:
        await moderation.record_removal(
            session, account_id=neuro, actor_id=world.bo, content=EVIL_LINK, category="crime",
            reason="Threatened a lecturer", evidence="W:/Comms/evidence/1.png", now=T0,
            removed_at=T0 - timedelta(hours=2),
        )
        await moderation.record_removal(
            session, account_id=neuro, actor_id=world.anna, content="A spam comment",
            category="other", reason="Advertising", evidence="W:/Comms/evidence/2.png",
            now=T0 - timedelta(days=20),
        )
        await moderation.record_removal(
            session, account_id=medicine, actor_id=world.evil, content="A leaked CV",
            category="sensitive_data", reason="Personal data", evidence="Case 2027-17",
            now=T0,
        )
        question = await questions.log_question(
            session, account_id=neuro, actor_id=world.anna, text="Why so few courses?", now=T0,
        )
        assert question.id is not None
        await experts.refer_question(
            session, question_id=question.id, actor_id=world.anna, expert_id=world.filip,
            category="criticism", now=T0, nudges=NudgeConfig(),
        )


async def test_the_account_page_shows_its_log_and_its_questions_with_a_colleague(
    client: TestClient[Any, Any], world: World
) -> None:
    await moderated(world)
    anna = await sign_in(client, world, world.anna)
    body = await anna.page(f"/dashboard/accounts/{NEURO}")
    shown = text_of(body)
    assert "Moderation log" in shown
    assert "Crime or unlawful threat" in shown and "Threatened a lecturer" in shown
    assert "W:/Comms/evidence/1.png" in shown and "A spam comment" in shown
    assert "<script>alert('link')" not in body
    assert "&lt;script&gt;alert(&#39;link&#39;)&lt;/script&gt;" in body
    assert "Questions with a colleague" in shown
    assert "Criticism" in shown and "Filip Sjö" in shown and "Waiting for the colleague" in shown
    # Another account's removals are not on this page.
    assert "A leaked CV" not in shown


async def test_the_compliance_overview_counts_removals_per_account_and_month(
    client: TestClient[Any, Any], world: World
) -> None:
    await moderated(world)
    comms = await sign_in(client, world, world.eva)
    shown = text_of(await comms.page("/dashboard/compliance"))
    assert "Removed posts and comments per month" in shown
    # Twelve months up to March 2027: NEURO has one in February and one in March.
    assert "Account 2026-04" in shown and "2027-03 Total" in shown
    assert f"{NEURO} 0 0 0 0 0 0 0 0 0 0 1 1 2" in shown
    assert f"{MEDICINE} 0 0 0 0 0 0 0 0 0 0 0 1 1" in shown
    anna: Browser = await sign_in(client, world, world.anna)
    own = text_of(await anna.page("/dashboard/compliance"))
    assert f"{NEURO} 0 0 0 0 0 0 0 0 0 0 1 1 2" in own and MEDICINE not in own


async def test_the_dashboard_in_swedish_names_the_log(
    client: TestClient[Any, Any], world: World
) -> None:
    await moderated(world)
    async with world.store.transaction() as session:
        from data import people

        await people.set_locale(session, now=T0, person_id=world.anna, locale="sv")
    anna = await sign_in(client, world, world.anna)
    shown = text_of(await anna.page(f"/dashboard/accounts/{NEURO}"))
    assert "Modereringslogg" in shown and "Brott eller olaga hot" in shown
