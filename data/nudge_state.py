"""The state the nudge rules read, loaded in a fixed handful of queries.

`load_snapshot` makes a `Snapshot` of every open account (or of some) as of `now`: about ten
queries whatever the size of the register, no per-account round trips. A sweep reads the
register in pieces (`snapshot_pieces`), so that what it holds at once is bounded; due nudges
become outbox rows in data.nudge_digests.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cache, cached_property, partial
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, exists, false, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data.archive import ArchiveState, OpenArchive, archive_state
from data.chunks import IN_CHUNK, chunks
from data.duty_counts import DutyCounts, duty_counts
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
    Question,
    QuestionReferral,
    ReferralStatus,
    RequestStatus,
    RotaSetting,
    Rotation,
)
from data.policy import (
    NudgeConfig,
    answer_due,
    escalation_due,
    local,
    longest_wait,
    shortest_answer_time,
    summary_month,
)

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
    # Last month's duties (data.duty_counts), loaded only on the day the teams' monthly
    # summary is due (data.policy.summary_month); None on every other day.
    last_month: DutyCounts | None = None


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
    # The last day each rule of the nudges ran awake (data.sweep_marks.rule_days), by kind:
    # what a rule owes once is owed for the days since (data.policy.owed_from).
    swept: Mapping[str, date] = field(default_factory=dict)

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


@dataclass(frozen=True)
class _Statements:
    """load_snapshot's queries, with the day, the questions' cut-off and the accounts chosen
    as bound parameters ("today", "questions_before"; "ids", or "first" and "last")."""

    accounts: Any
    teams: Any
    checkins: Any
    last_monitored: Any
    last_activity: Any
    open_counts: Any
    old_questions: Any
    waits: Any
    last_done: Any
    open_archive: Any
    cases: Any


def _scoped(scope: str, statement: Any, column: Any) -> Any:
    """`statement` narrowed to the accounts chosen (`column` their id), as bound parameters:
    "all", "ids" (a list) or "range" ("first" to "last", both included)."""
    if scope == "ids":
        return statement.where(column.in_(bindparam("ids", expanding=True)))
    if scope == "range":
        return statement.where(column.between(bindparam("first"), bindparam("last")))
    return statement


@cache
def _statements(scope: str) -> _Statements:
    """Built once per way of choosing the accounts (`_scoped`): building them was most of a
    small snapshot's cost (the compliance of one account, asked after each domain operation
    and by every account page), more than running them."""
    scoped = partial(_scoped, scope)
    active = col(Account.status) == AccountStatus.ACTIVE.value
    unanswered = col(Question.answered_at).is_(None)
    return _Statements(
        accounts=scoped(
            select(  # type: ignore[call-overload]  # (typed up to four columns)
                Account.id, Account.number, Account.manager_id, Account.scope,
                Account.registered_at, RotaSetting.rotation, RotaSetting.anchor,
                Account.response_time,
            )
            .outerjoin(RotaSetting, col(RotaSetting.account_id) == col(Account.id))
            .where(active)
            .order_by(col(Account.id)),
            col(Account.id),
        ),
        teams=scoped(
            select(AccountMember.account_id, AccountMember.person_id)
            .join(Account, col(Account.id) == col(AccountMember.account_id))
            .where(active)
            .order_by(col(AccountMember.account_id), col(AccountMember.position),
                      col(AccountMember.person_id)),
            col(AccountMember.account_id),
        ),
        checkins=scoped(
            select(MonitoringCheckIn.account_id, MonitoringCheckIn.person_id,
                   MonitoringCheckIn.kind)
            .where(col(MonitoringCheckIn.day) == bindparam("today")),
            col(MonitoringCheckIn.account_id),
        ),
        last_monitored=scoped(
            select(MonitoringCheckIn.account_id, func.max(MonitoringCheckIn.day))
            .where(MonitoringCheckIn.kind == CheckInKind.MONITORED.value)
            .group_by(col(MonitoringCheckIn.account_id)),
            col(MonitoringCheckIn.account_id),
        ),
        last_activity=scoped(
            select(ActivityEntry.account_id, func.max(ActivityEntry.at))
            .group_by(col(ActivityEntry.account_id)),
            col(ActivityEntry.account_id),
        ),
        open_counts=scoped(
            select(Question.account_id, func.count())
            .where(unanswered)
            .group_by(col(Question.account_id)),
            col(Question.account_id),
        ),
        old_questions=scoped(
            select(Question.id, Question.account_id, Question.received_at)
            .where(unanswered, col(Question.received_at) <= bindparam("questions_before"))
            .order_by(col(Question.received_at), col(Question.id)),
            col(Question.account_id),
        ),
        waits=scoped(
            select(  # type: ignore[call-overload]  # (typed up to four columns)
                QuestionReferral.id, QuestionReferral.account_id,
                QuestionReferral.question_id, QuestionReferral.expert_id,
                QuestionReferral.referred_by, QuestionReferral.category,
                QuestionReferral.due_at,
            )
            .join(Question, col(Question.id) == col(QuestionReferral.question_id))
            .where(QuestionReferral.status == ReferralStatus.ASKED.value, unanswered)
            .order_by(col(QuestionReferral.due_at), col(QuestionReferral.id)),
            col(QuestionReferral.account_id),
        ),
        last_done=scoped(
            select(ArchiveRecord.account_id, func.max(ArchiveRecord.done_at))
            .where(col(ArchiveRecord.done_at).is_not(None))
            .group_by(col(ArchiveRecord.account_id)),
            col(ArchiveRecord.account_id),
        ),
        open_archive=scoped(
            select(  # type: ignore[call-overload]  # (typed up to four columns)
                ArchiveRecord.id, ArchiveRecord.account_id, ArchiveRecord.due,
                ArchiveRecord.reason, ArchiveRecord.snoozed_until, ArchiveRecord.created_at,
            )
            .where(col(ArchiveRecord.done_at).is_(None))
            .order_by(col(ArchiveRecord.id).desc()),
            col(ArchiveRecord.account_id),
        ),
        cases=scoped(
            select(CaseMark.id, CaseMark.account_id, CaseMark.marked_at)
            .where(CaseMark.kind == "case_management", col(CaseMark.registry_number).is_(None))
            .order_by(col(CaseMark.id)),
            col(CaseMark.account_id),
        ),
    )


async def load_snapshot(
    session: AsyncSession,
    *,
    now: datetime,
    zone: ZoneInfo,
    questions_before: datetime,
    account_ids: Sequence[int] | None = None,
    archive_every_months: int = 6,
    id_range: tuple[int, int] | None = None,
    away: frozenset[int] | None = None,
    pending: tuple[PendingApproval, ...] | None = None,
    month: tuple[datetime, datetime] | None = None,
    swept: Mapping[str, date] | None = None,
) -> Snapshot:
    """Every open account's state as of `now` (or only `account_ids`', or those whose ids are
    in `id_range`, both ends included), and the pending approvals (all of them, or none when
    the accounts are chosen). `away` and `pending`, when given, were read already (once for
    all the pieces of a sweep). With `month` ([start, end)), each account's duties then are
    counted too (`last_month`)."""
    assert account_ids is None or id_range is None
    today = _local(now, zone)
    only = list(account_ids) if account_ids is not None else None
    # Plain column rows through the connection: no ORM entities to build per row (flushed
    # first, as the session's own queries would be).
    await session.flush()
    connection = await session.connection()
    scope = "ids" if only is not None else "range" if id_range is not None else "all"
    made = _statements(scope)
    params: dict[str, Any] = {"today": today, "questions_before": questions_before}
    if only is not None:
        params["ids"] = only
    if id_range is not None:
        params["first"], params["last"] = id_range

    async def rows(statement: Any) -> Sequence[Any]:
        return (await connection.execute(statement, params)).all()

    account_rows = await rows(made.accounts)
    teams: dict[int, list[int]] = defaultdict(list)
    for account_id, person_id in await rows(made.teams):
        teams[account_id].append(person_id)

    if away is None:
        away = await people_away(session, today)

    checkins: dict[int, dict[int, str]] = defaultdict(dict)
    for account_id, person_id, kind in await rows(made.checkins):
        checkins[account_id][person_id] = kind

    last_monitored: dict[int, date] = _pairs(await rows(made.last_monitored))
    last_activity: dict[int, date] = {
        account_id: _local(at, zone) for account_id, at in await rows(made.last_activity)
    }

    open_counts: dict[int, int] = _pairs(await rows(made.open_counts))
    old: dict[int, list[OpenQuestion]] = defaultdict(list)
    for question_id, account_id, received_at in await rows(made.old_questions):
        old[account_id].append(OpenQuestion(question_id, received_at))

    waits: dict[int, list[ExpertWait]] = defaultdict(list)
    for referral_id, account_id, *waiting in await rows(made.waits):
        waits[account_id].append(ExpertWait(referral_id, *waiting))

    last_done: dict[int, date] = {
        account_id: _local(at, zone) for account_id, at in await rows(made.last_done)
    }
    open_archive: dict[int, OpenArchive] = {}
    for record_id, account_id, due, reason, snoozed_until, created_at in await rows(
        made.open_archive
    ):
        # Ordered newest first, so the oldest open one wins, as data.archive picks it.
        open_archive[account_id] = OpenArchive(
            record_id, due, reason, snoozed_until, _local(created_at, zone),
        )

    cases: dict[int, list[tuple[int, date]]] = defaultdict(list)
    for mark_id, account_id, marked_at in await rows(made.cases):
        cases[account_id].append((mark_id, _local(marked_at, zone)))

    counted: dict[int, DutyCounts] | None = None
    if month is not None:
        counted = await duty_counts(
            session, start=month[0], end=month[1], scoped=partial(_scoped, scope), params=params
        )

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
                last_month=None if counted is None else counted.get(account_id, DutyCounts()),
            )
        )

    if pending is None:
        pending = () if only is not None or id_range is not None else (
            await pending_approvals(session)
        )
    return Snapshot(
        now=now, zone=zone, today=today, accounts=tuple(states), away=away,
        pending=pending, questions_before=questions_before, swept=swept or {},
    )


async def people_away(session: AsyncSession, today: date) -> frozenset[int]:
    """The people away on `today`."""
    return frozenset(
        await session.exec(
            select(Absence.person_id)
            .where(Absence.first_day <= today, Absence.last_day >= today)
            .distinct()
        )
    )


async def pending_approvals(session: AsyncSession) -> tuple[PendingApproval, ...]:
    """Every request waiting for an approver, oldest first."""
    pending: list[PendingApproval] = []
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
    return tuple(pending)


# Accounts per piece of a sweep: its memory is one piece's state, not the register's.
PIECE = 2000

# Which open accounts a sweep reads (snapshot_pieces' `concerning`): those its rules can owe a
# nudge about. Any open account (the rota, archiving, ...), or only those with something
# waiting: a question past the shortest answer time, a colleague asked, a case without its
# registry number. A rule about requests alone (approvals) concerns no account.
EVERY_ACCOUNT = "every_account"
OLD_QUESTIONS = "old_questions"
EXPERT_WAITS = "expert_waits"
UNREGISTERED_CASES = "unregistered_cases"


def _concerning(names: frozenset[str]) -> Any:
    """The condition on Account for the accounts `names` concern (None: every one)."""
    if EVERY_ACCOUNT in names:
        return None
    waiting = []
    if OLD_QUESTIONS in names:
        waiting.append(exists().where(
            col(Question.account_id) == col(Account.id), col(Question.answered_at).is_(None),
            col(Question.received_at) <= bindparam("questions_before"),
        ))
    if EXPERT_WAITS in names:
        waiting.append(exists().where(
            col(QuestionReferral.account_id) == col(Account.id),
            col(QuestionReferral.status) == ReferralStatus.ASKED.value,
            col(Question.id) == col(QuestionReferral.question_id),
            col(Question.answered_at).is_(None),
        ))
    if UNREGISTERED_CASES in names:
        waiting.append(exists().where(
            col(CaseMark.account_id) == col(Account.id),
            col(CaseMark.kind) == "case_management", col(CaseMark.registry_number).is_(None),
        ))
    return or_(*waiting) if waiting else false()


async def snapshot_pieces(
    session: AsyncSession, now: datetime, config: NudgeConfig, size: int = PIECE,
    concerning: frozenset[str] = frozenset({EVERY_ACCOUNT}),
    swept: Mapping[str, date] | None = None, summary_since: date | None = None,
) -> AsyncIterator[Snapshot]:
    """The state the rules read, as of `now`, a piece of at most `size` open accounts at a
    time, in account order: every open account as ranges of ids (no IN lists), or only those
    `concerning` names, a piece's ids at a time (a tick of a rule about what waits reads what
    waits, not the register). The people away are read once and shared; the pending
    approvals come with the first piece (no account to read is one piece with none). `swept`
    goes with each piece (Snapshot.swept); last month's duties are read when the monthly
    summary is owed, on its day or since `summary_since` (data.policy.summary_month)."""
    today = local(now, config).date()
    questions_before = now - shortest_answer_time(config)
    chosen = select(Account.id).where(Account.status == AccountStatus.ACTIVE.value)
    condition = _concerning(concerning)
    if condition is not None:
        chosen = chosen.where(condition)
    ids = [
        i for i in await session.exec(
            chosen.order_by(col(Account.id)), params={"questions_before": questions_before}
        ) if i is not None
    ]
    away = await people_away(session, today)
    pending = await pending_approvals(session)
    month = summary_month(today, config, summary_since)
    for piece in list(chunks(ids, size)) or [[]]:
        # Every account: a range of ids (SQLite and PostgreSQL search a range cheaper than a
        # list); a few: their ids (a range would read those in between).
        few = condition is not None and bool(piece)
        yield await load_snapshot(
            session, now=now, zone=config.zone, questions_before=questions_before,
            archive_every_months=config.archive_every_months,
            account_ids=piece if few else None,
            id_range=None if few else (piece[0], piece[-1]) if piece else (0, -1),
            away=away, pending=pending, month=month, swept=swept,
        )
        pending = ()


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
        month=summary_month(local(now, config).date(), config),
    )
