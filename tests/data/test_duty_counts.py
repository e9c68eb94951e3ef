"""The monthly summary's counts: as a nudge's parameters, and counted in the database."""

from __future__ import annotations

import random
from dataclasses import asdict, fields
from datetime import date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from data import accessibility, moderation, questions
from data.db import Store
from data.duty_counts import DutyCounts, duty_counts
from tests.helpers import Cast, id_of
from tests.helpers.accounts import register
from tests.helpers.nudging import at


@given(st.lists(st.integers(min_value=0), min_size=5, max_size=5))
def test_the_parameters_are_every_count_by_its_name(values: list[int]) -> None:
    counts = DutyCounts(*values)
    assert counts.params() == asdict(counts)
    assert list(counts.params()) == [f.name for f in fields(DutyCounts)]


# --- counted in the database, on SQLite and PostgreSQL -------------------------------------

FEBRUARY = (at(date(2027, 2, 1), 0), at(date(2027, 3, 1), 0))


async def test_the_counts_are_the_rows_of_the_month_counted_one_by_one(
    store: Store, cast: Cast
) -> None:
    """Three accounts' checks, questions (logged and answered in the month, before it, after
    it, on its first instant and on the instant it ends) and removals, counted by the one
    statement as they are counted row by row here; each piece of the register (`scoped` to a
    range of account ids, as a sweep asks) has its own accounts' counts."""
    rng = random.Random(13)
    teams = ((cast.requester, cast.colleague), (cast.second_colleague, cast.director),
             (cast.outsider, cast.colleague))
    accounts = [
        id_of(await register(store, requester=team[0], team=team[1:], manager=cast.manager,
                             now=at(date(2027, 1, 4), 10), handle=f"ki_counted_{n}"))
        for n, team in enumerate(teams)
    ]
    start, end = FEBRUARY
    moments = [start, end, start - timedelta(microseconds=1), end - timedelta(microseconds=1),
               at(date(2027, 1, 20), 12), at(date(2027, 2, 14), 12), at(date(2027, 3, 2), 9)]
    expected: dict[int, list[int]] = {}

    def inside(moment: datetime) -> bool:
        return start <= moment < end

    async with store.transaction() as session:
        for account, team in zip(accounts, teams, strict=True):
            counts = expected[account] = [0, 0, 0, 0, 0]
            if account == accounts[1]:
                continue  # nothing to count: absent
            for _ in range(6):
                when = rng.choice(moments)
                items = {item: rng.choice(accessibility.STATUSES) for item in accessibility.ITEMS}
                await accessibility.record_check(session, account_id=account, actor_id=team[0],
                                                 post="A post", items=items, now=when)
                if inside(when):
                    counts[0] += 1
                    counts[1] += sum(s in accessibility.NEEDED_FIXING for s in items.values())
            for _ in range(8):
                received = rng.choice(moments)
                question = await questions.log_question(
                    session, account_id=account, actor_id=team[0], text="When?", now=received,
                )
                counts[2] += inside(received)
                if rng.random() < 0.7:
                    assert question.id is not None
                    answered = max(received, rng.choice(moments))
                    await questions.answer_question(session, question_id=question.id,
                                                    actor_id=team[0], now=answered)
                    counts[3] += inside(answered)
            for _ in range(3):
                when = rng.choice(moments)
                await moderation.record_removal(
                    session, account_id=account, actor_id=team[0], content="Spam",
                    category="defamation", reason="Defamation", evidence="W:/e", now=when,
                )
                counts[4] += inside(when)

    async with store.transaction() as session:
        whole = await duty_counts(session, start=start, end=end)
        pieces = [
            await duty_counts(
                session, start=start, end=end,
                scoped=lambda statement, column, a=a: statement.where(column.between(a, a)),
            )
            for a in accounts
        ]
    assert {a: DutyCounts(*c) for a, c in expected.items() if any(c)} == whole
    assert list(whole) == sorted(whole)
    assert accounts[1] not in whole and len(whole) == 2
    for account, piece in zip(accounts, pieces, strict=True):
        assert piece == {a: c for a, c in whole.items() if a == account}
