"""`/accessible` end to end in Teams, against a fake Bot Connector, on SQLite and PostgreSQL:
Anna reaches it from the help card's button (Teams' command menu holds ten commands), checks a
text-only post, confirms the checklist card with no box ticked, and is told what to fix and how;
then Björn types `tillgänglighet` for a post with video, where everything is OK."""

from __future__ import annotations

from datetime import date

from data import accessibility, people
from data.models import AccessibilityCheck
from dialogs.i18n import Translator
from tests.bot.teams.rig import (
    ANNA,
    BJORN,
    CECILIA,
    TeamsRig,
    TeamsUser,
    executes,
    inputs_of,
    running_teams,
    texts,
    verbs,
)
from tests.helpers import load
from tests.helpers.accounts import register
from tests.helpers.journey import Answer
from tests.helpers.nudging import at

EN, SV = Translator("en"), Translator("sv")
MONDAY = date(2027, 3, 1)


async def person_id(rig: TeamsRig, user: TeamsUser) -> int:
    async with rig.store.transaction() as session:
        found = await people.find_by_identity(session, "teams", user.aad)
    assert found is not None and found.id is not None
    return found.id


async def test_a_post_checked_for_accessibility_in_teams(database_url: str) -> None:
    async with running_teams(database_url) as rig:
        rig.clock.now = at(MONDAY, 10)
        for user in (ANNA, BJORN, CECILIA):
            greeting = await rig.install(user)
            assert "cmd:accessible" in verbs(greeting.card)
        anna, bjorn, cecilia = [await person_id(rig, u) for u in (ANNA, BJORN, CECILIA)]
        await register(rig.store, requester=anna, team=(bjorn,), manager=cecilia,
                       now=at(MONDAY, 9), handle="ki_neuro_demo")
        await rig.settle()

        body = await rig.execute(ANNA, rig.click(ANNA, "cmd:accessible"))
        assert EN(
            "Which post? Paste a link to it, or describe it in a few words if it is not published yet."
        ) in texts(body["value"])
        await rig.say(ANNA, "Thursday's post about the open lab")
        card = await rig.answer(ANNA, Answer("content", selected=("text",)))
        # Confirmed with no box ticked: nothing is OK yet.
        [confirm] = [a for a in executes(card)
                     if a["verb"] == "dlg:checklist:choose" and "input" in a["data"]]
        field = inputs_of(card)[confirm["data"]["input"]]
        assert [c["value"] for c in field["choices"]] == ["plain_language"]
        await rig.execute(ANNA, confirm, {field["id"]: ""})
        # The checklist answered, the summary comes as the next message.
        assert EN("Still to fix: {items}.", items="Plain language") in texts(rig.screen[ANNA.key])
        await rig.execute(ANNA, rig.click(ANNA, "dlg:summary:submit"))
        assert EN(
            "Write polished, simple and understandable language (KI's social media guidelines): "
            "short sentences, the most important first, no unexplained abbreviations or jargon."
        ) in texts(rig.screen[ANNA.key])

        # Typed in Swedish, since the menu has no room.
        [prompt] = await rig.say(BJORN, "tillgänglighet")
        assert "Vilket inlägg?" in texts(prompt.card)
        await rig.say(BJORN, "https://www.instagram.com/reel/open-lab")
        await rig.answer(BJORN, Answer("content", selected=("video_audio",)))
        summary = await rig.answer(BJORN, Answer("checklist",
                                                 selected=("captions", "plain_language")))
        rig.screen[BJORN.key] = summary
        await rig.execute(BJORN, rig.click(BJORN, "dlg:summary:submit"))
        assert SV("Everything on the checklist is done: the post is ready to publish.") in texts(
            rig.screen[BJORN.key]
        )
        checks = await load(rig.store, AccessibilityCheck)
        assert [(c.checked_by, accessibility.items_of(c)["plain_language"],
                 accessibility.items_of(c)["captions"]) for c in checks] == [
            (anna, "to_fix", "not_applicable"), (bjorn, "ok", "ok"),
        ]
