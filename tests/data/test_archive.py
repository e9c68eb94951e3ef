"""Archiving: due six months after registration, then six months after the last; snoozed a
week; asked for at once before a major change. The team only."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from data import archive
from data.db import Store
from data.errors import Invalid, MovedOn, NotAllowed
from data.models import ArchiveRecord, AuditEvent, Outbox
from tests.helpers import T0, Cast, count, load
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


async def test_an_archiving_is_recorded_once_for_the_period_a_card_asked_about(
    store: Store, cast: Cast
) -> None:
    """`after` is the card's period: the archiving recorded last when it asked (0: none). A
    second click for it (another person's copy, a double click) records nothing and says who
    did; a card made after that asks about the next."""
    acc = await account(store, cast)
    async with store.transaction() as session:
        asked = await archive.last_recorded(session, acc)
    assert asked == 0
    first = T0 + 172 * DAY
    async with store.transaction() as session:
        done = await archive.record_archive(
            session, account_id=acc, actor_id=cast.colleague, location="S:/a", now=first,
            after=asked,
        )
    with pytest.raises(MovedOn) as again:
        async with store.transaction() as session:
            await archive.record_archive(
                session, account_id=acc, actor_id=cast.requester, location="S:/b",
                now=first + DAY, after=asked,
            )
    assert (again.value.code, again.value.params) == (
        "archive_recorded",
        {"record_id": done.id, "done_by": cast.colleague, "done_at": first, "location": "S:/a"},
    )
    assert [r.location for r in await load(store, ArchiveRecord)] == ["S:/a"]
    assert await count(store, AuditEvent, AuditEvent.action == "archive.done") == 1

    async with store.transaction() as session:
        assert await archive.last_recorded(session, acc) == done.id
        assert await archive.recorded_since(session, acc, asked) == done
        assert await archive.recorded_since(session, acc, done.id or 0) is None
        later = await archive.record_archive(
            session, account_id=acc, actor_id=cast.requester, location="S:/c",
            now=first + 180 * DAY, after=done.id,
        )
    assert later.id != done.id and later.done_by == cast.requester


async def test_a_card_without_its_period_is_about_the_archiving_asked_for_now(
    store: Store, cast: Cast
) -> None:
    """Cards from before buttons named their period: while the team is asked (reminders from
    `before_days` ahead of the due day, a major change, a snooze) the one owed now; after it
    is recorded, and until the next is asked for, the one just recorded."""
    acc = await account(store, cast)

    async def period(day: date) -> int:
        async with store.transaction() as session:
            return await archive.period_of_old_card(
                session, acc, now=datetime.combine(day, time(12), tzinfo=UTC), before_days=14
            )

    assert await period(date(2027, 8, 17)) == 0
    async with store.transaction() as session:
        done = await archive.record_archive(
            session, account_id=acc, actor_id=cast.colleague, location="S:/a",
            now=T0 + 170 * DAY,  # 2027-08-18; the next is due 2028-02-18
        )
    assert await period(date(2027, 8, 19)) == 0  # the old card asked about the one just done
    assert await period(date(2028, 2, 4)) == done.id  # the next is being asked for
    async with store.transaction() as session:
        await archive.request_archive(
            session, account_id=acc, actor_id=cast.colleague, now=T0 + 200 * DAY
        )
    assert await period(date(2027, 9, 17)) == done.id
