"""The rules on hand-made snapshots: the corners the simulated year does not reach."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from data.archive import ArchiveState
from data.compliance import Compliance
from data.compliance import compliance as compliance_of
from data.duty_counts import DutyCounts
from data.nudge_digests import digests
from data.nudge_state import (
    AccountState,
    ExpertWait,
    OpenQuestion,
    PendingApproval,
    Snapshot,
)
from data.policy import (
    NudgeConfig,
    answer_due,
    escalation_due,
    shortest_answer_time,
    summary_month,
)
from data.workdays import Calendar
from scheduler import nudge_rules as rules

STOCKHOLM = ZoneInfo("Europe/Stockholm")
CONFIG = NudgeConfig()
MONDAY = date(2027, 3, 1)
ANNA, BO, CIA, MAJA = 1, 2, 3, 9
# A colleague outside the team, asked about a question.
LEO = 12


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=STOCKHOLM).astimezone(UTC)


def account(**changes: object) -> AccountState:
    base = AccountState(
        id=7, number="SOME-2027-0007", manager_id=MAJA, scope="unit",
        registered_on=date(2027, 1, 4), rotation="day", anchor=MONDAY, team=(ANNA, BO, CIA),
        last_content=MONDAY - timedelta(days=3), last_monitored=MONDAY - timedelta(days=3),
        archive=ArchiveState(7, date(2027, 7, 4), "scheduled", None, None, None),
        open_question_count=0, old_questions=(),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def snap(now: datetime, *accounts: AccountState, away: set[int] | None = None,
         pending: tuple[PendingApproval, ...] = ()) -> Snapshot:
    return Snapshot(
        now=now, zone=STOCKHOLM, today=now.astimezone(STOCKHOLM).date(),
        accounts=accounts or (account(),), away=frozenset(away or ()), pending=pending,
        questions_before=now - CONFIG.question_after,
    )


def who(nudges: list[rules.Nudge]) -> list[tuple[int | str | None, str, bool]]:
    return [
        (n.recipient_id if n.recipient_id is not None else n.place, n.why, n.escalation)
        for n in nudges
    ]


GOOD_FRIDAY = date(2027, 3, 26)


def test_the_rota_waits_for_half_past_eight_and_not_on_weekends() -> None:
    assert rules.rota(snap(at(MONDAY, 8, 29)), at(MONDAY, 8, 29), CONFIG) == []
    assert who(rules.rota(snap(at(MONDAY, 8, 30)), at(MONDAY, 8, 30), CONFIG)) == [
        (ANNA, "on_duty", False)
    ]
    saturday = at(date(2027, 3, 27), 9)
    assert rules.rota(snap(saturday), saturday, CONFIG) == []
    evening = at(MONDAY, 18)
    assert rules.due_nudges(snap(evening), evening, CONFIG) == []


def test_a_weekday_holiday_has_a_holiday_duty_and_the_day_counts_in_the_rota() -> None:
    # "Monitored weekdays, year-round": Good Friday is the 20th weekday from the anchor
    # (Monday 1 March), so duty is at step 19 of Anna, Bo, Cia: Bo.
    now = at(GOOD_FRIDAY, 9)
    [nudge] = rules.rota(snap(now), now, CONFIG)
    assert (nudge.recipient_id, nudge.why, nudge.details["holiday"]) == (
        BO, "on_duty", "Good Friday"
    )
    # Easter Monday, a holiday too, is the next step: Cia (the weekend does not count).
    easter_monday = at(date(2027, 3, 29), 9)
    [nudge] = rules.rota(snap(easter_monday), easter_monday, CONFIG)
    assert (nudge.recipient_id, nudge.details["holiday"]) == (CIA, "Easter Monday")
    # Not marked by two: the rest of the team hears, as on any weekday.
    two = at(GOOD_FRIDAY, 14)
    assert who(rules.rota_unmarked(snap(two), two, CONFIG)) == [
        (ANNA, "not_marked", True), (CIA, "not_marked", True)
    ]
    # A question waiting goes to the person on holiday duty, not the whole team.
    asked = account(old_questions=(OpenQuestion(11, now - timedelta(hours=30)),))
    assert who(rules.questions(snap(now, asked), now, CONFIG)) == [(BO, "open", False)]
    # A configured closure day is a holiday duty too.
    closed = NudgeConfig(calendar=Calendar([MONDAY + timedelta(days=1)]))
    tuesday = at(MONDAY + timedelta(days=1), 9)
    [nudge] = rules.rota(snap(tuesday), tuesday, closed)
    assert nudge.details["holiday"] == "closure"
    # An ordinary weekday says nothing of holidays.
    [plain] = rules.rota(snap(at(MONDAY, 9)), at(MONDAY, 9), CONFIG)
    assert "holiday" not in plain.details


def test_holiday_duty_leaves_the_working_day_counts_alone() -> None:
    # The approval reminders and the inactivity rule keep counting working days: nothing on
    # Good Friday, and a pending request's 2 working days skip it.
    now = at(GOOD_FRIDAY, 9)
    pending = PendingApproval(5, ANNA, MAJA, "manager", 1, at(date(2027, 3, 24), 15), "x y")
    assert rules.approvals(snap(now, pending=(pending,)), now, CONFIG) == []
    quiet = account(last_content=MONDAY, last_monitored=date(2027, 3, 12))
    assert rules.inactivity(snap(now, quiet), now, CONFIG) == []
    assert CONFIG.calendar.working_days_between(date(2027, 3, 25), date(2027, 3, 29)) == 0


def test_a_university_that_turns_holiday_duty_off_has_no_rota_on_holidays() -> None:
    off = NudgeConfig(holiday_duty=False)
    now = at(GOOD_FRIDAY, 9)
    assert rules.rota(snap(now), now, off) == []
    assert rules.rota_unmarked(snap(at(GOOD_FRIDAY, 14)), at(GOOD_FRIDAY, 14), off) == []
    # Good Friday and Easter Monday do not count: the Tuesday after is step 19, Bo's.
    tuesday = at(date(2027, 3, 30), 9)
    assert rules.rota(snap(tuesday), tuesday, CONFIG)[0].recipient_id == ANNA
    assert who(rules.rota(snap(tuesday), tuesday, off)) == [(BO, "on_duty", False)]


def test_the_rota_tells_what_is_waiting() -> None:
    now = at(MONDAY, 9)
    busy = account(open_question_count=4,
                   archive=ArchiveState(7, date(2027, 2, 20), "scheduled", None, None, None))
    [nudge] = rules.rota(snap(now, busy), now, CONFIG)
    assert nudge.details == {
        "open_questions": 4, "archive_due": "2027-02-20", "archive_overdue": True
    }


def test_nobody_available_goes_to_the_manager_and_cannot_counts() -> None:
    now = at(MONDAY, 9)
    state = account(today={BO: "cannot"})
    assert who(rules.rota(snap(now, state, away={ANNA, CIA}), now, CONFIG)) == [
        (MAJA, "nobody_available", True)
    ]
    [nudge] = rules.rota(snap(now, state, away={ANNA, CIA}), now, CONFIG)
    assert nudge.details == {"away": [ANNA, BO, CIA]}


def test_unmarked_at_two_goes_to_the_others_who_are_available() -> None:
    now = at(MONDAY, 14)
    assert rules.rota_unmarked(snap(at(MONDAY, 13, 59)), at(MONDAY, 13, 59), CONFIG) == []
    assert who(rules.rota_unmarked(snap(now, away={CIA}), now, CONFIG)) == [
        (BO, "not_marked", True)
    ]
    # Nobody else available: the manager.
    assert who(rules.rota_unmarked(snap(now, away={BO, CIA}), now, CONFIG)) == [
        (MAJA, "not_marked", True)
    ]
    # Marked by anyone on the team: nothing.
    assert rules.rota_unmarked(snap(now, account(today={CIA: "monitored"})), now, CONFIG) == []


def test_questions_on_a_weekend_go_to_the_team_or_the_manager() -> None:
    saturday = at(date(2027, 3, 6), 8)
    asked = OpenQuestion(11, saturday - timedelta(hours=30))
    state = account(old_questions=(asked,))
    assert who(rules.questions(snap(saturday, state, away={CIA}), saturday, CONFIG)) == [
        (ANNA, "open", False), (BO, "open", False)
    ]
    assert who(rules.questions(snap(saturday, state, away={ANNA, BO, CIA}), saturday,
                               CONFIG)) == [(MAJA, "open", True)]
    at_seven = at(date(2027, 3, 6), 7, 59)
    assert rules.questions(snap(at_seven, state), at_seven, CONFIG) == []


def test_questions_past_72_hours_also_go_to_the_manager() -> None:
    now = at(MONDAY, 11)
    old = OpenQuestion(1, now - timedelta(hours=80))
    newer = OpenQuestion(2, now - timedelta(hours=30))
    fresh = OpenQuestion(3, now - timedelta(hours=23))
    nudges = rules.questions(snap(now, account(old_questions=(old, newer, fresh))), now, CONFIG)
    assert who(nudges) == [(ANNA, "open", False), (MAJA, "open_long", True)]
    assert nudges[0].details["question_ids"] == [1, 2]
    assert nudges[1].details == {
        "question_ids": [1], "oldest": old.received_at.isoformat(), "count": 1
    }


def test_a_question_with_an_expert_waits_for_them_then_the_manager_hears() -> None:
    now = at(MONDAY, 11)
    asked = OpenQuestion(1, now - timedelta(hours=30))
    other = OpenQuestion(2, now - timedelta(hours=30))
    wait = ExpertWait(5, 1, LEO, BO, "expert", now + timedelta(minutes=1))
    state = account(old_questions=(asked, other), with_expert=(wait,))
    # The question reminders leave the colleague's question alone; the other one is due.
    [reminder] = rules.questions(snap(now, state), now, CONFIG)
    assert reminder.details["question_ids"] == [2]
    # Within the response time nothing; past it the manager (and whoever asked) hears.
    assert rules.experts(snap(now, state), now, CONFIG) == []
    later = now + timedelta(minutes=1)
    nudges = rules.experts(snap(later, state), later, CONFIG)
    assert who(nudges) == [(MAJA, "expert_late", True), (BO, "expert_late", False)]
    assert nudges[0].details == {
        "referral_ids": [5], "question_ids": [1], "experts": [LEO], "count": 1,
        "due": wait.due_at.isoformat(),
    }
    # Outside the sending hours, nothing.
    evening = at(MONDAY, 18)
    assert rules.experts(snap(evening, state), evening, CONFIG) == []
@pytest.mark.parametrize(
    ("promise", "received", "late_at", "manager_at"),
    [
        # The same day: by 16:00 when received before noon, else by 10:00 next day.
        ("same_day", at(MONDAY, 9), at(MONDAY, 16), at(MONDAY + timedelta(days=2), 16)),
        ("same_day", at(MONDAY, 13), at(MONDAY + timedelta(days=1), 10),
         at(MONDAY + timedelta(days=3), 10)),
        ("24h", at(MONDAY, 9), at(MONDAY + timedelta(days=1), 9),
         at(MONDAY + timedelta(days=3), 9)),
        ("48h", at(MONDAY, 9), at(MONDAY + timedelta(days=2), 9),
         at(MONDAY + timedelta(days=4), 9)),
    ],
)
def test_the_accounts_promised_response_time_drives_the_question_nudges(
    promise: str, received: datetime, late_at: datetime, manager_at: datetime
) -> None:
    """Once fixed at 24 h and 72 h whatever the account promised."""
    state = account(old_questions=(OpenQuestion(5, received),), response_time=promise)

    def nudged(now: datetime) -> list[tuple[int | str | None, str, bool]]:
        return who(rules.questions(snap(now, state), now, CONFIG))

    minute = timedelta(minutes=1)
    assert nudged(late_at - minute) == []
    # The rota moves one along the team each working day from Monday.
    on_duty = (ANNA, BO, CIA)[(late_at.astimezone(STOCKHOLM).date() - MONDAY).days % 3]
    assert nudged(late_at) == [(on_duty, "open", False)]
    assert (MAJA, "open_long", True) not in nudged(manager_at - minute)
    assert (MAJA, "open_long", True) in nudged(manager_at)


def test_the_snapshot_holds_every_question_a_promise_can_make_late() -> None:
    # Received just before noon, due at 16:00: four hours is the shortest any promise allows.
    assert shortest_answer_time(CONFIG) == timedelta(hours=4)
    assert answer_due(at(MONDAY, 11, 59), "same_day", CONFIG) == at(MONDAY, 16)


def test_archiving_goes_to_the_manager_when_the_whole_team_is_away() -> None:
    due = date(2027, 3, 15)
    state = account(archive=ArchiveState(7, due, "scheduled", None, None, None))
    now = at(MONDAY, 9)  # 14 days before
    assert who(rules.archiving(snap(now, state, away={ANNA, BO, CIA}), now, CONFIG)) == [
        (MAJA, "due_soon", True)
    ]


def test_a_due_day_that_is_no_working_day_is_told_as_overdue_on_the_next() -> None:
    """Due on Christmas Eve (a Friday, and a holiday): told on Monday the 27th, with the day it
    was due, as overdue: not "due today", which the rota's reminder that morning contradicts."""
    due = date(2027, 12, 24)
    state = account(archive=ArchiveState(7, due, "scheduled", None, None, None))
    monday = at(date(2027, 12, 27), 9)
    nudges = rules.archiving(snap(monday, state), monday, CONFIG)
    assert {(n.why, n.period, n.details["days_overdue"]) for n in nudges} == {
        ("overdue", "2027-12-24", 3)
    }
    # Due on a working day, it is "due today" on that day.
    thursday = at(date(2027, 12, 23), 9)
    state = account(archive=ArchiveState(7, date(2027, 12, 23), "scheduled", None, None, None))
    assert {n.why for n in rules.archiving(snap(thursday, state), thursday, CONFIG)} == {
        "due_today"
    }


def test_a_same_day_question_escalates_48_hours_after_across_a_change_of_summer_time() -> None:
    """Received Saturday 30 October 2027 at 09:30, a same-day question is due at 16:00; the
    manager hears 48 hours later, elapsed: Monday at 15:00 after the clocks went back on
    Sunday (not 16:00, 49 hours)."""
    received = at(date(2027, 10, 30), 9, 30)
    assert answer_due(received, "same_day", CONFIG) == at(date(2027, 10, 30), 16)
    assert escalation_due(received, "same_day", CONFIG) == at(date(2027, 11, 1), 15)
    spring = at(date(2027, 3, 27), 9, 30)
    assert escalation_due(spring, "same_day", CONFIG) == at(date(2027, 3, 29), 17)


def test_a_snooze_moves_the_reminders() -> None:
    due = date(2027, 3, 1)
    snoozed = ArchiveState(7, due, "scheduled", date(2027, 3, 11), None, date(2027, 3, 4))
    state = account(archive=snoozed)
    fired = {
        day: [n.why for n in rules.archiving(snap(at(day, 9), state), at(day, 9), CONFIG)]
        for day in (date(2027, 3, 8), date(2027, 3, 11), date(2027, 3, 15), date(2027, 3, 22))
    }
    # Not on the 8th (a week after due, but snoozed); on the 11th (the snooze ends); on the
    # 15th the team and, 14 days overdue, the manager; then weekly.
    assert fired == {
        date(2027, 3, 8): [],
        date(2027, 3, 11): ["overdue"] * 3,
        date(2027, 3, 15): ["overdue"] * 3 + ["overdue_long"],
        date(2027, 3, 22): ["overdue"] * 3 + ["overdue_long"],
    }


def test_no_monitoring_for_ten_working_days_is_inactivity() -> None:
    # Last monitored Friday 12 February: ten whole working days pass by Friday 26 February.
    state = account(last_content=MONDAY, last_monitored=date(2027, 2, 12))
    friday = at(date(2027, 2, 26), 9)
    assert rules.inactivity(snap(friday, state), friday, CONFIG) == []
    monday = at(MONDAY, 9)
    nudges = rules.inactivity(snap(monday, state), monday, CONFIG)
    assert who(nudges) == [(ANNA, "inactive", False), (BO, "inactive", False),
                           (CIA, "inactive", False)]
    assert nudges[0].details["reasons"] == ["no_monitoring"]
    assert nudges[0].details["since"] == "2027-02-27"
    compliance = compliance_of(snap(monday, state), 7, CONFIG)
    assert compliance is not None and not compliance.ok
    assert compliance.inactive_since == date(2027, 2, 27)


def test_compliance_at_a_glance() -> None:
    now = at(MONDAY, 9)
    state = account(
        old_questions=(OpenQuestion(1, now - timedelta(hours=100)),),
        open_question_count=3, today={ANNA: "monitored"},
    )
    result = compliance_of(snap(now, state), 7, CONFIG)
    assert result == Compliance(
        account_id=7, on_duty=ANNA, monitored_by=ANNA, last_monitored=state.last_monitored,
        open_questions=3, late_questions=1, very_late_questions=1,
        archive_due=date(2027, 7, 4), archive_overdue_days=0, inactive_since=None,
        inactive_reasons=(),
    )
    assert not result.ok
    assert compliance_of(snap(now, state), 8, CONFIG) is None


def test_approval_reminders_count_working_days() -> None:
    # Submitted on Maundy Thursday: Good Friday and Easter Monday do not count.
    pending = PendingApproval(5, ANNA, MAJA, "manager", 1, at(date(2027, 3, 25), 15), "x y")
    fired = {}
    for day in (date(2027, 3, 30), date(2027, 3, 31), date(2027, 4, 2), date(2027, 4, 5)):
        now = at(day, 9)
        fired[day] = who(rules.approvals(snap(now, pending=(pending,)), now, CONFIG))
    assert fired == {
        date(2027, 3, 30): [],
        date(2027, 3, 31): [(MAJA, "pending", False)],
        date(2027, 4, 2): [(MAJA, "pending", False)],
        date(2027, 4, 5): [(ANNA, "approver_slow", True)],
    }


def test_content_waiting_for_a_registry_number_reminds_the_team_every_two_working_days(
) -> None:
    # Marked on Wednesday 24 March; Good Friday and Easter Monday do not count.
    state = account(unregistered_cases=((5, date(2027, 3, 24)), (6, date(2027, 3, 30))))
    fired = {}
    for day in (date(2027, 3, 25), date(2027, 3, 30), date(2027, 3, 31), date(2027, 4, 1)):
        now = at(day, 9)
        fired[day] = rules.cases(snap(now, state, away={CIA}), now, CONFIG)
    assert fired[date(2027, 3, 25)] == []  # 1 working day
    assert who(fired[date(2027, 3, 30)]) == [(ANNA, "unregistered", False),
                                             (BO, "unregistered", False)]  # 2
    assert fired[date(2027, 3, 30)][0].details == {
        "mark_ids": [5], "oldest": "2027-03-24", "count": 1
    }
    assert fired[date(2027, 3, 31)] == []  # 3
    assert fired[date(2027, 4, 1)][0].details["mark_ids"] == [5, 6]  # 4, and 2
    assert rules.cases(snap(at(date(2027, 3, 30), 8, 59), state), at(date(2027, 3, 30), 8, 59),
                       CONFIG) == []
    registered = account()
    assert rules.cases(snap(at(date(2027, 3, 30), 9), registered), at(date(2027, 3, 30), 9),
                       CONFIG) == []


def test_the_monthly_summary_goes_to_the_team_on_the_first_working_day_only() -> None:
    counted = account(last_month=DutyCounts(posts_checked=3, items_to_fix=2, removals=1))
    now = at(MONDAY, 8, 30)
    fired = rules.monthly(snap(now, counted, away={CIA}), now, CONFIG)
    # The team not away, never the manager while someone is there.
    assert who(fired) == [(ANNA, "summary", False), (BO, "summary", False)]
    assert fired[0].period == "2027-02"
    assert fired[0].details == {
        "month": "2027-02", "posts_checked": 3, "items_to_fix": 2, "questions_logged": 0,
        "questions_answered": 0, "removals": 1,
    }
    # Everyone away: the manager, as an escalation.
    assert who(rules.monthly(snap(now, counted, away={ANNA, BO, CIA}), now, CONFIG)) == [
        (MAJA, "summary", True)
    ]
    early, tuesday = at(MONDAY, 8, 29), at(MONDAY + timedelta(days=1), 9)
    assert rules.monthly(snap(early, counted), early, CONFIG) == []
    assert rules.monthly(snap(tuesday, counted), tuesday, CONFIG) == []
    # Registered this month: no last month to sum up.
    fresh = replace(counted, registered_on=MONDAY)
    assert rules.monthly(snap(now, fresh), now, CONFIG) == []
    # The first working day of a month after a holiday and a weekend (1 January 2027 is a
    # Friday): Monday the 4th.
    assert summary_month(date(2027, 1, 4), CONFIG) == (
        datetime(2026, 12, 1, tzinfo=STOCKHOLM), datetime(2027, 1, 1, tzinfo=STOCKHOLM)
    )
    assert summary_month(date(2027, 1, 5), CONFIG) is None
    assert summary_month(date(2027, 1, 1), CONFIG) is None


def test_digests_combine_a_persons_items_and_keep_places_apart() -> None:
    now = at(MONDAY, 9)
    nudges = rules.rota(snap(now, account(), account(id=8, team=(ANNA, BO))), now, CONFIG)
    grouped = digests(nudges + nudges, MONDAY)
    assert list(grouped) == [f"nudge_rota:{ANNA}:2027-03-01"]
    assert [i["account_id"] for i in grouped[f"nudge_rota:{ANNA}:2027-03-01"][1]] == [7, 8]
    place = rules.Nudge("nudge_inactivity", "account:8", 8, None, "comms", "p", "x", True)
    assert list(digests([place], MONDAY)) == ["nudge_inactivity:@comms:2027-03-01"]
