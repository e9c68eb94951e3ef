"""Issue 14 end to end in Slack: the real server against the fake Slack Web API, on SQLite and
PostgreSQL. Anna logs a question with /question and asks Filip (Slack's user picker) about it;
Filip says *Not me*, Anna asks Greta, who suggests an answer that reaches Björn. Greta's time
is then counted: a second question she never answers is escalated to Cecilia, the manager,
once the account's response time has passed. Then Björn records removed sensitive personal data
with /removed and Cecilia is told at once, with the guidance."""

from __future__ import annotations

from datetime import date

from bot.keys import DELIVERER
from data.models import ModerationEntry, QuestionReferral
from dialogs.i18n import Translator
from scheduler.sweep import sweep
from tests.bot.slack.rig import (
    ANNA,
    BJORN,
    CECILIA,
    FILIP,
    GRETA,
    Person,
    SlackRig,
    buttons,
    running,
)
from tests.bot.slack.test_team import meet
from tests.helpers import load
from tests.helpers.accounts import register
from tests.helpers.fake_slack import Posted
from tests.helpers.journey import SUBMIT, Answer
from tests.helpers.nudging import CONFIG, at

EN, SV = Translator("en"), Translator("sv")
MONDAY, TUESDAY = date(2027, 3, 1), date(2027, 3, 2)
TOLD = "Instagram ki_neuro_demo (SOME-2027-0001)"


async def log_and_refer(rig: SlackRig, text: str, expert: Person) -> None:
    """Anna logs `text` with /question and asks `expert` about it (a question for an expert)."""
    before = len(rig.fake.dm(ANNA.id))
    assert (await rig.command(ANNA.id, "question")).status == 200
    await rig.next_dm(ANNA.id, before, "the question's text")
    before = len(rig.fake.dm(ANNA.id))
    await rig.say(ANNA.id, text)
    await rig.next_dm(ANNA.id, before, "the summary")
    logged = await rig.answer(ANNA.id, SUBMIT)
    assert "question:refer" in buttons(logged)
    before = len(rig.fake.dm(ANNA.id))
    await rig.act(ANNA.id, logged, "question:refer")
    prompt = await rig.next_dm(ANNA.id, before, "what kind")
    assert EN("What is it: a question for an expert, or criticism of KI's activities?") in (
        prompt.all_text()
    )
    await rig.answer(ANNA.id, Answer("category", selected=("expert",)))
    summary = await rig.answer(ANNA.id, Answer("expert", selected=(expert.id,), verb="pick"))
    assert expert.name in summary.all_text()
    done = await rig.answer(ANNA.id, SUBMIT)
    assert EN("{name} has been asked to suggest an answer by {due}. Their suggestion will come "
              "to the team; if none comes by then, the manager is told.", name=expert.name,
              due="2027-03-02 10:00") in done.all_text()
    await rig.settle()


def card_for(rig: SlackRig, person: Person, text: str) -> Posted:
    [card] = [m for m in rig.fake.dm(person.id)
              if text in m.all_text() and "expert:suggest" in buttons(m)]
    return card


async def neuro_account(rig: SlackRig) -> tuple[int, int, int]:
    """Monday 10:00; Anna, Björn and Cecilia have met the bot, and Anna and Björn run
    Instagram ki_neuro_demo for Cecilia: their person ids."""
    rig.clock.now = at(MONDAY, 10)
    anna, bjorn, cecilia = await meet(rig, ANNA, BJORN, CECILIA)
    await register(rig.store, requester=anna, team=(bjorn,), manager=cecilia,
                   now=at(MONDAY, 9), handle="ki_neuro_demo")
    await rig.settle()
    return anna, bjorn, cecilia


async def test_an_expert_question_and_a_removal_in_slack(database_url: str) -> None:
    async with running(database_url) as rig:
        await neuro_account(rig)

        first = "Is the new lab open to the public?"
        await log_and_refer(rig, first, FILIP)
        card = card_for(rig, FILIP, first)
        before = len(rig.fake.dm(ANNA.id))
        assert (await rig.act(FILIP.id, card, "expert:notme")).status == 200
        await rig.settle()
        # Filip's card is rewritten in place, and Anna is told so she can ask someone else.
        assert "expert:suggest" not in buttons(rig.fake.message(card.ref))
        declined = [m for m in rig.fake.dm(ANNA.id)[before:]
                    if "question:refer" in buttons(m)]
        assert declined and EN("{name} says the question to {account} isn't theirs to answer. "
                               "Ask someone else?", name=FILIP.name, account=TOLD) in (
            declined[-1].all_text()
        )
        before = len(rig.fake.dm(ANNA.id))
        await rig.act(ANNA.id, declined[-1], "question:refer")
        await rig.next_dm(ANNA.id, before, "what kind, again")
        await rig.answer(ANNA.id, Answer("category", selected=("expert",)))
        await rig.answer(ANNA.id, Answer("expert", selected=(GRETA.id,), verb="pick"))
        await rig.answer(ANNA.id, SUBMIT)
        await rig.settle()

        card = card_for(rig, GRETA, first)
        before = len(rig.fake.dm(GRETA.id))
        await rig.act(GRETA.id, card, "expert:suggest")
        prompt = await rig.next_dm(GRETA.id, before, "the suggestion's text")
        assert EN("What should the team answer? Write your suggestion.") in prompt.all_text()
        before = len(rig.fake.dm(GRETA.id))
        await rig.say(GRETA.id, "Yes, on Fridays from 13 to 16.")
        await rig.next_dm(GRETA.id, before, "the summary")
        await rig.answer(GRETA.id, SUBMIT)
        await rig.settle()
        [suggested] = [m for m in rig.fake.dm(BJORN.id)
                       if "Yes, on Fridays from 13 to 16." in m.all_text()]
        assert SV("{name} suggests an answer to the question to {account}. Answer it on the "
                  "account, then click Answered.", name=GRETA.name, account=TOLD) in (
            suggested.all_text()
        )
        assert "question:answered" in buttons(suggested)

        # A second question Greta never answers: past the 24 hours, Cecilia hears.
        second = "Who decides on the opening hours?"
        await log_and_refer(rig, second, GRETA)
        for hour in (9, 10):
            now = at(TUESDAY, hour)
            rig.clock.now = now
            await sweep(rig.store, now, CONFIG)
            while await rig.app[DELIVERER].deliver_due(now):
                pass
            await rig.settle()
            late = SV("{expert} was asked to help answer a question to {account} by {due}, the "
                      "account's promised response time, and has not. As manager, please make "
                      "sure it is answered.", expert=GRETA.name, account=TOLD,
                      due="2027-03-02 10:00")
            heard = [m for m in rig.fake.dm(CECILIA.id) if late in m.all_text()]
            # Not before the response time runs out; at 10:00 it has.
            assert len(heard) == (0 if hour == 9 else 1), hour
        assert second in heard[0].all_text()
        rows = [r.status for r in await load(rig.store, QuestionReferral)]
        assert rows == ["declined", "suggested", "asked"]

        # The moderation log, with /removed.
        before = len(rig.fake.dm(BJORN.id))
        assert (await rig.command(BJORN.id, "removed")).status == 200
        prompt = await rig.next_dm(BJORN.id, before, "what was removed")
        assert SV("What was removed? Paste a link to the post or comment, or describe it.") in (
            prompt.all_text()
        )
        before = len(rig.fake.dm(BJORN.id))
        await rig.say(BJORN.id, "A comment naming a patient and her diagnosis")
        await rig.next_dm(BJORN.id, before, "which kind")
        await rig.answer(BJORN.id, Answer("category", selected=("sensitive_data",)))
        before = len(rig.fake.dm(BJORN.id))
        await rig.say(BJORN.id, "Health data about a named person.")
        await rig.next_dm(BJORN.id, before, "when")
        before = len(rig.fake.dm(BJORN.id))
        await rig.say(BJORN.id, "2027-03-02 09:40")
        await rig.next_dm(BJORN.id, before, "the evidence")
        before = len(rig.fake.dm(BJORN.id))
        await rig.say(BJORN.id, "Diarienummer 1-234/2027")
        await rig.next_dm(BJORN.id, before, "the summary")
        done = await rig.answer(BJORN.id, SUBMIT)
        assert SV("The manager has been told at once.") in done.all_text()
        await rig.settle()
        [alert] = [m for m in rig.fake.dm(CECILIA.id)
                   if "A comment naming a patient and her diagnosis" in m.all_text()]
        assert SV("Sensitive personal data may be a personal data breach: tell KI's data "
                  "protection officer at once, since a breach must be reported to the Swedish "
                  "Authority for Privacy Protection (IMY) within 72 hours.") in alert.all_text()
        [entry] = await load(rig.store, ModerationEntry)
        assert (entry.category, entry.removed_at) == ("sensitive_data", at(TUESDAY, 9, 40))
        refused = [c for c in rig.fake.calls if not c.ok]
        assert not refused, [(c.method, c.answer) for c in refused]
