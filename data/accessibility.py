"""Accessible posts (issue 14): a team member runs the accessibility checklist on a post of one
of their accounts and records what they found. The guidelines: "Communications shall be made
accessible in accordance with the Act (2018:1937)" (lagen om tillgänglighet till digital
offentlig service); KI's accessibility guidance for social media says what each item asks.

Each item of the checklist is OK, fixed (put right before recording), not applicable (the post
has no image, no video, no link...) or still to fix. The keys are stable: the table's columns,
the exports and the dialog's answers all use them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import access, audit
from data.chunks import chunks
from data.directory import normalise_text
from data.errors import Invalid
from data.models import AccessibilityCheck, CheckStatus

POST_TEXT = 500
# The checklist, in the order it is asked: alt text for images, captions (or a transcript)
# for video and audio, plain language, descriptive link text, CamelCase hashtags, emoji used
# sparingly.
ITEMS = ("alt_text", "captions", "plain_language", "link_text", "hashtags", "emoji")
STATUSES = tuple(s.value for s in CheckStatus)
# The statuses that mean the item was not right when checked.
NEEDED_FIXING = frozenset({CheckStatus.FIXED.value, CheckStatus.TO_FIX.value})


def items_of(check: AccessibilityCheck) -> dict[str, str]:
    """The check's status per item, in checklist order."""
    return {item: str(getattr(check, item)) for item in ITEMS}


async def record_check(
    session: AsyncSession,
    *,
    account_id: int,
    actor_id: int,
    post: str,
    items: Mapping[str, str],
    now: datetime,
) -> AccessibilityCheck:
    """Record that `actor_id` ran the checklist on a post of an open account: `post` is a link
    or a short description, `items` a CheckStatus value for every item of ITEMS. The account's
    team and its manager may.

    NotAllowed("not_team_or_manager"), MovedOn("account_closed"), Invalid("empty"/"too_long",
    field "post"), Invalid("unknown_item"/"missing_item", field "items", item=...),
    Invalid("unknown_status", field "items", item=...).
    """
    account = await access.active_account(session, account_id)
    await access.require_member_or_manager(session, account, actor_id)
    for item in items:
        if item not in ITEMS:
            raise Invalid("unknown_item", field="items", item=item)
    for item in ITEMS:
        if item not in items:
            raise Invalid("missing_item", field="items", item=item)
        if items[item] not in STATUSES:
            raise Invalid("unknown_status", field="items", item=item)
    columns: dict[str, Any] = {item: items[item] for item in ITEMS}
    check = AccessibilityCheck(
        account_id=account_id,
        post=access.check_text(normalise_text(post), field="post", maximum=POST_TEXT),
        checked_by=actor_id, checked_at=now, **columns,
    )
    session.add(check)
    await session.flush()
    audit.record(
        session, now=now, actor_id=actor_id, action="accessibility.checked",
        subject=f"account:{account_id}", check_id=check.id,
        to_fix=[item for item in ITEMS if items[item] == CheckStatus.TO_FIX.value],
    )
    return check


async def checks_of(
    session: AsyncSession, account_ids: Sequence[int]
) -> list[AccessibilityCheck]:
    """The accounts' checks, most recent first."""
    found: list[AccessibilityCheck] = []
    for piece in chunks(sorted(set(account_ids))):
        found += await session.exec(
            select(AccessibilityCheck).where(col(AccessibilityCheck.account_id).in_(piece))
        )
    return sorted(found, key=lambda c: (c.checked_at, c.id or 0), reverse=True)
