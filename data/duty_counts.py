"""Each account's duties over a span of time, counted for the teams' monthly summary (issue 14,
"Accessible posts": "the team's monthly summary counts what was checked"): posts checked for
accessibility and the checklist items that needed fixing, questions from the public logged and
answered, removals recorded. One statement whatever the size of the register."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal_column, or_, select, union_all
from sqlmodel import col
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
    params: Mapping[str, Any] | None = None,
) -> dict[int, DutyCounts]:
    """The counts of [start, end) per account (those `scoped(statement, account column)`
    narrows a query to, with the bound `params` it names: data.nudge_state's pieces); an
    account with nothing to count is absent.

    One statement: a grouped branch per table, put together with UNION ALL (a sweep asks for
    every piece of the register on the month's first working day). The questions' branch
    reads the logged and the answered in one pass over the account's questions, from the
    index (account_id, received_at, answered_at) alone."""

    def within(moment: Any) -> Any:
        return and_(moment >= start, moment < end)

    def flag(condition: Any) -> Any:
        return case((condition, 1), else_=0)

    zero: Any = literal_column("0")
    checked_at, question_account = col(AccessibilityCheck.checked_at), col(Question.account_id)
    checks_account, removals_account = (
        col(AccessibilityCheck.account_id), col(ModerationEntry.account_id),
    )
    # Each item not right when checked counts once (data.accessibility.NEEDED_FIXING).
    to_fix = sum(
        (flag(col(getattr(AccessibilityCheck, item)).in_(sorted(NEEDED_FIXING)))
         for item in ITEMS),
        start=zero,
    )
    logged, answered = within(col(Question.received_at)), within(col(Question.answered_at))
    statement = union_all(
        scoped(select(checks_account, func.count(), func.sum(to_fix), zero, zero, zero)
               .where(within(checked_at)), checks_account).group_by(checks_account),
        scoped(select(question_account, zero, zero, func.sum(flag(logged)),
                      func.sum(flag(answered)), zero)
               .where(or_(logged, answered)), question_account).group_by(question_account),
        scoped(select(removals_account, zero, zero, zero, zero, func.count())
               .where(within(col(ModerationEntry.removed_at))), removals_account)
        .group_by(removals_account),
    )
    await session.flush()  # as the session's own queries would be
    connection = await session.connection()
    found: dict[int, list[int]] = {}
    for account_id, *counts in (await connection.execute(statement, params or {})).all():
        sums = found.setdefault(account_id, [0, 0, 0, 0, 0])
        for i, n in enumerate(counts):
            sums[i] += int(n)
    return {account_id: DutyCounts(*found[account_id]) for account_id in sorted(found)}
