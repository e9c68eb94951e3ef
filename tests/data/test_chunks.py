"""Id lists longer than a database takes in one statement are sent in pieces
(data.chunks): the answers are those of a short list."""

from __future__ import annotations

from datetime import UTC, datetime

from data import dashboard_queries, questions
from data.chunks import IN_CHUNK, chunks
from data.db import Store
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
        short = await snapshot(session, NOW, config, [account])
        long = await snapshot(session, NOW, config, [*LONG, account])
        assert long.accounts == short.accounts and len(long.accounts) == 1
        assert [q.id for q in await questions.open_questions(session, [*LONG, account])] == [
            q.id for q in await questions.open_questions(session, [account])
        ]
        assert len(await dashboard_queries.open_question_times(session, [*LONG, account])) == 1
        assert await dashboard_queries.last_monitored(session, [*LONG, account], config.zone) == (
            await dashboard_queries.last_monitored(session, [account], config.zone)
        )
