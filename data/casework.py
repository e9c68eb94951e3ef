"""Case management and purging (issue 14): the guidelines' "Posts that require case
management must be registered. Purging may not take place if the content is deemed to have
future research value or if doing so would violate the public's right of access."

A team member or the manager marks a logged question or a post (its link or a description) as
needing case management, which tells the Registry Office (notice `case_registration_needed`,
posted to the place "registry"), or as having research value. The registry number
(diarienummer) is recorded once the Registry Office has registered it; until then the team is
reminded (scheduler.nudge_rules). A purge is recorded with what, under which rule of the
disposal decision, who and when; a purge of anything marked is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import access, audit, outbox, people
from data.access import DEFAULT_ZONE
from data.chunks import chunks
from data.errors import Invalid, MovedOn, NotAllowed, NotFound
from data.models import CaseMark, MarkKind, Purge, Question, Role

POST_TEXT = 1000
NOTE_TEXT = 1000
RULE_TEXT = 500
REGISTRY_NUMBER_TEXT = 64
KINDS = tuple(k.value for k in MarkKind)


def same_post(one: str, other: str) -> bool:
    """Whether two ways of naming a post name the same one (a link typed twice, say)."""
    return " ".join(one.split()).casefold() == " ".join(other.split()).casefold()


async def question_of(session: AsyncSession, question_id: int) -> Question:
    """NotFound("unknown_question")."""
    question = await session.get(Question, question_id)
    if question is None:
        raise NotFound("unknown_question")
    return question


async def _question_of(session: AsyncSession, account_id: int, question_id: int) -> Question:
    question = await session.get(Question, question_id)
    if question is None or question.account_id != account_id:
        raise NotFound("unknown_question")
    return question


async def _subject(
    session: AsyncSession, account_id: int, question_id: int | None, post: str | None
) -> tuple[int | None, str | None]:
    """The question (checked to be the account's) or the post (normalised), exactly one."""
    if (question_id is None) == (post is None or not post.strip()):
        raise Invalid("question_or_post", field="post")
    if question_id is not None:
        await _question_of(session, account_id, question_id)
        return question_id, None
    assert post is not None
    return None, access.check_text(post, field="post", maximum=POST_TEXT)


async def marks_on(
    session: AsyncSession, account_id: int, *, question_id: int | None, post: str | None
) -> list[CaseMark]:
    """The marks on a question or on a post (named the same way, whatever the spacing/case)."""
    rows = await session.exec(
        select(CaseMark).where(CaseMark.account_id == account_id).order_by(col(CaseMark.id))
    )
    return [
        m for m in rows
        if (question_id is not None and m.question_id == question_id)
        or (post is not None and m.post is not None and same_post(m.post, post))
    ]


async def mark(
    session: AsyncSession,
    *,
    account_id: int,
    actor_id: int,
    kind: str,
    now: datetime,
    question_id: int | None = None,
    post: str | None = None,
    note: str | None = None,
) -> CaseMark:
    """Mark a question (`question_id`) or a post (`post`: its link or a description) of an
    open account as needing case management or as having research value. The team or the
    manager may. Case management tells the Registry Office (notice `case_registration_needed`,
    params {account_id, mark_id}, to the place "registry"). Marking the same thing the same way
    again returns the first mark.

    NotAllowed("not_team_or_manager"), MovedOn("account_closed"), NotFound("unknown_question"),
    Invalid("unknown_mark", field "kind"), Invalid("question_or_post", field "post"),
    Invalid("empty"/"too_long", field "post" or "note").
    """
    account = await access.active_account(session, account_id)
    await access.require_member_or_manager(session, account, actor_id)
    if kind not in KINDS:
        raise Invalid("unknown_mark", field="kind")
    question_id, post = await _subject(session, account_id, question_id, post)
    why = access.check_text(note, field="note", maximum=NOTE_TEXT) if note else None
    for earlier in await marks_on(session, account_id, question_id=question_id, post=post):
        if earlier.kind == kind:
            return earlier
    found = CaseMark(
        account_id=account_id, kind=kind, question_id=question_id, post=post, note=why,
        marked_by=actor_id, marked_at=now,
    )
    session.add(found)
    await session.flush()
    audit.record(
        session, now=now, actor_id=actor_id, action="case.marked",
        subject=f"account:{account_id}", mark_id=found.id, kind=kind,
        question_id=question_id, post=post,
    )
    if kind == MarkKind.CASE_MANAGEMENT.value:
        await outbox.enqueue(
            session, key=f"case_registration_needed:{found.id}", kind="case_registration_needed",
            now=now, place="registry", params={"account_id": account_id, "mark_id": found.id},
        )
    return found


async def get_mark(session: AsyncSession, mark_id: int) -> CaseMark:
    """NotFound("unknown_mark")."""
    found = await session.get(CaseMark, mark_id)
    if found is None:
        raise NotFound("unknown_mark")
    return found


async def record_registry_number(
    session: AsyncSession, *, mark_id: int, actor_id: int, registry_number: str, now: datetime
) -> CaseMark:
    """The Registry Office has registered a marked question or post: its registry number
    (diarienummer) is recorded, and the reminders stop. The account's team or manager may,
    and the Communications Office. The same number again changes nothing.

    NotFound("unknown_mark"), NotAllowed("not_team_or_manager"), Invalid("not_case_management"),
    Invalid("empty"/"too_long", field "registry_number"), MovedOn("already_registered")
    (another number is recorded).
    """
    found = await get_mark(session, mark_id)
    account = await access.account(session, found.account_id)
    if not await people.has_role(session, actor_id, Role.COMMS.value):
        await access.require_member_or_manager(session, account, actor_id)
    if found.kind != MarkKind.CASE_MANAGEMENT.value:
        raise Invalid("not_case_management", field="kind")
    number = access.check_text(registry_number, field="registry_number",
                               maximum=REGISTRY_NUMBER_TEXT)
    if found.registry_number is not None:
        if found.registry_number == number:
            return found
        raise MovedOn("already_registered", number=found.registry_number)
    found.registry_number, found.registered_by, found.registered_at = number, actor_id, now
    session.add(found)
    await session.flush()
    audit.record(
        session, now=now, actor_id=actor_id, action="case.registered",
        subject=f"account:{found.account_id}", mark_id=found.id, registry_number=number,
    )
    return found


async def record_purge(
    session: AsyncSession,
    *,
    account_id: int,
    actor_id: int,
    rule: str,
    now: datetime,
    question_id: int | None = None,
    post: str | None = None,
    purged_on: date | None = None,
    zone: ZoneInfo = DEFAULT_ZONE,
) -> Purge:
    """Record that a question's or a post's content was purged (`purged_on`, default today;
    not in the future) under `rule` of the disposal decision. The team or the manager may, on
    an open or a closed account. Refused for anything marked for case management or as having
    research value: purging it would violate the public's right of access or lose it for
    research.

    NotAllowed("not_team_or_manager"), NotAllowed("marked_for_case_management"),
    NotAllowed("marked_research_value"), NotFound("unknown_question"),
    Invalid("question_or_post"), Invalid("empty"/"too_long", field "post" or "rule"),
    Invalid("in_the_future", field "purged_on").
    """
    account = await access.account(session, account_id)
    await access.require_member_or_manager(session, account, actor_id)
    question_id, post = await _subject(session, account_id, question_id, post)
    why = access.check_text(rule, field="rule", maximum=RULE_TEXT)
    today = access.today(now, zone)
    day = today if purged_on is None else purged_on
    if day > today:
        raise Invalid("in_the_future", field="purged_on")
    kinds = {m.kind for m in await marks_on(session, account_id, question_id=question_id,
                                            post=post)}
    if MarkKind.CASE_MANAGEMENT.value in kinds:
        raise NotAllowed("marked_for_case_management")
    if MarkKind.RESEARCH_VALUE.value in kinds:
        raise NotAllowed("marked_research_value")
    what = post
    if question_id is not None:
        what = f"question:{question_id}"
    assert what is not None
    found = Purge(
        account_id=account_id, question_id=question_id, what=what, rule=why,
        purged_by=actor_id, purged_on=day, recorded_at=now,
    )
    session.add(found)
    await session.flush()
    audit.record(
        session, now=now, actor_id=actor_id, action="purge.recorded",
        subject=f"account:{account_id}", purge_id=found.id, what=what, rule=why,
        purged_on=day.isoformat(),
    )
    return found


async def recent_questions(
    session: AsyncSession, account_id: int, limit: int = 10, *, purgeable: bool = False
) -> list[Question]:
    """The account's newest logged questions not purged yet (what a team may mark or purge
    from the chat), newest first; `purgeable`: only those no mark forbids purging."""
    purged = select(Purge.question_id).where(
        Purge.account_id == account_id, col(Purge.question_id).is_not(None)
    )
    query = select(Question).where(
        Question.account_id == account_id, col(Question.id).not_in(purged)
    )
    if purgeable:
        marked = select(CaseMark.question_id).where(
            CaseMark.account_id == account_id, col(CaseMark.question_id).is_not(None)
        )
        query = query.where(col(Question.id).not_in(marked))
    rows = await session.exec(
        query.order_by(col(Question.received_at).desc(), col(Question.id).desc()).limit(limit)
    )
    return list(rows)


async def marks_of(session: AsyncSession, account_ids: Sequence[int]) -> list[CaseMark]:
    """The accounts' marks, oldest first (however many accounts: in IN lists a database takes)."""
    found: list[CaseMark] = []
    for piece in chunks(sorted(set(account_ids))):
        found += await session.exec(select(CaseMark).where(col(CaseMark.account_id).in_(piece)))
    return sorted(found, key=lambda m: m.id or 0)


async def purges_of(session: AsyncSession, account_ids: Sequence[int]) -> list[Purge]:
    """The accounts' recorded purges, oldest first (in IN lists a database takes)."""
    found: list[Purge] = []
    for piece in chunks(sorted(set(account_ids))):
        found += await session.exec(select(Purge).where(col(Purge.account_id).in_(piece)))
    return sorted(found, key=lambda p: p.id or 0)


async def unregistered(session: AsyncSession, account_ids: Sequence[int]) -> list[CaseMark]:
    """Marks for case management still without a registry number, oldest first."""
    return [
        m for m in await marks_of(session, account_ids)
        if m.kind == MarkKind.CASE_MANAGEMENT.value and m.registry_number is None
    ]
