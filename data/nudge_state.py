"""The state the nudge rules read, loaded in a fixed handful of queries, and the writer that
turns due nudges into outbox rows (one digest per person, kind and day).

Reading: `load_snapshot` makes a `Snapshot` of every open account (or of some) as of `now`:
about ten queries whatever the size of the register, no per-account round trips.

Writing: `write_nudges` groups nudges by (kind, recipient or place, local day) and owes one
outbox row for each, keyed `"{kind}:{recipient}:{day}"` (`"{kind}:@{place}:{day}"` for a
place), params `{"day": ISO date, "items": [item, ...]}` where each item is
`{"subject", "account_id", "why", "escalation", "period", **details}`. The key makes a
second sweep, or a second process sweeping at once, a no-op; `not_after` (the end of the
day's sending hours) keeps a row from being sent on a later day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from functools import cached_property
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import outbox
from data.archive import ArchiveState, OpenArchive, archive_state
from data.chunks import IN_CHUNK
from data.models import (
    Absence,
    Account,
    AccountMember,
    AccountRequest,
    AccountStatus,
    ActivityEntry,
    ArchiveRecord,
    CaseMark,
    CheckInKind,
    MonitoringCheckIn,
    Outbox,
    Question,
    QuestionReferral,
    ReferralStatus,
    RequestStatus,
    RotaSetting,
    Rotation,
)
from data.policy import NudgeConfig, answer_due, escalation_due, longest_wait, shortest_answer_time

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class OpenQuestion:
    id: int
    received_at: datetime


@dataclass(frozen=True)
class ExpertWait:
    """A question handed to a colleague who has not answered yet (data.experts)."""

    referral_id: int
    question_id: int
    expert_id: int
    referred_by: int
    category: str
    due_at: datetime


@dataclass(frozen=True)
class AccountState:
    id: int
    number: str
    manager_id: int
    scope: str
    registered_on: date
    rotation: str
    anchor: date
    # Person ids in rota order.
    team: tuple[int, ...]
    # Local day of the latest activity entry (None: none logged).
    last_content: date | None
    # Latest day with a "monitored" check-in or an activity entry (None: neither).
    last_monitored: date | None
    archive: ArchiveState
    # All unanswered questions, and those received at or before the snapshot's
    # `questions_before` (oldest first).
    open_question_count: int
    old_questions: tuple[OpenQuestion, ...]
    # Today's check-ins: person id -> "monitored" / "cannot".
    today: dict[int, str] = field(default_factory=dict)
    # Unanswered questions waiting on a colleague's suggestion, soonest due first: the
    # question reminders leave them to the expert rule (scheduler.nudge_rules.experts).
    with_expert: tuple[ExpertWait, ...] = ()
    # How fast the account promised to answer questions (data.rules.RESPONSE_TIMES).
    response_time: str = "24h"
    # Marks for case management still without a registry number: (mark id, local day marked),
    # oldest first (data.casework).
    unregistered_cases: tuple[tuple[int, date], ...] = ()


@dataclass(frozen=True)
class PendingApproval:
    request_id: int
    requester_id: int
    approver_id: int
    stage: str
    round: int
    # When the current approver got it: submission, hand-over or the director's turn.
    since: datetime
    account_name: str


@dataclass(frozen=True)
class Snapshot:
    now: datetime
    zone: ZoneInfo
    today: date
    accounts: tuple[AccountState, ...]
    # People away today.
    away: frozenset[int]
    pending: tuple[PendingApproval, ...]
    questions_before: datetime
    # Who is on duty today, by account id, once worked out (data.compliance.duty_today): the
    # rota, question and compliance rules all ask.
    duty: dict[int, int | None] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def _by_id(self) -> dict[int, AccountState]:
        return {state.id: state for state in self.accounts}

    def account(self, account_id: int) -> AccountState | None:
        # By index: the dashboard asks for each account in turn (a scan made that quadratic).
        return self._by_id.get(account_id)


def _pairs(rows: Iterable[tuple[K, V]]) -> dict[K, V]:
    return {key: value for key, value in rows}


def _local(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


async def load_snapshot(
    session: AsyncSession,
    *,
    now: datetime,
    zone: ZoneInfo,
    questions_before: datetime,
    account_ids: Sequence[int] | None = None,
    archive_every_months: int = 6,
) -> Snapshot:
    """Every open account's state as of `now` (or only `account_ids`'), and the pending
    approvals (all of them, or none when `account_ids` is given)."""
    today = _local(now, zone)
    only = list(account_ids) if account_ids is not None else None

    accounts_q = (
        select(  # type: ignore[call-overload]  # (typed up to four columns)
            Account.id, Account.number, Account.manager_id, Account.scope,
            Account.registered_at, RotaSetting.rotation, RotaSetting.anchor,
            Account.response_time,
        )
        .outerjoin(RotaSetting, col(RotaSetting.account_id) == col(Account.id))
        .where(Account.status == AccountStatus.ACTIVE.value)
        .order_by(col(Account.id))
    )
    members_q = (
        select(AccountMember.account_id, AccountMember.person_id)
        .join(Account, col(Account.id) == col(AccountMember.account_id))
        .where(Account.status == AccountStatus.ACTIVE.value)
        .order_by(col(AccountMember.account_id), col(AccountMember.position),
                  col(AccountMember.person_id))
    )
    if only is not None:
        accounts_q = accounts_q.where(col(Account.id).in_(only))
        members_q = members_q.where(col(AccountMember.account_id).in_(only))
    account_rows = list(await session.exec(accounts_q))
    teams: dict[int, list[int]] = defaultdict(list)
    for account_id, person_id in await session.exec(members_q):
        teams[account_id].append(person_id)

    away = frozenset(
        await session.exec(
            select(Absence.person_id)
            .where(Absence.first_day <= today, Absence.last_day >= today)
            .distinct()
        )
    )

    def scoped(statement: Any, column: Any) -> Any:
        return statement if only is None else statement.where(column.in_(only))

    checkins: dict[int, dict[int, str]] = defaultdict(dict)
    for account_id, person_id, kind in await session.exec(
        scoped(
            select(MonitoringCheckIn.account_id, MonitoringCheckIn.person_id,
                   MonitoringCheckIn.kind).where(MonitoringCheckIn.day == today),
            col(MonitoringCheckIn.account_id),
        )
    ):
        checkins[account_id][person_id] = kind

    last_monitored: dict[int, date] = _pairs(
        await session.exec(
            scoped(
                select(MonitoringCheckIn.account_id, func.max(MonitoringCheckIn.day))
                .where(MonitoringCheckIn.kind == CheckInKind.MONITORED.value)
                .group_by(col(MonitoringCheckIn.account_id)),
                col(MonitoringCheckIn.account_id),
            )
        )
    )
    last_activity: dict[int, date] = {
        account_id: _local(at, zone)
        for account_id, at in await session.exec(
            scoped(
                select(ActivityEntry.account_id, func.max(ActivityEntry.at))
                .group_by(col(ActivityEntry.account_id)),
                col(ActivityEntry.account_id),
            )
        )
    }

    open_counts: dict[int, int] = _pairs(
        await session.exec(
            scoped(
                select(Question.account_id, func.count())
                .where(col(Question.answered_at).is_(None))
                .group_by(col(Question.account_id)),
                col(Question.account_id),
            )
        )
    )
    old: dict[int, list[OpenQuestion]] = defaultdict(list)
    for question_id, account_id, received_at in await session.exec(
        scoped(
            select(Question.id, Question.account_id, Question.received_at)
            .where(col(Question.answered_at).is_(None), Question.received_at <= questions_before)
            .order_by(col(Question.received_at), col(Question.id)),
            col(Question.account_id),
        )
    ):
        old[account_id].append(OpenQuestion(question_id, received_at))

    waits: dict[int, list[ExpertWait]] = defaultdict(list)
    for referral in await session.exec(
        scoped(
            select(QuestionReferral)
            .join(Question, col(Question.id) == col(QuestionReferral.question_id))
            .where(QuestionReferral.status == ReferralStatus.ASKED.value,
                   col(Question.answered_at).is_(None))
            .order_by(col(QuestionReferral.due_at), col(QuestionReferral.id)),
            col(QuestionReferral.account_id),
        )
    ):
        assert referral.id is not None
        waits[referral.account_id].append(ExpertWait(
            referral.id, referral.question_id, referral.expert_id, referral.referred_by,
            referral.category, referral.due_at,
        ))

    last_done: dict[int, date] = {
        account_id: _local(at, zone)
        for account_id, at in await session.exec(
            scoped(
                select(ArchiveRecord.account_id, func.max(ArchiveRecord.done_at))
                .where(col(ArchiveRecord.done_at).is_not(None))
                .group_by(col(ArchiveRecord.account_id)),
                col(ArchiveRecord.account_id),
            )
        )
    }
    open_archive: dict[int, OpenArchive] = {}
    for record in await session.exec(
        scoped(
            select(ArchiveRecord)
            .where(col(ArchiveRecord.done_at).is_(None))
            .order_by(col(ArchiveRecord.id).desc()),
            col(ArchiveRecord.account_id),
        )
    ):
        assert record.id is not None
        # Ordered newest first, so the oldest open one wins, as data.archive picks it.
        open_archive[record.account_id] = OpenArchive(
            record.id, record.due, record.reason, record.snoozed_until,
            _local(record.created_at, zone),
        )

    cases: dict[int, list[tuple[int, date]]] = defaultdict(list)
    for mark_id, account_id, marked_at in await session.exec(
        scoped(
            select(CaseMark.id, CaseMark.account_id, CaseMark.marked_at)
            .where(CaseMark.kind == "case_management", col(CaseMark.registry_number).is_(None))
            .order_by(col(CaseMark.id)),
            col(CaseMark.account_id),
        )
    ):
        cases[account_id].append((mark_id, _local(marked_at, zone)))

    states = []
    for (
        account_id, number, manager_id, scope, registered_at, rotation, anchor, response_time,
    ) in account_rows:
        registered_on = _local(registered_at, zone)
        content = last_activity.get(account_id)
        monitored = max(
            (d for d in (last_monitored.get(account_id), content) if d is not None), default=None
        )
        states.append(
            AccountState(
                id=account_id,
                number=number,
                manager_id=manager_id,
                scope=scope,
                registered_on=registered_on,
                rotation=rotation or Rotation.DAY.value,
                anchor=anchor or registered_on,
                team=tuple(teams.get(account_id, ())),
                last_content=content,
                last_monitored=monitored,
                archive=archive_state(
                    account_id, registered_on, last_done.get(account_id),
                    open_archive.get(account_id), archive_every_months,
                ),
                open_question_count=open_counts.get(account_id, 0),
                old_questions=tuple(old.get(account_id, ())),
                today=dict(checkins.get(account_id, {})),
                with_expert=tuple(waits.get(account_id, ())),
                response_time=response_time,
                unregistered_cases=tuple(cases.get(account_id, ())),
            )
        )

    pending: list[PendingApproval] = []
    if only is None:
        for request in await session.exec(
            select(AccountRequest)
            .where(
                AccountRequest.status == RequestStatus.PENDING.value,
                col(AccountRequest.approver_id).is_not(None),
            )
            .order_by(col(AccountRequest.id))
        ):
            assert request.id is not None and request.approver_id is not None
            pending.append(
                PendingApproval(
                    request.id, request.requester_id, request.approver_id,
                    request.stage or "", request.round,
                    # hand_over and the director's turn both set updated_at; nothing else
                    # touches a pending request.
                    max(request.updated_at, request.stage_started_at),
                    f"{request.platform} {request.handle}",
                )
            )

    return Snapshot(
        now=now, zone=zone, today=today, accounts=tuple(states), away=away,
        pending=tuple(pending), questions_before=questions_before,
    )


@dataclass(frozen=True)
class Nudge:
    """One reminder item for one recipient (a person, or a place such as "comms")."""

    # The outbox kind: one of scheduler.nudge_rules.KINDS.
    kind: str
    # What it is about: "account:12" or "request:5".
    subject: str
    account_id: int | None
    recipient_id: int | None
    place: str | None
    # Which occurrence: the local day, or the nominal day a shifted reminder belongs to.
    period: str
    # Why it is due (a code the notice composer words): see scheduler.nudge_rules.
    why: str
    escalation: bool
    details: dict[str, Any] = field(default_factory=dict)

    def item(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "account_id": self.account_id,
            "why": self.why,
            "escalation": self.escalation,
            "period": self.period,
            **self.details,
        }


def digest_key(kind: str, recipient_id: int | None, place: str | None, day: date) -> str:
    who = str(recipient_id) if recipient_id is not None else f"@{place}"
    return f"{kind}:{who}:{day.isoformat()}"


def digests(nudges: Iterable[Nudge], day: date) -> dict[str, tuple[Nudge, list[dict[str, Any]]]]:
    """Nudges grouped into one digest per (kind, recipient or place) for `day`, by key: the
    first nudge of each (for kind and recipient) and all their items, in order."""
    grouped: dict[str, tuple[Nudge, list[dict[str, Any]]]] = {}
    seen: set[tuple[str, str, str]] = set()
    suffix = day.isoformat()
    for nudge in nudges:
        who = str(nudge.recipient_id) if nudge.recipient_id is not None else f"@{nudge.place}"
        key = f"{nudge.kind}:{who}:{suffix}"  # digest_key, without a call per nudge
        mark = (key, nudge.subject, nudge.why)
        if mark in seen:
            continue
        seen.add(mark)
        if key not in grouped:
            grouped[key] = (nudge, [])
        grouped[key][1].append(nudge.item())
    return grouped


async def write_nudges(
    session: AsyncSession,
    nudges: Sequence[Nudge],
    *,
    now: datetime,
    zone: ZoneInfo,
    sending_ends: time = time(18, 0),
) -> list[str]:
    """Owe each digest of `nudges` in the outbox; returns the keys newly written (a digest
    already owed for that kind, recipient and day is left as it is)."""
    day = _local(now, zone)
    not_after = datetime.combine(day, sending_ends, tzinfo=zone)
    # A digest already owed today is left as it is: skip its nudges before anything is built.
    owed_already = await owed_today(session, day=day, not_after=not_after)
    if owed_already:
        nudges = [
            n for n in nudges
            if digest_key(n.kind, n.recipient_id, n.place, day) not in owed_already
        ]
    # In key order (enqueue_many sorts), so that two sweepers inserting at once take the same
    # keys in the same order: on PostgreSQL the second waits on the first, never both ways.
    owed = [
        outbox.Owed(
            key=key, kind=first.kind, recipient_id=first.recipient_id, place=first.place,
            params={"day": day.isoformat(), "items": items}, not_after=not_after,
        )
        for key, (first, items) in digests(nudges, day).items()
    ]
    return await outbox.enqueue_many(session, owed, now=now)


async def owed_today(session: AsyncSession, *, day: date, not_after: datetime) -> set[str]:
    """The keys of the digests already owed for `day` (every one of them expires at the same
    `not_after`, an indexed column)."""
    suffix = f":{day.isoformat()}"
    rows = await session.exec(select(Outbox.key).where(col(Outbox.not_after) == not_after))
    return {key for key in rows if key.endswith(suffix)}


async def open_question_deadlines(
    session: AsyncSession, *, now: datetime, config: NudgeConfig
) -> list[datetime]:
    """The first moment after `now` when an open question of an open account becomes late
    (its account's promise), and the first when one becomes late enough for the manager
    (none when no open question will)."""
    rows = list(
        await session.exec(
            select(Question.received_at, Account.response_time)
            .join(Account, col(Account.id) == col(Question.account_id))
            .where(
                col(Question.answered_at).is_(None),
                Account.status == AccountStatus.ACTIVE.value,
                Question.received_at > now - longest_wait(config),
            )
        )
    )
    found: list[datetime] = []
    for deadline in (answer_due, escalation_due):
        coming = [
            moment
            for received_at, promise in rows
            if (moment := deadline(received_at, promise, config)) > now
        ]
        if coming:
            found.append(min(coming))
    return found


async def expert_deadlines(session: AsyncSession, *, now: datetime) -> list[datetime]:
    """The first moment after `now` when a colleague asked about a question runs out of
    time (none when no waiting one will)."""
    first = (
        await session.exec(
            select(func.min(QuestionReferral.due_at)).where(
                QuestionReferral.status == ReferralStatus.ASKED.value,
                QuestionReferral.due_at > now,
            )
        )
    ).one()
    return [first] if first is not None else []


async def snapshot(
    session: AsyncSession,
    now: datetime,
    config: NudgeConfig,
    account_ids: Sequence[int] | None = None,
) -> Snapshot:
    """The state the rules read, as of `now` (all open accounts, or `account_ids`; more than
    data.chunks.IN_CHUNK of them are read as the whole register, so that no IN list is longer
    than a database allows)."""
    if account_ids is not None and len(account_ids) > IN_CHUNK:
        # Cheaper (and within every database's limits) as the whole register, narrowed here.
        whole = await snapshot(session, now, config)
        wanted = set(account_ids)
        return replace(
            whole, accounts=tuple(a for a in whole.accounts if a.id in wanted), pending=()
        )
    return await load_snapshot(
        session,
        now=now,
        zone=config.zone,
        questions_before=now - shortest_answer_time(config),
        account_ids=account_ids,
        archive_every_months=config.archive_every_months,
    )
