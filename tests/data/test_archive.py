"""Archiving: due six months after registration, then six months after the last; snoozed a
week; asked for at once before a major change. The team only."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from data import archive
from data.db import Store
from data.errors import Invalid, NotAllowed
from data.models import ArchiveRecord, AuditEvent, Outbox
from tests.helpers import T0, Cast, load
from tests.helpers.accounts import id_of, register

DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2027, 3, 1), 6, date(2027, 9, 1)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),
        (date(2027, 8, 31), 1, date(2027, 9, 30)),
        (date(2027, 12, 15), 1, date(2028, 1, 15)),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert archive.add_months(day, months) == expected


async def account(store: Store, cast: Cast) -> int:
    return id_of(await register(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager, now=T0
    ))


async def test_due_six_months_after_registration_then_after_the_last(
    store: Store, cast: Cast
) -> None:
    acc = await account(store, cast)
    async with store.transaction() as session:
        state = await archive.current(session, acc)
    assert (state.due, state.reason, state.last_done, state.snoozed_until) == (
        date(2027, 9, 1), "scheduled", None, None
    )
    done_at = T0 + 190 * DAY  # 2027-09-07, a week late
    async with store.transaction() as session:
        record = await archive.record_archive(
            session, account_id=acc, actor_id=cast.colleague, location=" S:/Comms/archive ",
            now=done_at,
        )
        state = await archive.current(session, acc)
    assert (record.due, record.done_at, record.location, record.done_by, record.reason) == (
        date(2027, 9, 1), done_at, "S:/Comms/archive", cast.colleague, "scheduled"
    )
    assert (state.due, state.last_done) == (date(2028, 3, 7), date(2027, 9, 7))
    [event] = await load(store, AuditEvent, AuditEvent.action == "archive.done")
    assert event.details["location"] == "S:/Comms/archive"


async def test_snooze_a_week_then_archive(store: Store, cast: Cast) -> None:
    acc = await account(store, cast)
    async with store.transaction() as session:
        snoozed = await archive.snooze_archive(
            session, account_id=acc, actor_id=cast.requester, now=T0 + 184 * DAY
        )
        state = await archive.current(session, acc)
    assert (snoozed.due, snoozed.snoozed_until, snoozed.done_at) == (
        date(2027, 9, 1), date(2027, 9, 8), None
    )
    assert (state.due, state.snoozed_until, state.quiet_until) == (
        date(2027, 9, 1), date(2027, 9, 8), date(2027, 9, 1)
    )
    async with store.transaction() as session:
        done = await archive.record_archive(
            session, account_id=acc, actor_id=cast.requester, location="Printout, room 3",
            now=T0 + 188 * DAY,
        )
    # The snoozed record is the one done: one record in all.
    assert done.id == snoozed.id
    [row] = await load(store, ArchiveRecord)
    assert row.location == "Printout, room 3"


async def test_a_major_change_asks_the_team_at_once(store: Store, cast: Cast) -> None:
    acc = await account(store, cast)
    when = T0 + 30 * DAY  # 2027-03-31
    async with store.transaction() as session:
        record = await archive.request_archive(
            session, account_id=acc, actor_id=cast.colleague, now=when
        )
        state = await archive.current(session, acc)
    assert (record.reason, record.due, record.created_by) == (
        "major_change", date(2027, 3, 31), cast.colleague
    )
    assert (state.due, state.reason, state.quiet_until) == (
        date(2027, 3, 31), "major_change", date(2027, 3, 31)
    )
    told = await load(store, Outbox, Outbox.kind == "archive_requested")
    assert sorted(r.recipient_id or 0 for r in told) == sorted([cast.requester, cast.colleague])
    assert told[0].params == {"account_id": acc, "record_id": record.id, "by": cast.colleague}
    async with store.transaction() as session:
        await archive.record_archive(
            session, account_id=acc, actor_id=cast.requester, location="S:/x",
            now=when + DAY,
        )
        state = await archive.current(session, acc)
        assert [r.reason for r in await archive.records(session, acc)] == ["major_change"]
    assert (state.due, state.reason) == (date(2027, 10, 1), "scheduled")


async def test_only_the_team_archives(store: Store, cast: Cast) -> None:
    acc = await account(store, cast)
    async with store.transaction() as session:
        for operation in (
            archive.record_archive(
                session, account_id=acc, actor_id=cast.manager, location="S:/x", now=T0
            ),
            archive.snooze_archive(session, account_id=acc, actor_id=cast.outsider, now=T0),
            archive.request_archive(session, account_id=acc, actor_id=cast.director, now=T0),
        ):
            with pytest.raises(NotAllowed) as refused:
                await operation
            assert refused.value.code == "not_team_member"
        with pytest.raises(Invalid) as empty:
            await archive.record_archive(
                session, account_id=acc, actor_id=cast.requester, location="  ", now=T0
            )
        assert (empty.value.code, empty.value.params["field"]) == ("empty", "location")
    assert await load(store, ArchiveRecord) == []
