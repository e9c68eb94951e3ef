"""The outbox: owed once, claimed with a lease, retried with backoff, given up on at last."""

from __future__ import annotations

from datetime import timedelta

from data import outbox
from data.db import Store
from data.models import Outbox, OutboxStatus
from tests.helpers import T0, Cast, count, load

SECOND = timedelta(seconds=1)


async def owe(store: Store, cast: Cast, key: str = "note:1", **params: object) -> None:
    async with store.transaction() as session:
        await outbox.enqueue(
            session, key=key, kind="note", now=T0, recipient_id=cast.colleague, params=params
        )


async def claim(store: Store, at: timedelta, limit: int = 20) -> list[Outbox]:
    async with store.transaction() as session:
        return await outbox.claim_due(session, now=T0 + at, limit=limit)


async def test_the_same_key_is_stored_once(store: Store, cast: Cast) -> None:
    async with store.transaction() as session:
        assert await outbox.enqueue(
            session,
            key="note:1",
            kind="note",
            now=T0,
            recipient_id=cast.colleague,
            params={"n": 1},
        )
        assert not await outbox.enqueue(
            session,
            key="note:1",
            kind="note",
            now=T0 + SECOND,
            recipient_id=cast.outsider,
            params={"n": 2},
        )
    # Even from another transaction, later.
    async with store.transaction() as session:
        assert not await outbox.enqueue(session, key="note:1", kind="other", now=T0, place="comms")
    [row] = await load(store, Outbox)
    assert (row.kind, row.recipient_id, row.place, row.params) == (
        "note",
        cast.colleague,
        None,
        {"n": 1},
    )
    assert (row.status, row.attempts, row.next_attempt_at, row.created_at) == ("pending", 0, T0, T0)
    async with store.transaction() as session:
        found = await outbox.by_key(session, "note:1")
        assert found is not None and found.id == row.id
        assert await outbox.by_key(session, "note:2") is None


async def test_claim_takes_only_what_is_due(store: Store, cast: Cast) -> None:
    await owe(store, cast)
    assert await claim(store, -SECOND) == []
    [row] = await claim(store, timedelta(0))
    assert (row.status, row.attempts, row.claimed_until) == ("sending", 1, T0 + outbox.LEASE)
    [stored] = await load(store, Outbox)
    assert (stored.status, stored.attempts, stored.claimed_until) == (
        "sending",
        1,
        T0 + outbox.LEASE,
    )


async def test_claim_takes_oldest_first_up_to_the_limit(store: Store, cast: Cast) -> None:
    for n in range(5):
        await owe(store, cast, key=f"note:{n}")
    first = await claim(store, timedelta(0), limit=3)
    assert [r.key for r in first] == ["note:0", "note:1", "note:2"]
    rest = await claim(store, timedelta(0), limit=3)
    assert [r.key for r in rest] == ["note:3", "note:4"]


async def test_a_claimed_row_comes_back_when_its_lease_runs_out(store: Store, cast: Cast) -> None:
    await owe(store, cast)
    [first] = await claim(store, timedelta(0))
    assert await claim(store, outbox.LEASE / 2) == []
    assert await claim(store, outbox.LEASE) == []
    [again] = await claim(store, outbox.LEASE + SECOND)
    assert again.id == first.id
    assert again.attempts == 2
    assert again.claimed_until == T0 + outbox.LEASE + SECOND + outbox.LEASE


async def test_sent_rows_are_done(store: Store, cast: Cast) -> None:
    await owe(store, cast)
    [row] = await claim(store, timedelta(0))
    assert row.id is not None
    async with store.transaction() as session:
        await outbox.mark_sent(session, row_id=row.id, now=T0 + SECOND, delivered={"web": "m1"})
    [stored] = await load(store, Outbox)
    assert (stored.status, stored.sent_at, stored.delivered, stored.claimed_until) == (
        "sent",
        T0 + SECOND,
        {"web": "m1"},
        None,
    )
    assert await claim(store, timedelta(days=1)) == []
    async with store.transaction() as session:
        assert await outbox.next_due(session) is None


async def test_retries_back_off_then_fail(store: Store, cast: Cast) -> None:
    await owe(store, cast)
    at = timedelta(0)
    waits = []
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        [row] = await claim(store, at)
        assert row.id is not None and row.attempts == attempt
        async with store.transaction() as session:
            again = await outbox.mark_retry(
                session,
                row_id=row.id,
                now=T0 + at,
                error=f"timeout {attempt}",
                delivered={"web": "partial"},
            )
        [stored] = await load(store, Outbox)
        assert (stored.error, stored.delivered, stored.claimed_until) == (
            f"timeout {attempt}",
            {"web": "partial"},
            None,
        )
        if attempt == outbox.MAX_ATTEMPTS:
            assert not again
            assert stored.status == OutboxStatus.FAILED.value
            break
        assert again
        assert stored.status == OutboxStatus.PENDING.value
        wait = stored.next_attempt_at - (T0 + at)
        waits.append(wait)
        # Not a moment before it is due.
        assert await claim(store, at + wait - SECOND) == []
        async with store.transaction() as session:
            assert await outbox.next_due(session) == stored.next_attempt_at
        at += wait
    assert waits == [timedelta(seconds=5 * 2**n) for n in range(1, outbox.MAX_ATTEMPTS)]
    assert await claim(store, at + timedelta(days=30)) == []
    assert await count(store, Outbox, Outbox.status == OutboxStatus.FAILED.value) == 1


async def test_a_retry_can_name_its_own_delay(store: Store, cast: Cast) -> None:
    await owe(store, cast)
    [row] = await claim(store, timedelta(0))
    assert row.id is not None
    async with store.transaction() as session:
        assert await outbox.mark_retry(
            session,
            row_id=row.id,
            now=T0,
            error="rate limited",
            delivered={},
            delay=timedelta(seconds=30),
        )
    assert await claim(store, timedelta(seconds=29)) == []
    assert [r.id for r in await claim(store, timedelta(seconds=30))] == [row.id]


async def test_waiting_for_an_original_is_no_try_and_ends_after_a_day(
    store: Store, cast: Cast
) -> None:
    await owe(store, cast)
    for n in range(outbox.MAX_ATTEMPTS + 2):
        at = n * timedelta(minutes=10)
        [row] = await claim(store, at)
        assert row.id is not None and row.attempts == 1
        async with store.transaction() as session:
            assert await outbox.wait_for_original(
                session, row_id=row.id, now=T0 + at, until=T0 + at + SECOND, error="waiting",
                delivered={},
            )
    assert await claim(store, at) == []
    # A day after it was owed, it waits no longer.
    [row] = await claim(store, outbox.ORIGINAL_WAIT)
    assert row.id is not None
    async with store.transaction() as session:
        assert not await outbox.wait_for_original(
            session, row_id=row.id, now=T0 + outbox.ORIGINAL_WAIT,
            until=T0 + outbox.ORIGINAL_WAIT + SECOND, error="waiting", delivered={},
        )
    [given_up] = await load(store, Outbox)
    assert (given_up.status, given_up.error) == (OutboxStatus.FAILED.value, "waiting")


async def test_long_errors_are_cut(store: Store, cast: Cast) -> None:
    await owe(store, cast)
    [row] = await claim(store, timedelta(0))
    assert row.id is not None
    async with store.transaction() as session:
        await outbox.mark_retry(session, row_id=row.id, now=T0, error="e" * 5000, delivered={})
    [stored] = await load(store, Outbox)
    assert stored.error == "e" * 2000


async def test_a_row_given_up_for_good_is_failed_with_its_error(store: Store, cast: Cast) -> None:
    await owe(store, cast)
    [row] = await claim(store, timedelta(0))
    assert row.id is not None
    async with store.transaction() as session:
        await outbox.mark_failed(session, row_id=row.id, error="403 " + "e" * 5000,
                                 delivered={"slack": "C1"})
    [stored] = await load(store, Outbox)
    assert (stored.status, stored.error, stored.delivered, stored.claimed_until) == (
        "failed", "403 " + "e" * 1996, {"slack": "C1"}, None,
    )
    assert await claim(store, timedelta(days=1)) == []


async def test_what_failed_to_reach_a_person_is_owed_anew_but_replies(
    store: Store, cast: Cast
) -> None:
    """Revived: the person's failed rows, from their first attempt again, due at once; not
    their failed replies (of the kind named), nor anyone else's, nor what is still owed."""
    for key, kind, to in (("note:1", "note", cast.colleague), ("reply:1", "reply", cast.colleague),
                          ("note:2", "note", cast.outsider), ("note:3", "note", cast.colleague)):
        async with store.transaction() as session:
            await outbox.enqueue(session, key=key, kind=kind, now=T0, recipient_id=to)
    rows = {r.key: r for r in await claim(store, timedelta(0))}
    async with store.transaction() as session:
        for key in ("note:1", "reply:1", "note:2"):
            row_id = rows[key].id
            assert row_id is not None
            await outbox.mark_failed(session, row_id=row_id, error="403", delivered={})
    later = T0 + timedelta(hours=1)
    async with store.transaction() as session:
        assert await outbox.revive(
            session, recipient_id=cast.colleague, now=later, besides="reply"
        ) == 1
    stored = {r.key: r for r in await load(store, Outbox)}
    assert (stored["note:1"].status, stored["note:1"].attempts,
            stored["note:1"].next_attempt_at) == ("pending", 0, later)
    assert stored["reply:1"].status == stored["note:2"].status == "failed"
    assert stored["note:3"].status == "sending"
    # (note:3's lease has run out by then: it is taken again too.)
    assert [r.key for r in await claim(store, timedelta(hours=1))] == ["note:1", "note:3"]
    async with store.transaction() as session:
        assert await outbox.revive(
            session, recipient_id=cast.colleague, now=later, besides="reply"
        ) == 0


async def test_a_row_whose_senders_keep_dying_is_given_up(store: Store, cast: Cast) -> None:
    await owe(store, cast)
    at = timedelta(0)
    for _ in range(outbox.MAX_ATTEMPTS):
        [_row] = await claim(store, at)
        at += outbox.LEASE + SECOND  # the sender died: nothing was marked
    assert await claim(store, at) == []
    [stored] = await load(store, Outbox)
    assert stored.status == OutboxStatus.FAILED.value
    assert stored.attempts == outbox.MAX_ATTEMPTS
    assert stored.error is not None and "abandoned" in stored.error


async def owe_until(store: Store, cast: Cast, key: str, until: timedelta) -> None:
    async with store.transaction() as session:
        await outbox.enqueue(
            session, key=key, kind="note", now=T0, recipient_id=cast.colleague,
            not_after=T0 + until,
        )


async def test_a_row_not_sent_by_its_not_after_expires_and_is_never_sent(
    store: Store, cast: Cast
) -> None:
    await owe_until(store, cast, "late", timedelta(hours=1))
    await owe_until(store, cast, "in time", timedelta(hours=3))
    await owe(store, cast, key="whenever")
    claimed = await claim(store, timedelta(hours=1))
    assert [r.key for r in claimed] == ["in time", "whenever"]
    late = await load(store, Outbox, Outbox.key == "late")
    assert [(r.status, r.attempts, r.error) for r in late] == [
        ("expired", 0, "expired: not sent in time")
    ]
    async with store.transaction() as session:
        for sent in claimed:
            assert sent.id is not None
            await outbox.mark_sent(session, row_id=sent.id, now=T0, delivered={"web": "m"})
    # Later on nothing expired comes back.
    assert await claim(store, timedelta(days=2)) == []
    assert await count(store, Outbox, Outbox.status == OutboxStatus.EXPIRED.value) == 1


async def test_a_row_being_retried_past_its_not_after_expires(store: Store, cast: Cast) -> None:
    await owe_until(store, cast, "retried", timedelta(minutes=1))
    [row] = await claim(store, timedelta(0))
    assert row.id is not None
    async with store.transaction() as session:
        await outbox.mark_retry(session, row_id=row.id, now=T0, error="500", delivered={},
                                delay=timedelta(minutes=5))
    assert await claim(store, timedelta(minutes=5)) == []
    [stored] = await load(store, Outbox)
    assert stored.status == OutboxStatus.EXPIRED.value
    # A sender that died holding it: once its lease runs out, it expires too.
    await owe_until(store, cast, "held", timedelta(minutes=1))
    [held] = await claim(store, timedelta(0))
    assert held.key == "held"
    assert await claim(store, max(outbox.LEASE, timedelta(minutes=1)) + SECOND) == []
    assert (await load(store, Outbox, Outbox.key == "held"))[0].status == "expired"


async def test_many_owed_at_once_return_the_keys_that_were_new(store: Store, cast: Cast) -> None:
    """enqueue_encoded (a sweep's digests) returns the new keys, sorted: all of them when none
    was owed before (SQLite counts them instead of reading them back), and only those not
    owed already when some were, their rows left as they were."""
    def rows(*keys: str) -> list[outbox.Encoded]:
        return [outbox.Encoded(key, "nudge_rota", cast.requester, None, f'{{"n": "{key}"}}')
                for key in keys]

    async with store.transaction() as session:
        assert await outbox.enqueue_encoded(session, rows("a:1", "b:1", "c:1"), now=T0) == [
            "a:1", "b:1", "c:1"
        ]
    async with store.transaction() as session:
        later = rows("a:0", "a:1", "b:2", "c:1", "d:1")
        assert await outbox.enqueue_encoded(session, later, now=T0 + timedelta(hours=1)) == [
            "a:0", "b:2", "d:1"
        ]
        assert await outbox.enqueue_encoded(session, rows("a:0", "b:1"), now=T0) == []
    stored = {row.key: row for row in await load(store, Outbox)}
    assert sorted(stored) == ["a:0", "a:1", "b:1", "b:2", "c:1", "d:1"]
    assert stored["a:1"].created_at == T0 and stored["a:0"].params == {"n": "a:0"}


async def test_times_owed_in_bulk_are_stored_as_the_orm_stores_them(
    store: Store, cast: Cast
) -> None:
    """A query comparing a time finds a row owed by `enqueue_encoded` as it finds one owed by
    `enqueue` (on SQLite both must be written in SQLAlchemy's text format: the sweep finds the
    digests owed today by `not_after ==`, data.nudge_digests.owed_today)."""
    ends = T0 + timedelta(hours=8)
    async with store.transaction() as session:
        await outbox.enqueue(session, key="one:1", kind="note", now=T0,
                             recipient_id=cast.colleague, params={}, not_after=ends)
        await outbox.enqueue_encoded(session, [
            outbox.Encoded("many:1", "note", cast.colleague, None, "{}", ends),
            outbox.Encoded("many:2", "note", cast.requester, None, "{}", ends),
        ], now=T0)
    for column, value in (("not_after", ends), ("created_at", T0), ("next_attempt_at", T0)):
        found = await load(store, Outbox, getattr(Outbox, column) == value)
        assert sorted(row.key for row in found) == ["many:1", "many:2", "one:1"], column


async def test_a_transaction_says_whether_it_owed_anything_for_delivery(
    store: Store, cast: Cast
) -> None:
    """What delivery must send (owed, owed many, revived) marks the transaction; a message its
    owner claimed to send itself, or a revival that found nothing, does not."""
    async with store.transaction() as session:
        await outbox.enqueue_claimed(session, key="reply:1", kind="reply", now=T0,
                                     recipient_id=cast.colleague, params={})
        await outbox.revive(session, recipient_id=cast.colleague, now=T0, besides="reply")
        assert not outbox.for_delivery(session)
        await outbox.enqueue(session, key="note:1", kind="note", now=T0, recipient_id=cast.colleague)
        assert outbox.for_delivery(session)
    async with store.transaction() as session:
        assert not outbox.for_delivery(session)
        await outbox.enqueue_many(session, [outbox.Owed("note:2", "note", cast.colleague)], now=T0)
        assert outbox.for_delivery(session)
    async with store.transaction() as session:
        for row in await outbox.claim_due(session, now=T0):
            assert row.id is not None
            await outbox.mark_failed(session, row_id=row.id, error="gone", delivered={})
    async with store.transaction() as session:
        assert await outbox.revive(session, recipient_id=cast.colleague, now=T0, besides="reply")
        assert outbox.for_delivery(session)
