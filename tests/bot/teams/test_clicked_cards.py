"""A click on a Teams card answered in the invoke's response: what it does to the card. A
refusal that may pass leaves the card (and its buttons) as it was; a click too late settles the
card as it reads now, rows settled before included."""

from __future__ import annotations

from datetime import date
from typing import Any

from data import questions
from data.models import Question
from tests.bot.teams.rig import ANNA, BJORN, TeamsRig, running_teams, texts, verbs
from tests.bot.teams.test_experts import QUESTION, account, person_id
from tests.helpers import load
from tests.helpers.nudging import at

MONDAY = date(2027, 3, 1)
MESSAGE = "application/vnd.microsoft.activity.message"


async def _logged_question(rig: TeamsRig) -> Any:
    """Anna logs a question: the card posted for it, with its buttons."""
    rig.clock.now = at(MONDAY, 10)
    await account(rig)
    await rig.say(ANNA, "question")
    await rig.say(ANNA, QUESTION)
    await rig.execute(ANNA, rig.click(ANNA, "dlg:summary:submit"))
    await rig.settle()
    [posted] = [
        p for p in rig.fake.in_conversation(ANNA.conversation)
        if "question:answered" in verbs(p.card)
    ]
    return posted


async def test_a_refusal_that_may_pass_leaves_the_card_as_it_was(sqlite_url: str) -> None:
    async with running_teams(sqlite_url) as rig:
        posted = await _logged_question(rig)
        rig.screen[ANNA.key] = posted.card
        mark = rig.click(ANNA, "case:mark")
        # A kind of mark there is none of: refused, nothing settled.
        data = {**mark["data"], "value": mark["data"]["value"].split(":")[0] + ":bogus"}
        body = await rig.execute(ANNA, {**mark, "data": data}, reply_to=posted.id)
        assert body["type"] == MESSAGE, body
        assert isinstance(body["value"], str) and body["value"]


async def test_a_click_too_late_settles_the_card_as_it_reads_now(sqlite_url: str) -> None:
    """Anna marks the question for case management (that row of the card is settled), Björn
    marks it answered elsewhere, then Anna clicks *Answered* on her card: it says who did,
    and the row settled before stays settled."""
    async with running_teams(sqlite_url) as rig:
        posted = await _logged_question(rig)
        rig.screen[ANNA.key] = posted.card
        answered = rig.click(ANNA, "question:answered")
        body = await rig.execute(ANNA, rig.click(ANNA, "case:mark"), reply_to=posted.id)
        assert "case:mark" not in verbs(body["value"])
        [question] = await load(rig.store, Question)
        assert question.id is not None
        async with rig.store.transaction() as session:
            await questions.answer_question(
                session, question_id=question.id, actor_id=await person_id(rig, BJORN),
                now=rig.clock.now,
            )
        body = await rig.execute(ANNA, answered, reply_to=posted.id)
        card = body["value"]
        assert "has already marked this question as answered" in texts(card)
        assert not {"case:mark", "case:research", "question:answered"} & set(verbs(card))
