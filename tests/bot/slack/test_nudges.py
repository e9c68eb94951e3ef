"""Issue 5 end to end in Slack: the real server against the fake Slack Web API, slash commands
and clicks signed as Slack sends them, the nudge sweep run with an explicit time and delivered
with `deliver_due(now)`. A question is logged, nudged to the person on duty and answered; an
account is closed and the Registry Office and Communications Office channels are told."""

from __future__ import annotations

from datetime import date

from bot.keys import DELIVERER
from data import people
from data.models import Account, Question
from dialogs.i18n import Translator
from scheduler.sweep import sweep
from tests.bot.slack.rig import (
    ANNA,
    BJORN,
    CECILIA,
    COMMS,
    REGISTRY,
    Person,
    SlackRig,
    buttons,
)
from tests.helpers import load
from tests.helpers.accounts import register
from tests.helpers.journey import SUBMIT
from tests.helpers.nudging import CONFIG, at

EN, SV = Translator("en"), Translator("sv")
MONDAY = date(2027, 3, 1)
ACCOUNT = "Instagram ki_neuro_demo (SOME-2027-0001)"


def tr(person: Person) -> Translator:
    return SV if person.locale.startswith("sv") else EN


async def account(rig: SlackRig) -> None:
    """Anna and Björn run the account, Cecilia is their manager: all met in Slack first."""
    for person in (ANNA, BJORN, CECILIA):
        before = len(rig.fake.dm(person.id))
        assert (await rig.say(person.id, "hej")).status == 200
        await rig.next_dm(person.id, before, f"hello to {person.name}")
    ids = []
    async with rig.store.transaction() as session:
        for person in (ANNA, BJORN, CECILIA):
            found = await people.find_by_identity(session, "slack", person.id)
            assert found is not None and found.id is not None
            ids.append(found.id)
    anna, bjorn, cecilia = ids
    await register(rig.store, requester=anna, team=(bjorn,), manager=cecilia,
                   now=at(MONDAY, 9), handle="ki_neuro_demo")
    await rig.settle()


async def deliver(rig: SlackRig, day: date, hour: int) -> None:
    now = at(day, hour)
    rig.clock.now = now
    await sweep(rig.store, now, CONFIG)
    while await rig.app[DELIVERER].deliver_due(now):
        pass
    await rig.settle()


async def test_a_question_is_logged_nudged_and_answered(rig: SlackRig) -> None:
    rig.clock.now = at(MONDAY, 10)
    await account(rig)

    before = len(rig.fake.dm(ANNA.id))
    assert (await rig.command(ANNA.id, "question")).status == 200
    prompt = await rig.next_dm(ANNA.id, before, "the question's text")
    assert EN("What was asked? Paste or type the question or comment.") in prompt.all_text()
    before = len(rig.fake.dm(ANNA.id))
    await rig.say(ANNA.id, "When is the next open day?")
    summary = await rig.next_dm(ANNA.id, before, "the summary")
    assert "dlg:summary:submit" in buttons(summary)
    done = await rig.answer(ANNA.id, SUBMIT)
    assert "question:answered" in buttons(done)
    [question] = await load(rig.store, Question)

    # Tuesday, more than 24 hours on: Björn is on duty and hears of it, in Swedish.
    seen = len(rig.fake.dm(BJORN.id))
    await deliver(rig, date(2027, 3, 2), 11)
    intro = SV(
        "Questions to {account} have not been answered in the time the account promises "
        "({promise}). Answer them on the account, then click Answered.",
        account=ACCOUNT,
        promise=SV("Within 24 hours"),
    )
    [nudge] = [m for m in rig.fake.dm(BJORN.id)[seen:] if intro in m.all_text()]
    assert "When is the next open day?" in nudge.all_text()
    assert buttons(nudge)["question:answered"] == str(question.id)

    before = len(rig.fake.dm(BJORN.id))
    assert (await rig.act(BJORN.id, nudge, "question:answered")).status == 200
    thanks = await rig.next_dm(BJORN.id, before, "the thanks")
    assert SV(
        "Thanks! The question to {account} is marked as answered.",
        account="Instagram ki_neuro_demo",
    ) in thanks.all_text()
    [question] = await load(rig.store, Question)
    assert question.answered_at == at(date(2027, 3, 2), 11)
    # The nudge was rewritten where it was (chat.update): what he chose, no button left.
    assert nudge.updates == 1
    assert "question:answered" not in buttons(nudge)
    assert SV("✓ You chose: {answer}", answer=SV("Answered")) in nudge.all_text()
    assert "When is the next open day?" in nudge.all_text()

    # The morning reminder's *Monitored today* works from Slack too.
    [morning] = [
        m for m in rig.fake.dm(BJORN.id) if "duty:monitored" in buttons(m)
    ]
    before = len(rig.fake.dm(BJORN.id))
    await rig.act(BJORN.id, morning, "duty:monitored")
    marked = await rig.next_dm(BJORN.id, before, "monitored")
    assert SV("Thanks! {account} is marked as monitored today.",
              account="Instagram ki_neuro_demo") in marked.all_text()
    assert morning.updates == 1 and "duty:monitored" not in buttons(morning)
    assert SV("✓ You chose: {answer}", answer=SV("Monitored today")) in morning.all_text()

    refused = [c for c in rig.fake.calls if not c.ok]
    assert not refused, [(c.method, c.answer) for c in refused]


async def test_an_archiving_reminder_takes_where_it_was_saved(rig: SlackRig) -> None:
    rig.clock.now = at(MONDAY, 10)
    await account(rig)
    seen = len(rig.fake.dm(ANNA.id))
    await deliver(rig, date(2027, 8, 18), 9)
    [nudge] = [m for m in rig.fake.dm(ANNA.id)[seen:] if "archive:done" in buttons(m)]
    # Clicked with nothing typed: asked where, and the reminder keeps its buttons.
    before = len(rig.fake.dm(ANNA.id))
    await rig.act(ANNA.id, nudge, "archive:done")
    await rig.next_dm(ANNA.id, before, "where it was saved")
    assert nudge.updates == 0 and "archive:done" in buttons(nudge)
    before = len(rig.fake.dm(ANNA.id))
    where = "W:/Kommunikation/Arkiv/2027-08-18.png"
    await rig.act(ANNA.id, nudge, "archive:done", text=where)
    done = await rig.next_dm(ANNA.id, before, "the archiving recorded")
    assert where in done.all_text()
    assert "2028-02-18" in done.all_text()
    # Recorded: the reminder says so where it was, with nothing left to click.
    assert nudge.updates == 1 and not buttons(nudge)
    assert EN("✓ You chose: {answer}", answer=EN("Archived…")) in nudge.all_text()


async def test_an_account_is_closed_and_the_offices_are_told(rig: SlackRig) -> None:
    rig.clock.now = at(MONDAY, 10)
    await account(rig)

    before = len(rig.fake.dm(BJORN.id))
    assert (await rig.command(BJORN.id, "close-account")).status == 200
    prompt = await rig.next_dm(BJORN.id, before, "where the final archive is")
    assert SV(
        "Where is the final archive of the account saved? Give the folder, case number or link."
    ) in prompt.all_text()
    before = len(rig.fake.dm(BJORN.id))
    await rig.say(BJORN.id, "Diarienummer 1-234/2027")
    await rig.next_dm(BJORN.id, before, "why")
    before = len(rig.fake.dm(BJORN.id))
    await rig.say(BJORN.id, "Projektet är avslutat.")
    summary = await rig.next_dm(BJORN.id, before, "the summary")
    assert SV("Close the account") in summary.all_text()
    await rig.answer(BJORN.id, SUBMIT)
    await rig.settle()

    [stored] = await load(rig.store, Account)
    assert stored.status == "closed"
    told = SV(
        "{account} ({number}) of {unit} has been closed and has left the monitoring rota.",
        account="Instagram ki_neuro_demo", number="SOME-2027-0001",
        unit="Department of Neuroscience",
    )
    for channel in (REGISTRY, COMMS):
        posted = [m for m in rig.fake.in_channel(channel) if told in m.all_text()]
        assert len(posted) == 1, channel
        assert "Projektet är avslutat." in posted[0].all_text()
    # Anna and Cecilia hear too, each in their own language; Björn closed it himself.
    assert any(
        EN("Account closed: {number}", number="SOME-2027-0001") in m.all_text()
        for m in rig.fake.dm(ANNA.id)
    )
    assert any(
        SV("Account closed: {number}", number="SOME-2027-0001") in m.all_text()
        for m in rig.fake.dm(CECILIA.id)
    )
    assert not any(
        SV("Account closed: {number}", number="SOME-2027-0001") in m.all_text()
        for m in rig.fake.dm(BJORN.id)
    )
    refused = [c for c in rig.fake.calls if not c.ok]
    assert not refused, [(c.method, c.answer) for c in refused]
