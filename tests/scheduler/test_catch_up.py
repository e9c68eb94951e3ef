"""Reminders owed once, on one day, are owed late for working days no sweep saw (the server
was down), never lost: the requester's at five working days, the monthly summary, the
inactivity escalation and archiving's, through real sweeps on SQLite and PostgreSQL, and on
hand-made snapshots for the window (data.policy.owed_from)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select, update

from data.archive import ArchiveState
from data.db import Store
from data.duty_counts import DutyCounts
from data.models import Outbox, RuleDay
from data.nudge_state import PendingApproval
from data.policy import CATCH_UP_DAYS, NudgeConfig, owed_from
from scheduler import nudge_rules as rules
from scheduler.sweep import sweep
from tests.helpers import make_cast, submit
from tests.scheduler.test_nudge_rules import ANNA, MAJA, account, snap

STOCKHOLM = ZoneInfo("Europe/Stockholm")
CONFIG = NudgeConfig()
# Thursday 1 July 2027, the first working day of July; Friday the 2nd, Monday the 5th.
THU, FRI, MON = date(2027, 7, 1), date(2027, 7, 2), date(2027, 7, 5)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=STOCKHOLM).astimezone(UTC)


def whys(nudges: list[rules.Nudge]) -> set[tuple[str, str]]:
    return {(n.why, n.period) for n in nudges}


def test_the_window_is_today_and_the_days_before_it_since_the_last_working_day() -> None:
    # Swept on the previous working day, or never: the days after it (a weekend's too).
    assert owed_from(MON, FRI, CONFIG) == date(2027, 7, 3)
    assert owed_from(MON, None, CONFIG) == date(2027, 7, 3)
    assert owed_from(FRI, THU, CONFIG) == FRI
    # Swept earlier today: the same, what it owed is owed already.
    assert owed_from(FRI, FRI, CONFIG) == FRI
    # Down on Thursday: from Thursday; down for months: CATCH_UP_DAYS back at most.
    assert owed_from(FRI, date(2027, 6, 30), CONFIG) == THU
    assert owed_from(FRI, date(2027, 3, 1), CONFIG) == FRI - timedelta(days=CATCH_UP_DAYS)


def test_the_requester_hears_late_of_a_fifth_working_day_nobody_swept() -> None:
    # Waiting since Wednesday 23 June: five working days on 1 July (Midsummer Eve not one).
    pending = PendingApproval(5, ANNA, MAJA, "manager", 1, at(date(2027, 6, 23)), "ig ki_x")
    friday = snap(at(FRI), pending=(pending,))
    late = rules.approvals(replace(friday, swept={rules.APPROVAL: date(2027, 6, 30)}),
                           at(FRI), CONFIG)
    assert (ANNA, "approver_slow") in {(n.recipient_id, n.why) for n in late}
    for swept in ({rules.APPROVAL: THU}, {}):
        owed = rules.approvals(replace(friday, swept=swept), at(FRI), CONFIG)
        assert "approver_slow" not in {n.why for n in owed}, swept


def test_the_monthly_summary_of_a_first_working_day_nobody_swept_comes_the_next() -> None:
    state = account(last_month=DutyCounts(), registered_on=date(2027, 1, 4))
    friday = snap(at(FRI), state)
    late = rules.monthly(replace(friday, swept={rules.MONTHLY: date(2027, 6, 30)}), at(FRI),
                         CONFIG)
    assert whys(late) == {("summary", "2027-06")}
    assert rules.monthly(replace(friday, swept={rules.MONTHLY: THU}), at(FRI), CONFIG) == []
    assert rules.monthly(friday, at(FRI), CONFIG) == []


def test_the_inactivity_escalation_of_a_day_nobody_swept_comes_the_next() -> None:
    # No content or monitoring since long before: inactive since a day 30 days before Monday.
    state = account(last_content=date(2027, 3, 1), last_monitored=date(2027, 3, 1),
                    registered_on=date(2027, 1, 4))
    since = rules.inactive_since(state, MON, CONFIG)[0]
    assert since is not None
    escalate_on = since + timedelta(days=CONFIG.inactivity_escalate_days)
    after = CONFIG.calendar.next_working_day(escalate_on, include=False)
    later = snap(at(after), state)
    down = replace(later, swept={rules.INACTIVITY: CONFIG.calendar.previous_working_day(
        escalate_on)})
    assert "inactive_long" in {n.why for n in rules.inactivity(down, at(after), CONFIG)}
    seen = replace(later, swept={rules.INACTIVITY: escalate_on})
    assert "inactive_long" not in {n.why for n in rules.inactivity(seen, at(after), CONFIG)}


def test_archivings_reminder_of_a_day_nobody_swept_comes_the_next() -> None:
    # Due 15 July: the team hears 14 days before, on Thursday 1 July.
    state = account(archive=ArchiveState(7, date(2027, 7, 15), "scheduled", None, None, None))
    friday = snap(at(FRI), state)
    late = rules.archiving(replace(friday, swept={rules.ARCHIVING: date(2027, 6, 30)}),
                           at(FRI), CONFIG)
    assert whys(late) == {("due_soon", "2027-07-01")}
    assert rules.archiving(replace(friday, swept={rules.ARCHIVING: THU}), at(FRI), CONFIG) == []


async def owed(store: Store, why: str) -> list[str]:
    """The days of the digests that carry an item `why`."""
    async with store.transaction() as session:
        rows = list(await session.exec(select(Outbox).where(Outbox.kind == rules.APPROVAL)))
    return sorted(row.key.rsplit(":", 1)[1] for row in rows
                  if any(item["why"] == why for item in row.params["items"]))


async def test_a_working_day_the_server_was_down_loses_no_reminder(store: Store) -> None:
    """The requester's reminder falls due on Thursday 1 July; the server is down that day.
    The approvals' sweep on Friday owes it, once; it records the day it ran, and the next
    working day owes it no more."""
    cast = await make_cast(store, at(date(2027, 6, 1)))
    await submit(store, cast, at(date(2027, 6, 23)))
    for day in (date(2027, 6, 28), date(2027, 6, 29), date(2027, 6, 30), FRI, MON):
        await sweep(store, at(day), CONFIG, kinds=(rules.APPROVAL,))
    assert await owed(store, "approver_slow") == ["2027-07-02"]
    async with store.transaction() as session:
        [marked] = list(await session.exec(select(RuleDay)))
    assert (marked.kind, marked.day) == (rules.APPROVAL, MON)


async def test_a_sweep_before_the_rule_wakes_does_not_count_as_its_day(store: Store) -> None:
    """A sweep on Thursday at 08:00, before the approvals' 09:00, ran no approval rule: the
    day is not the rule's, and Friday owes Thursday's reminder."""
    cast = await make_cast(store, at(date(2027, 6, 1)))
    await submit(store, cast, at(date(2027, 6, 23)))
    await sweep(store, at(date(2027, 6, 30)), CONFIG, kinds=(rules.APPROVAL,))
    await sweep(store, at(THU, 8), CONFIG, kinds=(rules.APPROVAL,))
    await sweep(store, at(FRI), CONFIG, kinds=(rules.APPROVAL,))
    assert await owed(store, "approver_slow") == ["2027-07-02"]


async def test_what_a_sweep_owed_before_it_failed_is_not_owed_again(store: Store) -> None:
    """Thursday's sweep owed the requester's reminder, then failed before it recorded the
    rule's day (the row is as a crash leaves it: Wednesday's). Friday's sweep finds the
    reminder in Thursday's digest and does not owe it again."""
    cast = await make_cast(store, at(date(2027, 6, 1)))
    await submit(store, cast, at(date(2027, 6, 23)))
    for day in (date(2027, 6, 28), date(2027, 6, 29), date(2027, 6, 30), THU):
        await sweep(store, at(day), CONFIG, kinds=(rules.APPROVAL,))
    async with store.transaction() as session:
        await session.exec(update(RuleDay).values(day=date(2027, 6, 30)))  # type: ignore[call-overload]
    await sweep(store, at(FRI), CONFIG, kinds=(rules.APPROVAL,))
    assert await owed(store, "approver_slow") == ["2027-07-01"]


async def test_a_run_as_of_an_earlier_day_leaves_the_rules_day_where_it_was(
    store: Store,
) -> None:
    """`kontobot nudges run --as-of` last week, after Thursday was swept: the rules' day stays
    Thursday, and Friday owes nothing Thursday owed."""
    cast = await make_cast(store, at(date(2027, 6, 1)))
    await submit(store, cast, at(date(2027, 6, 23)))
    for day in (date(2027, 6, 28), date(2027, 6, 29), date(2027, 6, 30), THU):
        await sweep(store, at(day), CONFIG, kinds=(rules.APPROVAL,))
    await sweep(store, at(date(2027, 6, 24)), CONFIG, reuse=False)
    async with store.transaction() as session:
        days = {row.kind: row.day for row in await session.exec(select(RuleDay))}
    assert days[rules.APPROVAL] == THU
    await sweep(store, at(FRI), CONFIG, kinds=(rules.APPROVAL,))
    assert await owed(store, "approver_slow") == ["2027-07-01"]
