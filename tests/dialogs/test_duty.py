"""`/duty`, `/away`, and the buttons *Monitored today*, *I can't today* and *Still active*,
through `Brain.handle`. On SQLite and PostgreSQL; every turn at an explicit time."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from data import closure
from data.db import Store
from data.models import Absence, ActivityEntry, MonitoringCheckIn, Outbox
from data.policy import NudgeConfig
from dialogs.messages import Button, Context, Message, Paragraph
from dialogs.router import Brain
from tests.helpers import KEY, T0, Cast, count, load
from tests.helpers.accounts import register
from tests.helpers.chat import CastSenders, Chat, buttons, cast_senders, fields, only, says
from tests.helpers.nudging import account_of, at, chat, refusal

MONDAY = date(2027, 3, 1)  # T0 is 10:00 on it in Stockholm
NOT_TEAM = "Only the account's team can do that. Nothing was changed."


def check_ins(message: Message) -> list[Button]:
    """The *Monitored today* and *I can't today* buttons (the rota's own are in
    test_rota_changes.py)."""
    return [b for b in buttons(message) if b.action.startswith("duty:")]


# --- /duty ----------------------------------------------------------------------------------


async def test_duty_without_accounts(store: Store, who: CastSenders) -> None:
    reply = only(await chat(store, who.outsider).command("duty"))
    assert says(reply, "You are not on the team of any account in the register")


async def test_duty_shows_today_and_the_week_with_the_buttons_for_the_one_on_duty(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    account = await account_of(store, cast)
    anna = chat(store, who.requester)
    reply = only(await anna.command("duty"))
    assert reply.title == "Who is on duty"
    assert says(reply, "SOME-2027-0001 · Instagram ki_neuroscience: you are on duty today.")
    assert fields(reply) == {
        "Monday 2027-03-01 (today)": "Anna Berg",
        "Tuesday 2027-03-02": "Bo Ek",
        "Wednesday 2027-03-03": "Anna Berg",
        "Thursday 2027-03-04": "Bo Ek",
        "Friday 2027-03-05": "Anna Berg",
    }
    value = f"{account}:2027-03-01"
    assert [(b.action, b.value) for b in check_ins(reply)] == [
        ("duty:monitored", value),
        ("duty:cannot", value),
    ]

    # The colleague sees who is on duty, without the buttons; the manager too.
    bo = only(await chat(store, who.colleague).command("duty"))
    assert says(bo, "SOME-2027-0001 · Instagram ki_neuroscience: Anna Berg is on duty today.")
    assert not check_ins(bo)
    assert says(only(await chat(store, who.manager).command("duty")), "Anna Berg is on duty")

    # Once marked, no buttons.
    done = only(await anna.click("duty:monitored", value=value))
    assert done.blocks[0] == Paragraph(
        "Thanks! Instagram ki_neuroscience is marked as monitored today."
    )
    assert not check_ins(only(await anna.command("duty")))
    # "I can't today" on the same card afterwards takes nothing back.
    assert refusal(await anna.click("duty:cannot", value=value)) == (
        "You have already marked 2027-03-01 as monitored, so it stays monitored. Nothing was "
        "changed."
    )


async def test_duty_at_the_weekend_shows_the_coming_week_in_swedish(
    store: Store, cast: Cast
) -> None:
    await account_of(store, cast)
    swedish = await cast_senders(store, cast, locale="sv-SE")
    saturday = T0 + timedelta(days=5)
    reply = only(await chat(store, swedish.requester, saturday).command("duty"))
    assert reply.title == "Vem har bevakningen"
    assert says(reply, "SOME-2027-0001 · Instagram ki_neuroscience: i dag är ingen arbetsdag.")
    assert list(fields(reply)) == [
        "måndag 2027-03-08",
        "tisdag 2027-03-09",
        "onsdag 2027-03-10",
        "torsdag 2027-03-11",
        "fredag 2027-03-12",
    ]


GOOD_FRIDAY = date(2027, 3, 26)
ROTATES_DAILY = (
    "Duty moves to the next person in the rota every weekday, public holidays and eves included."
)


def notes(message: Message) -> list[str]:
    return [b.text for b in message.blocks if isinstance(b, Context)]


async def test_duty_on_a_weekday_holiday_names_the_holiday_duty(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    # "Monitored weekdays, year-round": Good Friday is the 20th weekday from the anchor
    # (Monday 1 March), so Bo, second in the rota of two, is on duty.
    await account_of(store, cast)
    friday = at(GOOD_FRIDAY, 10)
    bo = only(await chat(store, who.colleague, friday).command("duty"))
    assert says(bo, "SOME-2027-0001 · Instagram ki_neuroscience: you are on duty today.")
    assert notes(bo) == ["Today is Good Friday: a holiday duty. KI's guidelines ask for the "
                         "account to be monitored on weekdays, year-round.", ROTATES_DAILY]
    assert fields(bo)["Friday 2027-03-26 (today)"] == "Bo Ek (holiday duty: Good Friday)"
    assert fields(bo)["Thursday 2027-03-25"] == "Anna Berg"
    assert [b.action for b in check_ins(bo)] == ["duty:monitored", "duty:cannot"]
    # Easter Monday, a holiday too, is the next step: Anna's.
    assert fields(only(await chat(store, who.colleague, at(GOOD_FRIDAY + timedelta(days=3),
                                                            10)).command("duty")))[
        "Monday 2027-03-29 (today)"
    ] == "Anna Berg (holiday duty: Easter Monday)"
    # In Swedish (Anna, who has not spoken yet), the holiday has its Swedish name.
    swedish = await cast_senders(store, cast, locale="sv-SE")
    reply = only(await chat(store, swedish.requester, friday).command("duty"))
    assert fields(reply)["fredag 2027-03-26 (i dag)"] == "Bo Ek (helgdagsbevakning: Långfredagen)"
    # The note is for the person on duty's day, shown to everyone who asks.
    assert notes(reply)[0].startswith("I dag är det Långfredagen, så det är helgdagsbevakning.")


async def test_duty_on_a_holiday_when_the_university_turned_holiday_duty_off(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    await account_of(store, cast)
    brain = Brain(store, signing_key=KEY, nudges=NudgeConfig(holiday_duty=False))
    reply = only(await Chat(brain, who.colleague, now=at(GOOD_FRIDAY, 10)).command("duty"))
    assert says(reply, "SOME-2027-0001 · Instagram ki_neuroscience: today is not a working day.")
    assert fields(reply)["Friday 2027-03-26 (today)"] == "Not a working day"
    assert not check_ins(reply)
    assert notes(reply) == ["Duty moves to the next person in the rota every working day."]


async def test_duty_lists_days_only_from_the_registration_date(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    """Once the days before the account existed had people on duty too."""
    wednesday = MONDAY + timedelta(days=2)
    await register(store, requester=cast.requester, team=(cast.colleague,),
                   manager=cast.manager, now=at(wednesday, 9))
    reply = only(await chat(store, who.requester, at(wednesday, 10)).command("duty"))
    assert fields(reply) == {
        "Wednesday 2027-03-03 (today)": "Anna Berg",
        "Thursday 2027-03-04": "Bo Ek",
        "Friday 2027-03-05": "Anna Berg",
    }


async def test_duty_on_a_friday_afternoon_shows_next_week(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    await account_of(store, cast)
    friday = MONDAY + timedelta(days=4)
    morning = only(await chat(store, who.requester, at(friday, 11, 59)).command("duty"))
    days = list(fields(morning))
    assert (days[0], days[-1]) == ("Monday 2027-03-01", "Friday 2027-03-05 (today)")
    afternoon = only(await chat(store, who.requester, at(friday, 12)).command("duty"))
    assert list(fields(afternoon)) == [
        "Friday 2027-03-05 (today)",
        "Monday 2027-03-08",
        "Tuesday 2027-03-09",
        "Wednesday 2027-03-10",
        "Thursday 2027-03-11",
        "Friday 2027-03-12",
    ]


# --- /away ----------------------------------------------------------------------------------


async def test_away_keeps_a_person_off_the_rota_and_can_be_cancelled(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    await account_of(store, cast)
    bo = chat(store, who.colleague)
    reply = only(await bo.command("away", "2027-03-02 2027-03-04"))
    assert reply.blocks[0] == Paragraph(
        "You are recorded as away from 2027-03-02 to 2027-03-04. "
        "The rota skips you on those days."
    )
    only(await bo.say("/away 2027-03-12"))
    week = fields(only(await chat(store, who.requester).command("duty")))
    assert week["Tuesday 2027-03-02"] == week["Thursday 2027-03-04"] == "Anna Berg"

    listed = only(await bo.command("away"))
    assert listed.title == "Your absences"
    assert list(fields(listed)) == [
        "From 2027-03-02 to 2027-03-04",
        "From 2027-03-12 to 2027-03-12",
    ]
    first, _second = buttons(listed)
    assert (first.action, first.label) == ("away:cancel", "Cancel 2027-03-02 – 2027-03-04")
    assert first.confirm is not None

    # Only one's own.
    assert refusal(await chat(store, who.requester).click("away:cancel", value=first.value)) == (
        "You can only record or cancel your own absences."
    )
    done = only(await bo.click("away:cancel", value=first.value))
    assert done.blocks[0] == Paragraph("Your absence from 2027-03-02 to 2027-03-04 is cancelled.")
    assert refusal(await bo.click("away:cancel", value=first.value)) == (
        "I can't find that absence. It may already be cancelled."
    )
    [left] = await load(store, Absence)
    assert left.first_day == date(2027, 3, 12)


async def test_away_overlapping_ones_own_absence_is_refused_and_names_it(
    store: Store, who: CastSenders
) -> None:
    bo = chat(store, who.colleague)
    only(await bo.command("away", "2027-07-01 2027-07-31"))
    assert refusal(await bo.command("away", "2027-07-20 2027-08-06")) == (
        "You are already recorded as away from 2027-07-01 to 2027-07-31, which overlaps those "
        "days. Type /away to see your absences and cancel that one first, or give other days."
    )
    assert refusal(await bo.command("away", "2027-07-31")).startswith(
        "You are already recorded as away from 2027-07-01 to 2027-07-31"
    )
    [only_one] = await load(store, Absence)
    assert (only_one.first_day, only_one.last_day) == (date(2027, 7, 1), date(2027, 7, 31))
    # The days after it are free.
    assert says(only(await bo.command("away", "2027-08-01 2027-08-06")),
                "You are recorded as away from 2027-08-01 to 2027-08-06.")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            "tomorrow",
            "I couldn't read tomorrow as a date. Write dates as year-month-day, for example "
            "/away 2027-07-01 2027-07-31",
        ),
        (
            "2027-02-30",
            "I couldn't read 2027-02-30 as a date. Write dates as year-month-day, for example "
            "/away 2027-07-01 2027-07-31",
        ),
        (
            "2027-07-01 2027-07-10 2027-07-31",
            "Give the first and the last day you are away, for example /away 2027-07-01 "
            "2027-07-31",
        ),
        (
            "2027-07-31 2027-07-01",
            "The last day is before the first day. Give the first day first, for example "
            "/away 2027-07-01 2027-07-31",
        ),
        ("2027-02-01 2027-02-10", "Those days have already passed: give days from today on."),
        (
            "2027-07-01 2028-12-31",
            "An absence can be at most 366 days long, counting absences right before or after "
            "it as one. If you will be away longer, ask to be taken off the account's team.",
        ),
        (
            "9999-01-01 9999-12-31",
            "An absence can be recorded at most 400 days ahead, so it can end on 2028-04-04 at "
            "the latest. Record the rest nearer the time.",
        ),
        # A range with an end missing is no one-day absence.
        *(
            (
                args,
                "Give the first and the last day you are away, for example /away 2027-07-01 "
                "2027-07-31",
            )
            for args in ("2027-07-01 to", "to 2027-07-01", "from 2027-07-01", "2027-07-01 –",
                         "från 2027-07-01 till", "to", "- -", "from")
        ),
    ],
)
async def test_bad_dates_are_explained_and_nothing_is_recorded(
    store: Store, who: CastSenders, args: str, expected: str
) -> None:
    assert refusal(await chat(store, who.colleague).command("away", args)) == expected
    assert await count(store, Absence) == 0


@pytest.mark.parametrize(
    "args",
    [
        "from 2027-07-01 to 2027-07-31",
        "From 2027-07-01 until 2027-07-31",
        "från 2027-07-01 till 2027-07-31",
        "från 2027-07-01 t.o.m. 2027-07-31",
        "2027-07-01 – 2027-07-31",
        "2027-07-01—2027-07-31",
        "2027-07-01..2027-07-31",
        "2027-07-01 - 2027-07-31",
    ],
)
async def test_the_ways_people_write_a_range_are_understood(
    store: Store, who: CastSenders, args: str
) -> None:
    reply = only(await chat(store, who.colleague).command("away", args))
    assert says(reply, "You are recorded as away from 2027-07-01 to 2027-07-31.")
    [row] = await load(store, Absence)
    assert (row.first_day, row.last_day) == (date(2027, 7, 1), date(2027, 7, 31))


async def test_an_absence_that_began_earlier_is_recorded_from_today(
    store: Store, who: CastSenders
) -> None:
    reply = only(await chat(store, who.colleague).command("away", "2027-02-22 2027-03-05"))
    assert reply.blocks[0] == Paragraph(
        "You are recorded as away from 2027-03-01 to 2027-03-05. "
        "The rota skips you on those days."
    )
    assert Context(
        "Days before today are not recorded: who was on duty then stays as it was."
    ) in reply.blocks
    [row] = await load(store, Absence)
    assert row.first_day == MONDAY


async def test_dates_are_explained_in_swedish(store: Store, cast: Cast) -> None:
    swedish = await cast_senders(store, cast, locale="sv")
    text = refusal(await chat(store, swedish.requester).command("away", "2027-07-31 2027-07-01"))
    assert text.startswith("Den sista dagen är före den första.")
    reply = only(await chat(store, swedish.requester).command("away", "2027-07-01 till 2027-07-31"))
    assert says(reply, "Du är registrerad som borta från 2027-07-01 till 2027-07-31.")


# --- the buttons ----------------------------------------------------------------------------


async def test_i_cannot_today_hands_the_day_to_the_next_in_the_rota(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    account = await account_of(store, cast)
    reply = only(
        await chat(store, who.requester).click("duty:cannot", value=f"{account}:2027-03-01")
    )
    assert reply.blocks[0] == Paragraph(
        "Noted. Bo Ek is on duty for Instagram ki_neuroscience today instead and has been told."
    )
    [handed] = await load(store, Outbox, Outbox.kind == "duty_handed")
    assert handed.recipient_id == cast.colleague
    assert says(only(await chat(store, who.colleague).command("duty")), "you are on duty today")


async def test_i_cannot_today_with_nobody_left_tells_the_manager(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    account = await account_of(store, cast)
    only(await chat(store, who.colleague).command("away", "2027-03-01 2027-03-05"))
    reply = only(
        await chat(store, who.requester).click("duty:cannot", value=f"{account}:2027-03-01")
    )
    assert reply.blocks[0] == Paragraph(
        "Noted. Nobody else in the team of Instagram ki_neuroscience is available today, "
        "so the manager has been told."
    )
    [told] = await load(store, Outbox, Outbox.kind == "nobody_on_duty")
    assert told.recipient_id == cast.manager


async def test_a_click_on_yesterdays_reminder_marks_yesterday(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    account = await account_of(store, cast)
    tuesday = chat(store, who.requester, T0 + timedelta(days=1))
    reply = only(await tuesday.click("duty:monitored", value=f"{account}:2027-03-01"))
    assert says(reply, "is marked as monitored on 2027-03-01.")
    [row] = await load(store, MonitoringCheckIn)
    assert row.day == MONDAY


@pytest.mark.parametrize("action", ["duty:monitored", "duty:cannot", "active:yes"])
async def test_only_the_team_uses_the_buttons(
    store: Store, cast: Cast, who: CastSenders, action: str
) -> None:
    account = await account_of(store, cast)
    value = f"{account}:2027-03-01" if action.startswith("duty") else str(account)
    for outsider in (who.outsider, who.manager):
        assert refusal(await chat(store, outsider).click(action, value=value)) == NOT_TEAM
    assert await count(store, MonitoringCheckIn) == 0
    assert await count(store, ActivityEntry) == 0


async def test_still_active_logs_activity(store: Store, cast: Cast, who: CastSenders) -> None:
    account = await account_of(store, cast)
    reply = only(await chat(store, who.colleague).click("active:yes", value=str(account)))
    assert reply.blocks[0] == Paragraph(
        "Thanks! Activity on Instagram ki_neuroscience is logged today, so it counts as "
        "active again."
    )
    [entry] = await load(store, ActivityEntry)
    assert (entry.account_id, entry.person_id, entry.at) == (account, cast.colleague, T0)


BEFORE_REGISTRATION = (
    "The account was registered on 2027-03-01: you can only mark that day or later."
)
UNREADABLE_DAY = (
    "I couldn't read which day this button is about, so nothing was marked. "
    "Type /duty to mark today."
)


@pytest.mark.parametrize("action", ["duty:monitored", "duty:cannot"])
@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # Once a crash (the rota counts working days from 2000), retried and parked unanswered.
        pytest.param("0001-01-01", BEFORE_REGISTRATION, id="year-one"),
        pytest.param("1999-12-31", BEFORE_REGISTRATION, id="before-the-calendar"),
        # Once stored: a day before the account existed.
        pytest.param("2027-02-28", BEFORE_REGISTRATION, id="the-day-before-registration"),
        pytest.param(
            "9999-12-31", "That day has not come yet: you can only mark today or earlier.",
            id="far-ahead",
        ),
        # Once silently taken as today.
        pytest.param("2027-02-30", UNREADABLE_DAY, id="no-such-day"),
        pytest.param("2027-3-1", UNREADABLE_DAY, id="not-zero-padded"),
        pytest.param("20270301", UNREADABLE_DAY, id="basic-format"),
        pytest.param("yesterday", UNREADABLE_DAY, id="a-word"),
        pytest.param("2027-03-01:extra", UNREADABLE_DAY, id="trailing"),
    ],
)
async def test_a_check_in_for_a_day_that_cannot_be_marked_is_refused(
    store: Store, cast: Cast, who: CastSenders, action: str, day: str, expected: str
) -> None:
    account = await account_of(store, cast)  # registered at T0, on MONDAY
    anna = chat(store, who.requester)
    sent = await count(store, Outbox)
    assert refusal(await anna.click(action, value=f"{account}:{day}")) == expected
    assert await count(store, MonitoringCheckIn) == 0
    assert await count(store, Outbox) == sent
    # The day of the reminder is still hers to mark.
    assert says(
        only(await anna.click("duty:monitored", value=f"{account}:2027-03-01")),
        "is marked as monitored today.",
    )


async def test_a_day_before_registration_is_refused_in_swedish(store: Store, cast: Cast) -> None:
    account = await account_of(store, cast)
    swedish = await cast_senders(store, cast, locale="sv")
    text = refusal(
        await chat(store, swedish.requester).click("duty:monitored", value=f"{account}:2027-02-26")
    )
    assert text == "Kontot registrerades 2027-03-01. Du kan bara markera den dagen eller senare."
    text = refusal(
        await chat(store, swedish.requester).click("duty:monitored", value=f"{account}:x")
    )
    assert text.startswith("Jag kunde inte läsa vilken dag knappen gäller")
    assert await count(store, MonitoringCheckIn) == 0


async def test_buttons_with_values_nobody_made(store: Store, cast: Cast, who: CastSenders) -> None:
    await account_of(store, cast)
    anna = chat(store, who.requester)
    assert refusal(await anna.click("duty:monitored", value="nonsense")) == (
        "I can't find that account."
    )
    # A well-formed id of no account is answered as one of someone else's (test_foreign_ids).
    assert refusal(await anna.click("duty:monitored", value="999:2027-03-01")) == NOT_TEAM
    assert refusal(await anna.click("duty:frobnicate", value="1:2027-03-01")) == (
        "That button no longer does anything."
    )


@pytest.mark.parametrize("action", ["duty:monitored", "duty:cannot", "active:yes"])
async def test_foreign_ids_learn_nothing(
    store: Store, cast: Cast, who: CastSenders, action: str
) -> None:
    """A forged button gets one answer for an id of no account, an open account and a closed
    one that are not the clicker's: neither which ids exist nor a closed account's number."""
    mine = await account_of(store, cast)
    closed = await account_of(store, cast, handle="ki_closed")
    async with store.transaction() as session:
        await closure.close_account(session, account_id=closed, actor_id=cast.manager,
                                    reason="Not used", final_archive_location="S:/a", now=T0)
    for account in (999, mine, closed):
        value = f"{account}:2027-03-01" if action.startswith("duty") else str(account)
        assert refusal(await chat(store, who.outsider).click(action, value=value)) == NOT_TEAM
    assert await count(store, MonitoringCheckIn) == 0
