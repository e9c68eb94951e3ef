"""Issue 14 end to end in the web chat, on SQLite and PostgreSQL: the real app driven through
the page's JSON API. Anna logs a question and asks a colleague of her unit that KI's directory
offers with one click (Filip); it is criticism, so Cecilia, the manager, is shown it; Filip
suggests an answer, which reaches Björn. Then Björn records a removed threat with /removed and
Cecilia is told at once. Never sleeps: the page's long poll wakes."""

from __future__ import annotations

from bot.keys import STORE
from data import directory, people
from data.db import Store
from data.models import ModerationEntry, QuestionReferral
from dialogs.i18n import Translator
from tests.helpers import T0, load
from tests.helpers.accounts import register
from tests.helpers.web import running_chat

en, sv = Translator("en"), Translator("sv")
TOLD = "Instagram ki_neuro_demo (SOME-2027-0001)"
QUESTION = "Why were the evening lectures cancelled?"
# Filip works in the account's unit here: the directory offers him.
STAFF = (
    "email,name,unit,manager_email\n"
    "filip.fors@ki.se,Filip Fors,Department of Neuroscience,\n"
    "david.dahl@ki.se,David Dahl,University Administration,\n"
)


async def ids(store: Store, *keys: str) -> list[int]:
    found = []
    async with store.transaction() as session:
        for key in keys:
            person = await people.find_by_identity(session, "web", key)
            assert person is not None and person.id is not None
            found.append(person.id)
    return found


async def test_criticism_goes_to_a_colleague_and_a_threat_is_logged(database_url: str) -> None:
    async with running_chat(database_url) as chat:
        store: Store = chat.client.app[STORE]
        anna, bjorn, cecilia, filip = await ids(store, "anna", "bjorn", "cecilia", "filip")
        await register(store, requester=anna, team=(bjorn,), manager=cecilia, now=T0,
                       handle="ki_neuro_demo")
        async with store.transaction() as session:
            await directory.import_csv(session, STAFF, now=T0, source_name="staff.csv")

        await chat.say("anna", "/question")
        await chat.wait_for_text("anna", en("What was asked? Paste or type the question or comment."))
        await chat.say("anna", QUESTION)
        await chat.wait_for_text("anna", en("Here is the question to log. Log it, edit a field, or cancel."))
        await chat.act("anna", "dlg:summary:submit")
        logged = await chat.wait_for_text("anna", "is logged.")
        question_id = logged.buttons()["question:refer"]

        await chat.act("anna", "question:refer", value=question_id)
        await chat.wait_for_text("anna", en("What is it: a question for an expert, or criticism of KI's activities?"))
        await chat.act("anna", "dlg:category:choose", selected=("criticism",))
        prompt = await chat.wait_for_text(
            "anna", en("Which colleague knows the answer? Pick one of your unit or anyone else.")
        )
        # One click on the colleague the directory offers.
        value = prompt.buttons()["dlg:expert:colleague"]
        assert (f'data-action="dlg:expert:colleague" data-value="{value}" data-selected="{filip}"'
                in prompt.html)
        await chat.act("anna", "dlg:expert:colleague", selected=(str(filip),))
        await chat.wait_for_text("anna", en("Ask this colleague? Send it, edit a field, or cancel."))
        await chat.act("anna", "dlg:summary:submit")
        await chat.wait_for_text("anna", en("The manager has been shown the criticism."))

        shown = await chat.wait_for_text("cecilia", sv("Criticism on {account}", account=TOLD))
        assert QUESTION in shown.text
        card = await chat.wait_for_text("filip", QUESTION)
        [referral] = await load(store, QuestionReferral)
        assert card.buttons()["expert:suggest"] == str(referral.id)
        assert referral.due_at == T0.replace(day=2)

        await chat.act("filip", "expert:suggest", value=str(referral.id))
        await chat.wait_for_text("filip", en("What should the team answer? Write your suggestion."))
        await chat.say("filip", "The lecturer is on leave; they resume in April.")
        await chat.wait_for_text("filip", en("Here is your suggestion. Send it, edit it, or cancel."))
        await chat.act("filip", "dlg:summary:submit")
        await chat.wait_for_text("filip", en("Thank you! Your suggestion has gone to the account's team."))
        suggestion = await chat.wait_for_text("bjorn", "The lecturer is on leave; they resume in April.")
        assert suggestion.buttons()["question:answered"] == question_id

        # The moderation log.
        await chat.say("bjorn", "/removed")
        await chat.wait_for_text(
            "bjorn", sv("What was removed? Paste a link to the post or comment, or describe it.")
        )
        await chat.say("bjorn", "A reply threatening the lecturer")
        await chat.wait_for_text("bjorn", sv("What kind of prohibited content was it?"))
        await chat.act("bjorn", "dlg:category:choose", selected=("crime",))
        await chat.wait_for_text("bjorn", sv("Why was it removed? A sentence is enough."))
        await chat.say("bjorn", "An unlawful threat.")
        await chat.wait_for_text("bjorn", sv("When was it removed?"))
        await chat.act("bjorn", "dlg:removed_at:now")
        await chat.wait_for_text("bjorn", sv("Where did you save the evidence (a screenshot or a copy)?"))
        await chat.say("bjorn", "Skärmbild i Teams > Kommunikation")
        await chat.act("bjorn", "dlg:summary:submit")
        await chat.wait_for_text("bjorn", sv("The manager has been told at once."))
        alert = await chat.wait_for_text("cecilia", sv("Removed from {account}", account=TOLD))
        assert "A reply threatening the lecturer" in alert.text
        [entry] = await load(store, ModerationEntry)
        assert (entry.removed_by, entry.category) == (bjorn, "crime")


async def test_the_help_card_reaches_the_moderation_log(database_url: str) -> None:
    async with running_chat(database_url) as chat:
        await chat.say("eva", "help")
        shown = await chat.wait_for_text("eva", sv("kontobot help"))
        assert "cmd:removed" in shown.buttons()
        assert "/removed" in shown.text
        await chat.act("eva", "cmd:removed")
        await chat.wait_for_text("eva", sv(
            "Removals are recorded by an account's team, and you are not on the team of any account."
        ))
