"""The dashboard's view of an account's consent records (issue 14, "Consent and credit"), on
its page. Who may see what is data.dashboard's rule (`may_see`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from data import consent, dashboard, people
from data.errors import NotAllowed
from data.models import Account, ConsentRecord, Person


@dataclass(frozen=True)
class AccountConsents:
    # Most recently recorded first.
    records: list[ConsentRecord]
    # Who recorded them.
    people: dict[int, Person]


async def account_consents(
    session: AsyncSession, viewer: dashboard.Viewer, account: Account
) -> AccountConsents:
    """The account's consent records. NotAllowed("not_your_account")."""
    if not await dashboard.may_see(session, viewer, account):
        raise NotAllowed("not_your_account")
    assert account.id is not None
    records = await consent.consents_of(session, [account.id])
    known = await people.people_by_id(session, {r.recorded_by for r in records})
    return AccountConsents(records, known)
