"""Issue 14 end to end in Teams, against a fake Bot Connector, on SQLite and PostgreSQL: Anna
logs a question, clicks *Ask a colleague*, marks it as criticism and picks Filip in the people
picker; Filip (never spoken to the bot) gets the card in a chat the bot opens and suggests an
answer; Björn gets the suggestion and Cecilia, the manager, is shown the criticism. Then Björn
records a threat he removed (typed `removed`, not in the ten-command menu) and Cecilia is told at
once, with the guidance."""

from __future__ import annotations

from datetime import date

from data import people
from data.models import ModerationEntry, Outbox, OutboxStatus, QuestionReferral
from dialogs.i18n import Translator
from tests.bot.teams.rig import (
    ANNA,
    BJORN,
    CECILIA,
    FILIP,
    TeamsRig,
    TeamsUser,
    running_teams,
    texts,
    verbs,
)
from tests.helpers import count, load
from tests.helpers.accounts import register
from tests.helpers.journey import Answer
from tests.helpers.nudging import at

EN, SV = Translator("en"), Translator("sv")
MONDAY = date(2027, 3, 1)
TOLD = "Instagram ki_neuro_demo (SOME-2027-0001)"
QUESTION = "Why does KI still test on animals?"


async def person_id(rig: TeamsRig, user: TeamsUser) -> int:
    async with rig.store.transaction() as session:
        found = await people.find_by_identity(session, "teams", user.aad)
    assert found is not None and found.id is not None
    return found.id


async def account(rig: TeamsRig) -> None:
    for user in (ANNA, BJORN, CECILIA):
        greeting = await rig.install(user)
        # The help card reaches the moderation log, which the command menu has no room for.
        assert "cmd:removed" in verbs(greeting.card)
    anna, bjorn, cecilia = [await person_id(rig, u) for u in (ANNA, BJORN, CECILIA)]
    await register(rig.store, requester=anna, team=(bjorn,), manager=cecilia,
                   now=at(MONDAY, 9), handle="ki_neuro_demo")
    await rig.settle()


async def test_a_question_goes_to_an_expert_and_a_removal_is_logged(database_url: str) -> None:
    async with running_teams(database_url) as rig:
        rig.clock.now = at(MONDAY, 10)
        await account(rig)
        rig.fake.add_member(FILIP.aad, FILIP.user_id, FILIP.name, FILIP.email)

        [prompt] = await rig.say(ANNA, "question")
        assert EN("What was asked? Paste or type the question or comment.") in texts(prompt.card)
        await rig.say(ANNA, QUESTION)
        await rig.execute(ANNA, rig.click(ANNA, "dlg:summary:submit"))
        assert "question:refer" in verbs(rig.screen[ANNA.key])

        body = await rig.execute(ANNA, rig.click(ANNA, "question:refer"))
        assert EN("What is it: a question for an expert, or criticism of KI's activities?") in texts(
            body["value"]
        )
        card = await rig.answer(ANNA, Answer("category", selected=("criticism",)))
        assert EN("Which colleague knows the answer? Pick one of your unit or anyone else.") in texts(card)
        summary = await rig.answer(ANNA, Answer("expert", selected=(FILIP.aad,), verb="pick"))
        assert FILIP.name in texts(summary)
        await rig.execute(ANNA, rig.click(ANNA, "dlg:summary:submit"))
        assert EN("The manager has been shown the criticism.") in texts(rig.screen[ANNA.key])
        await rig.settle()

        # Filip has never written to the bot: a chat with him is opened for the card.
        [(chat_with_filip, members)] = rig.fake.created.items()
        assert members == [{"id": FILIP.user_id}]
        posted = await rig.wait_text(chat_with_filip, QUESTION)
        assert {"expert:suggest", "expert:notme"} <= set(verbs(posted.card))
        rig.screen[FILIP.key] = posted.card
        # Cecilia, the manager, is shown the criticism, in Swedish.
        await rig.wait_text(CECILIA.conversation, SV("Criticism on {account}", account=TOLD))

        body = await rig.execute(FILIP, rig.click(FILIP, "expert:suggest"))
        assert EN("What should the team answer? Write your suggestion.") in texts(body["value"])
        # Filip types in the chat the bot opened with him.
        filip_here = TeamsUser(FILIP.key, FILIP.name, FILIP.email, FILIP.locale)
        await rig.send(rig.activity(
            filip_here, "message", text="All animal research at KI is approved by an ethics board.",
            textFormat="plain",
            conversation={"id": chat_with_filip, "conversationType": "personal",
                          "tenantId": "tenant-ki"},
        ))
        summary_card = rig.fake.in_conversation(chat_with_filip)[-1].card
        rig.screen[FILIP.key] = summary_card
        assert "dlg:summary:submit" in verbs(summary_card)
        await rig.execute(FILIP, rig.click(FILIP, "dlg:summary:submit"))
        assert EN("Thank you! Your suggestion has gone to the account's team.") in texts(
            rig.screen[FILIP.key]
        )
        await rig.settle()
        suggestion = await rig.wait_card(BJORN, "question:answered", "the suggestion")
        assert "All animal research at KI is approved by an ethics board." in texts(suggestion.card)
        [referral] = await load(rig.store, QuestionReferral)
        assert referral.status == "suggested"

        # Björn clicks Answered on it: the card he clicked is answered in the invoke response,
        # the suggestion kept and the button gone; the thanks comes as a message.
        body = await rig.execute(
            BJORN, rig.click(BJORN, "question:answered"), reply_to=suggestion.id
        )
        assert SV("✓ You chose: {answer}", answer=SV("Answered")) in texts(body["value"])
        assert "All animal research at KI is approved by an ethics board." in texts(body["value"])
        assert "question:answered" not in verbs(body["value"])
        await rig.wait_text(BJORN.conversation, SV(
            "Thanks! The question to {account} is marked as answered.",
            account="Instagram ki_neuro_demo",
        ))

        # The moderation log: typed, since the menu holds ten commands.
        [prompt] = await rig.say(BJORN, "removed")
        assert SV("What was removed? Paste a link to the post or comment, or describe it.") in texts(
            prompt.card
        )
        await rig.say(BJORN, "https://instagram.com/p/xyz comment by @angry")
        await rig.answer(BJORN, Answer("category", selected=("crime",)))
        await rig.say(BJORN, "A threat against a named researcher.")
        card = await rig.answer(BJORN, Answer("removed_at", verb="now"))
        assert SV("Where did you save the evidence (a screenshot or a copy)?") in texts(card)
        await rig.say(BJORN, "Teams > Kommunikation > Moderering")
        await rig.execute(BJORN, rig.click(BJORN, "dlg:summary:submit"))
        assert SV("The manager has been told at once.") in texts(rig.screen[BJORN.key])
        await rig.settle()
        alert = await rig.wait_text(CECILIA.conversation, SV("Removed from {account}", account=TOLD))
        assert "https://instagram.com/p/xyz comment by @angry" in texts(alert.card)
        assert SV(
            "Report threats and other crimes to the police (polisen.se or 114 14; 112 if someone is in danger now), and keep the evidence."
        ) in texts(alert.card)
        [entry] = await load(rig.store, ModerationEntry)
        assert (entry.category, entry.removed_at) == ("crime", at(MONDAY, 10))


async def test_a_colleague_teams_will_not_reach_is_reported_to_whoever_asked(
    database_url: str,
) -> None:
    """Filip never added kontobot and Teams will not open a chat with him: the card is given
    up, and Anna hears so once, with the question and *Ask a colleague*."""
    async with running_teams(database_url) as rig:
        rig.clock.now = at(MONDAY, 10)
        await account(rig)
        rig.fake.add_member(FILIP.aad, FILIP.user_id, FILIP.name, FILIP.email)
        rig.fake.fail("POST", r"^/v3/conversations$", 403, code="BotNotInConversationRoster")

        await rig.say(ANNA, "question")
        await rig.say(ANNA, QUESTION)
        await rig.execute(ANNA, rig.click(ANNA, "dlg:summary:submit"))
        await rig.execute(ANNA, rig.click(ANNA, "question:refer"))
        await rig.answer(ANNA, Answer("category", selected=("expert",)))
        await rig.answer(ANNA, Answer("expert", selected=(FILIP.aad,), verb="pick"))
        await rig.execute(ANNA, rig.click(ANNA, "dlg:summary:submit"))
        await rig.settle()

        told = await rig.wait_text(
            ANNA.conversation, EN("{name} could not be reached", name=FILIP.name)
        )
        shown = texts(told.card)
        assert EN(
            "Ask {name} to open kontobot in {platform} and write hello, and I will send it to "
            "them again. Or click Ask a colleague to ask someone else.",
            name=FILIP.name, platform="Microsoft Teams",
        ) in shown
        assert QUESTION in shown
        assert "question:refer" in verbs(told.card)
        [card] = await load(rig.store, Outbox, Outbox.kind == "expert_asked")
        assert card.status == OutboxStatus.FAILED.value and "403" in (card.error or "")
        assert await count(rig.store, Outbox, Outbox.kind == "unreachable") == 1
        [referral] = await load(rig.store, QuestionReferral)
        assert referral.status == "asked"
