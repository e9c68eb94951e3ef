"""The reminder of content marked for case management (data.casework) that waits for its
registry number, from the database through the sweep. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from data import casework
from data.db import Store
from data.models import Outbox
from scheduler.sweep import sweep
from tests.data.test_casework import POST, account_with_question
from tests.helpers import T0, Cast, load
from tests.helpers.nudging import CONFIG, at


async def test_the_team_is_reminded_until_the_registry_number_is_recorded(
    store: Store, cast: Cast
) -> None:
    account, question = await account_with_question(store, cast)
    async with store.transaction() as session:
        mark = await casework.mark(session, account_id=account, actor_id=cast.requester,
                                   kind="case_management", question_id=question, now=T0)
        # Research value alone asks the Registry Office nothing.
        await casework.mark(session, account_id=account, actor_id=cast.requester,
                            kind="research_value", post=POST, now=T0)
    assert mark.id is not None
    # Monday 1 March marked: Wednesday is 2 working days on.
    await sweep(store, at(date(2027, 3, 2), 9, 30), CONFIG)
    assert await load(store, Outbox, Outbox.kind == "nudge_case") == []
    await sweep(store, at(date(2027, 3, 3), 9, 30), CONFIG)
    rows = await load(store, Outbox, Outbox.kind == "nudge_case")
    assert sorted(r.recipient_id or 0 for r in rows) == sorted([cast.requester, cast.colleague])
    assert rows[0].params["items"][0]["mark_ids"] == [mark.id]
    async with store.transaction() as session:
        await casework.record_registry_number(session, mark_id=mark.id,
                                              actor_id=cast.colleague,
                                              registry_number="1-55/2027", now=T0)
    await sweep(store, at(date(2027, 3, 5), 9, 30), CONFIG)
    assert len(await load(store, Outbox, Outbox.kind == "nudge_case")) == 2
