"""`/accessible` end to end in Slack: the real server against the fake Slack Web API, on SQLite
and PostgreSQL. Björn (who reads Swedish) runs the accessibility checklist on a post: the slash
command, the post typed, what it has ticked, the whole checklist on one card of checkboxes, and
the reply with what still needs fixing and how."""

from __future__ import annotations

from datetime import date

from data import accessibility
from data.models import AccessibilityCheck
from dialogs.i18n import Translator
from tests.bot.slack.rig import ANNA, BJORN, CECILIA, running
from tests.bot.slack.test_team import meet
from tests.helpers import load
from tests.helpers.accounts import register
from tests.helpers.journey import SUBMIT, Answer
from tests.helpers.nudging import at

SV = Translator("sv")
MONDAY = date(2027, 3, 1)
POST = "https://www.instagram.com/p/open-lab"


async def test_a_post_checked_for_accessibility_in_slack(database_url: str) -> None:
    async with running(database_url) as rig:
        rig.clock.now = at(MONDAY, 10)
        anna, bjorn, cecilia = await meet(rig, ANNA, BJORN, CECILIA)
        account = await register(rig.store, requester=anna, team=(bjorn,), manager=cecilia,
                                 now=at(MONDAY, 9), handle="ki_neuro_demo")
        await rig.settle()
        before = len(rig.fake.dm(BJORN.id))
        assert (await rig.command(BJORN.id, "accessible")).status == 200
        prompt = await rig.next_dm(BJORN.id, before, "which post")
        assert SV(
            "Which post? Paste a link to it, or describe it in a few words if it is not published yet."
        ) in prompt.all_text()
        await rig.answer(BJORN.id, Answer("post", text=POST))
        card = await rig.answer(BJORN.id, Answer("content", selected=("images", "hashtags")))
        # The checklist: one card, a checkbox for each item that applies.
        [boxes] = [b["element"] for b in card.blocks
                   if b.get("type") == "input" and b["element"]["type"] == "checkboxes"]
        assert [o["value"] for o in boxes["options"]] == ["alt_text", "plain_language",
                                                          "hashtags"]
        summary = await rig.answer(BJORN.id, Answer("checklist",
                                                   selected=("alt_text", "plain_language")))
        assert SV("Still to fix: {items}.", items=SV("CamelCase hashtags")) in summary.all_text()
        done = await rig.answer(BJORN.id, SUBMIT)
        assert SV("Still to fix before you publish:") in done.all_text()
        assert SV(
            "Start each word of a hashtag with a capital letter, #KarolinskaInstitutet rather "
            "than #karolinskainstitutet, so that screen readers read out the words."
        ) in done.all_text()
        [check] = await load(rig.store, AccessibilityCheck)
        assert (check.account_id, check.post, check.checked_by) == (account.id, POST, bjorn)
        assert accessibility.items_of(check) == {
            "alt_text": "ok", "captions": "not_applicable", "plain_language": "ok",
            "link_text": "not_applicable", "hashtags": "to_fix", "emoji": "not_applicable",
        }
        refused = [c for c in rig.fake.calls if not c.ok]
        assert not refused, [(c.method, c.answer) for c in refused]
