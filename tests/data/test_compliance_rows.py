"""The stored compliance rows (data.compliance_rows): current until midnight or until an open
question passes the answer target, stale after a change, and never overwritten with what was
true before a change that committed while they were being worked out. (The simulated year,
tests/scheduler/test_year_2027.py, holds them to the worked-out compliance every day.)"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from data import compliance_rows, monitoring, questions
from data.db import Store
from data.models import AccountCompliance
from data.policy import NudgeConfig
from tests.helpers import Cast, load
from tests.helpers.accounts import id_of, register

CONFIG = NudgeConfig()
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=STOCKHOLM).astimezone(UTC)


async def current(store: Store, now: datetime) -> int:
    return len(await load(store, AccountCompliance, compliance_rows.is_current(now, CONFIG)))


async def test_a_row_holds_until_midnight_or_a_question_passes_24_hours(
    store: Store, cast: Cast
) -> None:
    account = id_of(await register(store, requester=cast.requester, team=(cast.colleague,),
                                   manager=cast.manager, now=at(date(2027, 3, 1), 9)))
    assert await current(store, at(date(2027, 3, 1), 9)) == 0  # a new account's row is stale
    async with store.transaction() as session:
        await questions.receive_question(session, account_id=account, text="Hi?",
                                         now=at(date(2027, 3, 1), 10, 15))
    async with store.transaction() as session:
        assert await compliance_rows.refresh(session, at(date(2027, 3, 1), 11), CONFIG) == 1
    [row] = await load(store, AccountCompliance)
    assert row.valid_until == at(date(2027, 3, 2), 0)  # midnight comes first
    async with store.transaction() as session:
        assert await compliance_rows.refresh(session, at(date(2027, 3, 2), 8), CONFIG) == 1
    [row] = await load(store, AccountCompliance)
    # The question passes 24 hours at 10:15: late from then on.
    assert row.valid_until == at(date(2027, 3, 2), 10, 15)
    assert (row.late_questions, row.open_questions) == (0, 1)
    assert await current(store, at(date(2027, 3, 2), 10, 15) - timedelta(microseconds=1)) == 1
    assert await current(store, at(date(2027, 3, 2), 10, 15)) == 0
    async with store.transaction() as session:
        await compliance_rows.refresh(session, at(date(2027, 3, 2), 10, 15), CONFIG)
    [row] = await load(store, AccountCompliance)
    assert row.late_questions == 1 and ",questions_late," in row.flags


async def test_a_change_made_while_rows_are_worked_out_leaves_its_row_stale(
    store: Store, cast: Cast
) -> None:
    account = id_of(await register(store, requester=cast.requester, team=(cast.colleague,),
                                   manager=cast.manager, now=at(date(2027, 3, 1), 9)))
    now = at(date(2027, 3, 2), 9)
    async with store.read() as session:
        worked = await compliance_rows.work_out(session, now, CONFIG)
    assert len(worked) == 1
    async with store.transaction() as session:
        await monitoring.check_in(
            session, account_id=account, person_id=cast.requester, day=date(2027, 3, 2),
            kind="monitored", now=now, calendar=CONFIG.calendar,
        )
    async with store.transaction() as session:
        await compliance_rows.store(session, worked)
    [row] = await load(store, AccountCompliance)
    assert row.stale and row.changes == 1
    # The next refresh works it out with the check-in.
    async with store.transaction() as session:
        assert await compliance_rows.refresh(session, now, CONFIG) == 1
    [row] = await load(store, AccountCompliance)
    assert not row.stale and row.last_monitored == date(2027, 3, 2)
