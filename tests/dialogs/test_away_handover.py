"""`/away` for today, with the morning reminder around it: after the reminder the day is
handed on at once (the next person, or the manager); before it, the reminder itself goes to
whoever is on duty then. Through `Brain.handle` and the sweep, at explicit times."""

from __future__ import annotations

from datetime import date

from sqlmodel import col

from data.db import Store
from data.models import Outbox
from scheduler import nudge_rules as rules
from scheduler.sweep import sweep
from tests.helpers import Cast, load
from tests.helpers.chat import CastSenders, only, says
from tests.helpers.nudging import CONFIG, account_of, at, chat, refusal

MONDAY = date(2027, 3, 1)  # Anna is on duty, then Bo


async def told(store: Store) -> list[tuple[str, int | None]]:
    kinds = ("nudge_rota", "duty_handed", "nobody_on_duty")
    return [(r.kind, r.recipient_id) for r in await load(store, Outbox, col(Outbox.kind).in_(kinds))]


async def test_away_today_after_the_reminder_tells_the_next_one_at_once(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    await account_of(store, cast)
    await sweep(store, at(MONDAY, 8, 30), CONFIG, kinds=(rules.ROTA,))
    assert await told(store) == [("nudge_rota", cast.requester)]
    only(await chat(store, who.requester, at(MONDAY, 10)).command("away", "2027-03-01"))
    assert await told(store) == [
        ("nudge_rota", cast.requester), ("duty_handed", cast.colleague)
    ]
    assert says(only(await chat(store, who.colleague, at(MONDAY, 10, 5)).command("duty")),
                "you are on duty today")
    # The same day again is refused as recorded already, and tells nobody again.
    refused = refusal(
        await chat(store, who.requester, at(MONDAY, 10, 10)).command("away", "2027-03-01")
    )
    assert refused.startswith("You are already recorded as away")
    assert len(await told(store)) == 2


async def test_away_today_after_the_reminder_with_nobody_left_tells_the_manager(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    await account_of(store, cast)
    only(await chat(store, who.colleague, at(MONDAY, 7)).command("away", "2027-03-01 2027-03-05"))
    await sweep(store, at(MONDAY, 8, 30), CONFIG, kinds=(rules.ROTA,))
    only(await chat(store, who.requester, at(MONDAY, 10)).command("away", "2027-03-01"))
    assert await told(store) == [
        ("nudge_rota", cast.requester), ("nobody_on_duty", cast.manager)
    ]


async def test_away_today_before_the_reminder_leaves_it_to_the_reminder(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    await account_of(store, cast)
    only(await chat(store, who.requester, at(MONDAY, 8)).command("away", "2027-03-01"))
    assert await told(store) == []
    await sweep(store, at(MONDAY, 8, 30), CONFIG, kinds=(rules.ROTA,))
    assert await told(store) == [("nudge_rota", cast.colleague)]
