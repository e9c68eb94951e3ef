"""Compliance at a glance: one account's state against the policy as of a snapshot, for
`/accounts`, the dashboard and the nudge rules, which share its helpers (who is on duty
today, since when an account counts as inactive)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from data.models import CheckInKind
from data.nudge_state import AccountState, Snapshot
from data.policy import NudgeConfig, answer_due, escalation_due
from data.rota import on_duty

# The values, read once: an enum member's .value is a descriptor call, and the rules ask for
# every account.
_CANNOT = CheckInKind.CANNOT.value
_MONITORED = CheckInKind.MONITORED.value


def unavailable(account: AccountState, snapshot: Snapshot) -> set[int]:
    """Team members away today or who said they cannot monitor the account today."""
    away = snapshot.away
    found = {p for p in account.team if p in away}
    if account.today:
        found.update(p for p, kind in account.today.items() if kind == _CANNOT)
    return found


def duty_today(account: AccountState, snapshot: Snapshot, config: NudgeConfig) -> int | None:
    if account.id not in snapshot.duty:
        snapshot.duty[account.id] = on_duty(
            account.team, account.rotation, account.anchor, snapshot.today,
            unavailable(account, snapshot), config.monitoring,
        )
    return snapshot.duty[account.id]


def inactive_since(account: AccountState, today: date, config: NudgeConfig) -> tuple[
    date | None, list[str]
]:
    """The day the account counts as inactive from, and why (None: it is active)."""
    calendar = config.calendar
    reasons: list[str] = []
    starts: list[date] = []
    content = account.last_content or account.registered_on
    content_from = content + timedelta(days=config.inactivity_content_days)
    if content_from <= today:
        reasons.append("no_content")
        starts.append(content_from)
    monitored = account.last_monitored or account.registered_on
    # Inactive once that many whole working days have passed with no monitoring.
    monitoring_from = calendar.add_working_days(
        monitored, config.inactivity_monitoring_working_days
    ) + timedelta(days=1)
    if monitoring_from <= today:
        reasons.append("no_monitoring")
        starts.append(monitoring_from)
    return (min(starts) if starts else None), reasons


# --- compliance at a glance ---------------------------------------------------------------

@dataclass(frozen=True)
class Compliance:
    account_id: int
    on_duty: int | None
    # Who marked today monitored: the person on duty if they did, else the first (by id) who
    # did; None when nobody has yet.
    monitored_by: int | None
    last_monitored: date | None
    open_questions: int
    # Open past the answer time the account promised, and 48 h past that (data.policy).
    late_questions: int
    very_late_questions: int
    archive_due: date
    archive_overdue_days: int
    inactive_since: date | None
    inactive_reasons: tuple[str, ...]

    @property
    def monitored_today(self) -> bool:
        return self.monitored_by is not None

    @property
    def ok(self) -> bool:
        return (
            self.late_questions == 0
            and self.archive_overdue_days == 0
            and self.inactive_since is None
        )


def compliance(snapshot: Snapshot, account_id: int, config: NudgeConfig) -> Compliance | None:
    """The account's compliance as of the snapshot (None when it is not in it: closed)."""
    account = snapshot.account(account_id)
    if account is None:
        return None
    now, today = snapshot.now, snapshot.today
    since, reasons = inactive_since(account, today, config)
    on_duty = duty_today(account, snapshot, config)
    monitored = sorted(p for p, kind in account.today.items() if kind == _MONITORED)
    return Compliance(
        account_id=account.id,
        on_duty=on_duty,
        monitored_by=on_duty if on_duty in monitored else next(iter(monitored), None),
        last_monitored=account.last_monitored,
        open_questions=account.open_question_count,
        late_questions=sum(
            1 for q in account.old_questions
            if answer_due(q.received_at, account.response_time, config) <= now
        ),
        very_late_questions=sum(
            1 for q in account.old_questions
            if escalation_due(q.received_at, account.response_time, config) <= now
        ),
        archive_due=account.archive.due,
        archive_overdue_days=max(0, (today - account.archive.due).days),
        inactive_since=since,
        inactive_reasons=tuple(reasons),
    )
