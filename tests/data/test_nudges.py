"""The snapshot the rules read: loaded in a fixed number of queries, whole or for some
accounts; closed accounts are not in it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import event

from data import absence, archive, closure, monitoring, questions
from data.compliance import compliance
from data.db import Store
from data.nudge_state import OpenQuestion, snapshot
from data.policy import NudgeConfig
from data.workdays import Calendar
from tests.helpers import Cast, submit
from tests.helpers.accounts import id_of, register

STOCKHOLM = ZoneInfo("Europe/Stockholm")
CONFIG = NudgeConfig()


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=STOCKHOLM).astimezone(UTC)


async def test_the_snapshot_holds_what_the_rules_need(store: Store, cast: Cast) -> None:
    registered = at(date(2027, 3, 1), 9)
    first = id_of(await register(store, requester=cast.requester, team=(cast.colleague,),
                                 manager=cast.manager, now=registered, handle="ki_one"))
    second = id_of(await register(store, requester=cast.colleague,
                                  team=(cast.second_colleague,), manager=cast.manager,
                                  now=registered, handle="ki_two"))
    third = id_of(await register(store, requester=cast.colleague, team=(cast.requester,),
                                 manager=cast.manager, now=registered, handle="ki_three"))
    pending = await submit(store, cast, registered, handle="ki_waiting")
    now = at(date(2027, 3, 10), 10)
    async with store.transaction() as session:
        await monitoring.log_activity(session, account_id=first, actor_id=cast.colleague,
                                      now=at(date(2027, 3, 5), 12))
        await monitoring.check_in(session, account_id=first, person_id=cast.requester,
                                  day=date(2027, 3, 8), kind="monitored",
                                  now=at(date(2027, 3, 8), 11), calendar=Calendar())
        await monitoring.check_in(session, account_id=first, person_id=cast.colleague,
                                  day=date(2027, 3, 10), kind="cannot", now=now,
                                  calendar=Calendar())
        old = await questions.log_question(session, account_id=first, actor_id=cast.requester,
                                           text="Old?", now=now - timedelta(days=2))
        await questions.log_question(session, account_id=first, actor_id=cast.requester,
                                     text="New?", now=now - timedelta(hours=1))
        answered = await questions.log_question(session, account_id=first,
                                                actor_id=cast.requester, text="Done?",
                                                now=now - timedelta(days=3))
        assert answered.id is not None
        await questions.answer_question(session, question_id=answered.id,
                                        actor_id=cast.colleague, now=now - timedelta(days=2))
        await archive.request_archive(session, account_id=second, actor_id=cast.colleague,
                                      now=at(date(2027, 3, 9), 10))
        await absence.record_absence(session, person_id=cast.second_colleague,
                                     actor_id=cast.second_colleague, first_day=date(2027, 3, 9),
                                     last_day=date(2027, 3, 12), now=registered)
        await closure.close_account(session, account_id=third, actor_id=cast.manager,
                                    reason="Duplicate", final_archive_location="S:/x", now=now)

    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(store.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with store.transaction() as session:
            state = await snapshot(session, now, CONFIG)
    finally:
        event.remove(store.engine.sync_engine, "before_cursor_execute", count)
    queries = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # Eleven, one for the questions waiting on a colleague and one for the content waiting for
    # its registry number (issue 14).
    assert len(queries) == 13, queries

    assert [a.id for a in state.accounts] == [first, second]
    one, two = state.accounts
    assert one.team == (cast.requester, cast.colleague)
    assert (one.rotation, one.anchor, one.registered_on) == ("day", date(2027, 3, 1),
                                                              date(2027, 3, 1))
    assert one.last_content == date(2027, 3, 5)
    assert one.last_monitored == date(2027, 3, 8)
    assert one.today == {cast.colleague: "cannot"}
    assert one.open_question_count == 2
    assert one.old_questions == (OpenQuestion(old.id or 0, now - timedelta(days=2)),)
    assert (one.archive.due, one.archive.reason) == (date(2027, 9, 1), "scheduled")
    assert (two.archive.due, two.archive.reason, two.archive.quiet_until) == (
        date(2027, 3, 9), "major_change", date(2027, 3, 9)
    )
    assert two.last_content is None and two.last_monitored is None
    assert state.away == frozenset({cast.second_colleague})
    assert [(p.request_id, p.approver_id, p.since) for p in state.pending] == [
        (pending.id, cast.manager, registered)
    ]

    async with store.transaction() as session:
        some = await snapshot(session, now, CONFIG, account_ids=[second])
    assert [a.id for a in some.accounts] == [second] and some.pending == ()
    glance = compliance(some, second, CONFIG)
    assert glance is not None
    assert (glance.on_duty, glance.archive_overdue_days, glance.open_questions) == (
        cast.colleague, 1, 0
    )
