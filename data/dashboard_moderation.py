"""The dashboard's view of the moderation log and of questions handed to a colleague (issue
14): per account on its page, and removals counted per account and month in the compliance
overview. Who may see what is data.dashboard's rule (`may_see`, `visible_accounts`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from data import dashboard, experts, moderation, people
from data.errors import NotAllowed
from data.models import Account, ModerationEntry, Person, QuestionReferral

# The overview counts this many months, the current one included.
MONTHS = 12


@dataclass(frozen=True)
class AccountModeration:
    # Most recently removed first.
    entries: list[ModerationEntry]
    # Newest first.
    referrals: list[QuestionReferral]
    # Everyone the two lists name.
    people: dict[int, Person]


async def account_moderation(
    session: AsyncSession, viewer: dashboard.Viewer, account: Account
) -> AccountModeration:
    """The account's moderation log and its questions with a colleague.
    NotAllowed("not_your_account")."""
    if not await dashboard.may_see(session, viewer, account):
        raise NotAllowed("not_your_account")
    assert account.id is not None
    entries = await moderation.entries_of(session, [account.id])
    referrals = await experts.referrals_of(session, [account.id])
    ids = {e.removed_by for e in entries}
    ids |= {p for r in referrals for p in (r.expert_id, r.referred_by)}
    return AccountModeration(entries, referrals, await people.people_by_id(session, ids))


@dataclass(frozen=True)
class MonthlyRemovals:
    number: str
    # Local months, oldest first: (first day of the month, removals).
    months: list[tuple[date, int]]

    @property
    def total(self) -> int:
        return sum(count for _, count in self.months)


def _months(today: date, count: int) -> list[date]:
    first = today.replace(day=1)
    found = []
    for back in range(count - 1, -1, -1):
        year, month = divmod(first.year * 12 + first.month - 1 - back, 12)
        found.append(date(year, month + 1, 1))
    return found


async def removals_per_month(
    session: AsyncSession,
    accounts: Sequence[Account],
    *,
    now: datetime,
    zone: ZoneInfo,
    months: int = MONTHS,
) -> list[MonthlyRemovals]:
    """Removals per month of the last `months` months for each of `accounts` (the viewer's
    visible ones) that has any, by account number."""
    wanted = _months(now.astimezone(zone).date(), months)
    since = datetime.combine(wanted[0], datetime.min.time(), tzinfo=zone)
    ids = [a.id for a in accounts if a.id is not None]
    counts = await moderation.monthly_counts(session, since=since, zone=zone, account_ids=ids)
    rows = []
    for account in sorted(accounts, key=lambda a: a.number):
        per = [(m, counts.get((account.id or 0, m.strftime("%Y-%m")), 0)) for m in wanted]
        if any(n for _, n in per):
            rows.append(MonthlyRemovals(account.number, per))
    return rows
