"""How long delivered messages, processed events, web chat transcripts and unfinished
conversations are kept (KONTOBOT_RETENTION_DAYS).

Without this the outbox grows by three or four digests an account each working day (40,000 a
day at 10,000 accounts: some 9 million rows and gigabytes a year) and the inbox by every
event, with the text people typed in it. Once they have served their purpose both are of
temporary importance (the guidelines' "minimal or temporary importance ... no longer needed"),
so `prune` deletes, once they are older than the retention:

- from the outbox, the turns' replies and the nudges' digests that are done with: sent,
  expired or given up. The cards a later decision rewrites (an approval, a colleague asked, a
  manager's hand-over: `update_of` finds them by key) and the notices are kept: they are few,
  and they are the record of what was asked;
- from the inbox, the events done, and those parked (failed every retry): a parked event
  waits for an operator (`kontobot inbox`, data.parked) as long as the retention, as a
  dead-letter queue keeps its messages, and then goes, on record like the rest, as do those
  an operator discarded; one put back to run within the retention is kept. An event still
  to run, or running, is never touched;
- from the web chat's transcripts (data.webchat: the web chat has no service that keeps its
  conversations, so they are kept here, with what people typed), the messages neither said
  nor rewritten within the retention. The web chat shows a conversation's newest 200; a card
  that is deleted is no longer there to click, and a decision that would rewrite it rewrites
  nothing. So the cards still waiting for a decision are kept however long they wait (the
  approver's reminder points to the buttons): the approval cards of a request pending, and
  the cards of a colleague still asked and of a manager's hand-over still pending. Once
  decided, a card is rewritten, and goes the retention after;
- the conversations left unfinished (data.dialog_state: the answers given so far, a request
  half filled in), not answered within the retention: whoever comes back starts afresh
  rather than in the middle of what they left months ago.

Nothing else reads these rows once they are old: a digest's key holds its day, and only
today's are looked up; a click on a card older than the newest few is counted without the card
being rewritten (hub.turns); a platform retries an event within minutes, not days.

Each deletion is a short writing transaction of at most `chunk` rows (on SQLite an
acknowledgement waits for one at most) with its audit event, so what was deleted, when and
under which retention is on record, and adds what it deleted to the table's totals
(PrunedTotal): /metrics counts the turns from the inbox's rows, and a count must not fall.
The rows are found by id below the first row young enough to keep, each chunk's past the last
one's, so a day's run reads what it deletes, not the whole table. The web chat's cards kept
are found from the few requests, referrals and hand-overs waiting, through the approval cards'
index and the outbox's key, and left out of their chunk's deletion.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam, case, delete, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import audit, experts, inbox, requests, team
from data.chunks import chunks
from data.db import Store
from data.models import (
    AccountRequest,
    DialogState,
    HandoverStatus,
    InboxEvent,
    InboxStatus,
    ManagerHandover,
    Outbox,
    OutboxStatus,
    PrunedTotal,
    QuestionReferral,
    ReferralStatus,
    RequestStatus,
    Stage,
    WebMessage,
)
from data.outbox import REPLY
from data.upsert import INSERT, dialect_of

# What every nudge digest's kind starts with (scheduler.nudge_rules.KINDS).
DIGESTS = "nudge_"
# Rows deleted per writing transaction.
CHUNK = 2000

_DONE_WITH = (OutboxStatus.SENT.value, OutboxStatus.EXPIRED.value, OutboxStatus.FAILED.value)
_EVENTS_DONE_WITH = (InboxStatus.DONE.value, *inbox.GIVEN_UP)

# Past every id (the largest INTEGER): the bound when no row is young enough to keep.
_NO_BOUND = 2**31 - 1

# The web chat's name in an outbox row's `delivered` (bot.web.channel.WebChannel.platform).
WEB = "web"


@dataclass(frozen=True)
class _Pruning:
    """One table's pruning: its name in the audit trail, its table and key, the query for the
    first row to keep (None: keys do not grow with time), the query for the next prunable
    rows' keys below it, the conditions that make a row prunable (checked again as it is
    deleted), and what a deleted row adds to its table's totals of turns done, attempts and
    parkings (PrunedTotal; None: only its number counts)."""

    name: str
    table: Any
    ident: Any
    bound: Any
    prunable: Any
    conditions: tuple[Any, ...]
    totals: tuple[Any, Any, Any] | None


def _pruning(
    name: str, table: Any, at: Any, *done_with: Any, ident: Any = None,
    totals: tuple[Any, Any, Any] | None = None,
) -> _Pruning:
    """`table`'s rows that are `done_with` and whose time `at` is before the cut. Where ids
    grow with time, the first row at or after the cut bounds them (a row out of order waits
    for the next day's run); a row below it has its time checked too, for one whose id was
    taken before the bound's but that was committed after the bound was read. Another key
    (`ident`) does not grow with time: the rows are searched by their time alone."""
    key = col(table.id) if ident is None else ident
    conditions = (at < bindparam("before"), *done_with)
    bound = (
        select(key).where(at >= bindparam("before")).order_by(key).limit(1)
        if ident is None else None
    )
    below = (key < bindparam("bound"),) if bound is not None else ()
    prunable = (
        select(key)
        .where(key > bindparam("after"), *below, *conditions)
        .order_by(key)
        .limit(bindparam("limit"))
    )
    return _Pruning(name, table, key, bound, prunable, conditions, totals)


def _unindexed(status: Any) -> Any:
    """A status column read as an expression, so that no index on it is used: for a list of
    statuses SQLite searches the status index for each and sorts every row found in the id
    window to take the first chunk, inside the writing transaction. Read by id, the first
    chunk is the first rows read (the window holds few rows that are kept)."""
    return status + ""


_OUTBOX = _pruning(
    "outbox", Outbox, col(Outbox.created_at), _unindexed(col(Outbox.status)).in_(_DONE_WITH),
    or_(col(Outbox.kind) == REPLY, col(Outbox.kind).startswith(DIGESTS, autoescape=True)),
)
_INBOX = _pruning(
    inbox.PRUNED_AS, InboxEvent, col(InboxEvent.received_at),
    _unindexed(col(InboxEvent.status)).in_(_EVENTS_DONE_WITH),
    # Put back to run (data.parked) within the retention: kept until that is old too.
    col(InboxEvent.next_attempt_at) < bindparam("before"),
    # Turns done, attempts, and parkings: each putting back followed one, and a parked (or
    # discarded) row was parked once more.
    totals=(
        case((col(InboxEvent.status) == InboxStatus.DONE.value, 1), else_=0),
        col(InboxEvent.attempts),
        col(InboxEvent.retries)
        + case((col(InboxEvent.status).in_(inbox.GIVEN_UP), 1), else_=0),
    ),
)
_WEB_CHAT = _pruning(
    "web_message", WebMessage, col(WebMessage.created_at),
    col(WebMessage.updated_at) < bindparam("before"),
)
_DIALOGS = _pruning(
    "dialog_state", DialogState, col(DialogState.updated_at), ident=col(DialogState.person_id),
)


@dataclass(frozen=True)
class Pruned:
    """What one `prune` deleted, and the moment before which rows were old enough."""

    before: datetime
    outbox: int
    inbox: int
    web_chat: int
    dialogs: int

    @property
    def deleted(self) -> int:
        return self.outbox + self.inbox + self.web_chat + self.dialogs

    def __str__(self) -> str:
        return (f"{self.outbox} outbox message(s), {self.inbox} inbox event(s), "
                f"{self.web_chat} web chat message(s) and {self.dialogs} unfinished "
                f"conversation(s) from before {self.before.isoformat()}")


async def prune(store: Store, *, now: datetime, days: int, chunk: int = CHUNK) -> Pruned:
    """Delete the outbox's done replies and digests owed, the inbox's events done, parked or
    discarded, the web chat's messages but the cards waiting for a decision, and the
    conversations left unfinished, all of more than `days` days before `now` (see the module
    docstring)."""
    assert now.tzinfo is not None, "times are aware"
    # A chunk's ids go to the database as one IN list: far inside both databases' limits.
    assert days >= 1 and 1 <= chunk <= 10_000
    before = now - timedelta(days=days)
    outbox = await _prune(store, _OUTBOX, before=before, now=now, days=days, chunk=chunk)
    events = await _prune(store, _INBOX, before=before, now=now, days=days, chunk=chunk)
    web_chat = await _prune(store, _WEB_CHAT, before=before, now=now, days=days, chunk=chunk,
                            keep=await _waiting_cards(store))
    dialogs = await _prune(store, _DIALOGS, before=before, now=now, days=days, chunk=chunk)
    return Pruned(before, outbox, events, web_chat, dialogs)


async def _waiting_cards(store: Store) -> frozenset[int]:
    """The web chat's messages that are cards still waiting for someone: every approval card
    of a pending request (its decision rewrites them all, data.requests._refresh_cards), the
    card of a request sent back for changes (its *Revise the request* button: the requester's
    only way back to their answers), and the card of a colleague still asked and of a
    hand-over still pending. Found from those few through the approval cards' index and the
    outbox's unique key, not by reading the outbox, which holds millions of rows."""
    async with store.read() as session:
        dialect = dialect_of(session)
        found: list[dict[str, str]] = []
        pending = select(col(AccountRequest.id)).where(
            col(AccountRequest.status) == RequestStatus.PENDING.value
        )
        for request_id in list(await session.exec(pending)):
            assert request_id is not None
            found += await session.exec(select(col(Outbox.delivered)).where(
                *requests.cards_of(dialect, request_id), col(Outbox.update_of).is_(None)
            ))
        # Sent back at either stage: the manager's or the director's changes.
        keys = [
            requests.decided_key(request_id, round_, stage)
            for request_id, round_ in await session.exec(
                select(col(AccountRequest.id), col(AccountRequest.round)).where(
                    col(AccountRequest.status) == RequestStatus.CHANGES_REQUESTED.value
                )
            )
            if request_id is not None
            for stage in Stage
        ]
        keys += [experts.card_key(referral) for referral in await session.exec(
            select(QuestionReferral).where(
                col(QuestionReferral.status) == ReferralStatus.ASKED.value
            )
        )]
        keys += [team.card_key(handover) for handover in await session.exec(
            select(ManagerHandover).where(
                col(ManagerHandover.status) == HandoverStatus.PENDING.value
            )
        )]
        for piece in chunks(keys):
            found += await session.exec(
                select(col(Outbox.delivered)).where(col(Outbox.key).in_(piece))
            )
    return frozenset(int(delivered[WEB]) for delivered in found if WEB in delivered)


async def _prune(
    store: Store, spec: _Pruning, *, before: datetime, now: datetime, days: int, chunk: int,
    keep: frozenset[Any] = frozenset(),
) -> int:
    """Delete `spec`'s prunable rows but those whose key is in `keep`."""
    first_kept = None
    if spec.bound is not None:
        async with store.read() as session:
            first_kept = (await session.exec(spec.bound, params={"before": before})).first()
    bound = _NO_BOUND if first_kept is None else first_kept
    deleted = 0
    # Each chunk's search starts past the last one's: what lies before it is kept or gone, and
    # searching from the start again would step over the kept rows, and on PostgreSQL over
    # every row deleted so far and not yet vacuumed, once a chunk.
    after = 0
    while True:
        async with store.transaction() as session:
            ids = list(await session.exec(spec.prunable, params={
                "after": after, "bound": bound, "before": before, "limit": chunk,
            }))
            gone = done = attempts = parked = 0
            doomed = [key for key in ids if key not in keep]
            if doomed:
                # Checked again as they are deleted on PostgreSQL, where a row may have changed
                # since it was found (a failed message revived, a conversation answered). On
                # SQLite this transaction has held the write lock since it began, and checking
                # again cost 15 % of a large backlog's time. Another process pruning at once
                # may have deleted some: only this one's are counted.
                again = dialect_of(session) == "postgresql"
                result = await session.exec(
                    _deleting(spec, again), params={"ids": doomed, "before": before} if again
                    else {"ids": doomed},
                )
                if spec.totals is not None:
                    # What the deleted rows add to the totals, as the statement hands them back.
                    for row in result:
                        gone += 1
                        done, attempts, parked = done + row[0], attempts + row[1], parked + row[2]
                else:
                    # Rows alone (a row a value returned costs ~10 % on a large backlog).
                    gone = result.rowcount
            if gone:
                await _add_to_total(session, spec.name, gone, done, attempts, parked)
                audit.record(
                    session, now=now, actor_id=None, action="retention.pruned",
                    subject=spec.name, rows=gone, before=before.isoformat(), days=days,
                )
        deleted += gone
        if len(ids) < chunk:
            return deleted
        after = ids[-1]


_TOTALS = ("deleted", "done", "attempts", "parked")


@cache
def _adding(dialect: str) -> Any:
    """The upsert that adds to a table's totals, built once (a prune runs it a chunk)."""
    table = PrunedTotal.__table__  # type: ignore[attr-defined]
    statement = INSERT[dialect](table).values(
        subject=bindparam("subject"), **{name: bindparam(name) for name in _TOTALS}
    )
    return statement.on_conflict_do_update(
        index_elements=["subject"],
        set_={name: table.c[name] + statement.excluded[name] for name in _TOTALS},
    )


@cache
def _deleting(spec: _Pruning, again: bool) -> Any:
    """The chunk's DELETE of `spec` by key, its conditions checked `again`; built once."""
    statement = delete(spec.table).where(
        spec.ident.in_(bindparam("ids", expanding=True)), *(spec.conditions if again else ())
    )
    return statement if spec.totals is None else statement.returning(*spec.totals)


async def _add_to_total(
    session: AsyncSession, subject: str, deleted: int, done: int, attempts: int, parked: int
) -> None:
    """Add to what retention has deleted from `subject` (in the deleting transaction)."""
    await session.exec(_adding(dialect_of(session)), params={
        "subject": subject, "deleted": deleted, "done": done, "attempts": attempts,
        "parked": parked,
    })


async def totals(session: AsyncSession) -> dict[str, PrunedTotal]:
    """What retention has deleted so far, by table."""
    return {row.subject: row for row in await session.exec(select(PrunedTotal))}
