"""Changing an account's rota from `/duty`: *Rotate weekly*/*Rotate daily* and *Put … first*,
through `Brain.handle`. data.rota.set_rota decides who may; on SQLite and PostgreSQL; every turn
at an explicit time."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from data import closure, rota
from data.db import Store
from data.models import AuditEvent, Outbox, RotaSetting
from data.policy import NudgeConfig
from dialogs.messages import Context, Message
from dialogs.router import Brain
from tests.helpers import KEY, T0, Cast, count, load
from tests.helpers.accounts import id_of, register
from tests.helpers.chat import CastSenders, Chat, buttons, cast_senders, fields, only, says
from tests.helpers.nudging import account_of, chat, refusal

MONDAY = date(2027, 3, 1)  # T0 is 10:00 on it in Stockholm
NAME = "Instagram ki_neuroscience"
NOT_TEAM_OR_MANAGER = "Only the account's team or its manager can do that. Nothing was changed."
NOT_THE_TEAM = (
    "The rota can only put the people on the account's team in order, each once. Nothing was "
    "changed. Type /duty to see the rota as it is now."
)
WEEKLY = "Duty moves to the next person in the rota every week."


def rota_buttons(message: Message) -> list[tuple[str, str, str]]:
    return [(b.action, b.label, b.value) for b in buttons(message) if b.action.startswith("rota:")]


def small_print(message: Message) -> list[str]:
    return [b.text for b in message.blocks if isinstance(b, Context)]


async def rota_of(store: Store, account: int) -> rota.Rota:
    async with store.transaction() as session:
        return await rota.rota_of(session, account)


async def changes(store: Store) -> tuple[int, int, int]:
    """What a change writes: the setting, the audit event, the team's notices."""
    return (
        await count(store, RotaSetting),
        await count(store, AuditEvent, AuditEvent.action == "rota.changed"),
        await count(store, Outbox, Outbox.kind == "rota_changed"),
    )


async def three_of_them(store: Store, cast: Cast) -> int:
    """An account whose rota is Anna Berg, Bo Ek, Cia Lund."""
    account = await register(
        store, requester=cast.requester, team=(cast.colleague, cast.second_colleague),
        manager=cast.manager, now=T0,
    )
    assert (await rota_of(store, id_of(account))).order == (
        cast.requester, cast.colleague, cast.second_colleague
    )
    return id_of(account)


# --- the buttons in /duty -------------------------------------------------------------------


async def test_the_team_and_the_manager_get_the_rota_buttons(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    account = await account_of(store, cast)
    expected = [
        ("rota:rotation", "Rotate weekly", f"{account}:week"),
        ("rota:first", "Put Bo Ek first", f"{account}:{cast.colleague}"),
    ]
    for person in (who.requester, who.colleague, who.manager):
        assert rota_buttons(only(await chat(store, person).command("duty"))) == expected
    assert not buttons(only(await chat(store, who.outsider).command("duty")))

    # Once it rotates weekly, the button turns it back.
    only(await chat(store, who.colleague).click("rota:rotation", value=f"{account}:week"))
    reply = only(await chat(store, who.manager).command("duty"))
    assert rota_buttons(reply)[0] == ("rota:rotation", "Rotate daily", f"{account}:day")


async def test_put_first_is_offered_for_everyone_but_the_first(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    account = await three_of_them(store, cast)
    reply = only(await chat(store, who.second_colleague).command("duty"))
    assert [label for _, label, _ in rota_buttons(reply)] == [
        "Rotate weekly",
        "Put Bo Ek first",
        "Put Cia Lund first",
    ]
    assert rota_buttons(reply)[2][2] == f"{account}:{cast.second_colleague}"


# --- clicking them --------------------------------------------------------------------------


async def test_rotate_weekly_changes_the_rotation_and_the_team_is_told(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    account = await account_of(store, cast)
    tuesday = T0 + timedelta(days=1)
    bo = chat(store, who.colleague, tuesday)
    assert says(only(await bo.command("duty")), "you are on duty today")

    reply = only(await bo.click("rota:rotation", value=f"{account}:week"))
    assert reply.title == "The monitoring rota"
    assert says(
        reply,
        f"The rota of {NAME} is changed, and the team has been told. Counting starts again today.",
    )
    # Counting starts again this week with the first in the order.
    assert fields(reply) == {"Order of the rota": "Anna Berg, Bo Ek", "On duty today": "Anna Berg"}
    assert small_print(reply) == [WEEKLY]
    assert rota_buttons(reply)[0] == ("rota:rotation", "Rotate daily", f"{account}:day")

    changed = await rota_of(store, account)
    assert (changed.rotation, changed.anchor) == ("week", MONDAY + timedelta(days=1))
    told = await load(store, Outbox, Outbox.kind == "rota_changed")
    assert sorted(r.recipient_id or 0 for r in told) == sorted([cast.requester, cast.colleague])
    assert all(r.params == {"account_id": account, "by": cast.colleague, "holiday_duty": True}
               for r in told)


async def test_put_first_reorders_the_rota_and_shows_the_new_order(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    account = await three_of_them(store, cast)
    # The manager, who is not in the rota, may too.
    reply = only(
        await chat(store, who.manager).click(
            "rota:first", value=f"{account}:{cast.second_colleague}"
        )
    )
    assert says(reply, f"The rota of {NAME} is changed")
    assert fields(reply) == {
        "Order of the rota": "Cia Lund, Anna Berg, Bo Ek",
        "On duty today": "Cia Lund",
    }
    assert [label for _, label, _ in rota_buttons(reply)] == [
        "Rotate weekly",
        "Put Anna Berg first",
        "Put Bo Ek first",
    ]
    assert (await rota_of(store, account)).order == (
        cast.second_colleague, cast.requester, cast.colleague
    )
    assert await changes(store) == (1, 1, 3)
    assert says(only(await chat(store, who.requester).command("duty")), "Cia Lund is on duty")


# --- refused --------------------------------------------------------------------------------


async def test_someone_not_on_the_team_is_refused_and_nothing_changes(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    account = await account_of(store, cast)
    forged = [
        ("rota:rotation", f"{account}:week"),
        ("rota:first", f"{account}:{cast.colleague}"),
        ("rota:first", f"{account}:{cast.outsider}"),
        # As it already is: still not theirs to see or touch.
        ("rota:rotation", f"{account}:day"),
        ("rota:first", f"{account}:{cast.requester}"),
    ]
    for person in (who.outsider, who.director):
        for action, value in forged:
            replies = await chat(store, person).click(action, value=value)
            assert refusal(replies) == NOT_TEAM_OR_MANAGER, (action, value)
    assert await changes(store) == (0, 0, 0)
    assert (await rota_of(store, account)).order == (cast.requester, cast.colleague)


async def test_a_closed_account_is_refused(store: Store, cast: Cast, who: CastSenders) -> None:
    account = await account_of(store, cast)
    async with store.transaction() as session:
        await closure.close_account(
            session, account_id=account, actor_id=cast.colleague, reason="Not used any more.",
            final_archive_location="W:/Archive", now=T0,
        )
    anna = chat(store, who.requester, T0 + timedelta(hours=1))
    closed = "The account SOME-2027-0001 is closed, so that changes nothing."
    for action, value in (
        ("rota:rotation", f"{account}:week"),
        ("rota:first", f"{account}:{cast.colleague}"),
        ("rota:rotation", f"{account}:day"),
        ("rota:first", f"{account}:{cast.requester}"),
    ):
        assert refusal(await anna.click(action, value=value)) == closed, (action, value)
        # Someone else learns nothing of it: not that it is closed, nor its number.
        stranger = chat(store, who.outsider, T0 + timedelta(hours=1))
        assert refusal(await stranger.click(action, value=value)) == NOT_TEAM_OR_MANAGER
    assert await changes(store) == (0, 0, 0)


@pytest.mark.parametrize(
    ("action", "value", "expected"),
    [
        ("rota:rotation", "nonsense", "I can't find that account."),
        ("rota:rotation", "", "I can't find that account."),
        ("rota:rotation", ":week", "I can't find that account."),
        # An id no account has is refused as someone else's account is: a forged button
        # learns nothing of which accounts exist.
        ("rota:rotation", "999:week", NOT_TEAM_OR_MANAGER),
        ("rota:rotation", "-1:week", "I can't find that account."),
        ("rota:rotation", "99999999999999999999:week", "I can't find that account."),
        ("rota:first", "999:1", NOT_TEAM_OR_MANAGER),
        (
            "rota:rotation",
            "{account}:month",
            "Duty can move daily or weekly, nothing else. Nothing was changed.",
        ),
        (
            "rota:rotation",
            "{account}",
            "Duty can move daily or weekly, nothing else. Nothing was changed.",
        ),
        ("rota:first", "{account}", NOT_THE_TEAM),
        ("rota:first", "{account}:Bo", NOT_THE_TEAM),
        ("rota:first", "{account}:99999999999999999999", NOT_THE_TEAM),
        ("rota:first", "{account}:{outsider}", NOT_THE_TEAM),
        ("rota:shuffle", "{account}:week", "That button no longer does anything."),
    ],
)
async def test_broken_values_are_refused_politely(
    store: Store, cast: Cast, who: CastSenders, action: str, value: str, expected: str
) -> None:
    account = await account_of(store, cast)
    value = value.format(account=account, outsider=cast.outsider)
    assert refusal(await chat(store, who.requester).click(action, value=value)) == expected
    assert await changes(store) == (0, 0, 0)


# --- clicks that change nothing -------------------------------------------------------------


async def test_a_click_for_the_rota_as_it_is_answers_already_and_writes_nothing(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    account = await account_of(store, cast)
    anna = chat(store, who.requester)
    reply = only(await anna.click("rota:first", value=f"{account}:{cast.requester}"))
    assert says(
        reply, f"Anna Berg is already first in the rota of {NAME}, so nothing was changed."
    )
    assert fields(reply) == {"Order of the rota": "Anna Berg, Bo Ek", "On duty today": "Anna Berg"}
    reply = only(await anna.click("rota:rotation", value=f"{account}:day"))
    # With holiday duty (the default) the daily rota moves on weekday holidays too.
    assert says(reply, f"Duty on {NAME} already moves every weekday, so nothing was changed.")
    assert small_print(reply) == [
        "Duty moves to the next person in the rota every weekday, public holidays and eves included."
    ]
    working_days = Brain(store, signing_key=KEY, nudges=NudgeConfig(holiday_duty=False))
    reply = only(await Chat(working_days, who.requester).click("rota:rotation",
                                                               value=f"{account}:day"))
    assert says(reply, f"Duty on {NAME} already moves every working day, so nothing was changed.")
    assert small_print(reply) == ["Duty moves to the next person in the rota every working day."]
    assert await changes(store) == (0, 0, 0)


async def test_a_second_click_on_an_old_button_changes_nothing_more(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    account = await account_of(store, cast)
    value = f"{account}:{cast.colleague}"
    only(await chat(store, who.requester).click("rota:first", value=value))
    assert await changes(store) == (1, 1, 2)

    # A minute later, Bo clicks the same button in his own /duty: already so, nobody told again.
    later = chat(store, who.colleague, T0 + timedelta(minutes=1))
    reply = only(await later.click("rota:first", value=value))
    assert says(reply, f"Bo Ek is already first in the rota of {NAME}, so nothing was changed.")
    assert fields(reply)["Order of the rota"] == "Bo Ek, Anna Berg"
    assert await changes(store) == (1, 1, 2)

    only(await later.click("rota:rotation", value=f"{account}:week"))
    reply = only(await later.click("rota:rotation", value=f"{account}:week"))
    assert says(reply, f"Duty on {NAME} already moves every week, so nothing was changed.")
    assert await changes(store) == (1, 2, 4)


# --- in Swedish -----------------------------------------------------------------------------


async def test_the_rota_buttons_and_answers_in_swedish(store: Store, cast: Cast) -> None:
    account = await account_of(store, cast)
    swedish = await cast_senders(store, cast, locale="sv")
    anna = chat(store, swedish.requester)
    assert rota_buttons(only(await anna.command("duty"))) == [
        ("rota:rotation", "Byt varje vecka", f"{account}:week"),
        ("rota:first", "Sätt Bo Ek först", f"{account}:{cast.colleague}"),
    ]
    reply = only(await anna.click("rota:first", value=f"{account}:{cast.colleague}"))
    assert reply.title == "Bevakningsschemat"
    assert says(
        reply,
        f"Bevakningsschemat för {NAME} är ändrat och teamet har fått besked. "
        "Räkningen börjar om i dag.",
    )
    assert fields(reply) == {
        "Ordning i bevakningsschemat": "Bo Ek, Anna Berg",
        "Bevakning i dag": "Bo Ek",
    }
    assert small_print(reply) == [
        "Bevakningen går vidare till nästa person i schemat varje vardag, även helgdagar och aftnar."
    ]
    assert says(
        only(await anna.click("rota:first", value=f"{account}:{cast.colleague}")),
        f"Bo Ek är redan först i bevakningsschemat för {NAME}, så ingenting har ändrats.",
    )
    assert refusal(await anna.click("rota:first", value=f"{account}:{cast.outsider}")) == (
        "Bevakningsschemat kan bara ordna personerna i kontots team, var och en en gång. "
        "Ingenting har ändrats. Skriv /duty för att se schemat som det är nu."
    )
