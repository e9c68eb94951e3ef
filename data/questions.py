"""Questions from the public: logged by a team member (`/question`) or received on the
account's webhook; *Answered* closes one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import access, audit
from data.chunks import chunks
from data.compliance_changes import changed
from data.errors import Invalid, MovedOn, NotFound
from data.models import Question, QuestionSource
from data.upsert import insert_ignore_returning

QUESTION_TEXT = 4000
NAME_TEXT = 200
REF_TEXT = 200


async def log_question(
    session: AsyncSession,
    *,
    account_id: int,
    actor_id: int,
    text: str,
    now: datetime,
    asked_by: str | None = None,
    received_at: datetime | None = None,
) -> Question:
    """A team member logs a question that came in on the account (source "chat").
    `received_at` (not after `now`) is when it was asked; default `now`.

    NotAllowed("not_team_member"), MovedOn("account_closed"), Invalid("empty"/"too_long",
    field "text" or "asked_by"), Invalid("in_the_future", field "received_at").
    """
    await access.active_account(session, account_id)
    await access.require_member(session, account_id, actor_id)
    body = access.check_text(text, field="text", maximum=QUESTION_TEXT)
    who = access.check_text(asked_by, field="asked_by", maximum=NAME_TEXT) if asked_by else None
    when = now if received_at is None else received_at
    if when > now:
        raise Invalid("in_the_future", field="received_at")
    question = Question(
        account_id=account_id, source=QuestionSource.CHAT.value, text=body, asked_by=who,
        received_at=when, logged_by=actor_id,
    )
    session.add(question)
    await session.flush()
    await changed(session, account_id)
    audit.record(
        session, now=now, actor_id=actor_id, action="question.logged",
        subject=f"account:{account_id}", question_id=question.id, source=question.source,
    )
    return question


async def receive_question(
    session: AsyncSession,
    *,
    account_id: int,
    text: str,
    now: datetime,
    asked_by: str | None = None,
    external_ref: str | None = None,
    received_at: datetime | None = None,
) -> tuple[Question, bool]:
    """A question arriving on the account's webhook (source "webhook"; the caller has checked
    the token). Returns (question, created): the same `external_ref` again returns the stored
    question with created False. `received_at` later than `now` is taken as `now`.

    NotFound("unknown_account"), MovedOn("account_closed"), Invalid("empty"/"too_long", field
    "text", "asked_by" or "external_ref").
    """
    await access.active_account(session, account_id)
    body = access.check_text(text, field="text", maximum=QUESTION_TEXT)
    who = access.check_text(asked_by, field="asked_by", maximum=NAME_TEXT) if asked_by else None
    ref = (
        access.check_text(external_ref, field="external_ref", maximum=REF_TEXT)
        if external_ref is not None
        else None
    )
    when = now if received_at is None or received_at > now else received_at
    question = Question(
        account_id=account_id, source=QuestionSource.WEBHOOK.value, text=body, asked_by=who,
        external_ref=ref, received_at=when,
    )
    if ref is None:
        session.add(question)
        await session.flush()
    else:
        # Retries of one delivery may arrive at once: looking the ref up and then inserting
        # would let two of them both insert, and the second fail on the unique constraint (a
        # 500 on PostgreSQL). ON CONFLICT DO NOTHING waits for the other transaction's row
        # instead and inserts nothing; the row stored is then read and returned.
        inserted = await insert_ignore_returning(
            session, Question, question.model_dump(exclude={"id"}), ["account_id", "external_ref"]
        )
        if inserted is None:
            known = (
                await session.exec(
                    select(Question).where(
                        Question.account_id == account_id, Question.external_ref == ref
                    )
                )
            ).one()
            return known, False
        assert inserted.id is not None
        question = await get_question(session, inserted.id)
    await changed(session, account_id)
    audit.record(
        session, now=now, actor_id=None, action="question.received",
        subject=f"account:{account_id}", question_id=question.id, source=question.source,
        external_ref=ref,
    )
    return question, True


async def answer_question(
    session: AsyncSession, *, question_id: int, actor_id: int, now: datetime
) -> Question:
    """*Answered*: a team member closes the question. NotFound("unknown_question"),
    NotAllowed("not_team_member"), MovedOn("question_answered", answered_by=...) when someone
    already did (also when two click at once: only one wins)."""
    question = await get_question(session, question_id)
    await access.require_member(session, question.account_id, actor_id)
    result = await session.exec(
        update(Question)
        .where(col(Question.id) == question_id, col(Question.answered_at).is_(None))
        .values(answered_at=now, answered_by=actor_id)
    )
    await session.refresh(question)
    if result.rowcount != 1:
        raise MovedOn("question_answered", answered_by=question.answered_by)
    await changed(session, question.account_id)
    audit.record(
        session, now=now, actor_id=actor_id, action="question.answered",
        subject=f"account:{question.account_id}", question_id=question_id,
    )
    return question


async def get_question(session: AsyncSession, question_id: int) -> Question:
    question = await session.get(Question, question_id)
    if question is None:
        raise NotFound("unknown_question")
    return question


async def open_questions(session: AsyncSession, account_ids: Sequence[int]) -> list[Question]:
    """Unanswered questions of these accounts, oldest first."""
    if not account_ids:
        return []
    found: list[Question] = []
    for piece in chunks(sorted(set(account_ids))):
        found += await session.exec(
            select(Question)
            .where(col(Question.account_id).in_(piece), col(Question.answered_at).is_(None))
        )
    return sorted(found, key=lambda q: (q.received_at, q.id or 0))
