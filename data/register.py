"""The register of accounts: numbering, registration and reading it back."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import access, audit, outbox, people
from data.chunks import chunks
from data.compliance_changes import add_row
from data.errors import Invalid
from data.models import (
    Account,
    AccountMember,
    AccountNumberCounter,
    AccountRequest,
    AccountStatus,
    RequestStatus,
)
from data.upsert import dialect_of, insert_ignore

# Account numbers follow the calendar year where KI is.
NUMBER_TIMEZONE = ZoneInfo("Europe/Stockholm")
# The first of lock_handle's two advisory-lock keys ("hndl"): PostgreSQL keeps two-key locks
# apart from one-key ones such as the migrations' (data.migrate).
_HANDLE_LOCKS = 0x686E646C


async def next_number(session: AsyncSession, now: datetime) -> str:
    """`SOME-<year>-<nnnn>`, distinct even when two registrations run at once.

    The counter row is bumped with a single UPDATE ... RETURNING, which PostgreSQL serialises on
    the row lock and SQLite on its write lock, so two transactions never read the same value.
    """
    year = now.astimezone(NUMBER_TIMEZONE).year
    await insert_ignore(session, AccountNumberCounter, {"year": year, "last": 0}, ["year"])
    result = await session.exec(
        update(AccountNumberCounter)
        .where(col(AccountNumberCounter.year) == year)
        .values(last=col(AccountNumberCounter.last) + 1)
        .returning(col(AccountNumberCounter.last))
    )
    return f"SOME-{year}-{result.scalar_one():04d}"


def _folded(handle: str) -> str:
    """A handle as the register compares it: without regard to case, as the platforms do."""
    return handle.lower()


async def lock_handle(session: AsyncSession, platform: str, handle: str) -> None:
    """Hold `handle` on `platform` (compared as check_handle_free compares) until the
    transaction ends, so that of two transactions at once that check it and then take it (two
    Submits, two approvals) the second checks only once the first has committed, and sees it.
    SQLite serialises every writer already (BEGIN IMMEDIATE); on PostgreSQL each reads only
    what is committed, so neither would see what the other took without the lock."""
    if dialect_of(session) != "postgresql":
        return
    # A stable hash (not Python's hash(), which differs between processes); two handles that
    # share one merely wait for each other.
    digest = hashlib.blake2b(f"{platform}\n{_folded(handle)}".encode(), digest_size=4).digest()
    key = int.from_bytes(digest, "big", signed=True)
    await session.exec(select(func.pg_advisory_xact_lock(_HANDLE_LOCKS, key)))


async def check_handle_free(session: AsyncSession, platform: str, handle: str) -> None:
    """One register entry per account: Invalid("handle_registered", number=...) when an open
    account on `platform` has `handle` (compared without regard to case, as the platforms
    compare handles). Checked when a request is made and again when it is approved."""
    number = (
        await session.exec(
            select(Account.number)
            .where(
                col(Account.platform) == platform,
                func.lower(col(Account.handle)) == _folded(handle),
                col(Account.status) == AccountStatus.ACTIVE.value,
            )
            .limit(1)
        )
    ).first()
    if number is not None:
        raise Invalid("handle_registered", field="handle", number=number)


async def check_handle_unrequested(
    session: AsyncSession,
    platform: str,
    handle: str,
    *,
    requester_id: int,
    besides: int | None = None,
) -> None:
    """One request per account at a time: when a request for `handle` on `platform`
    (compared as check_handle_free compares) waits for a decision, other than request
    `besides` (the one being revised), Invalid("handle_requested", requester, day), or
    Invalid("handle_requested_by_you", day) when it is `requester_id`'s own. A request sent
    back for changes does not hold the handle: only its requester can move it on, and one
    who never does must not keep the account from being requested by anyone else."""
    waiting = (
        await session.exec(
            select(AccountRequest.requester_id, AccountRequest.created_at)
            .where(
                col(AccountRequest.platform) == platform,
                func.lower(col(AccountRequest.handle)) == _folded(handle),
                col(AccountRequest.status) == RequestStatus.PENDING.value,
                col(AccountRequest.id) != (besides or 0),
            )
            .order_by(col(AccountRequest.id))
            .limit(1)
        )
    ).first()
    if waiting is None:
        return
    asked_by, created_at = waiting
    day = access.today(created_at).isoformat()
    if asked_by == requester_id:
        raise Invalid("handle_requested_by_you", field="handle", day=day)
    names = await people.names_by_id(session, [asked_by])
    raise Invalid("handle_requested", field="handle", requester=names.get(asked_by, "?"), day=day)


async def check_handle_open(
    session: AsyncSession,
    platform: str,
    handle: str,
    *,
    requester_id: int,
    besides: int | None = None,
) -> None:
    """Whether `requester_id` may ask for `handle` on `platform` (in request `besides`, when
    revising it): not registered (check_handle_free), nor asked for by a request that waits
    (check_handle_unrequested). Said at the handle step and checked again on Submit."""
    await check_handle_free(session, platform, handle)
    await check_handle_unrequested(
        session, platform, handle, requester_id=requester_id, besides=besides
    )


async def register_account(
    session: AsyncSession, request: AccountRequest, *, now: datetime
) -> Account:
    """Turn an approved request into an account, and owe the notices that go with it.
    Invalid("handle_registered") when the account was registered since the request was made."""
    assert request.id is not None
    # Two requests for one account approved at once (made before Submit locked the handle).
    await lock_handle(session, request.platform, request.handle)
    await check_handle_free(session, request.platform, request.handle)
    account = Account(
        number=await next_number(session, now),
        request_id=request.id,
        platform=request.platform,
        handle=request.handle,
        unit=request.unit,
        scope=request.scope,
        purpose=request.purpose,
        objectives=request.objectives,
        target_group=request.target_group,
        benefit=request.benefit,
        manager_id=request.manager_id,
        manager_reason=request.manager_reason,
        monitoring=request.monitoring,
        holiday_cover=request.holiday_cover,
        response_time=request.response_time,
        status=AccountStatus.ACTIVE.value,
        registered_at=now,
    )
    session.add(account)
    await session.flush()
    assert account.id is not None
    team = [request.requester_id, *request.team_ids]
    for position, person_id in enumerate(team):
        session.add(AccountMember(account_id=account.id, person_id=person_id, position=position))
    add_row(session, account.id)
    request.account_id = account.id
    session.add(request)
    audit.record(
        session,
        now=now,
        actor_id=None,
        action="account.registered",
        subject=f"account:{account.id}",
        number=account.number,
        request_id=request.id,
        team=team,
        manager_id=request.manager_id,
    )
    params = {"account_id": account.id}
    await outbox.enqueue(
        session, key=f"account_registered:{account.id}:comms", kind="account_registered",
        now=now, place="comms", params=params,
    )
    for person_id in team:
        await outbox.enqueue(
            session, key=f"welcome:{account.id}:{person_id}", kind="welcome",
            now=now, recipient_id=person_id, params=params,
        )
    await session.flush()
    return account


async def get_account(session: AsyncSession, account_id: int) -> Account | None:
    return await session.get(Account, account_id)


async def team_of(session: AsyncSession, account_id: int) -> list[int]:
    rows = await session.exec(
        select(AccountMember.person_id)
        .where(AccountMember.account_id == account_id)
        .order_by(col(AccountMember.position))
    )
    return list(rows)


async def teams_of(
    session: AsyncSession, account_ids: Collection[int]
) -> dict[int, list[int]]:
    """Each account's team in rota order, in one query (the register and its export list
    thousands of accounts)."""
    teams: dict[int, list[int]] = {a: [] for a in account_ids}
    if not teams:
        return teams
    for piece in chunks(sorted(teams)):
        rows = await session.exec(
            select(AccountMember.account_id, AccountMember.person_id)
            .where(col(AccountMember.account_id).in_(piece))
            .order_by(col(AccountMember.account_id), col(AccountMember.position))
        )
        for account_id, person_id in rows:
            teams[account_id].append(person_id)
    return teams


async def accounts(session: AsyncSession) -> list[Account]:
    return list(await session.exec(select(Account).order_by(col(Account.id))))


async def accounts_of(session: AsyncSession, person_id: int) -> list[Account]:
    """Accounts where the person is on the team or the manager."""
    member_of = select(AccountMember.account_id).where(AccountMember.person_id == person_id)
    rows = await session.exec(
        select(Account)
        .where((col(Account.id).in_(member_of)) | (col(Account.manager_id) == person_id))
        .order_by(col(Account.id))
    )
    return list(rows)


# What an account number looks like (`number_for`'s): how typed text tells one from words.
NUMBER = re.compile(r"SOME-\d{4}-\d{4,}", re.IGNORECASE | re.ASCII)


def number_as_stored(number: str) -> str:
    """An account number as typed or sent (` some-2027-0001`) as the register stores it."""
    return number.strip().upper()


async def account_by_number(session: AsyncSession, number: str) -> Account | None:
    """The account numbered `number` (e.g. SOME-2027-0001), case-insensitively."""
    rows = await session.exec(select(Account).where(Account.number == number_as_stored(number)))
    return rows.first()
