"""The dashboard's view of an account's accessibility checks (issue 14, "Accessible posts"), on
its page. Who may see what is data.dashboard's rule (`may_see`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from data import accessibility, dashboard, people
from data.errors import NotAllowed
from data.models import AccessibilityCheck, Account, Person


@dataclass(frozen=True)
class CheckRow:
    check: AccessibilityCheck
    # The checklist's items (keys) by status, in checklist order: "ok", "fixed",
    # "to_fix", "not_applicable"; a status no item has is absent.
    items: dict[str, list[str]]


@dataclass(frozen=True)
class AccountChecks:
    # Most recently checked first.
    rows: list[CheckRow]
    # Who ran them.
    people: dict[int, Person]


def by_status(check: AccessibilityCheck) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for item, status in accessibility.items_of(check).items():
        grouped.setdefault(status, []).append(item)
    return grouped


async def account_checks(
    session: AsyncSession, viewer: dashboard.Viewer, account: Account
) -> AccountChecks:
    """The account's accessibility checks. NotAllowed("not_your_account")."""
    if not await dashboard.may_see(session, viewer, account):
        raise NotAllowed("not_your_account")
    assert account.id is not None
    checks = await accessibility.checks_of(session, [account.id])
    known = await people.people_by_id(session, {c.checked_by for c in checks})
    return AccountChecks([CheckRow(c, by_status(c)) for c in checks], known)

