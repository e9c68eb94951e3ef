"""Each account's duties over a span of time, counted for the teams' monthly summary (issue 14,
"Accessible posts": "the team's monthly summary counts what was checked"): posts checked for
accessibility and the checklist items that needed fixing, questions from the public logged and
answered, removals recorded. A handful of grouped queries whatever the size of the register."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data.accessibility import ITEMS, NEEDED_FIXING
from data.models import AccessibilityCheck, ModerationEntry, Question


@dataclass(frozen=True)
class DutyCounts:
    posts_checked: int = 0
    # Checklist items that were not right when checked (fixed, or still to fix).
    items_to_fix: int = 0
    questions_logged: int = 0
    questions_answered: int = 0
    removals: int = 0

    def params(self) -> dict[str, int]:
        """The counts as a nudge's parameters (by hand: `dataclasses.asdict` deep-copies, and a
        sweep asks this for every account of the register on the month's first working day)."""
        return {
            "posts_checked": self.posts_checked,
            "items_to_fix": self.items_to_fix,
            "questions_logged": self.questions_logged,
            "questions_answered": self.questions_answered,
            "removals": self.removals,
        }


async def duty_counts(
    session: AsyncSession, *, start: datetime, end: datetime,
    scoped: Callable[[Any, Any], Any] = lambda statement, _column: statement,
) -> dict[int, DutyCounts]:
    """The counts of [start, end) per account (those `scoped(statement, account column)`
    narrows a query to: data.nudge_state's pieces); an account with nothing to count is
    absent."""

    async def per_account(model: Any, moment: Any) -> Counter[int]:
        account = col(model.account_id)
        rows = await session.exec(
            scoped(select(account, func.count()).where(moment >= start, moment < end), account)
            .group_by(account)
        )
        return Counter({account_id: n for account_id, n in rows})

    checked = await per_account(AccessibilityCheck, col(AccessibilityCheck.checked_at))
    logged = await per_account(Question, col(Question.received_at))
    answered = await per_account(Question, col(Question.answered_at))
    removed = await per_account(ModerationEntry, col(ModerationEntry.removed_at))
    to_fix: Counter[int] = Counter()
    statuses = [col(getattr(AccessibilityCheck, item)) for item in ITEMS]
    for account_id, *found in await session.exec(scoped(
        select(col(AccessibilityCheck.account_id), *statuses).where(
            col(AccessibilityCheck.checked_at) >= start, col(AccessibilityCheck.checked_at) < end,
        ),
        col(AccessibilityCheck.account_id),
    )):
        to_fix[account_id] += sum(1 for status in found if status in NEEDED_FIXING)
    return {
        account_id: DutyCounts(
            checked[account_id], to_fix[account_id], logged[account_id], answered[account_id],
            removed[account_id],
        )
        for account_id in sorted({*checked, *logged, *answered, *removed})
    }
