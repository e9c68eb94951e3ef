"""Questions: logged by the team, received on the webhook (once per external ref), answered
once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from data import closure, questions
from data.db import Store
from data.errors import Invalid, MovedOn, NotAllowed, NotFound
from data.models import AuditEvent, Question
from tests.helpers import T0, Cast, load
from tests.helpers.accounts import id_of, register
from tests.helpers.concurrency import Job, one_inside_the_other

HOUR = timedelta(hours=1)


async def account(store: Store, cast: Cast) -> int:
    return id_of(await register(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager, now=T0
    ))


async def test_a_team_member_logs_a_question(store: Store, cast: Cast) -> None:
    acc = await account(store, cast)
    async with store.transaction() as session:
        question = await questions.log_question(
            session, account_id=acc, actor_id=cast.colleague, text=" When is the open day? ",
            now=T0, asked_by="A student", received_at=T0 - HOUR,
        )
    [row] = await load(store, Question)
    assert (row.id, row.source, row.text, row.asked_by, row.received_at, row.logged_by) == (
        question.id, "chat", "When is the open day?", "A student", T0 - HOUR, cast.colleague
    )
    assert row.answered_at is None
    [event] = await load(store, AuditEvent, AuditEvent.action == "question.logged")
    assert event.details == {"question_id": question.id, "source": "chat"}


async def test_only_the_team_logs_and_answers(store: Store, cast: Cast) -> None:
    acc = await account(store, cast)
    async with store.transaction() as session:
        with pytest.raises(NotAllowed):
            await questions.log_question(
                session, account_id=acc, actor_id=cast.manager, text="Hi?", now=T0
            )
        question = await questions.log_question(
            session, account_id=acc, actor_id=cast.requester, text="Hi?", now=T0
        )
        assert question.id is not None
        with pytest.raises(NotAllowed):
            await questions.answer_question(
                session, question_id=question.id, actor_id=cast.outsider, now=T0
            )
        with pytest.raises(NotFound):
            await questions.answer_question(session, question_id=999, actor_id=cast.requester,
                                            now=T0)


@pytest.mark.parametrize(
    ("text", "when", "code", "field"),
    [
        ("   ", None, "empty", "text"),
        ("x" * 4001, None, "too_long", "text"),
        ("Hi?", HOUR, "in_the_future", "received_at"),
    ],
)
async def test_bad_questions_are_refused(
    store: Store, cast: Cast, text: str, when: timedelta | None, code: str, field: str
) -> None:
    acc = await account(store, cast)
    async with store.transaction() as session:
        with pytest.raises(Invalid) as refused:
            await questions.log_question(
                session, account_id=acc, actor_id=cast.requester, text=text, now=T0,
                received_at=None if when is None else T0 + when,
            )
    assert (refused.value.code, refused.value.params["field"]) == (code, field)


async def test_the_webhook_stores_a_retried_delivery_once(store: Store, cast: Cast) -> None:
    acc = await account(store, cast)
    async with store.transaction() as session:
        first, created = await questions.receive_question(
            session, account_id=acc, text="Is the lab open?", now=T0, asked_by="@someone",
            external_ref="msg-1", received_at=T0 - HOUR,
        )
        assert created
        again, created = await questions.receive_question(
            session, account_id=acc, text="Is the lab open?", now=T0 + HOUR, external_ref="msg-1"
        )
        assert not created and again.id == first.id
        _, created = await questions.receive_question(
            session, account_id=acc, text="Another", now=T0, received_at=T0 + HOUR
        )
        assert created
    rows = await load(store, Question)
    assert [(r.source, r.external_ref, r.received_at, r.logged_by) for r in rows] == [
        ("webhook", "msg-1", T0 - HOUR, None),
        ("webhook", None, T0, None),  # a time in the future is taken as now
    ]
    assert len(await load(store, AuditEvent, AuditEvent.action == "question.received")) == 2


async def test_answered_once_even_when_two_click_at_once(store: Store, cast: Cast) -> None:
    acc = await account(store, cast)
    async with store.transaction() as session:
        question = await questions.log_question(
            session, account_id=acc, actor_id=cast.requester, text="Hi?", now=T0
        )
    assert question.id is not None
    qid = question.id

    async def answer(who: int) -> Question:
        async with store.transaction() as session:
            return await questions.answer_question(
                session, question_id=qid, actor_id=who, now=T0 + HOUR
            )

    results = await asyncio.gather(
        answer(cast.requester), answer(cast.colleague), return_exceptions=True
    )
    winners = [r for r in results if isinstance(r, Question)]
    losers = [r for r in results if isinstance(r, MovedOn)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert losers[0].code == "question_answered"
    [row] = await load(store, Question)
    assert (row.answered_at, row.answered_by) == (T0 + HOUR, winners[0].answered_by)
    async with store.transaction() as session:
        assert await questions.open_questions(session, [acc]) == []


async def test_a_closed_account_takes_no_questions(store: Store, cast: Cast) -> None:
    acc = await account(store, cast)
    async with store.transaction() as session:
        await closure.close_account(
            session, account_id=acc, actor_id=cast.requester, reason="Done",
            final_archive_location="S:/x", now=T0,
        )
    async with store.transaction() as session:
        with pytest.raises(MovedOn):
            await questions.receive_question(session, account_id=acc, text="Hi?", now=T0)
        with pytest.raises(NotFound):
            await questions.receive_question(session, account_id=999, text="Hi?", now=T0)


async def test_two_deliveries_of_one_ref_at_once_store_it_once(store: Store, cast: Cast) -> None:
    # The second begins while the first has inserted but not committed: on PostgreSQL it
    # cannot see the first's row, and must wait for it rather than fail on the unique
    # constraint (question_account_id_external_ref_key).
    acc = await account(store, cast)

    def deliver(text: str) -> Job:
        async def job(session: AsyncSession) -> tuple[int | None, bool]:
            question, created = await questions.receive_question(
                session, account_id=acc, text=text, now=T0, external_ref="msg-7"
            )
            return question.id, created

        return job

    first, second = await one_inside_the_other(store, deliver("First?"), deliver("Again?"))
    assert not isinstance(second, BaseException), repr(second)
    [row] = await load(store, Question)
    assert (first, second) == ((row.id, True), (row.id, False))
    assert row.text == "First?"
    events = await load(store, AuditEvent, AuditEvent.action == "question.received")
    assert [event.details["question_id"] for event in events] == [row.id]
