"""`/close-account` and *Close the account*: which account, the final archive, the reason,
a last confirmation; the Registry Office and the Communications Office are told and the
account leaves the rota. Through `Brain.handle`, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from data.db import Store
from data.models import Account, ClosureRecord, Outbox
from dialogs.messages import Paragraph
from tests.helpers import T0, Cast, load
from tests.helpers.chat import (
    CastSenders,
    buttons,
    choices,
    dialog_state,
    fields,
    only,
    says,
    step_of,
)
from tests.helpers.nudging import account_of, chat, refusal

WHERE = "Diarienummer 1-234/2027"
WHY = "The project ended in June."
LATER = T0 + timedelta(days=100)


async def test_closing_an_account_tells_the_registry_and_comms_offices(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    account = await account_of(store, cast)
    bo = chat(store, who.colleague, LATER)
    prompt = only(await bo.command("close-account"))
    # One account: straight to where its final archive is.
    assert step_of(prompt) == "location"
    assert says(prompt, "Let's close an account.")
    assert step_of(only(await bo.say(WHERE))) == "reason"
    summary = only(await bo.say(WHY))
    assert step_of(summary) == "summary"
    assert fields(summary) == {
        "Account": "SOME-2027-0001 · Instagram ki_neuroscience",
        "Final archive": WHERE,
        "Reason": WHY,
    }
    close, _edit, _cancel = buttons(summary)
    assert close.label == "Close the account" and close.style == "danger"
    assert close.confirm is not None and close.confirm.yes == "Yes, close it"

    done = only(await bo.dlg("summary", "submit"))
    assert done.blocks[0] == Paragraph(
        "Instagram ki_neuroscience (SOME-2027-0001) is closed. The Registry Office and the "
        "Communications Office have been told, and the account has left the rota."
    )
    [stored] = await load(store, Account)
    assert (stored.status, stored.closed_at) == ("closed", LATER)
    [record] = await load(store, ClosureRecord)
    assert (record.account_id, record.closed_by, record.reason, record.final_archive_location) == (
        account, cast.colleague, WHY, WHERE
    )
    told = await load(store, Outbox, Outbox.kind == "account_closed")
    assert sorted(r.place or "" for r in told if r.place) == ["comms", "registry"]
    assert sorted(r.recipient_id or 0 for r in told if r.recipient_id) == sorted(
        [cast.requester, cast.manager]
    )
    assert await dialog_state(store, cast.colleague) is None

    # It has left the rota, and cannot be closed again.
    assert says(only(await bo.command("duty")), "You are not on the team of any account")
    assert says(only(await bo.command("close-account")), "You have no open accounts")


async def test_with_several_accounts_it_asks_which(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    await account_of(store, cast)
    second = await account_of(store, cast, "ki_pain")
    # The manager may close too.
    dan = chat(store, who.manager, LATER)
    prompt = only(await dan.command("close-account"))
    assert step_of(prompt) == "account"
    assert len(choices(prompt)[0].options) == 2
    await dan.dlg("account", "choose", str(second))
    await dan.say(WHERE)
    await dan.say(WHY)
    await dan.dlg("summary", "submit")
    [record] = await load(store, ClosureRecord)
    assert (record.account_id, record.closed_by) == (second, cast.manager)


async def test_a_number_that_names_none_of_the_accounts_closes_nothing(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    """The only account is not taken for one typed that is not the person's to close."""
    await account_of(store, cast)
    bo = chat(store, who.colleague, LATER)
    for typed in ("SOME-2027-0002", "banana"):
        reply = only(await bo.command("close-account", typed))
        assert reply.blocks == (Paragraph(
            f"None of the accounts you can choose here is numbered {typed}. Type the command "
            "alone to choose one."
        ),)
        assert await dialog_state(store, cast.colleague) is None
    # Its own number starts the closing at once.
    prompt = only(await bo.command("close-account", "SOME-2027-0001"))
    assert step_of(prompt) == "location"


async def test_cancel_keeps_the_account_open(store: Store, cast: Cast, who: CastSenders) -> None:
    await account_of(store, cast)
    anna = chat(store, who.requester, LATER)
    await anna.command("close-account")
    await anna.say(WHERE)
    reply = only(await anna.say("avbryt"))
    assert reply.blocks[0] == Paragraph("Cancelled. The account stays open.")
    [stored] = await load(store, Account)
    assert stored.status == "active"


async def test_close_the_account_button_starts_the_conversation(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    await account_of(store, cast)
    second = await account_of(store, cast, "ki_pain")
    anna = chat(store, who.requester, LATER)
    prompt = only(await anna.click("close:start", value=str(second)))
    assert step_of(prompt) == "location"
    await anna.say(WHERE)
    summary = only(await anna.say(WHY))
    assert fields(summary)["Account"] == "SOME-2027-0002 · Instagram ki_pain"


async def test_who_may_not_close(store: Store, cast: Cast, who: CastSenders) -> None:
    account = await account_of(store, cast)
    outsider = chat(store, who.outsider, LATER)
    assert says(only(await outsider.command("close-account")), "You have no open accounts")
    assert refusal(await outsider.click("close:start", value=str(account))) == (
        "Only the account's team or its manager can close it (and, for university-wide and "
        "university administration accounts, the Director of Communications). Nothing was "
        "changed."
    )
    # The director may close only university-wide and administration accounts.
    assert says(
        only(await chat(store, who.director, LATER).command("close-account")),
        "You have no open accounts",
    )
    assert await dialog_state(store, cast.outsider) is None


async def test_closed_by_someone_else_meanwhile(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    account = await account_of(store, cast)
    anna = chat(store, who.requester, LATER)
    await anna.command("close-account")
    await anna.say(WHERE)
    await anna.say(WHY)
    bo = chat(store, who.colleague, LATER)
    await bo.click("close:start", value=str(account))
    await bo.say(WHERE)
    await bo.say("Not used any more.")
    await bo.dlg("summary", "submit")

    reply = only(await anna.dlg("summary", "submit"))
    assert reply.blocks[0] == Paragraph(
        "The account SOME-2027-0001 is closed, so that changes nothing."
    )
    [record] = await load(store, ClosureRecord)
    assert record.closed_by == cast.colleague
    assert await dialog_state(store, cast.requester) is None
    assert refusal(await bo.click("close:start", value=str(account))) == (
        "The account SOME-2027-0001 is closed, so that changes nothing."
    )
