"""The outbox: every message the bot owes someone, written before it is sent.

A row's key makes it unique, so writing the same notice twice stores it once. Delivery claims
rows with a lease; a worker that dies mid-send leaves a lease that runs out, and the row is
claimed again.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, or_, text, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data.chunks import chunks
from data.models import Outbox, OutboxStatus
from data.upsert import insert_ignore, insert_ignore_returning

# Short, so that what a dead process was sending is sent by another within seconds; one send
# (a Web API call with its own short retries) ends well inside it.
LEASE = timedelta(seconds=20)
MAX_ATTEMPTS = 8
# The longest wait before a retry: the backoff's, and any a platform asks for (hub.delivery).
MAX_BACKOFF = timedelta(hours=1)
# The kind of a turn's reply to the person who wrote (hub.delivery sends it).
REPLY = "reply"
# Set in a session's `info` when its transaction owed a message for delivery to send (not one
# its owner claimed to send itself): after such a transaction, and only then, a turn wakes
# the delivery loop (each wake costs a read of the outbox).
_FOR_DELIVERY = "kontobot_owed_for_delivery"


def for_delivery(session: AsyncSession) -> bool:
    """Whether `session`'s transaction owed anything delivery must send."""
    return bool(session.info.get(_FOR_DELIVERY))


def _owed(session: AsyncSession) -> None:
    session.info[_FOR_DELIVERY] = True


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    kind: str,
    now: datetime,
    recipient_id: int | None = None,
    place: str | None = None,
    params: dict[str, Any] | None = None,
    update_of: str | None = None,
    not_after: datetime | None = None,
    claimed: bool = False,
) -> bool:
    """Owe a message; True when it is new, False when the same key was already owed.

    A message with `not_after` is dropped (status "expired") instead of being sent at or after
    that time: a scheduled reminder for a day that has passed is not sent late. A `claimed`
    message is owed already being sent, under a lease, by whoever owes it (a turn's replies,
    sent by the worker that ran it as soon as the turn is committed); should that worker die,
    the lease runs out and delivery sends it.
    """
    if not claimed:
        _owed(session)
    return await insert_ignore(
        session,
        Outbox,
        _row(
            key=key, kind=kind, now=now, recipient_id=recipient_id, place=place, params=params,
            update_of=update_of, not_after=not_after, claimed=claimed,
        ),
        ["key"],
    )


async def enqueue_claimed(
    session: AsyncSession,
    *,
    key: str,
    kind: str,
    now: datetime,
    recipient_id: int,
    params: dict[str, Any],
    update_of: str | None = None,
) -> Outbox | None:
    """Owe a message to a person already claimed (as `enqueue(..., claimed=True)`) and hand
    back its row, in one statement; None when the same key was already owed."""
    return await insert_ignore_returning(
        session,
        Outbox,
        _row(key=key, kind=kind, now=now, recipient_id=recipient_id, params=params,
             update_of=update_of, claimed=True),
        ["key"],
    )


def _row(*, key: str, kind: str, now: datetime, claimed: bool, **owed: Any) -> dict[str, Any]:
    """An outbox row's values; `owed` holds `enqueue`'s other arguments (None when not given)."""
    recipient_id, place = owed.get("recipient_id"), owed.get("place")
    assert (recipient_id is None) != (place is None), "a message goes to a person or a place"
    return {
        "key": key,
        "kind": kind,
        "recipient_id": recipient_id,
        "place": place,
        "params": owed.get("params") or {},
        "update_of": owed.get("update_of"),
        "status": (OutboxStatus.SENDING if claimed else OutboxStatus.PENDING).value,
        "attempts": 1 if claimed else 0,
        "next_attempt_at": now,
        "claimed_until": now + LEASE if claimed else None,
        "delivered": {},
        "created_at": now,
        "not_after": owed.get("not_after"),
    }


# A message sent, or on its way: neither given up nor expired.
_OWED = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value, OutboxStatus.SENT.value)

# The statements every turn or delivery pass runs, built once with their values as parameters
# (building one costs more CPU than running it: see data/inbox.py).
_c = Outbox.__table__.c  # type: ignore[attr-defined]
_ANY_DUE = (
    select(_c.id)
    .where(
        or_(
            (_c.status == OutboxStatus.PENDING.value) & (_c.next_attempt_at <= bindparam("now")),
            (_c.status == OutboxStatus.SENDING.value) & (_c.claimed_until < bindparam("now")),
        )
    )
    .limit(1)
)
_MARK_SENT = (
    update(Outbox.__table__)  # type: ignore[attr-defined]
    .where(_c.id == bindparam("row_id"))
    .values(
        status=OutboxStatus.SENT.value,
        sent_at=bindparam("sent_now", type_=_c.sent_at.type),
        claimed_until=None,
        delivered=bindparam("delivered_as", type_=_c.delivered.type),
        error=None,
    )
)
_LATEST_OWED = (
    select(Outbox)
    .where(
        col(Outbox.recipient_id) == bindparam("recipient_id"),
        col(Outbox.kind) == bindparam("kind"),
        col(Outbox.status).in_(_OWED),
    )
    .order_by(col(Outbox.id).desc())
    .limit(bindparam("limit"))
)
_NEWEST_TO = (
    select(Outbox)
    .where(
        col(Outbox.recipient_id) == bindparam("recipient_id"),
        col(Outbox.status) != OutboxStatus.FAILED.value,
    )
    .order_by(col(Outbox.id).desc())
    .offset(bindparam("offset"))
    .limit(bindparam("limit"))
)


async def any_due(session: AsyncSession, *, now: datetime) -> bool:
    """Whether `claim_due` would find anything (a cheap read before taking the write lock)."""
    found = await session.exec(_ANY_DUE, params={"now": now})
    return found.first() is not None


async def by_keys(session: AsyncSession, keys: Sequence[str]) -> list[Outbox]:
    """The rows of `keys`, in the order of `keys`."""
    rows = {r.key: r for r in await session.exec(select(Outbox).where(col(Outbox.key).in_(list(keys))))}
    return [rows[k] for k in keys if k in rows]


async def mark_many_sent(
    session: AsyncSession, *, sent: Sequence[tuple[int, dict[str, str]]], now: datetime
) -> None:
    """Mark rows sent, with what each was delivered as: one statement per row, one commit."""
    for row_id, delivered in sent:
        await session.exec(
            _MARK_SENT, params={"row_id": row_id, "sent_now": now, "delivered_as": delivered}
        )


@dataclass(frozen=True)
class Owed:
    """One message for `enqueue_many` (the same fields as `enqueue`)."""

    key: str
    kind: str
    recipient_id: int | None = None
    place: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    not_after: datetime | None = None


async def enqueue_many(session: AsyncSession, owed: Sequence[Owed], *, now: datetime) -> list[str]:
    """Owe many messages in few statements, in key order; returns the keys that were new.

    The params are encoded by the column's own type, as an ORM insert would store them, and
    written by `enqueue_encoded`."""
    _owed(session)
    ordered = sorted({o.key: o for o in owed}.values(), key=lambda o: o.key)
    connection = await session.connection()
    params = Outbox.__table__.c["params"].type.bind_processor(  # type: ignore[attr-defined]
        connection.dialect
    )
    encode = params if params is not None else json.dumps
    return await enqueue_encoded(
        session,
        [Encoded(o.key, o.kind, o.recipient_id, o.place, encode(o.params), o.not_after)
         for o in ordered],
        now=now,
    )


class Encoded(NamedTuple):
    """One message for `enqueue_encoded`: its params already JSON text (as the column stores
    it), so that a sweep of tens of thousands of digests holds text, not dicts. A named tuple:
    immutable, and made several times faster than a frozen dataclass."""

    key: str
    kind: str
    recipient_id: int | None
    place: str | None
    params: str
    not_after: datetime | None = None


# Rows per statement: bounded memory for the parameters; on PostgreSQL each INSERT is one set
# of array parameters whatever the row count.
_CHUNK = 5000


async def enqueue_encoded(
    session: AsyncSession, rows: Iterable[Encoded], *, now: datetime
) -> list[str]:
    """Owe many messages, each key once and in key order (the caller's), in few statements;
    returns the keys that were new, sorted.

    Set-based, because a sweep owes tens of thousands at once: on PostgreSQL one
    INSERT ... SELECT FROM unnest(arrays) ON CONFLICT DO NOTHING RETURNING per chunk (in key
    order, so that two sweepers inserting at once take the same keys in the same order: the
    second waits on the first, never both ways); on SQLite an executemany per chunk, INSERT ...
    ON CONFLICT DO NOTHING, and the new keys are the rows past the highest id before it (the
    transaction holds SQLite's write lock from BEGIN, so nobody else adds one in between, and
    a new rowid is always above the highest): counted, and read back only when some keys
    were owed already."""
    connection = await session.connection()
    dialect = connection.dialect
    table = Outbox.__table__  # type: ignore[attr-defined]
    # The column's type as this dialect stores it (the dialect's own format on SQLite, as an
    # ORM insert writes it: a time written otherwise would never equal one in a query).
    at = table.c["created_at"].type.dialect_impl(dialect).bind_processor(dialect) or (
        lambda value: value
    )
    stamp = at(now)
    if dialect.name == "postgresql":
        return await _enqueue_postgres(session, rows, stamp)
    before = (await session.exec(select(func.max(Outbox.id)))).one() or 0
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    pending = OutboxStatus.PENDING.value
    delivered = table.c["delivered"].type.bind_processor(dialect)({})
    # A sweep's rows share one not_after: encoded once.
    not_after: dict[datetime | None, Any] = {None: None}
    keys: list[str] = []
    for piece in chunks(rows, _CHUNK):
        values = []
        keys.extend(o.key for o in piece)
        for o in piece:
            assert (o.recipient_id is None) != (o.place is None), "a person or a place"
            if o.not_after not in not_after:
                not_after[o.not_after] = at(o.not_after)
            values.append((o.key, o.kind, o.recipient_id, o.place, o.params, None, pending, 0,
                           stamp, delivered, stamp, not_after[o.not_after]))
        await driver.executemany(_INSERT_SQLITE, values)
    added = (await session.exec(
        select(func.count()).select_from(Outbox).where(col(Outbox.id) > before)
    )).one()
    if added == len(keys):
        # Every row was new (a sweep's usual case): they are the keys written, without
        # reading tens of thousands back.
        return sorted(keys)
    new = await session.exec(
        select(Outbox.key).where(col(Outbox.id) > before).order_by(col(Outbox.key))
    )
    return list(new)


_INSERT_SQLITE = (
    "INSERT INTO outbox (key, kind, recipient_id, place, params, update_of, status, "
    "attempts, next_attempt_at, delivered, created_at, not_after) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING"
)

_UNNEST = text(
    "INSERT INTO outbox (key, kind, recipient_id, place, params, update_of, status, attempts, "
    "next_attempt_at, delivered, created_at, not_after) "
    "SELECT k, kd, r, pl, CAST(pa AS JSON), NULL, :status, 0, :now, CAST(:delivered AS JSON), "
    ":now, na FROM unnest(CAST(:keys AS TEXT[]), CAST(:kinds AS TEXT[]), "
    "CAST(:recipients AS INTEGER[]), CAST(:places AS TEXT[]), CAST(:params AS TEXT[]), "
    "CAST(:not_after AS TIMESTAMPTZ[])) AS u(k, kd, r, pl, pa, na) "
    "ON CONFLICT (key) DO NOTHING RETURNING key"
)


async def _enqueue_postgres(session: AsyncSession, rows: Iterable[Encoded], now: Any) -> list[str]:
    new: list[str] = []
    for piece in chunks(rows, _CHUNK):
        for o in piece:
            assert (o.recipient_id is None) != (o.place is None), "a person or a place"
        result = await session.exec(
            _UNNEST,  # type: ignore[call-overload]
            params={
                "status": OutboxStatus.PENDING.value, "now": now, "delivered": "{}",
                "keys": [o.key for o in piece], "kinds": [o.kind for o in piece],
                "recipients": [o.recipient_id for o in piece],
                "places": [o.place for o in piece],
                "params": [o.params for o in piece],
                "not_after": [o.not_after for o in piece],
            },
        )
        new.extend(result.scalars())
    return sorted(new)


async def claim_due(session: AsyncSession, *, now: datetime, limit: int = 20) -> list[Outbox]:
    """Take up to `limit` rows that are due, or whose sender's lease ran out. Rows past their
    `not_after` are marked expired instead, and never sent."""
    # Rows locked by another claimer are skipped here too: it expires or sends them itself.
    stale = (
        select(Outbox.id)
        .where(
            col(Outbox.not_after).is_not(None),
            col(Outbox.not_after) <= now,
            or_(
                col(Outbox.status) == OutboxStatus.PENDING.value,
                (col(Outbox.status) == OutboxStatus.SENDING.value)
                & (col(Outbox.claimed_until) < now),
            ),
        )
        .with_for_update(skip_locked=True)
    )
    await session.exec(
        update(Outbox)
        .where(col(Outbox.id).in_(stale.scalar_subquery()))
        .values(
            status=OutboxStatus.EXPIRED.value, claimed_until=None, error="expired: not sent in time"
        )
    )
    statement = (
        select(Outbox)
        .where(
            or_(
                (col(Outbox.status) == OutboxStatus.PENDING.value)
                & (col(Outbox.next_attempt_at) <= now),
                (col(Outbox.status) == OutboxStatus.SENDING.value)
                & (col(Outbox.claimed_until) < now),
            )
        )
        .order_by(col(Outbox.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = []
    for row in await session.exec(statement):
        if row.attempts >= MAX_ATTEMPTS:
            # Its senders kept dying mid-send: stop, rather than crash-loop on it forever.
            row.status = OutboxStatus.FAILED.value
            row.claimed_until = None
            row.error = "abandoned: every attempt ended without an outcome"
        else:
            row.status = OutboxStatus.SENDING.value
            row.claimed_until = now + LEASE
            row.attempts += 1
            claimed.append(row)
        session.add(row)
    await session.flush()
    return claimed


async def latest_owed(
    session: AsyncSession, *, recipient_id: int, kind: str, limit: int = 5
) -> list[Outbox]:
    """The newest rows of `kind` sent to `recipient_id`, or still to send (not those given up
    or expired), newest first."""
    rows = await session.exec(
        _LATEST_OWED, params={"recipient_id": recipient_id, "kind": kind, "limit": limit}
    )
    return list(rows)


async def newest_to(
    session: AsyncSession, *, recipient_id: int, limit: int, offset: int = 0
) -> list[Outbox]:
    """The newest rows owed to `recipient_id` (after the `offset` newest), of any kind, sent
    or still to send (not those given up), newest first: where a card the person clicked is
    found (hub.turns)."""
    rows = await session.exec(
        _NEWEST_TO, params={"recipient_id": recipient_id, "offset": offset, "limit": limit}
    )
    return list(rows)


async def by_key(session: AsyncSession, key: str) -> Outbox | None:
    return (await session.exec(select(Outbox).where(Outbox.key == key))).first()


async def mark_sent(
    session: AsyncSession, *, row_id: int, now: datetime, delivered: dict[str, str]
) -> None:
    await mark_many_sent(session, sent=[(row_id, delivered)], now=now)


async def mark_retry(
    session: AsyncSession,
    *,
    row_id: int,
    now: datetime,
    error: str,
    delivered: dict[str, str],
    delay: timedelta | None = None,
) -> bool:
    """Put the row back for another try later; False when it has used up its attempts."""
    row = await session.get(Outbox, row_id)
    assert row is not None
    if row.attempts >= MAX_ATTEMPTS:
        return _put_back(session, row, error=error, delivered=delivered, at=None)
    backoff = delay if delay is not None else min(
        MAX_BACKOFF, timedelta(seconds=5 * 2 ** row.attempts)
    )
    return _put_back(session, row, error=error, delivered=delivered, at=now + backoff)


# How long a rewrite waits at most for the message it rewrites to be sent (which ends sooner,
# sent or given up, after its own tries: MAX_ATTEMPTS with a backoff of up to MAX_BACKOFF).
ORIGINAL_WAIT = timedelta(days=1)


async def wait_for_original(
    session: AsyncSession,
    *,
    row_id: int,
    now: datetime,
    until: datetime,
    error: str,
    delivered: dict[str, str],
) -> bool:
    """Put back a row whose original (`update_of`) is not sent yet, to try again at `until`.
    Waiting is not a try: its attempt is given back, so the rewrite keeps its tries for when
    it is sent. False, and the row given up, once it has waited ORIGINAL_WAIT."""
    row = await session.get(Outbox, row_id)
    assert row is not None
    if now - row.created_at >= ORIGINAL_WAIT:
        return _put_back(session, row, error=error, delivered=delivered, at=None)
    row.attempts = max(row.attempts - 1, 0)
    return _put_back(session, row, error=error, delivered=delivered, at=until)


def _put_back(
    session: AsyncSession, row: Outbox, *, error: str, delivered: dict[str, str],
    at: datetime | None,
) -> bool:
    """A row an attempt did not send: owed again `at`, or given up (None); whether owed."""
    row.delivered = delivered
    row.error = error[:2000]
    row.claimed_until = None
    if at is None:
        row.status = OutboxStatus.FAILED.value
    else:
        row.status = OutboxStatus.PENDING.value
        row.next_attempt_at = at
    session.add(row)
    return at is not None


async def mark_failed(
    session: AsyncSession, *, row_id: int, error: str, delivered: dict[str, str]
) -> None:
    """Give the row up for good (the platform refused it for a reason a retry can't mend)."""
    row = await session.get(Outbox, row_id)
    assert row is not None
    row.status = OutboxStatus.FAILED.value
    row.error, row.delivered, row.claimed_until = error[:2000], delivered, None
    session.add(row)


_REVIVE = (
    update(Outbox.__table__)  # type: ignore[attr-defined]
    .where(
        # (Not named as a column: an UPDATE's parameters of those names are its SET values.)
        _c.recipient_id == bindparam("person"),
        _c.status == OutboxStatus.FAILED.value,
        _c.kind != bindparam("besides"),
    )
    .values(
        status=OutboxStatus.PENDING.value,
        attempts=0,
        next_attempt_at=bindparam("revived_at", type_=_c.next_attempt_at.type),
        claimed_until=None,
    )
)


async def revive(session: AsyncSession, *, recipient_id: int, now: datetime, besides: str) -> int:
    """What failed to reach `recipient_id` owed anew, from its first attempt (all but the
    messages of kind `besides`); how many. Runs in every turn's transaction."""
    result = await session.exec(
        _REVIVE, params={"person": recipient_id, "besides": besides, "revived_at": now}
    )
    revived = int(result.rowcount or 0)
    if revived:
        _owed(session)
    return revived


async def next_due(session: AsyncSession) -> datetime | None:
    return (
        await session.exec(
            select(Outbox.next_attempt_at)
            .where(Outbox.status == OutboxStatus.PENDING.value)
            .order_by(col(Outbox.next_attempt_at))
            .limit(1)
        )
    ).first()


async def hold_unplaced(
    session: AsyncSession, *, row_id: int, now: datetime, delivered: dict[str, str]
) -> None:
    """No platform has the row's place configured: keep it owed (status "unplaced") rather
    than mark it sent; `release_placed` owes it anew once a place is configured."""
    row = await session.get(Outbox, row_id)
    assert row is not None
    row.status = OutboxStatus.UNPLACED.value
    row.delivered = delivered
    row.claimed_until = None
    row.error = f"no platform has the place {row.place!r} configured"
    session.add(row)


async def release_placed(session: AsyncSession, *, places: Collection[str], now: datetime) -> int:
    """What waits for one of `places` (configured now) is owed anew, at once; how many rows."""
    if not places:
        return 0
    result = await session.exec(
        update(Outbox)
        .where(
            col(Outbox.status) == OutboxStatus.UNPLACED.value,
            col(Outbox.place).in_(sorted(places)),
        )
        .values(status=OutboxStatus.PENDING.value, attempts=0, next_attempt_at=now,
                claimed_until=None, error=None)
    )
    return int(result.rowcount or 0)


async def waiting_for_places(session: AsyncSession) -> dict[str, int]:
    """How many messages wait for each place no platform has configured."""
    rows = await session.exec(
        select(Outbox.place, func.count())
        .where(col(Outbox.status) == OutboxStatus.UNPLACED.value)
        .group_by(col(Outbox.place))
    )
    return {str(place): int(count) for place, count in rows}
