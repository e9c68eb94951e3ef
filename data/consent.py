"""Consent and credit (issue 14): for a post with identifiable people, the team records who
consented, how, for which post, where the consent is kept, and the creator credited and their
consent. The guidelines ("Consent and GDPR"): "people who participate and are identifiable by
photo, video, audio or name must give their consent to the material being published"; "The
creator must always be mentioned in connection with images or videos, unless otherwise
agreed. The creator must have consented to the publication of images on social media."

A creator who has not consented is refused: the record says the post may be published, and
without the creator's consent it may not.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import access, audit, people
from data.chunks import chunks
from data.errors import Invalid
from data.models import ConsentMethod, ConsentRecord, Role

POST_TEXT = 1000
PEOPLE_TEXT = 1000
KEPT_TEXT = 1000
CREATOR_TEXT = 200
METHODS = tuple(m.value for m in ConsentMethod)


async def record_consent(
    session: AsyncSession,
    *,
    account_id: int,
    actor_id: int,
    post: str,
    people_named: str,
    method: str,
    kept_at: str,
    creator: str,
    creator_credited: bool,
    creator_consented: bool,
    now: datetime,
) -> ConsentRecord:
    """Record the consents for a post of an open account. The team, the manager and the
    Communications Office may. `creator_credited` false means the creator agreed not to be
    named ("unless otherwise agreed").

    NotAllowed("not_team_or_manager"), MovedOn("account_closed"), Invalid("unknown_method",
    field "method"), Invalid("creator_not_consented", field "creator_consented"),
    Invalid("empty"/"too_long", field "post", "people", "kept_at" or "creator").
    """
    account = await access.active_account(session, account_id)
    if not await people.has_role(session, actor_id, Role.COMMS.value):
        await access.require_member_or_manager(session, account, actor_id)
    if method not in METHODS:
        raise Invalid("unknown_method", field="method")
    if not creator_consented:
        raise Invalid("creator_not_consented", field="creator_consented")
    record = ConsentRecord(
        account_id=account_id,
        post=access.check_text(post, field="post", maximum=POST_TEXT),
        people=access.check_text(people_named, field="people", maximum=PEOPLE_TEXT),
        method=method,
        kept_at=access.check_text(kept_at, field="kept_at", maximum=KEPT_TEXT),
        creator=access.check_text(creator, field="creator", maximum=CREATOR_TEXT),
        creator_credited=creator_credited, creator_consented=creator_consented,
        recorded_by=actor_id, recorded_at=now,
    )
    session.add(record)
    await session.flush()
    audit.record(
        session, now=now, actor_id=actor_id, action="consent.recorded",
        subject=f"account:{account_id}", consent_id=record.id, method=method,
        creator_credited=creator_credited,
    )
    return record


async def consents_of(session: AsyncSession, account_ids: Sequence[int]) -> list[ConsentRecord]:
    """The accounts' consent records, most recent first."""
    found: list[ConsentRecord] = []
    for piece in chunks(sorted(set(account_ids))):
        found += await session.exec(
            select(ConsentRecord).where(col(ConsentRecord.account_id).in_(piece))
        )
    return sorted(found, key=lambda r: (r.recorded_at, r.id or 0), reverse=True)


async def count_since(session: AsyncSession, account_id: int, since: datetime) -> int:
    """How many consent records the account has had since `since` (the six-monthly archiving
    reminder names them)."""
    found = await session.exec(
        select(func.count()).select_from(ConsentRecord).where(
            col(ConsentRecord.account_id) == account_id, col(ConsentRecord.recorded_at) >= since
        )
    )
    return int(found.one())
