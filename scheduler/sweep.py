"""One sweep: read the register, run the rules as of `now`, owe the due nudges in the outbox.

The register is read in one read-only transaction, a piece at a time (data.nudge_state.
snapshot_pieces), and each piece's due nudges are added to the day's digests as JSON text
(data.nudge_digests.DigestBook), so what a sweep holds at once is one piece's state and the
digests' text, not the whole register's. The digests are then owed in short writing
transactions of a few thousand rows each (SQLite's write lock is held only that long), and
the sweep marked done in a last one. Writing is idempotent by key, so a sweep run twice, by
two processes at once, or again after failing part way, owes each digest once; digests
already owed today are skipped before they are built. A reminder due once that a rule owes
late (the days since the rule last ran awake: data.policy.owed_from) is skipped when a
digest of an earlier day carries it already (a sweep that owed it failed before it recorded
the rule's day). A sweep that can owe nothing new since
the last full one stops before loading anything (data.sweep_marks). Python's cyclic garbage
collector is paused meanwhile (scheduler.gc_pause).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from operator import itemgetter

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import outbox, people, sweep_marks
from data.chunks import chunks
from data.db import Store
from data.models import Account
from data.nudge_digests import (
    DigestBook,
    ItemMark,
    Nudge,
    not_after_of,
    owed_items,
    owed_today,
)
from data.nudge_state import (
    PIECE,
    expert_deadlines,
    open_question_deadlines,
    snapshot_pieces,
)
from data.policy import NudgeConfig, local, owed_from
from data.terminal import printable
from scheduler.gc_pause import gc_paused
from scheduler.nudge_rules import (
    APPROVAL,
    ARCHIVING,
    CASE,
    CATCHING_UP,
    EXPERT,
    INACTIVITY,
    KINDS,
    MONTHLY,
    QUESTION,
    ROTA,
    ROTA_UNMARKED,
    concerning,
    due_nudges,
    ran_awake,
    sending_hours,
)


@dataclass(frozen=True)
class SweepResult:
    now: datetime
    # What the rules found due: listed on a dry run and on a sweep without `reuse`, unless
    # the sweep was given a `Listing` (the operator's, shown as a table: it keeps less); a
    # scheduler tick only counts them (`found`), so that it holds no more than a piece of the
    # register at once.
    nudges: list[Nudge]
    # Outbox keys newly owed (empty on a dry run).
    written: list[str]
    # Nothing was loaded: the last full sweep of these kinds already owed everything due now
    # (data.sweep_marks), so `nudges` is empty.
    skipped: bool = False
    # How many nudges the rules found due (including those of digests already owed).
    found: int = 0


# The rules' wake-up times (scheduler.nudge_rules), by kind.
def _wakes(config: NudgeConfig) -> dict[str, time]:
    return {
        ROTA: config.rota_at, ROTA_UNMARKED: config.rota_unmarked_at,
        QUESTION: config.sending_starts, ARCHIVING: config.archiving_at,
        INACTIVITY: config.inactivity_at, APPROVAL: config.approval_at,
        EXPERT: config.sending_starts,
        CASE: config.case_at,
        MONTHLY: config.monthly_at,
    }


async def quiet_until(
    session: AsyncSession, now: datetime, config: NudgeConfig, kinds: Sequence[str]
) -> datetime:
    """The first moment after `now` when time alone may make something new due: a rule of
    `kinds` wakes, an open question passes the answer target or the escalation, a colleague
    asked about one runs out of time, or the day ends."""
    today = local(now, config).date()
    moments = [datetime.combine(today + timedelta(days=1), time(0), tzinfo=config.zone)]
    wakes = _wakes(config)
    moments += [
        moment for kind in kinds
        if (moment := datetime.combine(today, wakes[kind], tzinfo=config.zone)) > now
    ]
    if QUESTION in kinds:
        moments += await open_question_deadlines(session, now=now, config=config)
    if EXPERT in kinds:
        moments += await expert_deadlines(session, now=now)
    return min(moments)


# Outbox rows per writing transaction: on SQLite, what an acknowledgement may wait behind
# (2,000 rows: ~30 ms on the 2-core machine of bench/README.md) rather than every row owed.
WRITE_CHUNK = 2000


async def sweep(
    store: Store,
    now: datetime,
    config: NudgeConfig,
    *,
    kinds: Iterable[str] = KINDS,
    dry_run: bool = False,
    reuse: bool = True,
    piece: int = PIECE,
    listing: Listing | None = None,
    write_chunk: int = WRITE_CHUNK,
) -> SweepResult:
    """Run the rules of `kinds` as of `now` and owe what is due (nothing on a dry run, and
    nothing outside the sending hours).

    With `reuse` (the scheduler's ticks), a sweep that can owe nothing new since the last full
    sweep of the same kinds stops after two small queries (data.sweep_marks), and the nudges
    found are only counted; without it (a dry run, `kontobot nudges run`), the rules always
    run and `nudges` lists all that is due, unless a `listing` is given: then each piece's
    nudges go into it as they are found (what `kontobot nudges run` prints), and `nudges` is
    empty. The register is read `piece` accounts at a time, and what is owed written
    `write_chunk` rows a transaction."""
    assert now.tzinfo is not None, "times are aware"
    if not sending_hours(now, config):
        return SweepResult(now, [], [])
    chosen = sorted(set(kinds))
    listed = (dry_run or not reuse) and listing is None
    with gc_paused():
        return await _sweep(store, now, config, chosen, dry_run=dry_run, reuse=reuse,
                            listed=listed, piece=piece, listing=listing,
                            write_chunk=write_chunk)


async def _sweep(
    store: Store, now: datetime, config: NudgeConfig, chosen: list[str], *, dry_run: bool,
    reuse: bool, listed: bool, piece: int, listing: Listing | None, write_chunk: int,
) -> SweepResult:
    name = ",".join(chosen)
    today = local(now, config).date()
    not_after = not_after_of(today, config.zone, config.sending_ends)
    # Read and worked out in a read-only transaction, then owed in short writing ones: on
    # SQLite a writing transaction holds the one write lock, and an acknowledgement waiting
    # for it must not wait for a whole register to be read (1.5 s at 10,000 accounts here).
    async with store.read() as session:
        seen = await sweep_marks.version(session, config)
        if reuse and not dry_run and await sweep_marks.nothing_new(
            session, kinds=name, seen=seen, day=today, now=now
        ):
            return SweepResult(now, [], [], skipped=True)
        catching_up = [k for k in chosen if k in CATCHING_UP]
        swept = await sweep_marks.rule_days(session, catching_up)
        book = DigestBook(
            today,
            () if dry_run else await owed_today(session, day=today, not_after=not_after),
            () if dry_run else await _owed_late(session, today, config, catching_up, swept),
        )
        nudges: list[Nudge] = []
        found = 0
        async for state in snapshot_pieces(
            session, now, config, piece, concerning=concerning(chosen), swept=swept,
            summary_since=owed_from(today, swept.get(MONTHLY), config),
        ):
            due = due_nudges(state, now, config, chosen)
            found += len(due)
            if listed:
                nudges.extend(due)
            if listing is not None:
                listing.add(due)
            if not dry_run:
                book.add(due)
        if dry_run:
            return SweepResult(now, nudges, [], found=found)
        quiet = await quiet_until(session, now, config, chosen)
    written = await _owe(store, book, not_after, now=now, chunk=write_chunk)
    # Marked last, once everything due is owed: a sweep that failed part way leaves no mark,
    # and the next one owes the rest (what was owed already is skipped by its key).
    async with store.transaction() as session:
        await sweep_marks.mark(
            session, kinds=name, seen=seen, day=today, quiet_until=quiet, now=now
        )
        await sweep_marks.rules_swept(
            session, kinds=ran_awake(chosen, now, config), day=today, now=now
        )
    return SweepResult(now, nudges, written, found=found)


async def _owed_late(
    session: AsyncSession, today: date, config: NudgeConfig, kinds: Sequence[str],
    swept: Mapping[str, date],
) -> set[ItemMark]:
    """What the rules of `kinds` owed on the days before today they owe for again (their
    windows, data.policy.owed_from): nothing but a weekend's on an ordinary day; after a sweep
    that owed and then failed to record its rule's day, what it owed, so that it is not owed
    twice."""
    # The windows all end today: the earliest start covers every kind's.
    start = min((owed_from(today, swept.get(kind), config) for kind in kinds), default=today)
    days = [start + timedelta(days=n) for n in range((today - start).days)]
    return await owed_items(session, kinds=kinds, days=days, zone=config.zone,
                            sending_ends=config.sending_ends)


async def _owe(
    store: Store, book: DigestBook, not_after: datetime, *, now: datetime, chunk: int
) -> list[str]:
    """The book's rows owed, in key order, a transaction per `chunk` rows; the keys new.

    On PostgreSQL two transactions write at once: the server inserts (most of a first sweep's
    writing) on both cores while this process waits. Their keys are disjoint, and each inserts
    in key order, so neither they nor another sweeper's ever wait on each other both ways. On
    SQLite, which has one writer, one after the other."""
    at_once = 2 if store.engine.dialect.name == "postgresql" else 1

    async def write(rows: list[outbox.Encoded]) -> list[str]:
        async with store.transaction() as session:
            return await outbox.enqueue_encoded(session, rows, now=now)

    written: list[str] = []
    # Started in order, a few at a time, so that only those rows are held besides the book.
    writing: deque[asyncio.Task[list[str]]] = deque()
    try:
        for rows in chunks(book.rows(not_after), chunk):
            if len(writing) == at_once:
                written += await writing.popleft()
            writing.append(asyncio.create_task(write(rows)))
        while writing:
            written += await writing.popleft()
    finally:
        for task in writing:
            task.cancel()
        await asyncio.gather(*writing, return_exceptions=True)
    return written


# One nudge as a listing keeps it: the table's sort key (recipient or 0, place or "", kind,
# subject), then recipient, place, account, why, escalation.
_Line = tuple[int, str, str, str, int | None, str | None, int | None, str, bool]


class Listing:
    """What a sweep found due, as `kontobot nudges run` shows it, gathered piece by piece of
    the register: each nudge kept as the little its table line needs (no details, no Nudge),
    so that listing a whole register holds a tuple a nudge, not the nudges (bench/README.md,
    issue 13: 299 MiB at 50,000 accounts as Nudges)."""

    def __init__(self) -> None:
        self._lines: list[_Line] = []
        # One string per subject ("account:12"): the rules make one per nudge.
        self._subjects: dict[str, str] = {}

    def add(self, nudges: Iterable[Nudge]) -> None:
        lines, subjects = self._lines, self._subjects
        for n in nudges:
            subject = subjects.setdefault(n.subject, n.subject)
            lines.append((n.recipient_id or 0, n.place or "", n.kind, subject, n.recipient_id,
                          n.place, n.account_id, n.why, n.escalation))

    def __len__(self) -> int:
        return len(self._lines)

    async def table(self, store: Store) -> str:
        """The nudges listed as a plain-text table: recipient, kind, account, why, sorted by
        recipient, place, kind and subject (in the order found within those)."""
        lines = sorted(self._lines, key=itemgetter(0, 1, 2, 3))
        async with store.transaction() as session:
            names = await people.names_by_id(
                session, {line[4] for line in lines if line[4] is not None}
            )
            ids = sorted({line[6] for line in lines if line[6] is not None})
            numbers: dict[int | None, str] = {}
            for piece in chunks(ids):
                found = await session.exec(
                    select(Account.id, Account.number).where(col(Account.id).in_(piece))
                )
                numbers.update((account_id, number) for account_id, number in found)

        def cells(line: _Line) -> tuple[str, str, str, str]:
            _rid, _place, kind, subject, recipient_id, place, account_id, why, escalation = line
            if recipient_id is not None:
                who = f"{names.get(recipient_id, '?')} (#{recipient_id})"
            else:
                who = f"@{place}"
            about = numbers.get(account_id, subject) if account_id is not None else subject
            # Names and handles as stored (data.terminal); the kind and why are our codes.
            return (printable(who), kind, printable(str(about)),
                    why + (" (escalation)" if escalation else ""))

        head = ("RECIPIENT", "KIND", "ACCOUNT", "WHY")
        # Two passes (the widths, then the text), so that the cells are not all held at once.
        widths = [len(cell) for cell in head]
        for line in lines:
            widths = [max(w, len(cell)) for w, cell in zip(widths, cells(line), strict=True)]

        def text(row: tuple[str, str, str, str]) -> str:
            return "  ".join(
                cell.ljust(width) for cell, width in zip(row, widths, strict=True)
            ).rstrip() + "\n"

        return text(head) + "".join(text(cells(line)) for line in lines)


async def table(store: Store, nudges: Sequence[Nudge]) -> str:
    """What `nudges` would send, as a plain-text table: recipient, kind, account, why."""
    listing = Listing()
    listing.add(nudges)
    return await listing.table(store)
