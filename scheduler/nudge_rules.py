"""The nudge rules of DESIGN.md section 4: pure functions of (snapshot, now, config).

API summary (issue 5; the chat side codes against this; signatures are stable)
==============================================================================

Tables (data/models.py): RotaSetting (account_id, rotation "day"|"week", anchor),
Absence (person_id, first_day, last_day inclusive, note), MonitoringCheckIn (account_id,
person_id, day, kind "monitored"|"cannot"; one per account, person and day), ActivityEntry
(account_id, person_id, at, note), Question (account_id, source "chat"|"webhook", text,
asked_by, external_ref, received_at, logged_by, answered_at, answered_by), ArchiveRecord
(account_id, reason "scheduled"|"major_change", due, snoozed_until, done_at, location,
done_by), ClosureRecord (account_id, closed_by, reason, final_archive_location, closed_at),
WebhookToken (account_id, token_hash), Outbox.not_after (+ OutboxStatus.EXPIRED).

Domain operations (the only writers; all take the session, keyword arguments, `now` aware
UTC; local dates use `zone`, default Europe/Stockholm; errors are data.errors with codes):
- data.absence: record_absence(person_id, actor_id, first_day, last_day, now, note=None)
  -> Absence (only one's own: NotAllowed "not_own_absence"; Invalid "dates_in_wrong_order",
  "in_the_past", "too_long"); cancel_absence(absence_id, actor_id, now);
  absences_of(person_id, from_day=None); away_on(person_ids, day).
- data.rota: rota_of(account_id) -> Rota(account_id, rotation, anchor, order);
  set_rota(account_id, actor_id, now, rotation=None, order=None) (manager or team; notice
  `rota_changed` to the team); duty_on(account_id, day, calendar) -> person id | None;
  roster(account_id, days, calendar) -> {day: person id | None} (for /duty);
  on_duty(order, rotation, anchor, day, unavailable, calendar) (pure).
- data.monitoring: check_in(account_id, person_id, day, kind, now, calendar) ->
  CheckInResult(check_in, was_on_duty, now_on_duty) (team; "cannot" by the person on duty
  sends `duty_handed` to the substitute or `nobody_on_duty` to the manager at once);
  log_activity(account_id, actor_id, now, note="") (team; *Still active*); check_ins(...);
  activity(...).
- data.questions: log_question(account_id, actor_id, text, now, asked_by=None,
  received_at=None) (team; source chat); receive_question(account_id, text, now,
  asked_by=None, external_ref=None, received_at=None) -> (Question, created) (webhook;
  idempotent per external_ref); answer_question(question_id, actor_id, now) (team; MovedOn
  "question_answered"); get_question; open_questions(account_ids).
- data.archive: current(account_id) -> ArchiveState(due, reason, snoozed_until, last_done,
  quiet_until); record_archive(account_id, actor_id, location, now) (team; *Archived…*);
  snooze_archive(account_id, actor_id, now, days=7) (team); request_archive(account_id,
  actor_id, now) (team; /major-change; notice `archive_requested` to the team); records().
- data.closure: close_account(account_id, actor_id, reason, final_archive_location, now)
  (team, manager, or the director for university_wide/university_administration; notice
  `account_closed` posted to "registry" and "comms" and sent to team and manager except
  the closer; NotAllowed "may_not_close", MovedOn "account_closed"); closure_of().
- data.tokens: create_token(account_id, now, actor_id=None) -> plaintext (Invalid
  "token_exists"); rotate_token(...) -> plaintext; check_token(account_id, token) -> bool.
- data.register.account_by_number(number). data.access: permission helpers.
- Compliance at a glance (for /accounts): scheduler.nudge_rules.compliance(snapshot, account_id,
  config) -> Compliance, with the snapshot from scheduler.sweep.snapshot(session, now,
  config, account_ids=...).
- The calendar and the rules' settings in the bot: bot.scheduling.nudge_config(settings) ->
  NudgeConfig (.calendar is the data.workdays.Calendar to pass as `calendar`, .zone the
  zone); the running scheduler is app[bot.keys.NUDGES] when KONTOBOT_SCHEDULER=on.
- The outbox: enqueue(..., not_after=None) and enqueue_many(owed, now) -> new keys; a row
  past its not_after is marked "expired" by claim_due and never sent.

Event notices the domain operations owe (kind: params): rota_changed {account_id, by};
duty_handed {account_id, day, from_person_id}; nobody_on_duty {account_id, day};
archive_requested {account_id, record_id, by}; account_closed {account_id}.

Scheduled nudges (outbox kind: when; params {"day": ISO date, "items": [item, ...]}, one
row per recipient, kind and local day, combining all accounts; every item has subject,
account_id, why, escalation, period, plus the details listed):
- nudge_rota: days the rota runs (NudgeConfig.monitoring: every weekday by default, else
  working days) from 08:30. why "on_duty" (to the person on duty; details open_questions,
  archive_due, archive_overdue, and on a holiday duty holiday: the holiday's name or
  "closure") or "nobody_available" (escalation, to the manager; details away).
- nudge_rota_unmarked: days the rota runs from 14:00, when nobody marked *Monitored today*.
  why "not_marked" (escalation; to the rest of the available team, or to the manager when
  nobody else is available; details on_duty).
- nudge_question: every day 08-18, for questions open past the answer time their account
  promised (data.policy.answer_due). why "open" (to the person on duty; on other days, or
  when nobody is on duty, the available team; nobody: the manager) and "open_long"
  (escalation, to the manager, 48 h past that); details question_ids,
  oldest (ISO time), count.
- nudge_archiving: working days from 09:00. why "due_soon", "due_today", "overdue" (team;
  details due, reason, days_overdue) and "overdue_long" (escalation, manager, 14 days
  overdue, then weekly).
- nudge_inactivity: working days from 09:00, while no content for 60 days or no
  monitoring for 10 working days. why "inactive" (team; details reasons ["no_content",
  "no_monitoring"], last_content, last_monitored, since) and "inactive_long" (escalation,
  to the manager and posted to the place "comms", once, 30 days after `since`).
- nudge_approval: working days from 09:00 (subject "request:N", account_id None). why
  "pending" (to the approver at 2, 4, 6... working days; details request_id, stage,
  working_days, since) and "approver_slow" (escalation, to the requester at 5 working days,
  who may name another approver; details request_id, approver_id, working_days).
- nudge_expert: every day 08-18, for questions handed to a colleague (data.experts) who has
  not answered by the account's promised response time. why "expert_late" (escalation, to
  the manager; and, not as an escalation, to whoever asked the colleague); details
  referral_ids, question_ids, experts, count, due (the earliest, ISO time). The question
  reminders leave a question alone while a colleague has it.
- nudge_case: working days from 09:00 (data.casework). why "unregistered" (to the team, at
  2, 4, 6... working days after content was marked for case management, until its registry
  number is recorded; details mark_ids, oldest, count).
- nudge_monthly: the first working day of each month from 08:30 (data.policy.summary_month).
  why "summary" (to the team of each open account with a team; details month "YYYY-MM" and
  last month's counts, data.duty_counts: posts_checked, items_to_fix, questions_logged,
  questions_answered, removals). One a month: the digest's key holds the day.
Items addressed to "the team" go to its members not away today; when all are away they go to
the manager instead with escalation true and the same why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta

from data.archive import ArchiveState
from data.compliance import duty_today, inactive_since, unavailable
from data.models import CheckInKind
from data.nudge_digests import Nudge
from data.nudge_state import (
    EVERY_ACCOUNT,
    EXPERT_WAITS,
    OLD_QUESTIONS,
    UNREGISTERED_CASES,
    AccountState,
    Snapshot,
)
from data.policy import (
    NudgeConfig,
    answer_due,
    escalation_due,
    local,
    owed_from,
    summary_month,
)

ROTA = "nudge_rota"
ROTA_UNMARKED = "nudge_rota_unmarked"
QUESTION = "nudge_question"
ARCHIVING = "nudge_archiving"
INACTIVITY = "nudge_inactivity"
APPROVAL = "nudge_approval"
EXPERT = "nudge_expert"
CASE = "nudge_case"
MONTHLY = "nudge_monthly"
KINDS = (ROTA, ROTA_UNMARKED, QUESTION, ARCHIVING, INACTIVITY, APPROVAL, EXPERT, CASE, MONTHLY)


Rule = Callable[[Snapshot, datetime, NudgeConfig], list[Nudge]]


def sending_hours(now: datetime, config: NudgeConfig) -> bool:
    """Whether `now` is inside the hours scheduled messages may be sent."""
    clock = local(now, config).time()
    return config.sending_starts <= clock < config.sending_ends


def _from(
    now: datetime, config: NudgeConfig, start: time, *, working_day: bool,
    monitored_day: bool = False,
) -> bool:
    """The rule's time has come today (and today is a working day, or a day the rota runs,
    when it must be)."""
    moment = local(now, config)
    if not sending_hours(now, config) or moment.time() < start:
        return False
    if monitored_day:
        return config.monitoring.is_working_day(moment.date())
    return not working_day or config.calendar.is_working_day(moment.date())


def _subject(account: AccountState) -> str:
    return f"account:{account.id}"


def _to_team(
    kind: str,
    account: AccountState,
    snapshot: Snapshot,
    period: str,
    why: str,
    details: dict[str, object],
    people: Iterable[int] | None = None,
) -> list[Nudge]:
    """Items for the available team (or `people`); the manager when nobody is available. The
    items share `details` (nothing changes it after): a digest book encodes it once for all of
    them (data.nudge_digests.DigestBook)."""
    chosen = [p for p in (account.team if people is None else people) if p not in snapshot.away]
    escalate = not chosen
    targets = chosen or [account.manager_id]
    subject = _subject(account)
    return [
        Nudge(kind, subject, account.id, person, None, period, why, escalate, details)
        for person in targets
    ]


def _nudge(
    kind: str, account: AccountState, person: int, period: str, why: str, escalation: bool,
    details: dict[str, object],
) -> Nudge:
    return Nudge(kind, _subject(account), account.id, person, None, period, why, escalation,
                 details)


# --- rota ---------------------------------------------------------------------------------

def rota(snapshot: Snapshot, now: datetime, config: NudgeConfig) -> list[Nudge]:
    """Days the rota runs (config.monitoring: weekdays year-round, or working days) from
    08:30: the person on duty, with what is waiting, and on a weekday holiday the holiday's
    name; nobody available: the manager at once."""
    if not _from(now, config, config.rota_at, working_day=True, monitored_day=True):
        return []
    today = snapshot.today
    holiday = config.holiday_duty_on(today)
    due: list[Nudge] = []
    for account in snapshot.accounts:
        if not account.team:
            continue
        person = duty_today(account, snapshot, config)
        if person is None:
            away = sorted(unavailable(account, snapshot))
            due.append(_nudge(ROTA, account, account.manager_id, today.isoformat(),
                              "nobody_available", True, {"away": away}))
            continue
        state = account.archive
        details: dict[str, object] = {
            "open_questions": account.open_question_count,
            "archive_due": state.due.isoformat()
            if state.due <= today + timedelta(days=config.archive_before_days) else None,
            "archive_overdue": state.due < today,
        }
        if holiday is not None:
            details["holiday"] = holiday
        due.append(_nudge(ROTA, account, person, today.isoformat(), "on_duty", False, details))
    return due


def rota_unmarked(snapshot: Snapshot, now: datetime, config: NudgeConfig) -> list[Nudge]:
    """Days the rota runs from 14:00: the day's monitoring is not marked; the rest of the team
    hears (the manager when nobody else is available)."""
    if not _from(now, config, config.rota_unmarked_at, working_day=True, monitored_day=True):
        return []
    today = snapshot.today.isoformat()
    monitored = CheckInKind.MONITORED.value
    due: list[Nudge] = []
    for account in snapshot.accounts:
        if monitored in account.today.values():
            continue
        person = duty_today(account, snapshot, config)
        if person is None:
            continue  # the manager already heard at 08:30 that nobody is available
        off = unavailable(account, snapshot)
        rest = [p for p in account.team if p != person and p not in off]
        targets = rest or [account.manager_id]
        details: dict[str, object] = {"on_duty": person}
        due.extend(
            _nudge(ROTA_UNMARKED, account, p, today, "not_marked", True, details)
            for p in targets
        )
    return due


# --- questions ----------------------------------------------------------------------------

def questions(snapshot: Snapshot, now: datetime, config: NudgeConfig) -> list[Nudge]:
    """Every day 08-18: questions open past the answer time the account promised to the
    person on duty (the team on other days); 48 h past that also to the manager."""
    if not _from(now, config, config.sending_starts, working_day=False):
        return []
    today = snapshot.today.isoformat()
    due: list[Nudge] = []
    for account in snapshot.accounts:
        # A question a colleague has is theirs to answer by the response time (experts).
        with_expert = {w.question_id for w in account.with_expert}
        # As fast as the account promised: the same day, 24 h or 48 h (data.policy).
        promise = account.response_time
        waiting = [
            q for q in account.old_questions
            if answer_due(q.received_at, promise, config) <= now and q.id not in with_expert
        ]
        if not waiting:
            continue
        details = {
            "question_ids": [q.id for q in waiting],
            "oldest": waiting[0].received_at.isoformat(),
            "count": len(waiting),
        }
        person = duty_today(account, snapshot, config)
        if person is not None:
            due.append(_nudge(QUESTION, account, person, today, "open", False, details))
        else:
            off = unavailable(account, snapshot)
            due.extend(_to_team(QUESTION, account, snapshot, today, "open", details,
                                [p for p in account.team if p not in off]))
        oldest = [
            q for q in waiting if escalation_due(q.received_at, promise, config) <= now
        ]
        if oldest:
            due.append(_nudge(QUESTION, account, account.manager_id, today, "open_long", True, {
                "question_ids": [q.id for q in oldest],
                "oldest": oldest[0].received_at.isoformat(),
                "count": len(oldest),
            }))
    return due


# --- questions with an expert -------------------------------------------------------------

def experts(snapshot: Snapshot, now: datetime, config: NudgeConfig) -> list[Nudge]:
    """Every day 08-18: a colleague asked about a question has not answered within the
    account's response time; the manager hears (an escalation), and whoever asked, who may ask
    someone else."""
    if not _from(now, config, config.sending_starts, working_day=False):
        return []
    today = snapshot.today.isoformat()
    due: list[Nudge] = []
    for account in snapshot.accounts:
        late = [w for w in account.with_expert if w.due_at <= now]
        if not late:
            continue
        details = {
            "referral_ids": [w.referral_id for w in late],
            "question_ids": [w.question_id for w in late],
            "experts": [w.expert_id for w in late],
            "count": len(late),
            "due": late[0].due_at.isoformat(),
        }
        due.append(_nudge(EXPERT, account, account.manager_id, today, "expert_late", True,
                          details))
        for asker in dict.fromkeys(w.referred_by for w in late):
            if asker != account.manager_id:
                mine = [w for w in late if w.referred_by == asker]
                due.append(_nudge(EXPERT, account, asker, today, "expert_late", False, {
                    **details,
                    "referral_ids": [w.referral_id for w in mine],
                    "question_ids": [w.question_id for w in mine],
                    "experts": [w.expert_id for w in mine],
                    "count": len(mine),
                }))
    return due


# --- archiving ----------------------------------------------------------------------------

def archive_team_days(state: ArchiveState, config: NudgeConfig) -> Callable[[date], bool]:
    """Whether a day is a nominal team reminder day: 14 days before due, the due day, then
    weekly; after a snooze, the day it ends and the normal days after it; none up to the day
    a record was opened (a major change asks at once)."""
    due = state.due
    before = due - timedelta(days=config.archive_before_days)

    def nominal(day: date) -> bool:
        if state.quiet_until is not None and day <= state.quiet_until:
            return False
        if state.snoozed_until is not None:
            if day < state.snoozed_until:
                return False
            if day == state.snoozed_until:
                return True
        if day in (before, due):
            return True
        return day > due and (day - due).days % config.archive_repeat_days == 0

    return nominal


def archiving(snapshot: Snapshot, now: datetime, config: NudgeConfig) -> list[Nudge]:
    """Working days from 09:00: the team 14 days before due, on the due day, then weekly;
    14 days overdue (and weekly after) the manager. A reminder whose day is not a working day
    goes out on the next working day."""
    if not _from(now, config, config.archiving_at, working_day=True):
        return []
    today = snapshot.today
    window_start = owed_from(today, snapshot.swept.get(ARCHIVING), config)
    window = [window_start + timedelta(days=n) for n in range((today - window_start).days + 1)]
    due: list[Nudge] = []
    for account in snapshot.accounts:
        state = account.archive
        nominal = archive_team_days(state, config)
        hits = [d for d in window if nominal(d)]
        base = {"due": state.due.isoformat(), "reason": state.reason,
                "days_overdue": max(0, (today - state.due).days)}
        if hits:
            period = hits[-1]
            # "Today" only when it is: a due day that was not a working day is told on the
            # next one as overdue (since the due day the digest names), not as due today.
            why = ("due_soon" if period < state.due
                   else "due_today" if period == state.due == today else "overdue")
            due.extend(_to_team(ARCHIVING, account, snapshot, period.isoformat(), why, base))
        escalate_from = state.due + timedelta(days=config.archive_escalate_days)
        late = [
            d for d in window
            if d >= escalate_from and (d - escalate_from).days % config.archive_repeat_days == 0
        ]
        if late:
            due.append(_nudge(ARCHIVING, account, account.manager_id, late[-1].isoformat(),
                              "overdue_long", True, base))
    return due


# --- inactivity ---------------------------------------------------------------------------


def inactivity(snapshot: Snapshot, now: datetime, config: NudgeConfig) -> list[Nudge]:
    """Working days from 09:00, while no content for 60 days or no monitoring for 10 working
    days: "is this account still active?" to the team; 30 days on, unanswered, once to the
    manager and the comms office."""
    if not _from(now, config, config.inactivity_at, working_day=True):
        return []
    today = snapshot.today
    escalate_from = owed_from(today, snapshot.swept.get(INACTIVITY), config)
    due: list[Nudge] = []
    for account in snapshot.accounts:
        since, reasons = inactive_since(account, today, config)
        if since is None:
            continue
        details: dict[str, object] = {
            "reasons": reasons,
            "since": since.isoformat(),
            "last_content": account.last_content.isoformat() if account.last_content else None,
            "last_monitored": account.last_monitored.isoformat()
            if account.last_monitored else None,
        }
        due.extend(_to_team(INACTIVITY, account, snapshot, today.isoformat(), "inactive",
                            details))
        escalate_on = since + timedelta(days=config.inactivity_escalate_days)
        # Once: on the first working day on or after the day, or since (owed_from).
        if escalate_from <= escalate_on <= today:
            period = since.isoformat()
            due.append(_nudge(INACTIVITY, account, account.manager_id, period,
                              "inactive_long", True, details))
            due.append(Nudge(INACTIVITY, _subject(account), account.id, None, "comms", period,
                             "inactive_long", True, dict(details)))
    return due


# --- approvals ----------------------------------------------------------------------------

def approvals(snapshot: Snapshot, now: datetime, config: NudgeConfig) -> list[Nudge]:
    """Working days from 09:00: the approver when a request has waited 2 working days, then
    every 2; at 5 working days the requester, who may name another approver."""
    if not _from(now, config, config.approval_at, working_day=True):
        return []
    today = snapshot.today
    calendar = config.calendar
    requester_from = owed_from(today, snapshot.swept.get(APPROVAL), config)
    due: list[Nudge] = []
    for pending in snapshot.pending:
        started = pending.since.astimezone(config.zone).date()
        waited = calendar.working_days_between(started, today)
        subject = f"request:{pending.request_id}"
        first, every = config.approval_first_working_days, config.approval_every_working_days
        if waited >= first and (waited - first) % every == 0:
            due.append(Nudge(APPROVAL, subject, None, pending.approver_id, None,
                             today.isoformat(), "pending", False, {
                                 "request_id": pending.request_id, "stage": pending.stage,
                                 "working_days": waited, "since": pending.since.isoformat(),
                             }))
        # Once: on the day the request has waited that long, or since (owed_from).
        slow_on = calendar.add_working_days(started, config.approval_requester_working_days)
        if requester_from <= slow_on <= today:
            # Its period the day it fell due, so that owed late it is still the same item.
            due.append(Nudge(APPROVAL, subject, None, pending.requester_id, None,
                             slow_on.isoformat(), "approver_slow", True, {
                                 "request_id": pending.request_id,
                                 "approver_id": pending.approver_id,
                                 "working_days": waited,
                             }))
    return due


# --- case management ------------------------------------------------------------------------

def cases(snapshot: Snapshot, now: datetime, config: NudgeConfig) -> list[Nudge]:
    """Working days from 09:00: content marked for case management that has waited 2 working
    days for its registry number, then every 2, reminds the team until the number is
    recorded (data.casework)."""
    if not _from(now, config, config.case_at, working_day=True):
        return []
    today = snapshot.today
    calendar = config.calendar
    first, every = config.case_first_working_days, config.case_every_working_days
    due: list[Nudge] = []
    for account in snapshot.accounts:
        waited = [
            (mark_id, marked_on, calendar.working_days_between(marked_on, today))
            for mark_id, marked_on in account.unregistered_cases
        ]
        late = [w for w in waited if w[2] >= first]
        if not any((days - first) % every == 0 for _m, _d, days in late):
            continue
        due.extend(_to_team(CASE, account, snapshot, today.isoformat(), "unregistered", {
            "mark_ids": [mark_id for mark_id, _d, _w in late],
            "oldest": late[0][1].isoformat(),
            "count": len(late),
        }))
    return due


# --- the teams' monthly summary -------------------------------------------------------------

def monthly(snapshot: Snapshot, now: datetime, config: NudgeConfig) -> list[Nudge]:
    """The first working day of the month from 08:30: each account's team hears last month's
    counts (posts checked for accessibility and the items that needed fixing, questions
    logged and answered, removals recorded). An account registered this month had no last
    month to count."""
    if not _from(now, config, config.monthly_at, working_day=True):
        return []
    month = summary_month(
        snapshot.today, config, owed_from(snapshot.today, snapshot.swept.get(MONTHLY), config)
    )
    if month is None:
        return []
    period = month[0].strftime("%Y-%m")
    due: list[Nudge] = []
    for account in snapshot.accounts:
        counts = account.last_month
        if not account.team or counts is None or account.registered_on >= snapshot.today.replace(
            day=1
        ):
            continue
        due.extend(_to_team(MONTHLY, account, snapshot, period, "summary",
                            {"month": period, **counts.params()}))
    return due


# The accounts each rule can owe a nudge about (data.nudge_state.snapshot_pieces reads only
# those): the rota, archiving, inactivity and the monthly summary any open account; the
# questions only an account with one past the shortest answer time, the colleagues asked only
# one with a colleague asked, the cases only one with a case waiting for its number; the
# approvals none (they are about requests).
CONCERNS: dict[str, frozenset[str]] = {
    ROTA: frozenset({EVERY_ACCOUNT}),
    ROTA_UNMARKED: frozenset({EVERY_ACCOUNT}),
    QUESTION: frozenset({OLD_QUESTIONS}),
    ARCHIVING: frozenset({EVERY_ACCOUNT}),
    INACTIVITY: frozenset({EVERY_ACCOUNT}),
    APPROVAL: frozenset(),
    EXPERT: frozenset({EXPERT_WAITS}),
    CASE: frozenset({UNREGISTERED_CASES}),
    MONTHLY: frozenset({EVERY_ACCOUNT}),
}


def concerning(kinds: Iterable[str]) -> frozenset[str]:
    """The accounts the rules of `kinds` can owe a nudge about (CONCERNS)."""
    return frozenset().union(*(CONCERNS[kind] for kind in kinds))


RULES: dict[str, Rule] = {
    ROTA: rota,
    ROTA_UNMARKED: rota_unmarked,
    QUESTION: questions,
    ARCHIVING: archiving,
    INACTIVITY: inactivity,
    APPROVAL: approvals,
    EXPERT: experts,
    CASE: cases,
    MONTHLY: monthly,
}


# The rules that owe some reminders once, on one day (the requester's at five working days,
# the monthly summary, the inactivity escalation, archiving's), by when they wake on a working
# day: each records the last day it ran awake (data.sweep_marks.rules_swept), and owes late
# what fell due on working days no sweep saw (data.policy.owed_from).
CATCHING_UP: dict[str, Callable[[NudgeConfig], time]] = {
    ARCHIVING: lambda config: config.archiving_at,
    INACTIVITY: lambda config: config.inactivity_at,
    APPROVAL: lambda config: config.approval_at,
    MONTHLY: lambda config: config.monthly_at,
}


def ran_awake(kinds: Iterable[str], now: datetime, config: NudgeConfig) -> list[str]:
    """Those of `kinds` in CATCHING_UP whose rule runs at `now` (its time has come on a
    working day), in order."""
    return [
        kind for kind in kinds
        if kind in CATCHING_UP and _from(now, config, CATCHING_UP[kind](config), working_day=True)
    ]


def due_nudges(
    snapshot: Snapshot, now: datetime, config: NudgeConfig, kinds: Iterable[str] = KINDS
) -> list[Nudge]:
    """What every rule (or those of `kinds`) finds due at `now`."""
    found: list[Nudge] = []
    for kind in kinds:
        found.extend(RULES[kind](snapshot, now, config))
    return found
