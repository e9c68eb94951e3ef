"""Questions with an expert: the team hands a logged question to a colleague, who suggests an
answer or says *Not me*; criticism is shown to the manager; the deadline is the account's
promised response time."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from data import experts, questions
from data.db import Store
from data.errors import Invalid, MovedOn, NotAllowed
from data.models import AuditEvent, Outbox, QuestionReferral
from data.policy import NudgeConfig, answer_due
from tests.helpers import T0, Cast, load
from tests.helpers.accounts import id_of, register

ZONE = ZoneInfo("Europe/Stockholm")
NUDGES = NudgeConfig()
HOUR = timedelta(hours=1)


async def logged(store: Store, cast: Cast, response_time: str = "24h") -> int:
    account = id_of(await register(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager, now=T0,
        response_time=response_time,
    ))
    async with store.transaction() as session:
        question = await questions.log_question(
            session, account_id=account, actor_id=cast.colleague,
            text="Why did KI cut the course?", now=T0,
        )
    assert question.id is not None
    return question.id


async def refer(
    store: Store, cast: Cast, question_id: int, category: str = "expert", **kw: object
) -> QuestionReferral:
    async with store.transaction() as session:
        return await experts.refer_question(
            session, question_id=question_id, actor_id=cast.colleague, expert_id=cast.outsider,
            category=category, now=T0, nudges=NUDGES, **kw,  # type: ignore[arg-type]
        )


async def test_the_colleague_gets_the_question_by_the_accounts_response_time(
    store: Store, cast: Cast
) -> None:
    question_id = await logged(store, cast, "48h")
    referral = await refer(store, cast, question_id, note=" You wrote the course plan. ")
    [row] = await load(store, QuestionReferral)
    assert (row.expert_id, row.referred_by, row.category, row.status, row.note) == (
        cast.outsider, cast.colleague, "expert", "asked", "You wrote the course plan."
    )
    assert row.due_at == T0 + timedelta(hours=48)
    [card] = await load(store, Outbox, Outbox.kind == "expert_asked")
    assert (card.recipient_id, card.params) == (cast.outsider, {"referral_id": referral.id})
    # A question for an expert is not criticism: the manager hears nothing yet.
    assert await load(store, Outbox, Outbox.kind == "question_criticism") == []
    [event] = await load(store, AuditEvent, AuditEvent.action == "question.referred")
    assert event.actor_id == cast.colleague
    assert event.details["expert_id"] == cast.outsider


async def test_criticism_is_shown_to_the_manager(store: Store, cast: Cast) -> None:
    question_id = await logged(store, cast)
    referral = await refer(store, cast, question_id, "criticism")
    [shown] = await load(store, Outbox, Outbox.kind == "question_criticism")
    assert (shown.recipient_id, shown.params) == (cast.manager, {"referral_id": referral.id})


@pytest.mark.parametrize(
    ("promise", "at", "due"),
    [
        # The same day: asked before noon, by 16:00; after it, by 10:00 the next day (a
        # question's own promise, DESIGN.md section 4: one rule for both).
        ("same_day", datetime(2027, 3, 1, 10, 0, tzinfo=ZONE), datetime(2027, 3, 1, 16, 0, tzinfo=ZONE)),
        ("same_day", datetime(2027, 3, 5, 13, 0, tzinfo=ZONE), datetime(2027, 3, 6, 10, 0, tzinfo=ZONE)),
        ("24h", datetime(2027, 3, 5, 18, 0, tzinfo=ZONE), datetime(2027, 3, 6, 18, 0, tzinfo=ZONE)),
        ("48h", datetime(2027, 3, 1, 10, 0, tzinfo=ZONE), datetime(2027, 3, 3, 10, 0, tzinfo=ZONE)),
    ],
)
async def test_the_colleague_has_the_accounts_promise_from_when_asked(
    store: Store, cast: Cast, promise: str, at: datetime, due: datetime
) -> None:
    question_id = await logged(store, cast, response_time=promise)
    async with store.transaction() as session:
        referral = await experts.refer_question(
            session, question_id=question_id, actor_id=cast.colleague, expert_id=cast.outsider,
            category="expert", now=at, nudges=NUDGES,
        )
    assert referral.due_at == due == answer_due(at, promise, NUDGES)


async def test_only_the_team_hands_on_and_never_to_themselves(store: Store, cast: Cast) -> None:
    question_id = await logged(store, cast)
    async with store.transaction() as session:
        with pytest.raises(NotAllowed):
            await experts.refer_question(
                session, question_id=question_id, actor_id=cast.outsider,
                expert_id=cast.manager, category="expert", now=T0, nudges=NUDGES,
            )
        with pytest.raises(Invalid) as refused:
            await experts.refer_question(
                session, question_id=question_id, actor_id=cast.colleague,
                expert_id=cast.colleague, category="expert", now=T0, nudges=NUDGES,
            )
        assert refused.value.code == "expert_is_you"
        with pytest.raises(Invalid) as refused:
            await experts.refer_question(
                session, question_id=question_id, actor_id=cast.colleague,
                expert_id=cast.outsider, category="gossip", now=T0, nudges=NUDGES,
            )
        assert refused.value.code == "unknown_category"
        await questions.answer_question(
            session, question_id=question_id, actor_id=cast.colleague, now=T0
        )
        with pytest.raises(MovedOn) as moved:
            await experts.refer_question(
                session, question_id=question_id, actor_id=cast.colleague,
                expert_id=cast.outsider, category="expert", now=T0, nudges=NUDGES,
            )
        assert moved.value.code == "question_answered"


async def test_the_suggestion_goes_back_to_the_team(store: Store, cast: Cast) -> None:
    question_id = await logged(store, cast)
    referral = await refer(store, cast, question_id)
    assert referral.id is not None
    async with store.transaction() as session:
        with pytest.raises(NotAllowed):
            await experts.suggest_answer(
                session, referral_id=referral.id, actor_id=cast.colleague, text="x", now=T0
            )
        await experts.suggest_answer(
            session, referral_id=referral.id, actor_id=cast.outsider,
            text=" The course moves to the autumn. ", now=T0 + HOUR,
        )
    [row] = await load(store, QuestionReferral)
    assert (row.status, row.suggestion, row.responded_at) == (
        "suggested", "The course moves to the autumn.", T0 + HOUR
    )
    told = await load(store, Outbox, Outbox.kind == "expert_suggestion")
    assert sorted(o.recipient_id or 0 for o in told) == sorted([cast.requester, cast.colleague])
    rewritten = await load(store, Outbox, Outbox.update_of == f"expert_asked:{referral.id}")
    assert [o.recipient_id for o in rewritten] == [cast.outsider]
    async with store.transaction() as session:
        with pytest.raises(MovedOn) as moved:
            await experts.decline_referral(
                session, referral_id=referral.id, actor_id=cast.outsider, now=T0 + HOUR
            )
    assert moved.value.code == "referral_closed"
    assert [e.action for e in await load(store, AuditEvent, AuditEvent.action.startswith("question.expert"))] == [  # type: ignore[attr-defined]
        "question.expert_suggested"
    ]


async def test_not_me_tells_whoever_asked_and_asking_again_withdraws(
    store: Store, cast: Cast
) -> None:
    question_id = await logged(store, cast)
    first = await refer(store, cast, question_id)
    assert first.id is not None
    async with store.transaction() as session:
        await experts.decline_referral(
            session, referral_id=first.id, actor_id=cast.outsider, now=T0 + HOUR
        )
    [told] = await load(store, Outbox, Outbox.kind == "expert_declined")
    assert told.recipient_id == cast.colleague
    async with store.transaction() as session:
        second = await experts.refer_question(
            session, question_id=question_id, actor_id=cast.colleague, expert_id=cast.manager,
            category="expert", now=T0 + HOUR, nudges=NUDGES,
        )
        third = await experts.refer_question(
            session, question_id=question_id, actor_id=cast.colleague,
            expert_id=cast.second_colleague, category="expert", now=T0 + 2 * HOUR,
            nudges=NUDGES,
        )
    rows = {r.id: r.status for r in await load(store, QuestionReferral)}
    assert rows == {first.id: "declined", second.id: "withdrawn", third.id: "asked"}
