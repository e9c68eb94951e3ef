"""The policy's numbers, held once: when nudges go out, what counts as late, how long an
approver may wait. DESIGN.md section 4's defaults; the domain (data/), the nudge rules
(scheduler/) and the conversations (dialogs/) all read them from here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from data.archive import EVERY_MONTHS
from data.workdays import Calendar, MonitoringDays

# The requester may name another approver once the request has waited this many working days
# for a decision at its current stage (DESIGN.md section 4, the approval nudge's escalation).
REROUTE_AFTER_WORKING_DAYS = 5


@dataclass(frozen=True)
class NudgeConfig:
    """Every default of DESIGN.md section 4, changeable."""

    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Stockholm"))
    calendar: Calendar = field(default_factory=Calendar)
    # The guidelines ask for monitoring on weekdays, year-round: the rota then puts someone
    # on duty on weekday holidays, eves and closure days too (a holiday duty). False: the rota
    # runs on working days only, for a university that decides so.
    holiday_duty: bool = True
    # Nothing scheduled is written or sent outside [sending_starts, sending_ends).
    sending_starts: time = time(8, 0)
    sending_ends: time = time(18, 0)
    rota_at: time = time(8, 30)
    rota_unmarked_at: time = time(14, 0)
    # A question must be answered as fast as its account promised (data.rules.RESPONSE_TIMES):
    # "same_day" by 16:00 when received before 12:00, else by 10:00 the next day; "24h";
    # "48h". The manager hears of it question_escalate_after past that.
    same_day_received_before: time = time(12, 0)
    same_day_answer_by: time = time(16, 0)
    next_day_answer_by: time = time(10, 0)
    question_after: timedelta = timedelta(hours=24)
    question_after_48h: timedelta = timedelta(hours=48)
    question_escalate_after: timedelta = timedelta(hours=48)
    archiving_at: time = time(9, 0)
    archive_every_months: int = EVERY_MONTHS
    archive_before_days: int = 14
    archive_repeat_days: int = 7
    archive_escalate_days: int = 14
    inactivity_at: time = time(9, 0)
    inactivity_content_days: int = 60
    inactivity_monitoring_working_days: int = 10
    inactivity_escalate_days: int = 30
    approval_at: time = time(9, 0)
    approval_first_working_days: int = 2
    approval_every_working_days: int = 2
    approval_requester_working_days: int = REROUTE_AFTER_WORKING_DAYS
    # Content marked for case management without a registry number: the team is reminded
    # after this many working days, then every so many (data.casework).
    case_at: time = time(9, 0)
    case_first_working_days: int = 2
    case_every_working_days: int = 2
    # Each account's team hears last month's counts (accessibility checks, questions,
    # removals) on the first working day of the month, from this time.
    monthly_at: time = time(8, 30)


    @cached_property
    def monitoring(self) -> Calendar:
        """The days the monitoring rota runs (data.rota counts in it): every weekday with
        `holiday_duty`, else the working days. Cached: a Calendar works out each year once."""
        return MonitoringDays(self.calendar) if self.holiday_duty else self.calendar

    def holiday_duty_on(self, day: date) -> str | None:
        """Why `day` is a holiday duty ("closure" or the holiday's name), or None when it is a
        working day or nobody is on duty then."""
        monitoring = self.monitoring
        if isinstance(monitoring, MonitoringDays) and monitoring.is_working_day(day):
            return monitoring.holiday_duty(day)
        return None


def local(now: datetime, config: NudgeConfig) -> datetime:
    assert now.tzinfo is not None, "times are aware"
    return now.astimezone(config.zone)


def answer_due(received_at: datetime, response_time: str, config: NudgeConfig) -> datetime:
    """When a question received at `received_at` must be answered by, as the account promised
    (DESIGN.md section 4); an unknown promise counts as 24 hours."""
    if response_time == "same_day":
        received = local(received_at, config)
        if received.time() < config.same_day_received_before:
            return datetime.combine(received.date(), config.same_day_answer_by, config.zone)
        next_day = received.date() + timedelta(days=1)
        return datetime.combine(next_day, config.next_day_answer_by, config.zone)
    if response_time == "48h":
        return received_at + config.question_after_48h
    return received_at + config.question_after


def escalation_due(received_at: datetime, response_time: str, config: NudgeConfig) -> datetime:
    """When the manager hears of a question still open: question_escalate_after past due, in
    elapsed time (added in UTC: a same-day promise's deadline is a local time, and adding to
    it across a change of summer time would make the wait an hour longer or shorter)."""
    due = answer_due(received_at, response_time, config)
    return due.astimezone(UTC) + config.question_escalate_after


def shortest_answer_time(config: NudgeConfig) -> timedelta:
    """The least time any promise allows: questions received longer ago than this may be late
    (what the nudge snapshot loads)."""
    def since_midnight(moment: time) -> timedelta:
        return timedelta(hours=moment.hour, minutes=moment.minute, seconds=moment.second)

    same_day = since_midnight(config.same_day_answer_by) - since_midnight(
        config.same_day_received_before
    )
    next_morning = since_midnight(config.next_day_answer_by)
    return min(same_day, next_morning, config.question_after, config.question_after_48h)


def longest_wait(config: NudgeConfig) -> timedelta:
    """The most time any promise allows before the manager hears (a bound, never exceeded)."""
    return max(timedelta(days=2), config.question_after, config.question_after_48h) + (
        config.question_escalate_after
    )


# How far back a rule owes, late, what fell due once on days no sweep saw (`owed_from`): a
# server down for longer is restored by someone who knows.
CATCH_UP_DAYS = 31


def owed_from(today: date, last_swept: date | None, config: NudgeConfig) -> date:
    """The first day whose reminders due once (on that day) a rule owes on `today`, a working
    day: the day after the previous working day (a reminder due on a weekend or a holiday goes
    out on the next working day), or, when the rule last ran awake before that (the server
    was down on working days: data.sweep_marks.rule_days), the day after it, at most
    CATCH_UP_DAYS back. A rule that never ran (a new database) looks no further back than the
    previous working day, as ever."""
    start = config.calendar.previous_working_day(today) + timedelta(days=1)
    if last_swept is not None and last_swept + timedelta(days=1) < start:
        start = max(last_swept + timedelta(days=1), today - timedelta(days=CATCH_UP_DAYS))
    return start


def summary_month(
    day: date, config: NudgeConfig, since: date | None = None
) -> tuple[datetime, datetime] | None:
    """When the first working day of `day`'s month is `day` (or, with `since`, falls in
    [`since`, `day`]: owed_from): last month, as the local moments [its first midnight, this
    month's first midnight). Otherwise None: the teams' monthly summary is due on that one
    day only."""
    first = day.replace(day=1)
    if not (since or day) <= config.calendar.first_working_day_on_or_after(first) <= day:
        return None
    previous = (first - timedelta(days=1)).replace(day=1)
    return (datetime.combine(previous, time(0), config.zone),
            datetime.combine(first, time(0), config.zone))
