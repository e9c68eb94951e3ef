"""The durable inbox: every incoming event is a row before the platform hears it arrived.

A row's `key` is the platform's own delivery id, so a retry or a double click is stored once.
Workers claim rows with a short lease that they renew while working: a process that dies
leaves a lease that runs out within seconds, and another worker (or the same server after a
restart) takes the row over. A sender's rows (one `lane`) run one at a time and in the order
they arrived; different senders' rows run side by side. On PostgreSQL several processes claim
with `FOR UPDATE SKIP LOCKED`; SQLite ignores the lock clause and one process does the work.

A turn that fails is retried a few times with a short backoff, then parked with its error
(never lost, never looping); the sender's later rows then go on. So is an event that takes its
process down each time, whichever machine the process ran on. An operator may put a parked
row back to run (data.parked).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, exists, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data.models import InboxEvent, InboxStatus, PrunedTotal
from data.upsert import INSERT, dialect_of, insert_ignore

# A worker renews its lease well inside this while it works on a row.
LEASE = timedelta(seconds=15)
MAX_ATTEMPTS = 3
BACKOFF = (timedelta(seconds=1), timedelta(seconds=5), timedelta(seconds=30))


async def receive(
    session: AsyncSession,
    *,
    key: str,
    platform: str,
    lane: str,
    payload: dict[str, Any],
    now: datetime,
) -> bool:
    """Store an incoming event; True when it is new, False for a repeat of `key`."""
    return await insert_ignore(
        session,
        InboxEvent,
        {
            "key": key[:255],
            "platform": platform,
            "lane": lane[:255],
            "payload": payload,
            "status": InboxStatus.PENDING.value,
            "attempts": 0,
            "next_attempt_at": now,
            "received_at": now,
        },
        ["key"],
    )


@dataclass(frozen=True)
class Incoming:
    """An event to store, as `receive` takes it."""

    key: str
    platform: str
    lane: str
    payload: dict[str, Any]
    now: datetime


async def receive_many(session: AsyncSession, events: Sequence[Incoming]) -> set[str]:
    """Store several incoming events in one statement (one round trip, and the commit that
    follows one fsync for them all); the keys (as stored, at most 255 characters) that were
    new. A key given twice is stored once, from its first event."""
    rows: dict[str, dict[str, Any]] = {}
    for event in events:
        key = event.key[:255]
        rows.setdefault(
            key,
            {
                "key": key,
                "platform": event.platform,
                "lane": event.lane[:255],
                "payload": event.payload,
                "status": InboxStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": event.now,
                "received_at": event.now,
            },
        )
    if not rows:
        return set()
    # The rows as parameters, not in the statement (`.values([...])`, compiled anew for every
    # call): SQLAlchemy's "insertmanyvalues" sends them as one multi-row INSERT ... RETURNING
    # from a statement compiled once.
    result = await session.exec(_RECEIVE[dialect_of(session)], params=list(rows.values()))
    return set(result.scalars().all())


_RECEIVE = {
    name: insert(InboxEvent.__table__)  # type: ignore[attr-defined]
    .on_conflict_do_nothing(index_elements=["key"])
    .returning(InboxEvent.__table__.c.key)  # type: ignore[attr-defined]
    for name, insert in INSERT.items()
}


# The statements a turn runs are built once, here, with their values as parameters: building
# one (its clauses, then the key SQLAlchemy caches its compiled form under) costs about 1-2 ms
# of CPU on the 2-core machine of bench/README.md, several times what running it does.
_TABLE = InboxEvent.__table__  # type: ignore[attr-defined]
_c = _TABLE.c
_EARLIER = _TABLE.alias("earlier")
_PENDING, _WORKING = InboxStatus.PENDING.value, InboxStatus.WORKING.value


def _used_up(attempts: Any, retries: Any) -> Any:
    """Whether a row has had all its attempts since it was last put back to run
    (data.parked): on its columns, as SQL, or on a row's numbers, as a bool. Written once for
    both, so that `fail` parks exactly the rows the statements below count as used up."""
    return attempts >= MAX_ATTEMPTS * (retries + 1)


_USED_UP = _used_up(_c.attempts, _c.retries)
# Held past its lease (the parameter `now`): its worker's process stopped (or stalled) while
# running it.
_LAPSED = and_(_c.status == _WORKING, _c.claimed_until < bindparam("now"))
# A row that may run now: pending and due, or held past its lease with attempts left (one
# without is parked instead: `park_stopped`).
_CLAIMABLE = or_(
    and_(_c.status == _PENDING, _c.next_attempt_at <= bindparam("now")),
    and_(_LAPSED, ~_USED_UP),
)
# What parks a row whose process stopped while running it, on each of its attempts.
_STOPPED = {
    "status": InboxStatus.PARKED.value,
    "claimed_by": None,
    "claimed_until": None,
    "error": "its process stopped while running it, every time",
}
# No earlier row of the same lane is still to run (pending, retrying or in progress).
_FIRST_OF_ITS_LANE = ~exists().where(
    _EARLIER.c.lane == _c.lane,
    _EARLIER.c.id < _c.id,
    _EARLIER.c.status.in_([_PENDING, _WORKING]),
)
_CHOSEN = (
    select(_c.id)
    .where(_CLAIMABLE, _FIRST_OF_ITS_LANE)
    .order_by(_c.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
    # Its own inbox_event, not the UPDATE's.
    .correlate(None)
)


def _claiming(chosen: Any) -> Any:
    return (
        update(_TABLE)
        .where(_c.id.in_(chosen.scalar_subquery()))
        .values(
            status=_WORKING,
            claimed_by=bindparam("worker"),
            claimed_until=bindparam("until"),
            attempts=_c.attempts + 1,
        )
        .returning(*_c)
    )


_CLAIM = _claiming(_CHOSEN)
_CLAIM_KEY = _claiming(_CHOSEN.where(_c.key == bindparam("claim_key")))
# Both in one read: the idle path, run every second by every worker, costs a round trip only.
_WAITING = select(
    exists().where(_CLAIMABLE, _FIRST_OF_ITS_LANE),
    exists().where(_LAPSED, _USED_UP),
)
# Locked as `claim` locks, so that of two processes parking at once one parks each row (and
# its sender is told once), the other skipping it.
_PARK_STOPPED = (
    update(_TABLE)
    .where(_c.id.in_(
        select(_c.id).where(_LAPSED, _USED_UP)
        .with_for_update(skip_locked=True).correlate(None).scalar_subquery()
    ))
    .values(**_STOPPED)
    .returning(*_c)
)
_FINISH = (
    update(_TABLE)
    .where(_c.id == bindparam("row_id"), _c.claimed_by == bindparam("worker"),
           _c.status == _WORKING)
    .values(status=InboxStatus.DONE.value, done_at=bindparam("now"), claimed_until=None,
            error=None)
)
_RENEW = (
    update(_TABLE)
    .where(_c.id.in_(bindparam("ids", expanding=True)), _c.claimed_by == bindparam("worker"),
           _c.status == _WORKING)
    .values(claimed_until=bindparam("until"))
)


async def claim(
    session: AsyncSession,
    *,
    now: datetime,
    worker: str,
    limit: int = 1,
    key: str | None = None,
) -> list[InboxEvent]:
    """Take up to `limit` rows that may run now, each the first of its lane (or the row of
    `key`, when it may run now). Their lease is `worker`'s until `now + LEASE`.

    One statement (UPDATE ... RETURNING over the rows chosen by a locking subquery), as each
    statement is a round trip to PostgreSQL. The rows come back detached from the session."""
    params: dict[str, Any] = {"now": now, "limit": limit, "worker": worker, "until": now + LEASE}
    if key is not None:
        params["claim_key"] = key[:255]
    result = await session.exec(
        _CLAIM if key is None else _CLAIM_KEY, params=params
    )
    rows = [InboxEvent(**row._mapping) for row in result.all()]
    return sorted(rows, key=lambda row: row.id or 0)


async def renew(session: AsyncSession, *, ids: Sequence[int], worker: str, now: datetime) -> None:
    """Keep `worker`'s rows in `ids` its own for another lease."""
    if not ids:
        return
    await session.exec(
        _RENEW, params={"ids": list(ids), "worker": worker, "until": now + LEASE}
    )


async def finish(session: AsyncSession, *, row_id: int, worker: str, now: datetime) -> bool:
    """Mark the row done, in the turn's own transaction; False when the lease was lost (another
    worker took the row over), and the turn's transaction must then be rolled back."""
    result = await session.exec(
        _FINISH, params={"row_id": row_id, "worker": worker, "now": now}
    )
    return bool(result.rowcount)


async def fail(
    session: AsyncSession, *, row_id: int, worker: str, now: datetime, error: str
) -> bool:
    """The turn failed: retry it after a backoff, or park it after MAX_ATTEMPTS. True when it
    was parked."""
    row = await session.get(InboxEvent, row_id)
    if row is None or row.claimed_by != worker or row.status != InboxStatus.WORKING.value:
        return False
    row.error = error[:2000]
    row.claimed_until = None
    # The attempts since it was last put back to run (data.parked), if it ever was.
    tries = row.attempts - MAX_ATTEMPTS * row.retries
    if _used_up(row.attempts, row.retries):
        row.status = InboxStatus.PARKED.value
    else:
        row.status = InboxStatus.PENDING.value
        row.next_attempt_at = now + BACKOFF[min(max(tries, 1), len(BACKOFF)) - 1]
    session.add(row)
    return row.status == InboxStatus.PARKED.value


def _held_by(worker: str) -> tuple[ColumnElement[bool], ...]:
    return (
        col(InboxEvent.claimed_by) == worker,
        col(InboxEvent.status) == InboxStatus.WORKING.value,
    )


async def used_up(session: AsyncSession, *, worker: str) -> list[InboxEvent]:
    """The rows `worker` holds that `release(stopped=True)` parks: what its process was
    running, every time, when it stopped."""
    return list(await session.exec(select(InboxEvent).where(*_held_by(worker), _USED_UP)))


async def release(session: AsyncSession, *, worker: str, stopped: bool = False) -> int:
    """Give back every row `worker` holds: they run at the next start or in another process.

    A graceful stop gives its attempts back. When the worker's process `stopped` (it was
    killed or crashed), the attempt counts, and a row that has used up its attempts that way
    is parked: an event that takes its process down each time is not run forever."""
    held = _held_by(worker)
    parked = 0
    if stopped:
        result = await session.exec(update(InboxEvent).where(*held, _USED_UP).values(**_STOPPED))
        parked = int(result.rowcount or 0)
    result = await session.exec(
        update(InboxEvent)
        .where(*held)
        .values(
            status=InboxStatus.PENDING.value,
            claimed_by=None,
            claimed_until=None,
            attempts=InboxEvent.attempts - (0 if stopped else 1),
        )
    )
    return parked + int(result.rowcount or 0)


async def park_stopped(session: AsyncSession, *, now: datetime) -> list[InboxEvent]:
    """Park the rows held past their lease that have used up their attempts, as
    `release(stopped=True)` parks them: their process stopped while running them, every time,
    on a machine whose processes `release` cannot be told of (another one, or this one under
    another name). `claim` leaves them, else they would run for ever. The rows parked, each
    returned to one caller only (to tell its sender once); detached from the session."""
    result = await session.exec(_PARK_STOPPED, params={"now": now})
    return [InboxEvent(**row._mapping) for row in result.all()]


@dataclass(frozen=True)
class Waiting:
    """What a worker would find in the inbox now."""

    # A row `claim` would take.
    to_claim: bool
    # A row `park_stopped` would park.
    to_park: bool


async def waiting(session: AsyncSession, *, now: datetime) -> Waiting:
    """What `claim` and `park_stopped` would find: one cheap read before taking the write
    lock (the rows held past their lease are among the few being worked on: indexed)."""
    to_claim, to_park = (await session.exec(_WAITING, params={"now": now})).one()
    return Waiting(to_claim=bool(to_claim), to_park=bool(to_park))


async def runnable(session: AsyncSession, *, now: datetime) -> bool:
    """Whether any row may run now or is being run."""
    found = await session.exec(
        select(InboxEvent.id)
        .where(or_(_CLAIMABLE, col(InboxEvent.status) == InboxStatus.WORKING.value))
        .limit(1),
        params={"now": now},
    )
    return found.first() is not None


async def holders(session: AsyncSession) -> list[str]:
    """The workers holding rows now (to find those of processes that died)."""
    found = await session.exec(
        select(InboxEvent.claimed_by)
        .where(col(InboxEvent.status) == InboxStatus.WORKING.value)
        .distinct()
    )
    return [w for w in found.all() if w]


async def by_key(session: AsyncSession, key: str) -> InboxEvent | None:
    return (
        await session.exec(select(InboxEvent).where(col(InboxEvent.key) == key[:255]))
    ).first()


# The inbox's name in retention's totals and audit events (data.retention).
PRUNED_AS = "inbox"
# Events given up, each parked once more than it was put back: parked now, or discarded by an
# operator after (data.parked).
GIVEN_UP = (InboxStatus.PARKED.value, InboxStatus.DISCARDED.value)


@dataclass(frozen=True)
class Tally:
    """What every worker of every process has done with the inbox: counted from its rows, and
    from retention's totals for the rows it deleted."""

    done: int
    # Attempts that did not finish: the turn failed, or its process stopped while running it.
    failed: int
    # Times an event was parked (an operator may have put it back to run since).
    parked: int


async def tally(session: AsyncSession) -> Tally:
    """For /metrics: counted from the rows, so true whichever process ran the turns."""
    rows = (
        await session.exec(
            select(InboxEvent.status, func.count(),
                   func.coalesce(func.sum(InboxEvent.attempts), 0),
                   func.coalesce(func.sum(InboxEvent.retries), 0))
            .group_by(col(InboxEvent.status))
        )
    ).all()
    count = {status: int(n) for status, n, _attempts, _retries in rows}
    attempts = sum(int(a) for _status, _n, a, _retries in rows)
    # Each time an operator put a parked row back to run, it had been parked once.
    parked = sum(count.get(status, 0) for status in GIVEN_UP) + sum(int(r) for *_, r in rows)
    # Rows deleted by retention (data.retention) still count: a total never falls.
    pruned = await session.get(PrunedTotal, PRUNED_AS)
    if pruned is not None:
        count[InboxStatus.DONE.value] = count.get(InboxStatus.DONE.value, 0) + pruned.done
        attempts += pruned.attempts
        parked += pruned.parked
    # A done row's last attempt finished; a working row's attempt is still running.
    running = count.get(InboxStatus.WORKING.value, 0)
    done = count.get(InboxStatus.DONE.value, 0)
    return Tally(done=done, failed=attempts - done - running, parked=parked)


async def counts(session: AsyncSession) -> dict[str, int]:
    """Rows per status, for /metrics and for an operator."""
    rows = await session.exec(
        select(InboxEvent.status, func.count()).group_by(col(InboxEvent.status))
    )
    return {status: int(n) for status, n in rows.all()}
