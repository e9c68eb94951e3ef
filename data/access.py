"""Who may act on an account: the checks the account's domain operations share."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import people, rules
from data.errors import Invalid, MovedOn, NotAllowed, NotFound
from data.models import Account, AccountMember, AccountStatus, Role


async def account(session: AsyncSession, account_id: int) -> Account:
    """The account, or NotFound("unknown_account")."""
    found = await session.get(Account, account_id)
    if found is None:
        raise NotFound("unknown_account")
    return found


async def active_account(session: AsyncSession, account_id: int) -> Account:
    """The account while it is open; MovedOn("account_closed") once it is closed."""
    found = await account(session, account_id)
    if found.status != AccountStatus.ACTIVE.value:
        raise MovedOn("account_closed", number=found.number)
    return found


async def lock_account(session: AsyncSession, account_id: int) -> None:
    """Hold the account's row until the transaction ends, so that what one click reads of the
    account (its people, its check-ins, its archivings) does not change under it before it
    writes: a second click at once waits, then sees the first's. (SQLite serialises every
    writer already; PostgreSQL needs the row lock.)"""
    await session.get(Account, account_id, with_for_update=True)


async def is_member(session: AsyncSession, account_id: int, person_id: int) -> bool:
    row = await session.exec(
        select(AccountMember.person_id).where(
            AccountMember.account_id == account_id, AccountMember.person_id == person_id
        )
    )
    return row.first() is not None


async def require_member(session: AsyncSession, account_id: int, person_id: int) -> None:
    """NotAllowed("not_team_member") unless the person is on the account's team."""
    if not await is_member(session, account_id, person_id):
        raise NotAllowed("not_team_member")


async def require_member_or_manager(
    session: AsyncSession, account: Account, person_id: int
) -> None:
    """NotAllowed("not_team_or_manager") unless on the team or the account's manager."""
    assert account.id is not None
    if person_id != account.manager_id and not await is_member(session, account.id, person_id):
        raise NotAllowed("not_team_or_manager")


async def may_close(session: AsyncSession, account: Account, person_id: int) -> bool:
    """The team, the manager, and for university-wide and university-administration
    accounts the Director of Communications (the policy's "Closing accounts")."""
    assert account.id is not None
    if person_id == account.manager_id or await is_member(session, account.id, person_id):
        return True
    if account.scope in ("university_wide", "university_administration"):
        return await people.has_role(session, person_id, Role.DIRECTOR.value)
    return False


# Where local dates are taken when the caller does not say (KONTOBOT_TIMEZONE's default).
DEFAULT_ZONE = ZoneInfo("Europe/Stockholm")


def today(now: datetime, zone: ZoneInfo = DEFAULT_ZONE) -> date:
    assert now.tzinfo is not None, "times are aware"
    return now.astimezone(zone).date()


def check_text(raw: str, *, field: str, maximum: int) -> str:
    """Trimmed text, or Invalid("empty"/"too_long", field=...)."""
    try:
        return rules.check_text(raw, maximum=maximum)
    except Invalid as error:
        raise Invalid(error.code, field=field, **error.params) from None
