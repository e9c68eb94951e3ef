"""Check-ins and the activity log: the team only; *I can't today* hands the day on."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col

from data import absence, closure, monitoring
from data.db import Store
from data.errors import DomainError, Invalid, MovedOn, NotAllowed
from data.models import ActivityEntry, AuditEvent, MonitoringCheckIn, Outbox
from data.workdays import Calendar
from tests.helpers import T0, Cast, load
from tests.helpers.accounts import closed_account, id_of, register

CAL = Calendar()
MONDAY = date(2027, 3, 1)  # T0's local day: the requester is on duty
STOCKHOLM = ZoneInfo("Europe/Stockholm")


async def three(store: Store, cast: Cast) -> int:
    account = await register(
        store, requester=cast.requester, team=(cast.colleague, cast.second_colleague),
        manager=cast.manager, now=T0,
    )
    return id_of(account)


async def check_in(
    store: Store, account_id: int, person: int, kind: str, now: datetime = T0,
    day: date = MONDAY,
) -> monitoring.CheckInResult:
    async with store.transaction() as session:
        return await monitoring.check_in(
            session, account_id=account_id, person_id=person, day=day, kind=kind, now=now,
            calendar=CAL,
        )


async def test_monitored_today_is_recorded_once_per_person_and_day(
    store: Store, cast: Cast
) -> None:
    account = await three(store, cast)
    result = await check_in(store, account, cast.requester, "monitored")
    assert (result.was_on_duty, result.now_on_duty) == (cast.requester, cast.requester)
    again = await check_in(store, account, cast.requester, "monitored", T0 + timedelta(hours=1))
    assert again.check_in.id == result.check_in.id
    [row] = await load(store, MonitoringCheckIn)
    assert (row.account_id, row.person_id, row.day, row.kind, row.at) == (
        account, cast.requester, MONDAY, "monitored", T0 + timedelta(hours=1)
    )
    assert len(await load(store, AuditEvent, AuditEvent.action == "monitoring.monitored")) == 2
    assert await load(store, Outbox, Outbox.kind == "duty_handed") == []


async def test_i_cannot_today_after_monitoring_it_leaves_it_monitored(
    store: Store, cast: Cast
) -> None:
    """A day marked monitored stays so: "I can't today" afterwards (a stray click on the same
    card) is refused, and nobody is told the account goes unwatched."""
    account = await three(store, cast)
    await check_in(store, account, cast.requester, "monitored")
    with pytest.raises(Invalid) as refused:
        await check_in(store, account, cast.requester, "cannot", T0 + timedelta(hours=1))
    assert (refused.value.code, refused.value.params["day"]) == ("monitored_already", "2027-03-01")
    [row] = await load(store, MonitoringCheckIn)
    assert (row.kind, row.at) == ("monitored", T0)
    assert await load(store, AuditEvent, AuditEvent.action == "monitoring.cannot") == []
    assert await load(store, Outbox, col(Outbox.kind).in_(("duty_handed", "nobody_on_duty"))) == []
    # The other way round is a change of mind that counts: monitored after all.
    await check_in(store, account, cast.colleague, "cannot")
    await check_in(store, account, cast.colleague, "monitored")
    assert {(r.person_id, r.kind) for r in await load(store, MonitoringCheckIn)} == {
        (cast.requester, "monitored"), (cast.colleague, "monitored")
    }


async def test_i_cannot_today_once_a_colleague_monitored_it_hands_nothing_on(
    store: Store, cast: Cast
) -> None:
    account = await three(store, cast)
    await check_in(store, account, cast.colleague, "monitored")
    # The requester is on duty, but the day's monitoring is done: nobody needs to take over.
    result = await check_in(store, account, cast.requester, "cannot")
    assert result.check_in.kind == "cannot"
    assert await load(store, Outbox, col(Outbox.kind).in_(("duty_handed", "nobody_on_duty"))) == []


async def test_i_cannot_today_hands_the_day_to_the_next_in_the_rota(
    store: Store, cast: Cast
) -> None:
    account = await three(store, cast)
    result = await check_in(store, account, cast.requester, "cannot")
    assert (result.was_on_duty, result.now_on_duty) == (cast.requester, cast.colleague)
    [handed] = await load(store, Outbox, Outbox.kind == "duty_handed")
    assert handed.recipient_id == cast.colleague
    assert handed.params == {
        "account_id": account, "day": "2027-03-01", "from_person_id": cast.requester
    }
    # The substitute cannot either: the third takes it; then nobody is left: the manager.
    await check_in(store, account, cast.colleague, "cannot")
    async with store.transaction() as session:
        await absence.record_absence(
            session, person_id=cast.second_colleague, actor_id=cast.second_colleague,
            first_day=MONDAY, last_day=MONDAY, now=T0,
        )
    assert [r.recipient_id for r in await load(store, Outbox, Outbox.kind == "duty_handed")] == [
        cast.colleague, cast.second_colleague,
    ]
    # second_colleague, on duty now, records an absence for today after the morning
    # reminder: nobody is left, so the manager hears at once (see test_absence_handover.py).
    [told] = await load(store, Outbox, Outbox.kind == "nobody_on_duty")
    assert told.recipient_id == cast.manager
    # Nobody is on duty: a "cannot" by someone not on duty tells nobody more.
    result = await check_in(store, account, cast.second_colleague, "cannot")
    assert (result.was_on_duty, result.now_on_duty) == (None, None)
    assert len(await load(store, Outbox, Outbox.kind == "nobody_on_duty")) == 1


async def test_the_manager_hears_at_once_when_the_last_one_cannot(
    store: Store, cast: Cast
) -> None:
    account = id_of(await register(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager, now=T0
    ))
    async with store.transaction() as session:
        await absence.record_absence(
            session, person_id=cast.colleague, actor_id=cast.colleague,
            first_day=MONDAY, last_day=MONDAY, now=T0,
        )
    result = await check_in(store, account, cast.requester, "cannot")
    assert (result.was_on_duty, result.now_on_duty) == (cast.requester, None)
    [told] = await load(store, Outbox, Outbox.kind == "nobody_on_duty")
    assert told.recipient_id == cast.manager
    assert told.params == {"account_id": account, "day": "2027-03-01"}


async def test_only_the_team_checks_in_on_an_open_account_and_not_ahead(
    store: Store, cast: Cast
) -> None:
    account = await three(store, cast)
    for who in (cast.manager, cast.outsider, cast.director):
        with pytest.raises(NotAllowed) as refused:
            await check_in(store, account, who, "monitored")
        assert refused.value.code == "not_team_member"
    with pytest.raises(Invalid) as bad:
        await check_in(store, account, cast.requester, "maybe")
    assert bad.value.code == "unknown_check_in"
    with pytest.raises(Invalid) as ahead:
        await check_in(store, account, cast.requester, "monitored", day=MONDAY + timedelta(1))
    assert ahead.value.code == "future_day"
    async with store.transaction() as session:
        await closure.close_account(
            session, account_id=account, actor_id=cast.manager, reason="Not used",
            final_archive_location="S:/archive", now=T0,
        )
    with pytest.raises(MovedOn) as closed:
        await check_in(store, account, cast.requester, "monitored")
    assert closed.value.code == "account_closed"
    assert await load(store, MonitoringCheckIn) == []


@pytest.mark.parametrize(
    "day",
    [
        pytest.param(date(2027, 3, 2), id="the-utc-day-of-registration"),
        pytest.param(date(2000, 1, 1), id="the-first-day-the-calendar-counts"),
        pytest.param(date(1, 1, 1), id="year-one"),
    ],
)
async def test_no_check_in_for_a_day_before_the_account_was_registered(
    store: Store, cast: Cast, day: date
) -> None:
    # Registered at 00:30 on Wednesday in Stockholm: still Tuesday in UTC.
    registered = datetime(2027, 3, 3, 0, 30, tzinfo=STOCKHOLM)
    assert registered.astimezone(UTC).date() == date(2027, 3, 2)
    account = id_of(await register(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager,
        now=registered,
    ))
    later = registered + timedelta(hours=10)
    with pytest.raises(Invalid) as before:
        await check_in(store, account, cast.requester, "monitored", later, day=day)
    assert (before.value.code, before.value.params) == (
        "before_registration", {"field": "day", "day": "2027-03-03"}
    )
    assert await load(store, MonitoringCheckIn) == []
    assert await load(store, AuditEvent, AuditEvent.action == "monitoring.monitored") == []
    # The registration day itself, in Stockholm, is the first that can be marked.
    result = await check_in(store, account, cast.requester, "cannot", later, day=date(2027, 3, 3))
    assert result.check_in.day == date(2027, 3, 3)


async def test_the_team_logs_activity(store: Store, cast: Cast) -> None:
    account = await three(store, cast)
    async with store.transaction() as session:
        entry = await monitoring.log_activity(
            session, account_id=account, actor_id=cast.colleague, now=T0, note=" Still active "
        )
        with pytest.raises(NotAllowed):
            await monitoring.log_activity(
                session, account_id=account, actor_id=cast.manager, now=T0, note="x"
            )
        with pytest.raises(Invalid) as long:
            await monitoring.log_activity(
                session, account_id=account, actor_id=cast.colleague, now=T0, note="x" * 1001
            )
        assert long.value.code == "too_long"
        assert [e.id for e in await monitoring.activity(session, account)] == [entry.id]
    [row] = await load(store, ActivityEntry)
    assert (row.person_id, row.note, row.at) == (cast.colleague, "Still active", T0)
    assert await load(store, AuditEvent, AuditEvent.action == "activity.logged")


async def test_an_outsider_learns_nothing_of_accounts_not_theirs(store: Store, cast: Cast) -> None:
    """A forged button says the same for an id of no account, an open account and a closed
    one: which ids exist, and the numbers of closed accounts, are the team's to know."""
    open_one = await three(store, cast)
    closed = await closed_account(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager, now=T0
    )
    answers = []
    for account_id in (999, open_one, closed):
        for kind in ("monitored", "cannot"):
            with pytest.raises(DomainError) as refused:
                await check_in(store, account_id, cast.outsider, kind)
            answers.append((type(refused.value), refused.value.code, refused.value.params))
        async with store.transaction() as session:
            with pytest.raises(DomainError) as refused:
                await monitoring.log_activity(session, account_id=account_id,
                                              actor_id=cast.outsider, now=T0)
        answers.append((type(refused.value), refused.value.code, refused.value.params))
    assert answers == [(NotAllowed, "not_team_member", {})] * 9
    # The team hears that theirs is closed.
    with pytest.raises(MovedOn):
        await check_in(store, closed, cast.colleague, "monitored")
