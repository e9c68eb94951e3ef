"""Issue 5 end to end in the web chat: the real app driven through the page's JSON API, the
nudge sweep run with an explicit time and delivered with `deliver_due(now)`. A question is
logged, nudged to the person on duty and answered; an account is closed and the Registry
Office and the Communications Office are told. Never sleeps: the page's long poll wakes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.keys import DELIVERER, STORE
from data import closure, people
from data.db import Store
from data.models import Account, ArchiveRecord, Question
from dialogs.i18n import Translator
from scheduler.sweep import sweep
from tests.helpers import load
from tests.helpers.accounts import register
from tests.helpers.nudging import CONFIG, at
from tests.helpers.web import Shown, WebChat, settings_for

en, sv = Translator("en"), Translator("sv")
MONDAY = date(2027, 3, 1)
ACCOUNT = "Instagram ki_neuro_demo (SOME-2027-0001)"
TEXT = "Är det öppet hus <@channel> på fredag?"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def web(sqlite_url: str) -> AsyncIterator[tuple[WebChat, Clock]]:
    clock = Clock(at(MONDAY, 10))
    app = create_app(settings_for(sqlite_url), web_chat_enabled=True, clock=clock)
    async with TestClient(TestServer(app)) as client:
        yield WebChat(client), clock


async def demo_account(store: Store) -> int:
    """Anna (English) and Björn (Swedish) run the account; Cecilia is their manager."""
    async with store.transaction() as session:
        ids = {
            key: (await people.find_by_identity(session, "web", key))
            for key in ("anna", "bjorn", "cecilia")
        }
    anna, bjorn, cecilia = (p.id for p in ids.values() if p is not None)
    assert anna and bjorn and cecilia
    account = await register(store, requester=anna, team=(bjorn,), manager=cecilia,
                             now=at(MONDAY, 9), handle="ki_neuro_demo")
    assert account.id is not None
    return account.id


async def _id(store: Store, who: str) -> int:
    async with store.read() as session:
        person = await people.find_by_identity(session, "web", who)
    assert person is not None and person.id is not None
    return person.id


async def _name(store: Store, who: str) -> str:
    async with store.read() as session:
        return (await people.get_person(session, await _id(store, who))).display_name


async def _morning_card(chat: WebChat, clock: Clock, now: datetime) -> Shown:
    """The sweep at `now`, its nudges delivered: Björn's morning card."""
    clock.now = now
    await sweep(chat.client.app[STORE], now, CONFIG)
    while await chat.client.app[DELIVERER].deliver_due(now):
        pass
    return await chat.wait_for_text("bjorn", sv("Monitoring today"))


async def test_a_question_is_logged_nudged_and_answered(
    web: tuple[WebChat, Clock],
) -> None:
    chat, clock = web
    app = chat.client.app
    store: Store = app[STORE]
    await demo_account(store)

    # Monday: Anna logs a question that came in on the account.
    await chat.say("anna", "/question")
    await chat.wait_for_text("anna", en("What was asked? Paste or type the question or comment."))
    await chat.say("anna", TEXT)
    summary = await chat.wait_for_text(
        "anna", en("Here is the question to log. Log it, edit a field, or cancel.")
    )
    assert "dlg:summary:submit" in summary.buttons()
    await chat.act("anna", "dlg:summary:submit")
    await chat.wait_for_text("anna", "The question to Instagram ki_neuro_demo is logged.")
    [question] = await load(store, Question)

    # Tuesday 11:00, more than 24 hours on: Björn is on duty and is reminded, in Swedish.
    tuesday = at(MONDAY.replace(day=2), 11)
    clock.now = tuesday
    await sweep(store, tuesday, CONFIG)
    while await app[DELIVERER].deliver_due(tuesday):
        pass
    intro = sv(
        "Questions to {account} have not been answered in the time the account promises "
        "({promise}). Answer them on the account, then click Answered.",
        account=ACCOUNT,
        promise=sv("Within 24 hours"),
    )
    nudge = await chat.wait_for_text("bjorn", intro)
    # What the public wrote is shown as text, escaped: no markup gets through.
    assert TEXT in nudge.text and "<@channel>" not in nudge.html
    assert nudge.buttons()["question:answered"] == str(question.id)
    # The morning reminder came too, with its buttons.
    morning = await chat.wait_for_text(
        "bjorn", sv("Monitoring today")
    )
    assert "duty:monitored" in morning.buttons()

    await chat.act("bjorn", "question:answered", value=str(question.id))
    await chat.wait_for_text(
        "bjorn",
        sv("Thanks! The question to {account} is marked as answered.",
           account="Instagram ki_neuro_demo"),
    )
    [question] = await load(store, Question)
    assert question.answered_at == tuesday

    # Nothing more to nudge about it on Thursday.
    thursday = at(MONDAY.replace(day=4), 11)
    result = await sweep(store, thursday, CONFIG, reuse=False)
    assert not [n for n in result.nudges if n.kind == "nudge_question"]


async def test_an_account_is_closed_and_the_offices_are_told(
    web: tuple[WebChat, Clock],
) -> None:
    chat, clock = web
    store: Store = web[0].client.app[STORE]
    await demo_account(store)

    await chat.say("bjorn", "/close-account")
    await chat.wait_for_text(
        "bjorn", sv("Where is the final archive of the account saved? Give the folder, case "
                    "number or link.")
    )
    await chat.say("bjorn", "Diarienummer 1-234/2027")
    await chat.wait_for_text("bjorn", sv("Why is the account being closed?"))
    await chat.say("bjorn", "Projektet är avslutat.")
    summary = await chat.wait_for_text(
        "bjorn", sv("Check before the account is closed. Close it, edit a field, or cancel.")
    )
    assert "dlg:summary:submit" in summary.buttons()
    await chat.act("bjorn", "dlg:summary:submit")
    await chat.wait_for_text("bjorn", "SOME-2027-0001")

    [account] = await load(store, Account)
    assert account.status == "closed"
    told = sv(
        "{account} ({number}) of {unit} has been closed and has left the monitoring rota.",
        account="Instagram ki_neuro_demo", number="SOME-2027-0001",
        unit="Department of Neuroscience",
    )
    for place in ("place:registry", "place:comms"):
        posted = await chat.wait_for_text("eva", told, place)
        assert "Projektet är avslutat." in posted.text
        assert "Diarienummer 1-234/2027" in posted.text
    # The rest of the team and the manager hear too, each in their own language.
    await chat.wait_for_text(
        "anna", en("Account closed: {number}", number="SOME-2027-0001")
    )
    await chat.wait_for_text(
        "cecilia", sv("Account closed: {number}", number="SOME-2027-0001")
    )
    # And it is off the rota: no reminders about it any more.
    later = at(MONDAY.replace(day=2), 9)
    clock.now = later
    assert (await sweep(store, later, CONFIG, reuse=False)).nudges == []


async def test_a_click_settles_its_own_row_of_a_digest_in_place(
    web: tuple[WebChat, Clock],
) -> None:
    """Björn is on duty for two accounts: the morning card has a row of buttons for each.
    Each click rewrites the card where it is: the row clicked says what he chose, the other
    keeps its buttons, until both are answered and nothing on the card is live."""
    chat, clock = web
    app = chat.client.app
    store: Store = app[STORE]
    first = await demo_account(store)
    anna, bjorn, cecilia = [await _id(store, who) for who in ("anna", "bjorn", "cecilia")]
    second_account = await register(store, requester=anna, team=(bjorn,), manager=cecilia,
                                    now=at(MONDAY, 9), handle="ki_neuro_two")
    second = second_account.id

    tuesday = at(MONDAY.replace(day=2), 11)
    morning = await _morning_card(chat, clock, tuesday)
    day = "2027-03-02"
    assert morning.pressable() == [
        ("duty:monitored", f"{first}:{day}"), ("duty:cannot", f"{first}:{day}"),
        ("duty:monitored", f"{second}:{day}"), ("duty:cannot", f"{second}:{day}"),
    ]
    chosen = sv("✓ You chose: {answer}", answer=sv("Monitored today"))
    before = len(await chat.messages("bjorn"))

    await chat.act("bjorn", "duty:monitored", value=f"{first}:{day}", message=morning.id)
    await chat.wait_for_text("bjorn", sv("Thanks! {account} is marked as monitored today.",
                                         account="Instagram ki_neuro_demo"))
    [card] = [m for m in await chat.messages("bjorn") if m.id == morning.id]
    assert chosen in card.text
    assert card.pressable() == [
        ("duty:monitored", f"{second}:{day}"), ("duty:cannot", f"{second}:{day}"),
    ]
    # Rewritten where it was, not sent again: one new message, the thanks.
    assert len(await chat.messages("bjorn")) == before + 1

    await chat.act("bjorn", "duty:cannot", value=f"{second}:{day}", message=morning.id)
    await chat.wait_for_text("bjorn", "ki_neuro_two")
    [card] = [m for m in await chat.messages("bjorn") if m.id == morning.id]
    assert card.pressable() == []
    assert chosen in card.text
    assert sv("✓ You chose: {answer}", answer=sv("I can't today")) in card.text


async def _archiving_cards(chat: WebChat, clock: Clock) -> tuple[int, Shown, Shown]:
    """The account, and Anna's and Björn's copies of its archiving reminder (18 August)."""
    store: Store = chat.client.app[STORE]
    account = await demo_account(store)
    now = at(date(2027, 8, 18), 9, 5)
    clock.now = now
    await sweep(store, now, CONFIG)
    while await chat.client.app[DELIVERER].deliver_due(now):
        pass
    theirs = await chat.wait_for_text("anna", en("Time to archive the profile page"))
    his = await chat.wait_for_text("bjorn", sv("Time to archive the profile page"))
    return account, theirs, his


async def test_a_refused_click_leaves_the_card_as_it_was(
    web: tuple[WebChat, Clock],
) -> None:
    """A click the domain refuses for a reason that may pass (here a location too long) is
    told beside the card, and the card stays as it was, its buttons with it."""
    chat, clock = web
    _, card, _ = await _archiving_cards(chat, clock)
    [(done, value)] = [p for p in card.pressable() if p[0] == "archive:done"]
    await chat.act("anna", done, value=value, text="x" * 1001, message=card.id)
    await chat.wait_for_text("anna", "1001")
    [after] = [m for m in await chat.messages("anna") if m.id == card.id]
    assert (after.text, after.pressable()) == (card.text, card.pressable())


async def test_a_click_on_a_closed_accounts_card_settles_it(
    web: tuple[WebChat, Clock],
) -> None:
    """The account is closed after the morning card went out: the domain refuses Björn's
    check-in for good, and the card says so where its buttons were."""
    chat, clock = web
    app = chat.client.app
    store: Store = app[STORE]
    account = await demo_account(store)
    tuesday = at(MONDAY.replace(day=2), 11)
    morning = await _morning_card(chat, clock, tuesday)
    async with store.transaction() as session:
        await closure.close_account(
            session, account_id=account, actor_id=await _id(store, "anna"), reason="Slutar",
            final_archive_location="Diarienummer 1-234/2027", now=tuesday,
        )
    await chat.act("bjorn", "duty:monitored", value=f"{account}:2027-03-02", message=morning.id)
    closed = sv("The account {number} is closed, so that changes nothing.",
                number="SOME-2027-0001")
    shown = await chat.wait_for(
        "bjorn", lambda ms: any(m.id == morning.id and closed in m.text for m in ms)
    )
    [card] = [m for m in shown if m.id == morning.id]
    assert card.pressable() == []
    # Settled in place, not told again beside it.
    assert [m for m in shown if m.id > morning.id] == []


async def test_a_click_too_late_settles_the_card_and_says_who_did_it(
    web: tuple[WebChat, Clock],
) -> None:
    """Anna and Björn each get the archiving reminder. Anna records it; Björn then clicks
    *Snooze a week* on his copy: nothing is snoozed, and his card stops offering what can no
    longer be done, saying in its place who recorded the archiving, when and where."""
    chat, clock = web
    store: Store = chat.client.app[STORE]
    account, theirs, his = await _archiving_cards(chat, clock)
    [(done, value)] = [p for p in theirs.pressable() if p[0] == "archive:done"]
    assert ("archive:snooze", value) in his.pressable()

    where = "W:/Kommunikation/Arkiv/2027-08-18.png"
    clock.now = at(date(2027, 8, 18), 10)
    await chat.act("anna", done, value=value, text=where, message=theirs.id)
    await chat.wait_for_text("anna", where)

    clock.now = at(date(2027, 8, 18), 11)
    await chat.act("bjorn", "archive:snooze", value=value, message=his.id)
    said = sv(
        "{name} has already recorded this archiving, on {when} (saved at: {location}). "
        "Nothing was changed.",
        name=await _name(store, "anna"), when=sv.when(at(date(2027, 8, 18), 10)),
        location=where,
    )
    shown = await chat.wait_for(
        "bjorn", lambda ms: any(m.id == his.id and said in m.text for m in ms)
    )
    [card] = [m for m in shown if m.id == his.id]
    assert card.pressable() == []
    [record] = await load(store, ArchiveRecord)
    assert record.snoozed_until is None and record.account_id == account
