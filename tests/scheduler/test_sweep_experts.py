"""The expert rule in a real sweep: a colleague who has not answered by the account's
response time is escalated to the manager, at that moment, by a scheduler tick that reuses
its last sweep (the deadline wakes it)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from data import experts, questions
from data.db import Store
from data.models import Outbox
from data.policy import NudgeConfig
from scheduler.nudge_rules import EXPERT
from scheduler.sweep import sweep
from tests.helpers import Cast, load
from tests.helpers.accounts import id_of, register

STOCKHOLM = ZoneInfo("Europe/Stockholm")
CONFIG = NudgeConfig()
MONDAY = date(2027, 3, 1)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=STOCKHOLM).astimezone(UTC)


async def test_the_manager_hears_when_the_colleague_runs_out_of_time(
    store: Store, cast: Cast
) -> None:
    asked_at = at(MONDAY, 10, 20)
    account = id_of(await register(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager,
        now=at(MONDAY, 7), response_time="24h",
    ))
    async with store.transaction() as session:
        question = await questions.log_question(
            session, account_id=account, actor_id=cast.colleague, text="Why?", now=asked_at
        )
        assert question.id is not None
        referral = await experts.refer_question(
            session, question_id=question.id, actor_id=cast.colleague, expert_id=cast.outsider,
            category="criticism", now=asked_at, nudges=CONFIG,
        )
    tuesday = MONDAY + timedelta(days=1)
    early = await sweep(store, at(tuesday, 10, 0), CONFIG, kinds=(EXPERT,))
    assert early.written == [] and not early.skipped
    # Nothing changed since, but the colleague's time runs out at 10:20: no skipping.
    on_time = await sweep(store, at(tuesday, 10, 20), CONFIG, kinds=(EXPERT,))
    assert not on_time.skipped
    assert sorted(on_time.written) == sorted([
        f"nudge_expert:{cast.manager}:2027-03-02", f"nudge_expert:{cast.colleague}:2027-03-02",
    ])
    [row] = await load(store, Outbox, Outbox.key == f"nudge_expert:{cast.manager}:2027-03-02")
    [item] = row.params["items"]
    assert (item["why"], item["escalation"], item["referral_ids"]) == (
        "expert_late", True, [referral.id]
    )
    # Once the colleague answers, nothing more the next day.
    async with store.transaction() as session:
        assert referral.id is not None
        await experts.suggest_answer(
            session, referral_id=referral.id, actor_id=cast.outsider, text="Say this.",
            now=at(tuesday, 11),
        )
    wednesday = await sweep(store, at(tuesday + timedelta(days=1), 9), CONFIG, kinds=(EXPERT,))
    assert wednesday.written == []
