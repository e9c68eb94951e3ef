"""Closing an account: the final archive, the reason, and the notices the policy demands
(the Registry Office and the Communications and Public Relations Office are told)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from data import access, audit, outbox, register
from data.compliance_changes import changed
from data.errors import MovedOn, NotAllowed
from data.models import Account, AccountStatus, ArchiveRecord, ClosureRecord

REASON_TEXT = 1000
LOCATION_TEXT = 1000


async def close_account(
    session: AsyncSession,
    *,
    account_id: int,
    actor_id: int,
    reason: str,
    final_archive_location: str,
    now: datetime,
) -> ClosureRecord:
    """Close the account: it leaves the rota and every nudge. A team member or the manager
    may, and for university-wide and university-administration accounts the director.

    Notices: `account_closed` (params {account_id}) posted to the places "registry" and
    "comms", and sent to the team and the manager except the one who closed it.
    NotAllowed("may_not_close"), MovedOn("account_closed") (also for the second of two
    closing at once), Invalid("empty"/"too_long", field "reason" or "location").
    """
    account = await access.active_account(session, account_id)
    if not await access.may_close(session, account, actor_id):
        raise NotAllowed("may_not_close")
    why = access.check_text(reason, field="reason", maximum=REASON_TEXT)
    where = access.check_text(final_archive_location, field="location", maximum=LOCATION_TEXT)
    result = await session.exec(
        update(Account)
        .where(col(Account.id) == account_id, col(Account.status) == AccountStatus.ACTIVE.value)
        .values(status=AccountStatus.CLOSED.value, closed_at=now)
    )
    if result.rowcount != 1:
        raise MovedOn("account_closed", number=account.number)
    await session.refresh(account)
    closure = ClosureRecord(
        account_id=account_id, closed_by=actor_id, reason=why, final_archive_location=where,
        closed_at=now,
    )
    session.add(closure)
    # An archiving that was still owed is settled by the final archive.
    await session.exec(
        update(ArchiveRecord)
        .where(col(ArchiveRecord.account_id) == account_id, col(ArchiveRecord.done_at).is_(None))
        .values(done_at=now, location=where, done_by=actor_id)
    )
    await session.flush()
    await changed(session, account_id)
    audit.record(
        session, now=now, actor_id=actor_id, action="account.closed",
        subject=f"account:{account_id}", number=account.number, reason=why, location=where,
    )
    params = {"account_id": account_id}
    for place in ("registry", "comms"):
        await outbox.enqueue(
            session, key=f"account_closed:{account_id}:{place}", kind="account_closed",
            now=now, place=place, params=params,
        )
    team = await register.team_of(session, account_id)
    for person_id in dict.fromkeys([*team, account.manager_id]):
        if person_id != actor_id:
            await outbox.enqueue(
                session, key=f"account_closed:{account_id}:{person_id}", kind="account_closed",
                now=now, recipient_id=person_id, params=params,
            )
    return closure


async def closure_of(session: AsyncSession, account_id: int) -> ClosureRecord | None:
    return await session.get(ClosureRecord, account_id)
