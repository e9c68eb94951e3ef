"""`/removed` records a removed post or comment in the account's moderation log, one question
at a time; threats and sensitive personal data reach the manager at once, with what to do
next. Through `Brain.handle`, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from data.db import Store
from data.models import ModerationEntry, Outbox
from dialogs import notices
from dialogs.i18n import Translator
from tests.helpers import T0, Cast, load
from tests.helpers.chat import CastSenders, buttons, fields, only, says, step_of
from tests.helpers.nudging import account_of, chat

EN, SV = Translator("en"), Translator("sv")
LINK = "https://instagram.com/p/abc123 (comment by @someone)"


async def test_a_threat_is_recorded_and_the_manager_told_at_once(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    account = await account_of(store, cast)
    bo = chat(store, who.colleague)
    prompt = only(await bo.command("removed"))
    # One account: straight to what was removed.
    assert step_of(prompt) == "content"
    assert says(prompt, "What was removed? Paste a link to the post or comment, or describe it.")
    prompt = only(await bo.say(LINK))
    assert step_of(prompt) == "category"
    prompt = only(await bo.dlg("category", "choose", "crime"))
    assert step_of(prompt) == "reason"
    prompt = only(await bo.say("It threatened one of our researchers."))
    assert step_of(prompt) == "removed_at"
    assert buttons(prompt)[0].action == "dlg:removed_at:now"
    again = only(await bo.say("yesterday-ish"))
    assert step_of(again) == "removed_at"
    assert says(again, "I couldn't read yesterday-ish as a time.")
    again = only(await bo.say("2027-03-01 12:00"))
    assert says(again, "That time has not come yet.")
    prompt = only(await bo.say("2027-03-01 09:15"))
    assert step_of(prompt) == "evidence"
    summary = only(await bo.say("Screenshot in Teams > Comms > Moderation"))
    assert fields(summary) == {
        "Account": "SOME-2027-0001 · Instagram ki_neuroscience",
        "What was removed": LINK,
        "Kind of content": "Incitement to crime, unlawful threats, unlawful depictions of violence or child pornography",
        "Why": "It threatened one of our researchers.",
        "Removed": "2027-03-01 09:15",
        "Evidence saved at": "Screenshot in Teams > Comms > Moderation",
    }
    done = only(await bo.dlg("summary", "submit"))
    assert says(done, "The removal is recorded in the moderation log of Instagram ki_neuroscience.")
    assert says(done, "The manager has been told at once.")
    assert says(done, "Report threats and other crimes to the police")

    [entry] = await load(store, ModerationEntry)
    assert (entry.account_id, entry.category, entry.removed_by, entry.content) == (
        account, "crime", cast.colleague, LINK
    )
    # 09:15 in Stockholm is 08:15 UTC.
    assert entry.removed_at == T0 - timedelta(minutes=45)
    [alert] = await load(store, Outbox, Outbox.kind == "moderation_alert")
    assert alert.recipient_id == cast.manager
    async with store.transaction() as session:
        shown = await notices.compose(session, SV, alert.kind, alert.params, alert.recipient_id)
    assert fields(shown)[SV("What was removed")] == LINK
    assert says(shown, SV(
        "Report threats and other crimes to the police (polisen.se or 114 14; 112 if someone is in danger now), and keep the evidence."
    ))


async def test_copyright_just_now_is_logged_without_alarming_the_manager(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    await account_of(store, cast)
    anna = chat(store, who.requester)
    await anna.command("removed")
    await anna.say("A photo used without the photographer's permission")
    await anna.dlg("category", "choose", "copyright")
    await anna.say("We had no licence for it.")
    prompt = only(await anna.dlg("removed_at", "now"))
    assert step_of(prompt) == "evidence"
    await anna.say("W:/Comms/moderation/2027-03-01.png")
    done = only(await anna.dlg("summary", "submit"))
    assert not says(done, "The manager has been told at once.")
    [entry] = await load(store, ModerationEntry)
    assert (entry.category, entry.removed_at) == ("copyright", T0)
    assert await load(store, Outbox, Outbox.kind == "moderation_alert") == []


async def test_only_the_team_records_removals(store: Store, cast: Cast, who: CastSenders) -> None:
    await account_of(store, cast)
    manager = chat(store, who.manager)
    assert says(
        only(await manager.command("removed")),
        "Removals are recorded by an account's team, and you are not on the team of any account.",
    )
    assert await load(store, ModerationEntry) == []
