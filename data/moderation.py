"""The moderation log (issue 14): a team member records a post or comment removed from an
account, so that the team can show that prohibited content was "promptly removed" (the
policy's "Prohibited content").

Threats and crimes, and sensitive personal data, tell the manager at once (notice
`moderation_alert`), with what to do next: a police report, the data protection officer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import access, audit, outbox
from data.chunks import chunks
from data.errors import Invalid
from data.models import ModerationCategory, ModerationEntry

CONTENT_TEXT = 2000
REASON_TEXT = 1000
EVIDENCE_TEXT = 1000
# The categories the manager must hear of at once: a crime may need a police report, and
# sensitive personal data a word with the data protection officer.
URGENT = frozenset({ModerationCategory.CRIME.value, ModerationCategory.SENSITIVE_DATA.value})


async def record_removal(
    session: AsyncSession,
    *,
    account_id: int,
    actor_id: int,
    content: str,
    category: str,
    reason: str,
    evidence: str,
    now: datetime,
    removed_at: datetime | None = None,
) -> ModerationEntry:
    """Any member of the account's team records a removed post or comment: a link to it or a
    description, the policy's category, why, when it was removed (default `now`, never later),
    and where the evidence was saved. The remover is the one recording it.

    NotAllowed("not_team_member"), MovedOn("account_closed"), Invalid("unknown_category", field
    "category"), Invalid("empty"/"too_long", field "content", "reason" or "evidence"),
    Invalid("in_the_future", field "removed_at").
    """
    account = await access.active_account(session, account_id)
    await access.require_member(session, account_id, actor_id)
    if category not in {c.value for c in ModerationCategory}:
        raise Invalid("unknown_category", field="category")
    what = access.check_text(content, field="content", maximum=CONTENT_TEXT)
    why = access.check_text(reason, field="reason", maximum=REASON_TEXT)
    kept = access.check_text(evidence, field="evidence", maximum=EVIDENCE_TEXT)
    when = now if removed_at is None else removed_at
    if when > now:
        raise Invalid("in_the_future", field="removed_at")
    entry = ModerationEntry(
        account_id=account_id, content=what, category=category, reason=why, removed_at=when,
        removed_by=actor_id, evidence=kept, recorded_at=now,
    )
    session.add(entry)
    await session.flush()
    audit.record(
        session, now=now, actor_id=actor_id, action="moderation.recorded",
        subject=f"account:{account_id}", entry_id=entry.id, category=category,
    )
    if category in URGENT:
        await outbox.enqueue(
            session, key=f"moderation_alert:{entry.id}", kind="moderation_alert", now=now,
            recipient_id=account.manager_id, params={"entry_id": entry.id},
        )
    return entry


async def get_entry(session: AsyncSession, entry_id: int) -> ModerationEntry | None:
    return await session.get(ModerationEntry, entry_id)


async def entries_of(session: AsyncSession, account_ids: Sequence[int]) -> list[ModerationEntry]:
    """The log of these accounts, most recently removed first."""
    found: list[ModerationEntry] = []
    for piece in chunks(sorted(set(account_ids))):
        found += await session.exec(
            select(ModerationEntry).where(col(ModerationEntry.account_id).in_(piece))
        )
    return sorted(found, key=lambda e: (e.removed_at, e.id or 0), reverse=True)


async def monthly_counts(
    session: AsyncSession, *, since: datetime, zone: ZoneInfo, account_ids: Sequence[int] | None
) -> Counter[tuple[int, str]]:
    """Removals per (account id, local month "YYYY-MM") from `since` on, of every account or
    of `account_ids`."""
    statement = select(ModerationEntry.account_id, ModerationEntry.removed_at).where(
        col(ModerationEntry.removed_at) >= since
    )
    counts: Counter[tuple[int, str]] = Counter()
    pieces = [None] if account_ids is None else list(chunks(sorted(set(account_ids))))
    for piece in pieces:
        scoped = statement if piece is None else statement.where(
            col(ModerationEntry.account_id).in_(piece)
        )
        for account_id, removed_at in await session.exec(scoped):
            counts[(account_id, removed_at.astimezone(zone).strftime("%Y-%m"))] += 1
    return counts
