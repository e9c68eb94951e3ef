"""Id lists longer than a database takes in one statement are sent in pieces
(data.chunks): the answers are those of a short list."""

from __future__ import annotations

from datetime import UTC, date, datetime

from data import archive, dashboard_queries, monitoring, questions
from data.chunks import IN_CHUNK, chunks
from data.db import Store
from data.models import Account
from data.nudge_state import snapshot
from data.policy import NudgeConfig
from tests.helpers import Cast
from tests.helpers.accounts import id_of, register

NOW = datetime(2027, 3, 1, 13, 30, tzinfo=UTC)
# PostgreSQL refuses a statement with more than 32,767 bound parameters.
LONG = list(range(100_000, 140_000))


def test_chunks_keep_order_and_size() -> None:
    assert list(chunks([], 3)) == []
    assert list(chunks(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert all(len(piece) <= IN_CHUNK for piece in chunks(LONG))


async def test_a_register_longer_than_an_in_list_loads_as_a_short_one(
    store: Store, cast: Cast
) -> None:
    account = id_of(await register(store, requester=cast.requester, team=(cast.colleague,),
                                   manager=cast.manager, now=datetime(2027, 2, 1, tzinfo=UTC)))
    async with store.transaction() as session:
        await questions.receive_question(session, account_id=account, text="Hi?",
                                         now=datetime(2027, 2, 27, tzinfo=UTC))
    config = NudgeConfig()
    async with store.transaction() as session:
        await monitoring.check_in(
            session, account_id=account, person_id=cast.requester, day=date(2027, 2, 26),
            kind="monitored", now=datetime(2027, 2, 26, 10, tzinfo=UTC), calendar=config.calendar,
        )
    async with store.transaction() as session:
        short = await snapshot(session, NOW, config, [account])
        long = await snapshot(session, NOW, config, [*LONG, account])
        assert long.accounts == short.accounts and len(long.accounts) == 1
        assert [q.id for q in await questions.open_questions(session, [*LONG, account])] == [
            q.id for q in await questions.open_questions(session, [account])
        ]
        window = {"first_day": date(2027, 1, 1), "last_day": date(2027, 3, 1)}
        assert await dashboard_queries.monitored_days(session, [*LONG, account], **window) == (
            await dashboard_queries.monitored_days(session, [account], **window)
        ) == {account: {date(2027, 2, 26)}}
        assert await dashboard_queries.last_monitored(session, [*LONG, account], config.zone) == (
            await dashboard_queries.last_monitored(session, [account], config.zone)
        )


async def test_archive_dues_are_the_snapshots_without_loading_it(
    store: Store, cast: Cast
) -> None:
    config = NudgeConfig()
    made = []
    for n in range(4):
        made.append(id_of(await register(
            store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager,
            now=datetime(2026, 6, 1 + n, 10, tzinfo=UTC), handle=f"ki_due{n}",
        )))
    when = datetime(2026, 9, 20, 10, tzinfo=UTC)  # before the first archiving is due
    async with store.transaction() as session:
        await archive.record_archive(session, account_id=made[1], actor_id=cast.requester,
                                     location="S:/a", now=when)
        await archive.request_archive(session, account_id=made[2], actor_id=cast.requester,
                                      now=when)
        await archive.snooze_archive(session, account_id=made[3], actor_id=cast.requester,
                                     now=when)
    async with store.transaction() as session:
        state = await snapshot(session, NOW, config, made)
        expected = [state.account(i).archive.due for i in made]  # type: ignore[union-attr]
        accounts = [await session.get(Account, i) for i in made]
        real = [a for a in accounts if a is not None]
        found = await dashboard_queries.archive_dues(
            session, real, config.zone, config.archive_every_months
        )
        assert found == expected
        assert len(set(expected)) == 4  # each account owes on its own day
        # More accounts than an IN list holds: read as the whole register.
        others = [Account(id=n, registered_at=NOW) for n in LONG[:IN_CHUNK]]
        long = await dashboard_queries.archive_dues(
            session, [*others, *real], config.zone, config.archive_every_months
        )
        assert long[-4:] == expected
