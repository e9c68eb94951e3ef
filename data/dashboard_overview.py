"""The dashboard's compliance states and chart data, as of `now`.

Everything is a function of the stored state, `now` (aware UTC) and the config's zone and
calendar; nothing is written. `account_states` loads what it needs in a fixed handful of
queries whatever the number of accounts (the nudge snapshot, data.nudge_state.snapshot, and
the loaders of data.dashboard_queries); data.compliance_rows stores what it works out, and
data.dashboard_charts counts the charts below in the database.

Definitions (the web page's help text repeats them):

- A *working day* is one of config.calendar (Monday to Friday, not a Swedish public holiday,
  Midsummer Eve, Christmas Eve, New Year's Eve or a configured closure day). A *monitoring
  day* is one of config.monitoring: with holiday duty (KONTOBOT_HOLIDAY_DUTY, on by default)
  every weekday, since the rota puts someone on duty on the weekday holidays and eves too;
  without it, the working days. An account *owes* monitoring on the monitoring days from its registration day up to the day before it was
  closed (nobody can mark a closed account monitored, so its closing day is not owed), and
  only on days before today: today is not over. Except on an account's first day, which
  counts once monitored: with nothing before it owed, coverage would otherwise be blank.
- *Monitored*: a day with a "Monitored today" check-in from anyone on the team ("I can't
  today" does not count; two check-ins on one day count once).
- "monitoring_gap": monitoring covered less than 80% of the owed days among the last 20
  monitoring days before today, or none of the last 3 owed monitoring days was monitored.
  *coverage* is that share (0..1); None while nothing is owed yet.
- "questions_late": an open question is past the answer time its account promised
  (data.policy.answer_due: the same day, 24 or 48 hours).
- "archive_due": the owed archiving's due date is today or within
  config.archive_before_days (14 days).
- "archive_overdue": the owed archiving's due date has passed (the day after it, in the
  local zone). Snoozing only quiets the team's reminders: the due date stays, so a snoozed
  archiving is still overdue, and done after its due date it counts as late.
- "inactive": no content logged for 60 days, or nothing monitored for 10 working days
  (data.compliance.inactive_since; its day is `inactive_since`).
- "closed": the account is closed; it owes nothing more, so it has no other flag.
- "ok": none of these.

The charts:

- Monitoring coverage per week: for each of the 52 ISO weeks ending with the current one,
  the account-monitoring-days owed (as above, over every account given, closed ones for the
  weeks they were open) and how many of them were monitored.
- Open questions by age: the open questions of open accounts by time since received:
  under 1 day, 1-3 days, 3-7 days, 7-30 days, over 30 days (each bucket includes its lower
  bound).
- Archiving per month, for the 12 months ending with the current one, by the month of the
  archiving's due date: done on time (on or before the due date, local date), done late, and
  overdue (open accounts' archivings not done whose due date has passed). An archiving asked
  for by a major change is due the day it was asked for.
- Accounts per platform and per unit: open accounts only; most first, then by name.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from data import dashboard_queries as queries
from data.archive import add_months
from data.compliance import Compliance, compliance
from data.models import Account, AccountStatus
from data.nudge_state import snapshot
from data.policy import NudgeConfig
from data.workdays import Calendar, local_date

COMPLIANCE_FILTERS = ("ok", "monitoring_gap", "questions_late", "archive_due",
                      "archive_overdue", "inactive", "closed")
COVERAGE_WORKING_DAYS = 20
COVERAGE_TARGET = 0.8
RECENT_WORKING_DAYS = 3
WEEKS = 52
MONTHS = 12
# Open question age buckets: (key, upper bound exclusive; None for the last).
QUESTION_AGES: tuple[tuple[str, timedelta | None], ...] = (
    ("under_1_day", timedelta(days=1)),
    ("1_3_days", timedelta(days=3)),
    ("3_7_days", timedelta(days=7)),
    ("7_30_days", timedelta(days=30)),
    ("over_30_days", None),
)


@dataclass(frozen=True)
class AccountState:
    """One register row's compliance, for the dashboard."""

    account_id: int
    # A subset of COMPLIANCE_FILTERS minus "ok", in that order; empty means ok; ("closed",)
    # alone for a closed account.
    flags: tuple[str, ...]
    # Share (0..1) of the owed days among the last 20 working days before today monitored;
    # None when none are owed yet (and for closed accounts).
    coverage: float | None
    open_questions: int
    late_questions: int
    archive_due: date | None
    archive_overdue_days: int
    inactive_since: date | None
    # Latest day with a "monitored" check-in or logged activity.
    last_monitored: date | None


@dataclass(frozen=True)
class WeekCoverage:
    monday: date
    # Account-working-days owed in the week (up to yesterday), and how many were monitored.
    owed: int
    monitored: int


@dataclass(frozen=True)
class Bucket:
    key: str
    count: int


@dataclass(frozen=True)
class MonthArchiving:
    # The month's first day.
    month: date
    on_time: int
    late: int
    overdue: int


@dataclass(frozen=True)
class Overview:
    # The accounts the charts are over (open and closed).
    accounts: int
    weeks: list[WeekCoverage]
    question_ages: list[Bucket]
    archiving: list[MonthArchiving]
    per_platform: list[Bucket]
    per_unit: list[Bucket]


@dataclass(frozen=True)
class Span:
    """The days an account owes monitoring on: [first, end) (end None: still open)."""

    account_id: int
    first: date
    end: date | None

    def owes(self, day: date, calendar: Calendar) -> bool:
        return (
            self.first <= day
            and (self.end is None or day < self.end)
            and calendar.is_working_day(day)
        )


def id_of(account: Account) -> int:
    assert account.id is not None, "stored accounts only"
    return account.id


def span_of(account: Account, zone: ZoneInfo) -> Span:
    end = local_date(account.closed_at, zone) if account.closed_at is not None else None
    return Span(id_of(account), local_date(account.registered_at, zone), end)


def is_open(account: Account) -> bool:
    return account.status == AccountStatus.ACTIVE.value


# --- per account ----------------------------------------------------------------------------

def coverage_window(today: date, calendar: Calendar) -> list[date]:
    """The last COVERAGE_WORKING_DAYS days of `calendar` (config.monitoring: the days someone
    is on duty) before today, oldest first."""
    days: list[date] = []
    day = today
    for _ in range(COVERAGE_WORKING_DAYS):
        day = calendar.previous_working_day(day)
        days.append(day)
    return days[::-1]


def monitoring(owed: Sequence[date], monitored: set[date]) -> tuple[float | None, bool]:
    """(coverage, gap) over the owed days (oldest first)."""
    if not owed:
        return None, False
    share = sum(1 for day in owed if day in monitored) / len(owed)
    recent = owed[-RECENT_WORKING_DAYS:]
    return share, share < COVERAGE_TARGET or not any(day in monitored for day in recent)


def open_state(
    found: Compliance,
    span: Span,
    window: Sequence[date],
    monitored: set[date],
    today: date,
    config: NudgeConfig,
) -> AccountState:
    """An open account's state from its compliance (scheduler.nudge_rules) and check-ins."""
    owed = [day for day in window if span.owes(day, config.monitoring)]
    if not owed and today in monitored and span.owes(today, config.monitoring):
        owed = [today]  # the first day, monitored already
    share, gap = monitoring(owed, monitored)
    due = found.archive_due
    flags = {
        "monitoring_gap": gap,
        "questions_late": found.late_questions > 0,
        "archive_due": today <= due <= today + timedelta(days=config.archive_before_days),
        "archive_overdue": due < today,
        "inactive": found.inactive_since is not None,
    }
    return AccountState(
        account_id=found.account_id,
        flags=tuple(name for name in COMPLIANCE_FILTERS if flags.get(name)),
        coverage=share,
        open_questions=found.open_questions,
        late_questions=found.late_questions,
        archive_due=due,
        archive_overdue_days=found.archive_overdue_days,
        inactive_since=found.inactive_since,
        last_monitored=found.last_monitored,
    )


def closed_state(account_id: int, last_monitored: date | None) -> AccountState:
    return AccountState(
        account_id=account_id, flags=("closed",), coverage=None, open_questions=0,
        late_questions=0, archive_due=None, archive_overdue_days=0, inactive_since=None,
        last_monitored=last_monitored,
    )


async def account_states(
    session: AsyncSession, now: datetime, config: NudgeConfig, accounts: Sequence[Account]
) -> dict[int, AccountState]:
    """Each account's compliance as of `now`, by account id (open and closed alike)."""
    today = local_date(now, config.zone)
    opened = [a for a in accounts if is_open(a)]
    open_ids = [id_of(a) for a in opened]
    states: dict[int, AccountState] = {}
    if open_ids:
        window = coverage_window(today, config.monitoring)
        state = await snapshot(session, now, config, account_ids=open_ids)
        monitored = await queries.monitored_days(
            session, open_ids, first_day=window[0], last_day=today
        )
        for account in opened:
            span = span_of(account, config.zone)
            found = compliance(state, span.account_id, config)
            if found is not None:  # else closed since `accounts` was read: below
                states[span.account_id] = open_state(
                    found, span, window, monitored.get(span.account_id, set()), today, config
                )
    closed_ids = [id_of(a) for a in accounts if id_of(a) not in states]
    last = await queries.last_monitored(session, closed_ids, config.zone)
    for account_id in closed_ids:
        states[account_id] = closed_state(account_id, last.get(account_id))
    return states


# --- the charts -------------------------------------------------------------------------------

def week_mondays(today: date) -> list[date]:
    """The Mondays of the WEEKS ISO weeks ending with today's, oldest first."""
    this = today - timedelta(days=today.weekday())
    return [this - timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]


def weekly_coverage(
    spans: Iterable[Span],
    monitored: Mapping[date, int],
    today: date,
    calendar: Calendar,
    settled: int = 0,
    first_day_done: int = 0,
) -> list[WeekCoverage]:
    """`monitored`: per day, how many accounts that owed the day had it monitored; `settled`:
    accounts besides `spans` that owe every working day of the window (open all along);
    `first_day_done`: accounts on their first day today, monitored already."""
    mondays = week_mondays(today)
    first = mondays[0]
    # Counted by slices of the window's working days, so the cost is per account and week,
    # not per account and day.
    working = [
        day for day in (first + timedelta(days=n) for n in range((today - first).days))
        if calendar.is_working_day(day)
    ]
    starts = [bisect_left(working, monday) for monday in mondays]
    ends = [*starts[1:], len(working)]
    # How many accounts owe each working day of the window: +1 where a span starts, -1 where
    # it ends, summed along; then per week. Linear in accounts plus days, not their product.
    change = [0] * (len(working) + 1)
    change[0] += settled
    change[-1] -= settled
    for span in spans:
        low = bisect_left(working, span.first)
        high = len(working) if span.end is None else bisect_left(working, span.end)
        if low < high:
            change[low] += 1
            change[high] -= 1
    done = [0] * len(mondays)
    for day, count in monitored.items():
        if first <= day < today:
            done[(day - first).days // 7] += count
    owing = list(accumulate(change[:-1]))
    owed = [sum(owing[start:end]) for start, end in zip(starts, ends, strict=True)]
    # Today, not over yet, counts only for accounts on their first day, monitored already.
    owed[-1] += first_day_done
    done[-1] += first_day_done
    return [
        WeekCoverage(monday, owed[n], done[n]) for n, monday in enumerate(mondays)
    ]


def question_ages(counts: Mapping[str, int]) -> list[Bucket]:
    """The buckets in order (`counts`: by bucket key, as data.dashboard_charts counts them)."""
    return [Bucket(key, counts.get(key, 0)) for key, _ in QUESTION_AGES]


def archiving_months(
    today: date,
    done: Iterable[queries.DoneArchiving],
    owed: Iterable[date],
    zone: ZoneInfo,
) -> list[MonthArchiving]:
    """Per month of the due date: done on time, done late, and owed past due (`owed`: the
    due dates of the archivings open accounts owe now)."""
    months = [add_months(today.replace(day=1), -n) for n in range(MONTHS - 1, -1, -1)]
    counts = {month: [0, 0, 0] for month in months}
    for record in done:
        month = record.due.replace(day=1)
        if month in counts:
            late = local_date(record.done_at, zone) > record.due
            counts[month][1 if late else 0] += 1
    for due in owed:
        month = due.replace(day=1)
        if month in counts and due < today:
            counts[month][2] += 1
    return [MonthArchiving(month, *counts[month]) for month in months]
