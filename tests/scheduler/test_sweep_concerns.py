"""A scheduler tick reads only the accounts its rules can owe a nudge about
(scheduler.nudge_rules.CONCERNS): the questions' tick those with a question waiting past the
answer time, the colleagues' those with a colleague asked, the cases' those with a case
waiting for its number, the approvals' none. What each tick owes is what a sweep of every
rule over every account finds for that rule. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

from data import casework, experts, questions
from data.db import Store
from data.nudge_state import (
    EVERY_ACCOUNT,
    EXPERT_WAITS,
    OLD_QUESTIONS,
    UNREGISTERED_CASES,
    snapshot_pieces,
)
from scheduler.nudge_rules import KINDS, concerning
from scheduler.sweep import sweep
from tests.helpers import Cast, submit
from tests.helpers.accounts import id_of, register
from tests.helpers.nudging import CONFIG, at

MONDAY = date(2027, 3, 1)


async def _register(store: Store, cast: Cast) -> dict[str, int]:
    """Five accounts: one with a question waiting, one with a colleague asked about another,
    one with a case waiting for its registry number, and two with nothing waiting (one of
    them between the others, so that a range of ids would read it); and a request waiting
    for its approver."""
    made = {}
    for name in ("question", "quiet", "expert", "case", "also_quiet"):
        made[name] = id_of(await register(
            store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager,
            now=at(MONDAY, 7), handle=f"ki_{name}", response_time="24h",
        ))
    async with store.transaction() as session:
        await questions.log_question(
            session, account_id=made["question"], actor_id=cast.colleague, text="When?",
            now=at(MONDAY, 9),
        )
        asked = await questions.log_question(
            session, account_id=made["expert"], actor_id=cast.colleague, text="Why?",
            now=at(MONDAY, 9),
        )
        assert asked.id is not None
        await experts.refer_question(
            session, question_id=asked.id, actor_id=cast.colleague, expert_id=cast.outsider,
            category="criticism", now=at(MONDAY, 9), nudges=CONFIG,
        )
        case = await questions.log_question(
            session, account_id=made["case"], actor_id=cast.colleague, text="Sue you",
            now=at(MONDAY, 8),
        )
        assert case.id is not None
        await casework.mark(session, account_id=made["case"], actor_id=cast.requester,
                            kind="case_management", question_id=case.id, now=at(MONDAY, 8))
        await questions.answer_question(
            session, question_id=case.id, actor_id=cast.colleague, now=at(MONDAY, 8)
        )
    await submit(store, cast, at(MONDAY, 8))
    return made


async def test_each_rule_reads_only_the_accounts_it_concerns(store: Store, cast: Cast) -> None:
    made = await _register(store, cast)
    now = at(MONDAY + timedelta(days=3), 10)  # Thursday: everything above is late

    async def read(names: frozenset[str]) -> tuple[list[int], int]:
        async with store.read() as session:
            states = [s async for s in snapshot_pieces(session, now, CONFIG, 2,
                                                         concerning=names)]
        return [a.id for s in states for a in s.accounts], sum(len(s.pending) for s in states)

    assert await read(frozenset({OLD_QUESTIONS})) == ([made["question"], made["expert"]], 1)
    assert await read(frozenset({EXPERT_WAITS})) == ([made["expert"]], 1)
    assert await read(frozenset({UNREGISTERED_CASES})) == ([made["case"]], 1)
    assert await read(frozenset()) == ([], 1)
    assert await read(frozenset({OLD_QUESTIONS, UNREGISTERED_CASES})) == (
        [made["question"], made["expert"], made["case"]], 1
    )
    assert await read(frozenset({EVERY_ACCOUNT, EXPERT_WAITS})) == (sorted(made.values()), 1)


async def test_a_tick_owes_what_a_sweep_of_every_rule_finds_for_it(
    store: Store, cast: Cast
) -> None:
    await _register(store, cast)
    for day in range(1, 8):
        now = at(MONDAY + timedelta(days=day), 10)
        everything = (await sweep(store, now, CONFIG, dry_run=True)).nudges
        for kind in KINDS:
            tick = await sweep(store, now, CONFIG, kinds=(kind,), dry_run=True)
            assert tick.nudges == [n for n in everything if n.kind == kind], (now, kind)
    # Not vacuous: the rules about what waits found it, on some day.
    found = {n.kind for day in range(1, 8)
             for n in (await sweep(store, at(MONDAY + timedelta(days=day), 10), CONFIG,
                                   dry_run=True)).nudges}
    assert {"nudge_question", "nudge_expert", "nudge_case", "nudge_approval"} <= found
    assert concerning(KINDS) >= {EVERY_ACCOUNT}
