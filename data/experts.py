"""Questions with an expert (issue 14): the team marks a logged question as criticism or as a
question for an expert and asks a colleague, who suggests an answer or says *Not me*.

The policy: "Criticism and questions directed at part or all of the activities of Karolinska
Institutet must be answered and handled with the support of the persons responsible for the
activities or those within the activities who have expertise in the respective area."

The colleague has until the account's promised response time (`Account.response_time`, asked
at opening) runs out, counted from when they are asked as a question's is from when it came
(data.policy.answer_due: one rule for what "the same day" promises); past it the nudge rule `nudge_expert` (scheduler.nudge_rules) tells the
manager. Criticism is shown to the manager at once (notice `question_criticism`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import access, audit, outbox, people, questions, register
from data.chunks import chunks
from data.errors import Invalid, MovedOn, NotAllowed, NotFound
from data.models import (
    Account,
    Person,
    QuestionReferral,
    ReferralCategory,
    ReferralStatus,
    StaffEntry,
)
from data.policy import NudgeConfig, answer_due

NOTE_TEXT = 1000
SUGGESTION_TEXT = 4000
async def check_expert(session: AsyncSession, *, actor_id: int, expert_id: int) -> None:
    """Invalid("unknown_person"/"expert_is_you", field "expert") unless `expert_id` is someone
    else the bot knows."""
    if await session.get(Person, expert_id) is None:
        raise Invalid("unknown_person", field="expert", name=str(expert_id))
    if await people.same_human(session, expert_id, actor_id):
        raise Invalid("expert_is_you", field="expert")


def card_key(referral: QuestionReferral) -> str:
    """The outbox key of the card that asks the colleague."""
    return f"expert_asked:{referral.id}"


async def refer_question(
    session: AsyncSession,
    *,
    question_id: int,
    actor_id: int,
    expert_id: int,
    category: str,
    now: datetime,
    nudges: NudgeConfig,
    note: str | None = None,
) -> QuestionReferral:
    """A team member marks the question as criticism or as one for an expert and asks
    `expert_id`. A colleague asked before and not yet answered is withdrawn (their card says
    so). The colleague has until the account's response time runs out; criticism is also shown
    to the manager.

    NotFound("unknown_question"), NotAllowed("not_team_member"), MovedOn("account_closed"),
    MovedOn("question_answered"), Invalid("unknown_category"), Invalid("unknown_person",
    field "expert"), Invalid("expert_is_you", field "expert"), Invalid("empty"/"too_long", field
    "note").
    """
    question = await questions.get_question(session, question_id)
    account = await access.active_account(session, question.account_id)
    await access.require_member(session, question.account_id, actor_id)
    if question.answered_at is not None:
        raise MovedOn("question_answered", answered_by=question.answered_by)
    if category not in {c.value for c in ReferralCategory}:
        raise Invalid("unknown_category", field="category")
    await check_expert(session, actor_id=actor_id, expert_id=expert_id)
    told = access.check_text(note, field="note", maximum=NOTE_TEXT) if note else None
    for earlier in await _waiting(session, question_id):
        earlier.status = ReferralStatus.WITHDRAWN.value
        earlier.responded_at = now
        session.add(earlier)
        await outbox.enqueue(
            session, key=f"{card_key(earlier)}:withdrawn", kind="expert_asked", now=now,
            recipient_id=earlier.expert_id, params={"referral_id": earlier.id},
            update_of=card_key(earlier),
        )
    referral = QuestionReferral(
        question_id=question_id, account_id=question.account_id, category=category,
        expert_id=expert_id, referred_by=actor_id, note=told, referred_at=now,
        due_at=answer_due(now, account.response_time, nudges),
        status=ReferralStatus.ASKED.value,
    )
    session.add(referral)
    await session.flush()
    audit.record(
        session, now=now, actor_id=actor_id, action="question.referred",
        subject=f"account:{question.account_id}", question_id=question_id,
        referral_id=referral.id, expert_id=expert_id, category=category,
        due_at=referral.due_at.isoformat(),
    )
    await outbox.enqueue(
        session, key=card_key(referral), kind="expert_asked", now=now, recipient_id=expert_id,
        params={"referral_id": referral.id},
    )
    if category == ReferralCategory.CRITICISM.value and account.manager_id != actor_id:
        await outbox.enqueue(
            session, key=f"question_criticism:{referral.id}", kind="question_criticism", now=now,
            recipient_id=account.manager_id, params={"referral_id": referral.id},
        )
    return referral


async def suggest_answer(
    session: AsyncSession, *, referral_id: int, actor_id: int, text: str, now: datetime
) -> QuestionReferral:
    """*Suggest an answer*: the colleague asked writes what to answer; the team is told (each
    member, notice `expert_suggestion`).

    NotFound("unknown_referral"), NotAllowed("not_the_expert"), MovedOn("referral_closed")
    when they answered already, said *Not me* or someone else was asked instead,
    Invalid("empty"/"too_long", field "suggestion").
    """
    referral = await check_respondable(session, referral_id, actor_id)
    body = access.check_text(text, field="suggestion", maximum=SUGGESTION_TEXT)
    await _settle(session, referral, ReferralStatus.SUGGESTED, now=now, suggestion=body)
    audit.record(
        session, now=now, actor_id=actor_id, action="question.expert_suggested",
        subject=f"account:{referral.account_id}", question_id=referral.question_id,
        referral_id=referral_id,
    )
    for member in await register.team_of(session, referral.account_id):
        if member == actor_id:
            continue
        await outbox.enqueue(
            session, key=f"expert_suggestion:{referral_id}:{member}", kind="expert_suggestion",
            now=now, recipient_id=member, params={"referral_id": referral_id},
        )
    return referral


async def decline_referral(
    session: AsyncSession, *, referral_id: int, actor_id: int, now: datetime
) -> QuestionReferral:
    """*Not me*: the colleague is not the one to answer; whoever asked is told, to ask someone
    else. NotFound("unknown_referral"), NotAllowed("not_the_expert"), MovedOn("referral_closed").
    """
    referral = await check_respondable(session, referral_id, actor_id)
    await _settle(session, referral, ReferralStatus.DECLINED, now=now)
    audit.record(
        session, now=now, actor_id=actor_id, action="question.expert_declined",
        subject=f"account:{referral.account_id}", question_id=referral.question_id,
        referral_id=referral_id,
    )
    await outbox.enqueue(
        session, key=f"expert_declined:{referral_id}", kind="expert_declined", now=now,
        recipient_id=referral.referred_by, params={"referral_id": referral_id},
    )
    return referral


async def check_respondable(
    session: AsyncSession, referral_id: int, actor_id: int
) -> QuestionReferral:
    """The referral, while the colleague asked (`actor_id`) may still answer it.
    NotFound("unknown_referral"), NotAllowed("not_the_expert"), MovedOn("referral_closed")."""
    referral = await get_referral(session, referral_id)
    if referral.expert_id != actor_id and not await people.same_human(
        session, referral.expert_id, actor_id
    ):
        raise NotAllowed("not_the_expert")
    if referral.status != ReferralStatus.ASKED.value:
        raise MovedOn("referral_closed", status=referral.status)
    return referral


async def _settle(
    session: AsyncSession,
    referral: QuestionReferral,
    status: ReferralStatus,
    *,
    now: datetime,
    suggestion: str | None = None,
) -> None:
    """Move an asked referral on; of two clicks at once only one does (MovedOn for the other).
    The card the colleague got is rewritten in place."""
    result = await session.exec(
        update(QuestionReferral)
        .where(
            col(QuestionReferral.id) == referral.id,
            col(QuestionReferral.status) == ReferralStatus.ASKED.value,
        )
        .values(status=status.value, responded_at=now, suggestion=suggestion)
    )
    await session.refresh(referral)
    if result.rowcount != 1:
        raise MovedOn("referral_closed", status=referral.status)
    await outbox.enqueue(
        session, key=f"{card_key(referral)}:{status.value}", kind="expert_asked", now=now,
        recipient_id=referral.expert_id, params={"referral_id": referral.id},
        update_of=card_key(referral),
    )


async def get_referral(session: AsyncSession, referral_id: int) -> QuestionReferral:
    found = await session.get(QuestionReferral, referral_id)
    if found is None:
        raise NotFound("unknown_referral")
    return found


async def _waiting(session: AsyncSession, question_id: int) -> list[QuestionReferral]:
    rows = await session.exec(
        select(QuestionReferral).where(
            QuestionReferral.question_id == question_id,
            QuestionReferral.status == ReferralStatus.ASKED.value,
        )
    )
    return list(rows)


async def referrals_of(session: AsyncSession, account_ids: Sequence[int]) -> list[QuestionReferral]:
    """Every referral of these accounts, newest first (the dashboard's account page)."""
    found: list[QuestionReferral] = []
    for piece in chunks(sorted(set(account_ids))):
        found += await session.exec(
            select(QuestionReferral).where(col(QuestionReferral.account_id).in_(piece))
        )
    return sorted(found, key=lambda r: (r.referred_at, r.id or 0), reverse=True)


async def latest_for(session: AsyncSession, question_id: int) -> QuestionReferral | None:
    """The question's most recent referral (None: never handed to anyone)."""
    return (
        await session.exec(
            select(QuestionReferral)
            .where(QuestionReferral.question_id == question_id)
            .order_by(col(QuestionReferral.referred_at).desc(), col(QuestionReferral.id).desc())
        )
    ).first()


# The most colleagues offered with one click (the rest are picked or named).
MAX_COLLEAGUES = 10


async def directory_colleagues(
    session: AsyncSession, account: Account, *, exclude: int
) -> list[Person]:
    """Colleagues of the account's unit in KI's directory whom the bot can reach (it knows
    them by their work e-mail), in name order, not `exclude`: the first people to ask."""
    rows = await session.exec(
        select(Person)
        .join(StaffEntry, func.lower(Person.email) == col(StaffEntry.email))
        .where(func.lower(StaffEntry.unit) == account.unit.lower(), col(Person.id) != exclude)
        .order_by(col(Person.display_name), col(Person.id))
        .limit(MAX_COLLEAGUES)
    )
    return list(rows)
