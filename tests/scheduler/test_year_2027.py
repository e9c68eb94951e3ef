"""A simulated year 2027 for a small register, checked day by day.

Three accounts: A (Anna, Bo; rotating per day), B (Cia, Dan, Eva; rotating per week) and C
(Bo, Filip; per day). Maja manages A and C, Nils manages B. Anna is away over Midsummer, Bo
over Christmas, and Filip from 27 to 31 December, so C's whole team is away then. The people
do what people do, through the real domain operations: the person on duty marks *Monitored
today* at 11:00 (Dan forgets on 10 March), A and B log content on the first working day of
each month, C goes quiet and is nudged and escalated twice, questions come in, archiving
comes due and is done late, snoozed, asked for by a major change; a request waits for its
approver, who hands it on.

The sweep runs at 08:30, 09:00, 10:00 and 14:00 every day with all rules, as the scheduler's
ticks do (a sweep that can owe nothing new stops early: data.sweep_marks), on SQLite and on
PostgreSQL. What the outbox then holds is compared, kind by kind, with the
reminders the design calls for, worked out here independently of the code under test: its
own list of 2027's holidays, its own rota arithmetic. After each action and each sweep (on
PostgreSQL each day's last), the stored compliance rows that claim to be current are compared
with compliance worked out afresh, then refreshed as the scheduler's compliance job does.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import make_url
from sqlmodel import col, select

from data import (
    absence,
    archive,
    compliance_rows,
    migrate,
    monitoring,
    questions,
    requests,
    rota,
)
from data.dashboard_overview import account_states
from data.db import Store
from data.models import Account, AccountCompliance, Decision, Outbox
from data.policy import NudgeConfig
from scheduler.nudge_rules import KINDS
from scheduler.sweep import sweep
from tests.conftest import _execute, _postgres_server
from tests.data.test_workdays import NON_WORKING_WEEKDAYS_2027
from tests.helpers import make_person, request_input
from tests.helpers.accounts import id_of, register

STOCKHOLM = ZoneInfo("Europe/Stockholm")
CONFIG = NudgeConfig()
SWEEPS = (time(8, 30), time(9, 0), time(10, 0), time(14, 0))
YEAR = [date(2027, 1, 1) + timedelta(n) for n in range(365)]
ANCHOR = date(2027, 1, 4)

ORDER = {"A": ("Anna", "Bo"), "B": ("Cia", "Dan", "Eva"), "C": ("Bo", "Filip")}
ROTATION = {"A": "day", "B": "week", "C": "day"}
MANAGER = {"A": "Maja", "B": "Nils", "C": "Maja"}
AWAY = {
    "Anna": (date(2027, 6, 21), date(2027, 7, 2)),
    "Bo": (date(2027, 12, 20), date(2028, 1, 7)),
    "Filip": (date(2027, 12, 27), date(2027, 12, 31)),
}
FORGOT = ("B", date(2027, 3, 10))
# Anna is on duty for A and Bo for C that day: Bo, who takes A's day, has his reminder already.
CANNOT = ("A", date(2027, 10, 13))


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=STOCKHOLM).astimezone(UTC)


def working(day: date) -> bool:
    return day.weekday() < 5 and day not in NON_WORKING_WEEKDAYS_2027


def weekday(day: date) -> bool:
    """A day the rota runs: the guidelines' "monitored weekdays, year-round"."""
    return day.weekday() < 5


def first_working_days() -> list[date]:
    return [next(d for d in YEAR if d.month == m and working(d)) for m in range(1, 13)]


def away(name: str, day: date) -> bool:
    span = AWAY.get(name)
    return span is not None and span[0] <= day <= span[1]


# Before the rotas are set on 4 January, each counts per weekday from its registration day.
REGISTERED = {"A": date(2026, 9, 15), "B": date(2026, 10, 29), "C": date(2026, 11, 6)}


def expected_duty(account: str, day: date, cannot: frozenset[str] = frozenset()) -> str | None:
    """The rota as the design describes it, computed the simple way."""
    order = ORDER[account]
    if day < ANCHOR:
        first = REGISTERED[account]
        steps = sum(1 for n in range((day - first).days) if weekday(first + timedelta(n)))
    elif ROTATION[account] == "day":
        steps = sum(1 for d in YEAR if ANCHOR <= d < day and weekday(d))
    else:
        monday = day - timedelta(days=day.weekday())
        steps = (monday - ANCHOR).days // 7
    for k in range(len(order)):
        person = order[(steps + k) % len(order)]
        if not away(person, day) and person not in cannot:
            return person
    return None


def working_days(first: date, last: date) -> list[date]:
    return [d for d in YEAR if first <= d <= last and working(d)]


def weekdays(first: date, last: date) -> list[date]:
    return [d for d in YEAR if first <= d <= last and weekday(d)]


Item = tuple[date, str, str, str]  # day, recipient (name or @place), account, why


@dataclass
class Year:
    nudges: dict[str, Counter[Item]] = field(default_factory=dict)
    # (kind, recipient, day) -> the accounts of one digest row
    rows: dict[tuple[str, str, date], list[str]] = field(default_factory=dict)
    created: list[tuple[str, datetime]] = field(default_factory=list)
    events: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    escalations: set[tuple[str, str]] = field(default_factory=set)
    # (day, holiday) of each rota item that says it is a holiday duty
    holiday_duties: set[tuple[date, str]] = field(default_factory=set)
    compliance: Checks = field(default_factory=lambda: Checks())


@dataclass
class Checks:
    """The stored compliance rows (data.compliance_rows) against compliance worked out
    afresh (data.dashboard_overview.account_states), after every sweep and every action of
    the year."""

    # After every sweep (SQLite), or only the day's last (PostgreSQL: each check costs a
    # few dozen statements, and the year is long enough there); after every action on both.
    every_sweep: bool = True
    times: int = 0
    # Rows current before the check's refresh (what the domain operations and `valid_until`
    # left standing), and rows that were not.
    current_before: int = 0
    stale_before: int = 0
    # (when, account id, stored, worked out) wherever they differ.
    wrong: list[tuple[datetime, int, object, object]] = field(default_factory=list)


async def check_compliance(store: Store, when: datetime, checks: Checks) -> None:
    """Rows that claim to be current must be right; after a refresh, every row is current
    and right."""
    async with store.transaction() as session:
        accounts = list(await session.exec(select(Account)))
        worked_out = await account_states(session, when, CONFIG, accounts)
        current = {
            row.account_id: compliance_rows.state_of(row)
            for row in await session.exec(
                select(AccountCompliance).where(compliance_rows.is_current(when, CONFIG))
            )
        }
        checks.current_before += len(current)
        checks.stale_before += len(accounts) - len(current)
        await compliance_rows.refresh(session, when, CONFIG)
        after = {
            row.account_id: compliance_rows.state_of(row)
            for row in await session.exec(
                select(AccountCompliance).where(compliance_rows.is_current(when, CONFIG))
            )
        }
    assert set(after) == set(worked_out), when
    for found in (current, after):
        checks.wrong += [
            (when, account_id, state, worked_out[account_id])
            for account_id, state in found.items() if state != worked_out[account_id]
        ]
    checks.times += 1


async def simulate(url: str, *, every_sweep: bool = True) -> Year:
    store = Store.from_url(url)
    try:
        await migrate.upgrade(store.engine)
        return await _simulate(store, every_sweep=every_sweep)
    finally:
        await store.close()


async def _simulate(store: Store, *, every_sweep: bool) -> Year:
    names = ["Anna", "Bo", "Cia", "Dan", "Eva", "Filip", "Maja", "Nils"]
    setup = at(date(2026, 9, 1), 12)
    async with store.transaction() as session:
        ids = {n: id_of_person(await make_person(session, setup, n)) for n in names}
    who = {v: k for k, v in ids.items()}

    accounts: dict[str, int] = {}
    for name, day, handle in (
        ("A", date(2026, 9, 15), "ki_a"),
        ("B", date(2026, 10, 29), "ki_b"),
        ("C", date(2026, 11, 6), "ki_c"),
    ):
        requester, *team = ORDER[name]
        account = await register(
            store, requester=ids[requester], team=tuple(ids[t] for t in team),
            manager=ids[MANAGER[name]], now=at(day, 12), handle=handle,
        )
        accounts[name] = id_of(account)
    letter = {v: k for k, v in accounts.items()}

    async def act(
        when: datetime, operation: Callable[..., Awaitable[object]], **kwargs: object
    ) -> object:
        async with store.transaction() as session:
            return await operation(session, now=when, **kwargs)

    # Before the year: the accounts are in use.
    for name, by in (("A", "Bo"), ("B", "Cia")):
        await act(at(date(2026, 12, 15), 12), monitoring.log_activity,
                  account_id=accounts[name], actor_id=ids[by], note="December post")
    for name in "ABC":
        await act(at(date(2026, 12, 30), 11), monitoring.check_in, account_id=accounts[name],
                  person_id=ids[ORDER[name][0]], day=date(2026, 12, 30), kind="monitored",
                  calendar=CONFIG.calendar)

    Action = tuple[time, Callable[[datetime], Awaitable[object]]]
    script: dict[date, list[Action]] = {}

    def on(day: date, moment: time, operation: Callable[..., Awaitable[object]],
           **kwargs: object) -> None:
        script.setdefault(day, []).append(
            (moment, lambda when: act(when, operation, **kwargs))
        )

    jan4 = date(2027, 1, 4)
    for name in "ABC":
        on(jan4, time(8), rota.set_rota, account_id=accounts[name],
           actor_id=ids[MANAGER[name]], rotation=ROTATION[name])
    for name, (first, last) in AWAY.items():
        on(jan4, time(8), absence.record_absence, person_id=ids[name], actor_id=ids[name],
           first_day=first, last_day=last)
    for day in first_working_days():
        on(day, time(12), monitoring.log_activity, account_id=accounts["A"], actor_id=ids["Bo"],
           note="Monthly post")
        on(day, time(12), monitoring.log_activity, account_id=accounts["B"],
           actor_id=ids["Cia"], note="Monthly post")
        if day.month >= 6:
            on(day, time(12), monitoring.log_activity, account_id=accounts["C"],
               actor_id=ids["Filip"], note="Monthly post")
    for day in (date(2027, 2, 10), date(2027, 5, 20)):
        on(day, time(12), monitoring.log_activity, account_id=accounts["C"],
           actor_id=ids["Filip"], note="Still active")

    # Questions.
    on(date(2027, 6, 18), time(9, 30), questions.log_question, account_id=accounts["A"],
       actor_id=ids["Bo"], text="When do applications open?")
    on(date(2027, 12, 23), time(9, 30), questions.receive_question, account_id=accounts["B"],
       text="Are you open between the holidays?", external_ref="t-1")
    on(date(2027, 12, 23), time(9, 35), questions.receive_question, account_id=accounts["B"],
       text="Are you open between the holidays?", external_ref="t-1")

    async def answer_all(when: datetime, account: str, by: str) -> None:
        async with store.transaction() as session:
            for question in await questions.open_questions(session, [accounts[account]]):
                assert question.id is not None
                await questions.answer_question(
                    session, question_id=question.id, actor_id=ids[by], now=when
                )

    script.setdefault(date(2027, 6, 22), []).append(
        (time(11), lambda when: answer_all(when, "A", "Bo")))
    script.setdefault(date(2027, 12, 28), []).append(
        (time(11, 30), lambda when: answer_all(when, "B", "Dan")))

    # Archiving.
    for day, name, by in (
        (date(2027, 3, 17), "A", "Anna"), (date(2027, 9, 17), "A", "Bo"),
        (date(2027, 5, 24), "B", "Cia"), (date(2027, 12, 9), "B", "Dan"),
        (date(2027, 5, 10), "C", "Filip"), (date(2027, 9, 1), "C", "Bo"),
    ):
        on(day, time(12), archive.record_archive, account_id=accounts[name], actor_id=ids[by],
           location=f"S:/Comms/{name}/{day}")
    on(date(2027, 11, 24), time(12), archive.snooze_archive, account_id=accounts["B"],
       actor_id=ids["Cia"])
    on(date(2027, 8, 16), time(10, 30), archive.request_archive, account_id=accounts["C"],
       actor_id=ids["Filip"])

    # A request that waits.
    request_ids: list[int] = []

    async def file_request(when: datetime) -> None:
        async with store.transaction() as session:
            request = await requests.submit(
                session, requester_id=ids["Eva"], now=when,
                given=request_input(manager_id=ids["Nils"], team_ids=(ids["Cia"],),
                                    handle="ki_new"),
            )
        assert request.id is not None
        request_ids.append(request.id)

    async def hand_over(when: datetime) -> None:
        await act(when, requests.hand_over, request_id=request_ids[0], actor_id=ids["Nils"],
                  to_person_id=ids["Maja"])

    async def reject(when: datetime) -> None:
        await act(when, requests.decide, request_id=request_ids[0], actor_id=ids["Maja"],
                  decision=Decision.REJECT, reason="Use the department's account.")

    script.setdefault(date(2027, 9, 1), []).append((time(10), file_request))
    script.setdefault(date(2027, 9, 9), []).append((time(12), hand_over))
    script.setdefault(date(2027, 9, 14), []).append((time(12), reject))

    async def cannot(when: datetime) -> None:
        name, day = CANNOT
        async with store.transaction() as session:
            on_duty = await rota.duty_on(session, account_id=accounts[name], day=day,
                                         calendar=CONFIG.monitoring)
        assert on_duty is not None
        await act(when, monitoring.check_in, account_id=accounts[name], person_id=on_duty,
                  day=day, kind="cannot", calendar=CONFIG.monitoring)

    script.setdefault(CANNOT[1], []).append((time(8, 45), cannot))

    async def monitored(when: datetime) -> None:
        day = when.astimezone(STOCKHOLM).date()
        for name in "ABC":
            if (name, day) == FORGOT:
                continue
            async with store.transaction() as session:
                on_duty = await rota.duty_on(session, account_id=accounts[name], day=day,
                                             calendar=CONFIG.monitoring)
                if on_duty is not None:
                    await monitoring.check_in(
                        session, account_id=accounts[name], person_id=on_duty, day=day,
                        kind="monitored", now=when, calendar=CONFIG.monitoring,
                    )

    checks = Checks(every_sweep=every_sweep)

    async def run_sweep(when: datetime) -> None:
        await sweep(store, when, CONFIG)

    for day in YEAR:
        plan: list[Action] = [(moment, run_sweep) for moment in SWEEPS]
        if weekday(day):  # holiday duties too
            plan.append((time(11), monitored))
        plan.extend(script.get(day, []))
        for moment, step in sorted(plan, key=lambda p: p[0]):
            await step(at(day, moment.hour, moment.minute))
            if checks.every_sweep or step is not run_sweep or moment == SWEEPS[-1]:
                await check_compliance(store, at(day, moment.hour, moment.minute), checks)

    year = Year(nudges={kind: Counter() for kind in KINDS}, compliance=checks)
    async with store.transaction() as session:
        rows = list(await session.exec(select(Outbox).order_by(col(Outbox.id))))
    for row in rows:
        if row.kind not in KINDS:
            if row.recipient_id is not None:
                year.events[(row.kind, who[row.recipient_id], row.key)] += 1
            continue
        to = who[row.recipient_id] if row.recipient_id is not None else f"@{row.place}"
        day = date.fromisoformat(row.params["day"])
        year.created.append((row.kind, row.created_at))
        subjects = []
        for item in row.params["items"]:
            account = letter.get(item["account_id"], "request") if item["account_id"] else (
                "request"
            )
            year.nudges[row.kind][(day, to, account, item["why"])] += 1
            subjects.append(account)
            if item["escalation"]:
                year.escalations.add((item["why"], to))
            if "holiday" in item:
                year.holiday_duties.add((day, item["holiday"]))
        year.rows[(row.kind, to, day)] = subjects
    return year


def id_of_person(person: object) -> int:
    person_id = getattr(person, "id", None)
    assert isinstance(person_id, int)
    return person_id


async def simulate_on_postgres() -> Year:
    server = await _postgres_server()
    name = f"kontobot_year_{uuid4().hex}"
    await _execute(server, f'CREATE DATABASE "{name}"')
    try:
        return await simulate(
            make_url(server).set(database=name).render_as_string(False), every_sweep=False
        )
    finally:
        await _execute(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ],
)
def year(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Year:
    """The year, simulated once per database."""
    if request.param == "postgresql":
        return asyncio.run(simulate_on_postgres())
    return asyncio.run(simulate(f"sqlite:///{tmp_path_factory.mktemp('year') / 'year.db'}"))


def diff(actual: Counter[Item], expected: Counter[Item]) -> str:
    missing = sorted((expected - actual).elements())
    extra = sorted((actual - expected).elements())
    return f"missing {missing[:10]}, unexpected {extra[:10]}"


# --- the checks -----------------------------------------------------------------------------


def test_the_person_on_duty_is_reminded_every_weekday_and_no_other(year: Year) -> None:
    expected: Counter[Item] = Counter()
    for day in YEAR:
        if not weekday(day):
            continue
        for account in "ABC":
            person = expected_duty(account, day)
            if person is None:
                expected[(day, MANAGER[account], account, "nobody_available")] += 1
            else:
                expected[(day, person, account, "on_duty")] += 1
    actual = year.nudges["nudge_rota"]
    assert actual == expected, diff(actual, expected)
    # 261 weekdays (the 253 working days and 8 weekday holidays and eves, New Year's Day
    # among them), three accounts.
    assert sum(actual.values()) == 261 * 3


def test_the_person_on_duty_on_a_weekday_holiday_is_told_it_is_a_holiday_duty(
    year: Year,
) -> None:
    holidays = {day for (day, _to, _account, why) in year.nudges["nudge_rota"]
                if why == "on_duty" and not working(day)}
    assert holidays == set(NON_WORKING_WEEKDAYS_2027)
    # Each person on duty then hears which holiday it is.
    assert year.holiday_duties == {
        (day, name) for day, name in NON_WORKING_WEEKDAYS_2027.items()
    }


def test_when_the_whole_team_is_away_the_manager_hears_each_morning(year: Year) -> None:
    nobody = sorted(
        (d, to, account) for (d, to, account, why) in year.nudges["nudge_rota"]
        if why == "nobody_available"
    )
    assert nobody == [
        (date(2027, 12, d), "Maja", "C") for d in (27, 28, 29, 30, 31)
    ]  # 31 December, New Year's Eve, is a holiday duty too
    assert ("nobody_available", "Maja") in year.escalations


def test_midsummer_hands_annas_days_to_bo_whose_accounts_share_one_message(year: Year) -> None:
    for day in weekdays(date(2027, 6, 21), date(2027, 7, 2)):  # Midsummer Eve too
        assert (day, "Bo", "A", "on_duty") in year.nudges["nudge_rota"]
    # Bo on duty for A and C on the same day: one message with both.
    both = [
        day for (kind, to, day), accounts in year.rows.items()
        if kind == "nudge_rota" and to == "Bo" and sorted(accounts) == ["A", "C"]
    ]
    assert both and all(date(2027, 6, 21) <= d <= date(2027, 7, 2) for d in both)


def test_an_unmarked_day_goes_to_the_rest_of_the_team_at_two(year: Year) -> None:
    name, day = FORGOT
    on_duty = expected_duty(name, day)
    rest = [p for p in ORDER[name] if p != on_duty]
    assert year.nudges["nudge_rota_unmarked"] == Counter(
        {(day, person, name, "not_marked"): 1 for person in rest}
    )


def test_i_cannot_today_hands_the_day_on_at_once(year: Year) -> None:
    name, day = CANNOT
    first = expected_duty(name, day)
    assert first is not None
    substitute = expected_duty(name, day, frozenset({first}))
    handed = [(kind, to) for (kind, to, key) in year.events if kind == "duty_handed"]
    assert handed == [("duty_handed", substitute)]


def test_open_questions_go_to_the_duty_the_team_on_holidays_then_the_manager(
    year: Year,
) -> None:
    b_duty = {d: expected_duty("B", d)
              for d in (date(2027, 12, 24), date(2027, 12, 27), date(2027, 12, 28))}
    expected: Counter[Item] = Counter({
        (date(2027, 6, 19), "Anna", "A", "open"): 1,  # a Saturday: the team
        (date(2027, 6, 19), "Bo", "A", "open"): 1,
        (date(2027, 6, 20), "Anna", "A", "open"): 1,
        (date(2027, 6, 20), "Bo", "A", "open"): 1,
        (date(2027, 6, 21), "Bo", "A", "open"): 1,  # Anna away: Bo on duty
        (date(2027, 6, 21), "Maja", "A", "open_long"): 1,  # 72 hours
        (date(2027, 6, 22), "Bo", "A", "open"): 1,
        (date(2027, 6, 22), "Maja", "A", "open_long"): 1,
        # Christmas Eve is a holiday duty: its person on duty; the weekend: the team.
        **{(date(2027, 12, d), p, "B", "open"): 1 for d in (25, 26) for p in ORDER["B"]},
        (date(2027, 12, 26), "Nils", "B", "open_long"): 1,
        **{(d, str(p), "B", "open"): 1 for d, p in b_duty.items()},
        (date(2027, 12, 27), "Nils", "B", "open_long"): 1,
        (date(2027, 12, 28), "Nils", "B", "open_long"): 1,
    })
    actual = year.nudges["nudge_question"]
    assert actual == expected, diff(actual, expected)


def test_archiving_due_soon_due_overdue_snoozed_and_escalated(year: Year) -> None:
    def team(day: date, account: str, why: str) -> dict[Item, int]:
        return {(day, p, account, why): 1 for p in ORDER[account]}

    d = date
    expected: Counter[Item] = Counter({
        # A: due 15 March (six months after 15 September), done two days late.
        **team(d(2027, 3, 1), "A", "due_soon"), **team(d(2027, 3, 15), "A", "due_today"),
        # Then due 17 September, done that day after the morning's reminder.
        **team(d(2027, 9, 3), "A", "due_soon"), **team(d(2027, 9, 17), "A", "due_today"),
        # B: due 29 April; a week later is Ascension Day, so the reminder comes on Friday;
        # the manager from 14 days overdue, weekly; done 24 May.
        **team(d(2027, 4, 15), "B", "due_soon"), **team(d(2027, 4, 29), "B", "due_today"),
        **team(d(2027, 5, 7), "B", "overdue"), **team(d(2027, 5, 13), "B", "overdue"),
        **team(d(2027, 5, 20), "B", "overdue"),
        (d(2027, 5, 13), "Nils", "B", "overdue_long"): 1,
        (d(2027, 5, 20), "Nils", "B", "overdue_long"): 1,
        # Next due 24 November: snoozed that day for a week; done 9 December.
        **team(d(2027, 11, 10), "B", "due_soon"), **team(d(2027, 11, 24), "B", "due_today"),
        **team(d(2027, 12, 1), "B", "overdue"), **team(d(2027, 12, 8), "B", "overdue"),
        (d(2027, 12, 8), "Nils", "B", "overdue_long"): 1,
        # C: due on Ascension Day: reminded on the Friday, as overdue since then (not "due
        # today", which it no longer is); done 10 May.
        **team(d(2027, 4, 22), "C", "due_soon"), **team(d(2027, 5, 7), "C", "overdue"),
        # A major change on 16 August asks at once (a notice), then weekly; done 1 September.
        **team(d(2027, 8, 23), "C", "overdue"), **team(d(2027, 8, 30), "C", "overdue"),
        (d(2027, 8, 30), "Maja", "C", "overdue_long"): 1,
    })
    actual = year.nudges["nudge_archiving"]
    assert actual == expected, diff(actual, expected)
    requested = sorted(to for (kind, to, key) in year.events if kind == "archive_requested")
    assert requested == ["Bo", "Filip"]


def test_an_inactive_account_is_nudged_daily_and_escalated_once(year: Year) -> None:
    expected: Counter[Item] = Counter()
    # No content since registration (6 November): inactive from 5 January until "still
    # active" on 10 February; then again from 11 April (a Sunday) until 20 May.
    for first, last in ((date(2027, 1, 5), date(2027, 2, 10)),
                        (date(2027, 4, 12), date(2027, 5, 20))):
        for day in working_days(first, last):
            for person in ORDER["C"]:
                expected[(day, person, "C", "inactive")] += 1
    for day in (date(2027, 2, 4), date(2027, 5, 11)):  # 30 days on
        expected[(day, "Maja", "C", "inactive_long")] += 1
        expected[(day, "@comms", "C", "inactive_long")] += 1
    actual = year.nudges["nudge_inactivity"]
    assert actual == expected, diff(actual, expected)


def test_approval_reminders_then_the_requester_then_the_new_approver(year: Year) -> None:
    assert year.nudges["nudge_approval"] == Counter({
        (date(2027, 9, 3), "Nils", "request", "pending"): 1,  # 2 working days
        (date(2027, 9, 7), "Nils", "request", "pending"): 1,  # 4
        (date(2027, 9, 8), "Eva", "request", "approver_slow"): 1,  # 5: the requester
        (date(2027, 9, 9), "Nils", "request", "pending"): 1,  # 6, then handed to Maja
        (date(2027, 9, 13), "Maja", "request", "pending"): 1,  # her 2 working days
    })


def test_only_questions_and_the_rota_on_holidays_eves_and_weekends(year: Year) -> None:
    for kind, counter in year.nudges.items():
        days = {item[0] for item in counter}
        off = sorted(d for d in days if not working(d))
        if kind == "nudge_question":
            assert date(2027, 12, 25) in off  # Christmas Day: questions still go out
        elif kind == "nudge_rota":
            assert off and all(weekday(d) for d in off), off  # holiday duties, no weekend
        else:
            assert off == [], (kind, off)
    for day in NON_WORKING_WEEKDAYS_2027:
        assert all(
            item[0] != day
            for kind, counter in year.nudges.items()
            if kind not in ("nudge_question", "nudge_rota")
            for item in counter
        )


def test_everything_scheduled_was_written_in_the_sending_hours_once_a_day(year: Year) -> None:
    for kind, created in year.created:
        local = created.astimezone(STOCKHOLM).time()
        assert time(8) <= local < time(18), (kind, created)
    # One row per person, kind and day: never two.
    assert len(year.rows) == len(year.created)


def test_the_stored_compliance_is_the_worked_out_one_after_every_step_of_the_year(
    year: Year,
) -> None:
    checks = year.compliance
    assert checks.times > 365 * (len(SWEEPS) if checks.every_sweep else 1)
    assert checks.wrong == []
    # Both kinds of row were met: left current since the last sweep (so the check above
    # compared stored rows), and made stale by a change or by time.
    assert checks.current_before > 0 and checks.stale_before > 0
