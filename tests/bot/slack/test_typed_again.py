"""A typed answer changed in its field in Slack, on SQLite and PostgreSQL: the real server against
the fake Slack Web API. The field's value is its text, so the button that saves it is one that
names the conversation, as every button of a dialog's card does: Anna edits the question she is
logging from the summary, types the new text in the field, clicks Save, and the summary has it."""

from __future__ import annotations

from datetime import date

from data.models import DialogState
from tests.bot.slack.rig import ANNA, BJORN, CECILIA, running
from tests.bot.slack.test_team import meet
from tests.helpers import load
from tests.helpers.accounts import register
from tests.helpers.journey import Answer
from tests.helpers.nudging import at

MONDAY = date(2027, 3, 1)
ASKED = "What are your opening hours?"
BETTER = "What are your opening hours in the summer?"


async def test_a_typed_answer_changed_in_its_field_is_saved(database_url: str) -> None:
    async with running(database_url) as rig:
        rig.clock.now = at(MONDAY, 10)
        anna, bjorn, cecilia = await meet(rig, ANNA, BJORN, CECILIA)
        await register(rig.store, requester=anna, team=(bjorn,), manager=cecilia,
                       now=at(MONDAY, 9), handle="ki_neuro_demo")
        await rig.settle()
        before = len(rig.fake.dm(ANNA.id))
        assert (await rig.command(ANNA.id, "question")).status == 200
        await rig.next_dm(ANNA.id, before, "what was asked")
        summary = await rig.answer(ANNA.id, Answer("text", text=ASKED))
        assert ASKED in summary.all_text()
        menu = await rig.answer(ANNA.id, Answer("summary", verb="edit"))
        before = len(rig.fake.dm(ANNA.id))
        await rig.act(ANNA.id, menu, "dlg:summary:edit_field", option="text")
        field = await rig.next_dm(ANNA.id, before, "the question again, in a field")
        [typed] = [b["element"] for b in field.blocks
                   if b.get("type") == "input" and b["element"]["type"] == "plain_text_input"]
        assert typed["initial_value"] == ASKED

        before = len(rig.fake.dm(ANNA.id))
        await rig.act(ANNA.id, field, "dlg:text:answer", text=BETTER)
        again = await rig.next_dm(ANNA.id, before, "the summary with the new text")
        assert BETTER in again.all_text()
        [state] = await load(rig.store, DialogState)
        assert (state.step, state.data["text"]) == ("summary", BETTER)
