"""The sweep owes each digest once: run twice, run by two processes at once, delivered by two
workers at once; combined per person, kind and day; only in the sending hours; and a
reminder for a day that has passed is dropped, not sent late."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.event import listen, remove
from sqlalchemy.exc import DBAPIError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import absence, monitoring, people, questions, requests
from data.db import Store
from data.models import Account, Outbox, OutboxStatus
from data.nudge_digests import Nudge, digests
from data.nudge_state import snapshot
from data.policy import NudgeConfig
from dialogs import notices
from dialogs.i18n import Translator
from dialogs.messages import Message, Paragraph
from hub.delivery import Deliverer
from scheduler.nudge_rules import CASE, EXPERT, KINDS, QUESTION, ROTA, due_nudges
from scheduler.sweep import Listing, sweep, table
from tests.helpers import Cast, count, load, request_input
from tests.helpers.accounts import id_of, register
from tests.helpers.channels import RecordingChannel
from tests.helpers.kinds import SQLITE_ONLY

STOCKHOLM = ZoneInfo("Europe/Stockholm")
CONFIG = NudgeConfig()
MONDAY = date(2027, 3, 1)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=STOCKHOLM).astimezone(UTC)


async def two_accounts(store: Store, cast: Cast) -> tuple[int, int]:
    """Two accounts registered on Monday 1 March with the requester first in both rotas."""
    registered = at(MONDAY, 7)
    first = await register(store, requester=cast.requester, team=(cast.colleague,),
                           manager=cast.manager, now=registered, handle="ki_one")
    second = await register(store, requester=cast.requester, team=(cast.second_colleague,),
                            manager=cast.manager, now=registered, handle="ki_two")
    return id_of(first), id_of(second)


async def deliver_backlog(store: Store) -> None:
    """Send the registration's own notices (welcome, decisions) out of the way."""
    deliverer = Deliverer(store, {"web": RecordingChannel("web")})
    while await deliverer.deliver_due(at(MONDAY, 7, 1)):
        pass


async def nudge_rows(store: Store) -> list[Outbox]:
    return [r for r in await load(store, Outbox) if r.kind in KINDS]


async def test_one_message_per_person_kind_and_day_combining_accounts(
    store: Store, cast: Cast
) -> None:
    one, two = await two_accounts(store, cast)
    result = await sweep(store, at(MONDAY, 8, 30), CONFIG)
    assert result.written == [f"nudge_rota:{cast.requester}:2027-03-01"]
    [row] = await nudge_rows(store)
    assert (row.kind, row.recipient_id, row.place, row.status) == (
        ROTA, cast.requester, None, "pending"
    )
    assert row.not_after == at(MONDAY, 18)
    assert row.params == {
        "day": "2027-03-01",
        "items": [
            {"subject": f"account:{account}", "account_id": account, "why": "on_duty",
             "escalation": False, "period": "2027-03-01", "open_questions": 0,
             "archive_due": None, "archive_overdue": False}
            for account in (one, two)
        ],
    }


async def test_the_same_sweep_twice_writes_once(store: Store, cast: Cast) -> None:
    await two_accounts(store, cast)
    first = await sweep(store, at(MONDAY, 8, 30), CONFIG)
    again = await sweep(store, at(MONDAY, 8, 30), CONFIG)
    later = await sweep(store, at(MONDAY, 15), CONFIG)
    assert len(first.written) == 1
    # A tick counts what the rules found (one digest of two items) without keeping the list.
    assert first.found == 2 and first.nudges == []
    # Nothing changed and no rule woke since: the second sweep stops before loading anything.
    assert again.written == [] and again.skipped and again.found == 0
    assert len((await sweep(store, at(MONDAY, 8, 30), CONFIG, reuse=False)).nudges) == 2
    # At 15:00 nobody has marked the day: the rest of each team hears, once.
    assert sorted(later.written) == sorted([
        f"nudge_rota_unmarked:{cast.colleague}:2027-03-01",
        f"nudge_rota_unmarked:{cast.second_colleague}:2027-03-01",
    ])
    assert len(await nudge_rows(store)) == 3
    # The next day is another day.
    assert len((await sweep(store, at(MONDAY + timedelta(1), 8, 30), CONFIG)).written) == 2


@pytest.mark.parametrize("moment", [time(7, 59), time(18, 0), time(23, 0), time(3, 0)])
async def test_nothing_is_written_outside_the_sending_hours(
    store: Store, cast: Cast, moment: time
) -> None:
    await two_accounts(store, cast)
    result = await sweep(store, at(MONDAY, moment.hour, moment.minute), CONFIG)
    assert result.found == 0 and result.nudges == [] and result.written == []
    assert await nudge_rows(store) == []


async def test_a_dry_run_writes_nothing_and_the_table_says_what_would_go(
    store: Store, cast: Cast
) -> None:
    one, _ = await two_accounts(store, cast)
    result = await sweep(store, at(MONDAY, 14, 30), CONFIG, dry_run=True)
    assert result.written == [] and await nudge_rows(store) == []
    assert table_lines(await table(store, result.nudges)) == [
        ["RECIPIENT", "KIND", "ACCOUNT", "WHY"],
        ["Anna Berg (#1)", "nudge_rota", "SOME-2027-0001", "on_duty"],
        ["Anna Berg (#1)", "nudge_rota", "SOME-2027-0002", "on_duty"],
        ["Bo Ek (#2)", "nudge_rota_unmarked", "SOME-2027-0001", "not_marked (escalation)"],
        ["Cia Lund (#3)", "nudge_rota_unmarked", "SOME-2027-0002", "not_marked (escalation)"],
    ]
    assert one == 1


def table_lines(text: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.split("  ") if cell.strip()]
            for line in text.splitlines()]


def same_database(store: Store) -> Store:
    """Another engine on the store's database, as a second bot process has."""
    return Store.from_url(store.engine.url.render_as_string(hide_password=False))


async def test_two_processes_sweeping_at_once_write_each_digest_once(
    store: Store, cast: Cast
) -> None:
    one, two = await two_accounts(store, cast)
    async with store.transaction() as session:
        for account in (one, two):
            await questions.log_question(session, account_id=account, actor_id=cast.colleague
                                         if account == one else cast.second_colleague,
                                         text="Hello?", now=at(MONDAY, 7, 30))
    others = [same_database(store) for _ in range(3)]
    try:
        now = at(MONDAY + timedelta(days=3), 16)  # Thursday: questions past 72 h
        results = await asyncio.gather(
            *(sweep(s, now, CONFIG) for s in (store, *others))
        )
    finally:
        for other in others:
            await other.close()
    written = [key for r in results for key in r.written]
    assert len(written) == len(set(written))
    rows = await nudge_rows(store)
    assert sorted(r.key for r in rows) == sorted(written)
    assert {r.kind for r in rows} == {ROTA, "nudge_rota_unmarked", QUESTION}
    # The manager's question reminder names both accounts in one message.
    [manager_questions] = [r for r in rows if r.kind == QUESTION and r.recipient_id == cast.manager]
    assert [i["account_id"] for i in manager_questions.params["items"]] == [one, two]
    assert {i["why"] for i in manager_questions.params["items"]} == {"open_long"}


async def nudge_text(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    """A stand-in composer (the real ones are the chat side's): names the items."""
    text = "; ".join(f"{i['why']} {i['subject']}" for i in params["items"])
    return Message(text=text, blocks=(Paragraph(text),))


@pytest.fixture
def composers(monkeypatch: pytest.MonkeyPatch) -> None:
    for kind in KINDS:
        monkeypatch.setitem(notices.COMPOSERS, kind, nudge_text)


@pytest.mark.usefixtures("composers")
async def test_two_workers_sweeping_and_delivering_at_once_send_each_once(
    store: Store, cast: Cast
) -> None:
    await two_accounts(store, cast)
    await deliver_backlog(store)
    web = RecordingChannel("web")
    other = same_database(store)
    try:
        now = at(MONDAY, 14, 30)

        async def worker(s: Store) -> None:
            await sweep(s, now, CONFIG)
            deliverer = Deliverer(s, {"web": web})
            while await deliverer.deliver_due(now, limit=1):
                pass

        await asyncio.gather(worker(store), worker(other))
    finally:
        await other.close()
    sent = sorted((c.target, c.message.text) for c in web.sent)
    assert sent == sorted([
        ("anna.berg", "on_duty account:1; on_duty account:2"),
        ("bo.ek", "not_marked account:1"),
        ("cia.lund", "not_marked account:2"),
    ])
    assert await count(store, Outbox, Outbox.status == OutboxStatus.SENT.value) >= 3


@pytest.mark.usefixtures("composers")
async def test_a_failing_platform_is_retried_and_delivers_the_nudge_once(
    store: Store, cast: Cast
) -> None:
    await two_accounts(store, cast)
    await deliver_backlog(store)
    web = RecordingChannel("web")
    deliverer = Deliverer(store, {"web": web})
    now = at(MONDAY, 8, 30)
    await sweep(store, now, CONFIG)
    web.fail_next(2, reason="HTTP 500")
    for seconds in (0, 10, 30, 60):
        await deliverer.deliver_due(now + timedelta(seconds=seconds))
    assert [c.target for c in web.sent] == ["anna.berg"]
    assert len(web.refused) == 2
    [row] = await nudge_rows(store)
    assert (row.status, row.attempts) == ("sent", 3)


@pytest.mark.usefixtures("composers")
async def test_a_reminder_for_a_day_that_has_passed_is_not_sent_late(
    store: Store, cast: Cast
) -> None:
    await two_accounts(store, cast)
    await deliver_backlog(store)
    web = RecordingChannel("web")
    deliverer = Deliverer(store, {"web": web})
    await sweep(store, at(MONDAY, 8, 30), CONFIG)
    # The platform is down all day; the bot is down all night.
    web.fail_next(100)
    for hour in (8, 10, 12, 14, 16):
        await deliverer.deliver_due(at(MONDAY, hour, 31))
    web.fail_next(0)
    web._failures.clear()  # the platform is back
    tuesday = MONDAY + timedelta(1)
    assert await deliverer.deliver_due(at(tuesday, 8, 0)) == 0
    [row] = await nudge_rows(store)
    assert row.status == OutboxStatus.EXPIRED.value
    assert web.sent == []
    # Tuesday's own reminder goes out as usual.
    await sweep(store, at(tuesday, 8, 30), CONFIG)
    await deliverer.deliver_due(at(tuesday, 8, 30))
    assert sorted(c.target for c in web.sent) == ["bo.ek", "cia.lund"]


@pytest.mark.usefixtures("composers")
async def test_after_downtime_the_late_tick_sends_what_is_still_due_today_once(
    store: Store, cast: Cast
) -> None:
    # The 08:30 tick was missed (the bot was down until 11:00): the catch-up sweep at 11:00
    # owes the morning's reminders; the 14:00 tick does not repeat them.
    await two_accounts(store, cast)
    await deliver_backlog(store)
    web = RecordingChannel("web")
    deliverer = Deliverer(store, {"web": web})
    for moment in (at(MONDAY, 11), at(MONDAY, 11, 1), at(MONDAY, 14)):
        await sweep(store, moment, CONFIG, kinds=(ROTA,))
        await deliverer.deliver_due(moment)
    assert [c.target for c in web.sent] == ["anna.berg"]


# --- reading without the write lock, writing in short transactions ---------------------------


@asynccontextmanager
async def another_writer(store: Store) -> AsyncIterator[None]:
    """A writing transaction held open meanwhile (on SQLite: the write lock)."""
    holding, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with store.transaction() as session:
            await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
            holding.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await holding.wait()
    try:
        yield
    finally:
        release.set()
        await holder


@SQLITE_ONLY
async def test_a_sweep_reads_the_register_while_another_writer_holds_the_lock(
    store: Store, cast: Cast
) -> None:
    """SQLite has one write lock, which an acknowledgement waits for: a sweep takes it only to
    write what it owes, not while it reads a register (seconds at 10,000 accounts)."""
    await two_accounts(store, cast)
    pieces: list[str] = []
    both_read = asyncio.Event()

    def executed(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "JOIN rota_setting" in statement:  # a piece's accounts (data.nudge_state)
            pieces.append(statement)
            if len(pieces) == 2:
                both_read.set()

    listen(store.engine.sync_engine, "before_cursor_execute", executed)
    try:
        async with another_writer(store):
            dry = await asyncio.wait_for(
                sweep(store, at(MONDAY, 14, 30), CONFIG, dry_run=True), timeout=20
            )
            assert len(dry.nudges) == 4
            pieces.clear()
            sweeping = asyncio.create_task(sweep(store, at(MONDAY, 14, 30), CONFIG, piece=1))
            # Both pieces are read while the lock is held; only the writing waits for it.
            await asyncio.wait_for(both_read.wait(), timeout=20)
            assert not sweeping.done()
        result = await sweeping
    finally:
        remove(store.engine.sync_engine, "before_cursor_execute", executed)
    assert len(result.written) == 3


REFUSE = {
    "sqlite": [
        "CREATE TRIGGER refuse BEFORE INSERT ON outbox WHEN NEW.key LIKE 'nudge_rota_unmarked:%' "
        "BEGIN SELECT RAISE(ABORT, 'refused'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN IF NEW.key LIKE "
        "'nudge_rota_unmarked:%' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ "
        "LANGUAGE plpgsql",
        "CREATE TRIGGER refuse BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION refuse()",
    ],
}


async def test_a_sweep_that_fails_part_way_keeps_what_it_owed_and_the_next_owes_the_rest(
    store: Store, cast: Cast
) -> None:
    """Owed a transaction per `write_chunk` rows (in key order), marked done only at the end:
    a failure part way leaves what was owed owed and no mark, and the next sweep owes only
    the rest."""
    await two_accounts(store, cast)
    commits: list[int] = []
    listen(store.engine.sync_engine, "commit", lambda _conn: commits.append(1))
    async with store.engine.begin() as connection:
        for statement in REFUSE[store.engine.dialect.name]:
            await connection.execute(text(statement))
    now = at(MONDAY, 14, 30)
    commits.clear()
    # (SQLite's rows go through the driver itself: its own error, not SQLAlchemy's.)
    with pytest.raises((DBAPIError, sqlite3.Error), match="refused"):
        await sweep(store, now, CONFIG, write_chunk=1)
    assert commits == [1]  # the first digest's transaction only; no mark
    assert [r.key for r in await nudge_rows(store)] == [f"nudge_rota:{cast.requester}:2027-03-01"]
    async with store.engine.begin() as connection:
        await connection.execute(text("DROP TRIGGER refuse" + (
            " ON outbox" if store.engine.dialect.name == "postgresql" else "")))
    commits.clear()
    again = await sweep(store, now, CONFIG, write_chunk=1)
    assert len(commits) == 3  # two digests a transaction each, then the mark
    assert not again.skipped
    assert again.written == [f"nudge_rota_unmarked:{cast.colleague}:2027-03-01",
                             f"nudge_rota_unmarked:{cast.second_colleague}:2027-03-01"]
    assert len(await nudge_rows(store)) == 3
    assert (await sweep(store, now, CONFIG)).skipped


# --- sweeps that can owe nothing new (data.sweep_marks) ------------------------------------


async def test_a_change_after_a_sweep_is_seen_by_the_next_one(store: Store, cast: Cast) -> None:
    one, _ = await two_accounts(store, cast)
    assert len((await sweep(store, at(MONDAY, 8, 30), CONFIG)).written) == 1
    assert (await sweep(store, at(MONDAY, 8, 40), CONFIG)).skipped
    # The person on duty finds they cannot today: the duty passes to the colleague, whose
    # reminder the next sweep owes (the change moved the state's version).
    async with store.transaction() as session:
        await monitoring.check_in(
            session, account_id=one, person_id=cast.requester, day=MONDAY, kind="cannot",
            now=at(MONDAY, 8, 45), calendar=CONFIG.calendar,
        )
    after = await sweep(store, at(MONDAY, 8, 50), CONFIG)
    assert not after.skipped
    assert after.written == [f"nudge_rota:{cast.colleague}:2027-03-01"]


async def test_a_question_passing_its_target_between_sweeps_is_owed_by_the_next(
    store: Store, cast: Cast
) -> None:
    one, _ = await two_accounts(store, cast)
    async with store.transaction() as session:
        await questions.receive_question(
            session, account_id=one, text="Open on Monday?", now=at(MONDAY, 7, 30),
            received_at=at(MONDAY - timedelta(days=1), 10, 30),
        )
    first = await sweep(store, at(MONDAY, 10), CONFIG, kinds=[QUESTION])
    assert first.written == [] and not first.skipped  # 23.5 hours: not late yet
    assert (await sweep(store, at(MONDAY, 10, 15), CONFIG, kinds=[QUESTION])).skipped
    # 10:30 passed: the question is 24 hours old, though nothing was stored since.
    later = await sweep(store, at(MONDAY, 11), CONFIG, kinds=[QUESTION])
    assert later.written == [f"nudge_question:{cast.requester}:2027-03-01"]


async def test_a_same_day_promise_is_nudged_at_four_the_same_day(
    store: Store, cast: Cast
) -> None:
    """The account promised answers the same day: a question received at 09:00 is
    late at 16:00 (it once waited 24 hours whatever the promise), and the scheduler's
    reusing sweep wakes for it though nothing was stored since."""
    account = await register(store, requester=cast.requester, team=(cast.colleague,),
                             manager=cast.manager, now=at(MONDAY, 7), handle="ki_quick",
                             response_time="same_day")
    async with store.transaction() as session:
        await questions.receive_question(
            session, account_id=id_of(account), text="Open today?", now=at(MONDAY, 9),
        )
    assert (await sweep(store, at(MONDAY, 15, 59), CONFIG, kinds=[QUESTION])).written == []
    assert (await sweep(store, at(MONDAY, 15, 59) + timedelta(seconds=30), CONFIG,
                        kinds=[QUESTION])).skipped
    later = await sweep(store, at(MONDAY, 16), CONFIG, kinds=[QUESTION])
    assert later.written == [f"nudge_question:{cast.requester}:2027-03-01"]


async def test_a_rule_that_wakes_later_in_the_day_is_swept_then(store: Store, cast: Cast) -> None:
    await two_accounts(store, cast)
    await sweep(store, at(MONDAY, 8, 30), CONFIG)
    # 09:00 wakes the archiving, inactivity and approval rules: a full sweep.
    assert not (await sweep(store, at(MONDAY, 9), CONFIG)).skipped
    assert (await sweep(store, at(MONDAY, 13, 59), CONFIG)).skipped
    at_two = await sweep(store, at(MONDAY, 14), CONFIG)
    assert not at_two.skipped and len(at_two.written) == 2  # nobody marked the day


async def test_marks_are_per_set_of_kinds(store: Store, cast: Cast) -> None:
    await two_accounts(store, cast)
    assert (await sweep(store, at(MONDAY, 9), CONFIG, kinds=[QUESTION])).written == []
    # Sweeping questions says nothing about the rota: its reminder is still owed.
    assert (await sweep(store, at(MONDAY, 9, 5), CONFIG)).written == [
        f"nudge_rota:{cast.requester}:2027-03-01"
    ]


async def varied_register(store: Store, cast: Cast) -> None:
    """Seven accounts sharing people (so digests gather items from several pieces), registered
    long enough ago to be inactive and owe archiving, with questions of every age, an absence,
    check-ins of both kinds, and a request pending with its approver."""
    teams = [(cast.colleague,), (cast.colleague, cast.second_colleague),
             (cast.second_colleague,), (cast.outsider, cast.colleague), (cast.outsider,),
             (cast.second_colleague, cast.outsider), (cast.colleague,)]
    made = []
    # The last one's archiving was due on 1 February: four weeks overdue on Monday.
    ages = (75, 95, 115, 135, 155, 175, (MONDAY - date(2026, 8, 1)).days)
    for n, (team, age) in enumerate(zip(teams, ages, strict=True)):
        registered = at(MONDAY - timedelta(days=age), 10)
        made.append(id_of(await register(
            store, requester=cast.requester, team=team, manager=cast.manager,
            now=registered, handle=f"ki_varied{n}",
        )))
    async with store.transaction() as session:
        for n, account in enumerate(made):
            for hours in (1, 30, 80, 200)[: n % 4 + 1]:
                await questions.receive_question(
                    session, account_id=account, text=f"Q{n}?",
                    now=at(MONDAY, 14, 30) - timedelta(hours=hours * (n + 1) / 2),
                )
        await absence.record_absence(
            session, person_id=cast.colleague, actor_id=cast.colleague, first_day=MONDAY,
            last_day=MONDAY + timedelta(days=1), now=at(MONDAY, 7),
        )
        for account, person, kind in ((made[1], cast.second_colleague, "cannot"),
                                      (made[2], cast.second_colleague, "monitored")):
            await monitoring.check_in(
                session, account_id=account, person_id=person, day=MONDAY, kind=kind,
                now=at(MONDAY, 8), calendar=CONFIG.calendar,
            )
        await requests.submit(
            session, requester_id=cast.outsider,
            given=request_input(manager_id=cast.manager, team_ids=(cast.colleague,),
                                handle="ki_waiting"),
            now=at(MONDAY - timedelta(days=4), 10),
        )


async def test_a_sweep_in_pieces_owes_what_one_pass_over_the_register_owes(
    store: Store, cast: Cast
) -> None:
    """Read a piece at a time (one, two, three accounts), the sweep owes the digests, item for
    item and in the same order, that the rules find over the whole register at once; and
    owes each once however often it runs."""
    await varied_register(store, cast)
    await deliver_backlog(store)
    moments = [at(MONDAY, 14, 30), at(MONDAY + timedelta(days=1), 9, 5),
               at(MONDAY + timedelta(days=2), 16)]
    sizes = {moment: size for moment, size in zip(moments, (1, 2, 3), strict=True)}
    for now in moments:
        day = now.astimezone(STOCKHOLM).date()
        async with store.read() as session:
            whole = await snapshot(session, now, CONFIG)
        assert len(whole.accounts) == 7 and len(whole.pending) == 1
        due = due_nudges(whole, now, CONFIG)
        expected = {
            key: {"day": day.isoformat(), "items": items}
            for key, (_, items) in digests(due, day).items()
        }
        if now == moments[0]:
            # Every rule but those of questions with a colleague and of case management, which
            # this register has none of (tests/scheduler/test_sweep_experts.py,
            # test_case_reminders.py); on the first working day of March, the monthly summary.
            assert {key.split(":")[0] for key in expected} == set(KINDS) - {EXPERT, CASE}, (
                "every rule has a say"
            )
        result = await sweep(store, now, CONFIG, piece=sizes[now])
        assert result.found == len(due)
        assert result.written == sorted(expected)
        rows = {r.key: r.params for r in await nudge_rows(store) if r.key.endswith(day.isoformat())}
        assert rows == expected
        assert [list(rows[k]["items"]) for k in sorted(rows)] == [
            expected[k]["items"] for k in sorted(expected)
        ]
        # Once, however often it runs: again as a tick, and again with every rule rerun.
        assert (await sweep(store, now, CONFIG, piece=sizes[now])).written == []
        again = await sweep(store, now, CONFIG, reuse=False, piece=1)
        assert again.written == [] and len(again.nudges) == len(due)
        assert {r.key: r.params for r in await nudge_rows(store)
                if r.key.endswith(day.isoformat())} == expected


async def table_of_nudges(store: Store, nudges: list[Nudge]) -> str:
    """The operator's table as it was made from the nudges themselves, before the listing."""
    async with store.transaction() as session:
        names = await people.people_by_id(
            session, [n.recipient_id for n in nudges if n.recipient_id is not None]
        )
        numbers: dict[int | None, str] = {
            account.id: account.number for account in await session.exec(select(Account))
        }
    rows = [("RECIPIENT", "KIND", "ACCOUNT", "WHY")]
    for nudge in sorted(
        nudges, key=lambda n: (n.recipient_id or 0, n.place or "", n.kind, n.subject)
    ):
        if nudge.recipient_id is not None:
            person = names.get(nudge.recipient_id)
            who = f"{person.display_name if person else '?'} (#{nudge.recipient_id})"
        else:
            who = f"@{nudge.place}"
        about = (numbers.get(nudge.account_id, nudge.subject) if nudge.account_id is not None
                 else nudge.subject)
        rows.append((who, nudge.kind, str(about),
                     nudge.why + (" (escalation)" if nudge.escalation else "")))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        + "\n"
        for row in rows
    )


async def test_a_listing_gathered_piece_by_piece_shows_and_owes_what_a_listed_sweep_does(
    store: Store, cast: Cast
) -> None:
    """`kontobot nudges run` gathers what is due piece by piece of the register into a
    Listing instead of holding every nudge: its table is, line for line, the table of the
    nudges one listed pass finds (escalations, places and several pieces' items to one
    person included), its count theirs, and it owes the digests a sweep without a listing
    owes."""
    await varied_register(store, cast)
    await deliver_backlog(store)
    seen_kinds: set[str] = set()
    for now in (at(MONDAY, 14, 30), at(MONDAY + timedelta(days=1), 9, 5),
                at(date(2027, 5, 3), 10)):
        day = now.astimezone(STOCKHOLM).date()
        held = await sweep(store, now, CONFIG, dry_run=True)
        listing = Listing()
        run = await sweep(store, now, CONFIG, reuse=False, piece=1, listing=listing)
        assert run.nudges == [] and held.found == run.found == len(listing) == len(held.nudges)
        assert run.found > 0
        assert await listing.table(store) == await table_of_nudges(store, held.nudges)
        assert await table(store, held.nudges) == await listing.table(store)
        seen_kinds |= {n.kind for n in held.nudges}
        expected = {key: {"day": day.isoformat(), "items": items}
                    for key, (_, items) in digests(held.nudges, day).items()}
        assert run.written == sorted(expected)
        assert {r.key: r.params for r in await nudge_rows(store)
                if r.key.endswith(day.isoformat())} == expected
    assert any(n.place is not None for n in held.nudges) or "nudge_inactivity" in seen_kinds
    assert len(seen_kinds) >= 5
