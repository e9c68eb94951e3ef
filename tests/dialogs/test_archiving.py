"""`/major-change` and the buttons *Archived…* and *Snooze a week*, through `Brain.handle`.
On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from data.db import Store
from data.models import ArchiveRecord, Outbox
from dialogs.messages import Paragraph, TextInput
from tests.helpers import T0, Cast, load
from tests.helpers.chat import CastSenders, buttons, choices, only, says
from tests.helpers.nudging import account_of, chat, refusal

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
    assert (again.action, again.value) == ("archive:done", str(account))
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
