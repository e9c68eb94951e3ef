"""Marking stored compliance rows stale (data.compliance_rows): every domain operation that
changes what an account's compliance is worked out from (its check-ins, activity, questions,
archivings, status) calls `changed` in its own transaction, so the row is never read as current
after the change commits. Kept apart from data.compliance_rows, which works compliance out
with the dashboard's read model: the domain operations need only this."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from data.models import AccountCompliance


async def changed(session: AsyncSession, account_id: int) -> None:
    """The account's stored compliance is out of date until the next refresh."""
    await session.exec(
        update(AccountCompliance)
        .where(col(AccountCompliance.account_id) == account_id)
        .values(stale=True, changes=col(AccountCompliance.changes) + 1)
    )


def add_row(session: AsyncSession, account_id: int) -> None:
    """A new account's row: stale until the next refresh works it out."""
    session.add(AccountCompliance(account_id=account_id))
