"""`/major-change` and the buttons *Archived…* and *Snooze a week*, through `Brain.handle`.
On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from data.db import Store
from data.models import ArchiveRecord, AuditEvent, Outbox
from dialogs import notices
from dialogs.i18n import Translator
from dialogs.messages import Button, Paragraph, TextInput
from scheduler.sweep import sweep
from tests.helpers import T0, Cast, count, load
from tests.helpers.chat import CastSenders, buttons, choices, only, says
from tests.helpers.nudging import CONFIG, account_of, at, chat, refusal

WHERE = "W:/Kommunikation/Arkiv/Instagram/2027-03-01.png"


async def test_a_major_change_asks_the_team_to_archive_first(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    account = await account_of(store, cast)
    reply = only(await chat(store, who.colleague).command("major-change"))
    assert reply.blocks[0] == Paragraph(
        "The team of Instagram ki_neuroscience, you included, is asked to save a screenshot of "
        "the profile page before the change and to say where it was saved."
    )
    [record] = await load(store, ArchiveRecord)
    assert (record.account_id, record.reason, record.due, record.done_at) == (
        account, "major_change", date(2027, 3, 1), None
    )
    told = await load(store, Outbox, Outbox.kind == "archive_requested")
    assert sorted(r.recipient_id or 0 for r in told) == sorted([cast.requester, cast.colleague])


async def test_with_several_accounts_the_person_picks_one(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    await account_of(store, cast)
    second = await account_of(store, cast, "ki_pain")
    anna = chat(store, who.requester)
    reply = only(await anna.command("major-change"))
    assert says(reply, "Which account is about to change?")
    [choice] = choices(reply)
    assert choice.action == "archive:request"
    assert [o.label for o in choice.options] == [
        "SOME-2027-0001 · Instagram ki_neuroscience",
        "SOME-2027-0002 · Instagram ki_pain",
    ]
    only(await anna.click("archive:request", str(second)))
    [record] = await load(store, ArchiveRecord)
    assert record.account_id == second
    # Or named with the command.
    only(await anna.command("major-change", "SOME-2027-0001"))
    assert len(await load(store, ArchiveRecord)) == 2


async def test_a_number_that_names_none_of_the_accounts_asks_nothing(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    """Typed after the command, a number or word that names none of the person's accounts is
    refused in words: the only account is not asked about in its place."""
    account = await account_of(store, cast)
    bo = chat(store, who.colleague)
    for typed in ("SOME-2027-0002", "banana", "2"):
        reply = only(await bo.command("major-change", typed))
        assert reply.blocks == (Paragraph(
            f"None of the accounts you can choose here is numbered {typed}. Type the command "
            "alone to choose one."
        ),)
    assert await load(store, ArchiveRecord) == []
    assert await load(store, Outbox, Outbox.kind == "archive_requested") == []
    # Its own number, or its place in the list, names it.
    for typed in ("some-2027-0001", "1"):
        only(await bo.command("major-change", typed))
        assert [r.account_id for r in await load(store, ArchiveRecord)] == [account]


async def test_only_a_team_asks_for_it(store: Store, cast: Cast, who: CastSenders) -> None:
    account = await account_of(store, cast)
    reply = only(await chat(store, who.manager).command("major-change"))
    assert says(reply, "Archiving before a major change is asked for by an account's team")
    assert refusal(await chat(store, who.outsider).click("archive:request", str(account))) == (
        "Only the account's team can do that. Nothing was changed."
    )
    assert await load(store, ArchiveRecord) == []


async def test_archived_asks_where_when_nothing_was_written_then_records_it(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    account = await account_of(store, cast)
    bo = chat(store, who.colleague, T0 + timedelta(days=170))
    question = only(await bo.click("archive:done", value=str(account)))
    assert says(question, "Where did you save the screenshot of the profile page of Instagram")
    [field] = [b for b in question.blocks if isinstance(b, TextInput)]
    assert field.value == "" and field.action == "archive:location"
    [again] = buttons(question)
    # Asked from an old card (its value the account id alone): the period it is about now.
    assert (again.action, again.value) == ("archive:done", f"{account}:0")
    assert await load(store, ArchiveRecord) == []

    done = only(await bo.click("archive:done", value=str(account), text=f"  {WHERE} "))
    assert done.blocks[0] == Paragraph(
        f"Thanks! The archiving of Instagram ki_neuroscience is recorded (saved at: {WHERE}). "
        "The next is due on 2028-02-18."
    )
    [record] = await load(store, ArchiveRecord)
    assert (record.location, record.done_by, record.due) == (
        WHERE, cast.colleague, date(2027, 9, 1)
    )


async def test_snooze_a_week(store: Store, cast: Cast, who: CastSenders) -> None:
    account = await account_of(store, cast)
    reply = only(await chat(store, who.requester).click("archive:snooze", value=str(account)))
    assert reply.blocks[0] == Paragraph(
        "The archiving reminders for Instagram ki_neuroscience are paused until 2027-03-08."
    )
    [record] = await load(store, ArchiveRecord)
    assert record.snoozed_until == date(2027, 3, 8) and record.done_at is None


@pytest.mark.parametrize("action", ["archive:done", "archive:snooze"])
async def test_only_the_team_archives(
    store: Store, cast: Cast, who: CastSenders, action: str
) -> None:
    account = await account_of(store, cast)
    for someone in (who.outsider, who.manager):
        assert refusal(
            await chat(store, someone).click(action, value=str(account), text=WHERE)
        ) == "Only the account's team can do that. Nothing was changed."
    assert await load(store, ArchiveRecord) == []


async def test_a_location_too_long_is_refused(store: Store, cast: Cast, who: CastSenders) -> None:
    account = await account_of(store, cast)
    text = refusal(
        await chat(store, who.requester).click("archive:done", value=str(account), text="x" * 1001)
    )
    assert text == "That is 1001 characters; the most I can take is 1000. Please shorten it."
    assert await load(store, ArchiveRecord) == []


# --- a repeat click: two copies of one reminder, a double click, an old card -------------------


async def _reminder_buttons(
    store: Store, cast: Cast, day: date, action: str = "archive:done"
) -> dict[int, Button]:
    """The *Archived…* button (or `action`'s) of each team member's copy of the reminder
    swept on `day`."""
    await sweep(store, at(day, 9, 5), CONFIG)
    found: dict[int, Button] = {}
    for row in await load(store, Outbox, Outbox.kind == "nudge_archiving"):
        if row.created_at >= at(day, 0):
            async with store.transaction() as session:
                message = await notices.compose(
                    session, Translator("en"), row.kind, row.params, row.recipient_id
                )
            [done] = [b for b in buttons(message) if b.action == action]
            found[row.recipient_id or 0] = done
    return found


async def test_the_second_copy_of_a_reminder_records_nothing_and_says_who_did(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    await account_of(store, cast)
    copies = await _reminder_buttons(store, cast, date(2027, 8, 18))
    anna, bo = copies[cast.requester], copies[cast.colleague]
    first = at(date(2027, 8, 18), 11)
    only(await chat(store, who.requester, first).click(anna.action, value=anna.value, text=WHERE))

    later = first + timedelta(hours=2)
    bo_chat = chat(store, who.colleague, later)
    for text in ("W:/elsewhere.png", ""):  # with a location, and without one (not asked where)
        assert refusal(await bo_chat.click(bo.action, value=bo.value, text=text)) == (
            f"Anna Berg has already recorded this archiving, on 2027-08-18 11:00 (saved at: "
            f"{WHERE}). Nothing was changed."
        )
    # A double click on the same copy too.
    assert refusal(
        await chat(store, who.requester, later).click(anna.action, value=anna.value, text=WHERE)
    ).startswith("Anna Berg has already recorded this archiving")
    [record] = await load(store, ArchiveRecord)
    assert (record.done_by, record.location) == (cast.requester, WHERE)
    assert await count(store, AuditEvent, AuditEvent.action == "archive.done") == 1


async def test_a_snooze_on_a_copy_whose_archiving_was_recorded_snoozes_nothing(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    await account_of(store, cast)
    day = date(2027, 8, 18)
    done = (await _reminder_buttons(store, cast, day))[cast.requester]
    snooze = (await _reminder_buttons(store, cast, day, "archive:snooze"))[cast.colleague]
    only(await chat(store, who.requester, at(day, 11)).click(done.action, value=done.value,
                                                             text=WHERE))
    # Bo's copy, clicked after Anna recorded it: the next archiving (2028) is not snoozed.
    assert refusal(await chat(store, who.colleague, at(day, 13)).click(
        snooze.action, value=snooze.value
    )).startswith("Anna Berg has already recorded this archiving, on 2027-08-18 11:00")
    [record] = await load(store, ArchiveRecord)
    assert record.snoozed_until is None
    assert await count(store, AuditEvent, AuditEvent.action == "archive.snoozed") == 0


async def test_a_snooze_on_a_live_copy_still_snoozes(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    await account_of(store, cast)
    day = date(2027, 8, 18)
    snooze = (await _reminder_buttons(store, cast, day, "archive:snooze"))[cast.colleague]
    bo = chat(store, who.colleague, at(day, 13))
    assert says(only(await bo.click(snooze.action, value=snooze.value)),
                "The archiving reminders for Instagram ki_neuroscience are paused until "
                "2027-08-25.")
    # An old card's value (the account alone) still works.
    assert says(only(await bo.click(snooze.action, value=snooze.value.split(":")[0])),
                "The archiving reminders for Instagram ki_neuroscience are paused until")


async def test_an_old_reminder_cannot_record_the_next_archiving(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    await account_of(store, cast)
    old = (await _reminder_buttons(store, cast, date(2027, 8, 18)))[cast.requester]
    only(await chat(store, who.requester, at(date(2027, 8, 18), 11)).click(
        old.action, value=old.value, text=WHERE
    ))
    # Six months on the next one is due (2028-02-18) and reminded of; the old card still
    # answers for the one it asked about only.
    day = date(2028, 2, 4)
    new = (await _reminder_buttons(store, cast, day))[cast.colleague]
    bo = chat(store, who.colleague, at(day, 10))
    assert refusal(await bo.click(old.action, value=old.value, text="W:/2028.png")).startswith(
        "Anna Berg has already recorded this archiving, on 2027-08-18 11:00"
    )
    assert says(only(await bo.click(new.action, value=new.value, text="W:/2028.png")),
                "Thanks! The archiving of Instagram ki_neuroscience is recorded")
    assert [r.location for r in await load(store, ArchiveRecord)] == [WHERE, "W:/2028.png"]


async def test_a_card_from_before_buttons_named_their_archiving_still_works_once(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    """Its value is only the account id: it records the archiving the team is asked for, and a
    repeat click after that (when nothing is asked for yet) records nothing."""
    account = await account_of(store, cast)
    first = T0 + timedelta(days=170)  # 2027-08-18: reminders for 2027-09-01 have begun
    bo = chat(store, who.colleague, first)
    only(await bo.click("archive:done", value=str(account), text=WHERE))
    anna = chat(store, who.requester, first + timedelta(days=1))
    assert refusal(
        await anna.click("archive:done", value=str(account), text="W:/again.png")
    ).startswith("Bo Ek has already recorded this archiving")
    assert len(await load(store, ArchiveRecord)) == 1


async def test_a_major_change_card_answers_its_own_request_once(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    await account_of(store, cast)
    only(await chat(store, who.colleague).command("major-change"))
    cards: dict[int, Button] = {}
    for row in await load(store, Outbox, Outbox.kind == "archive_requested"):
        async with store.transaction() as session:
            message = await notices.compose(
                session, Translator("en"), row.kind, row.params, row.recipient_id
            )
        [cards[row.recipient_id or 0]] = buttons(message)
    now = T0 + timedelta(hours=1)
    anna, bo = cards[cast.requester], cards[cast.colleague]
    done = only(await chat(store, who.requester, now).click(anna.action, value=anna.value,
                                                            text=WHERE))
    assert says(done, "Thanks!")
    again = await chat(store, who.colleague, now).click(bo.action, value=bo.value, text=WHERE)
    assert refusal(again).startswith("Anna Berg has already recorded this archiving")
    [record] = await load(store, ArchiveRecord)
    assert (record.reason, record.done_by) == ("major_change", cast.requester)


async def test_a_garbled_archived_button_records_nothing(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    account = await account_of(store, cast)
    bo = chat(store, who.colleague, T0 + timedelta(days=170))
    assert refusal(
        await bo.click("archive:done", value=f"{account}:soon", text=WHERE)
    ) == "That button no longer does anything."
    assert await load(store, ArchiveRecord) == []
