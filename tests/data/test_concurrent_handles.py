"""One account, two people at the same moment: two Submits for one handle, or two approvals
registering it, on both databases (data.register.lock_handle).

On PostgreSQL the first transaction has done all its work, its check included, and stays open
until the second has done its own check too, or waits for a lock the first holds: without the
lock, the second checks before the first's request is committed, and cannot see it. SQLite
takes its write lock at BEGIN (data.db), so there the second simply queues behind the first;
the outcome must be the same.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from data import requests
from data.db import Store
from data.errors import Invalid
from data.models import Account, AccountRequest, Decision, RequestStatus
from tests.helpers import T0, Cast, decide, load, request_input, submit
from tests.helpers.concurrency import Job, one_inside_the_other

LATER = T0 + timedelta(hours=2)

@pytest.mark.parametrize("revising", [False, True], ids=["new", "revision"])
async def test_two_submits_for_one_handle_at_once_make_one_request(
    store: Store, cast: Cast, revising: bool
) -> None:
    """Anna and Filip submit a request for the same account (its handle in another case) at
    the same moment: Anna's new one, or her revision of one sent back for changes (which
    holds the handle no more until it is resubmitted). One waits for a decision; Filip is
    refused as he would be a moment later, naming Anna."""
    revise_id = None
    if revising:
        sent_back = await submit(store, cast)
        assert sent_back.id is not None
        revise_id = sent_back.id
        await decide(store, revise_id, cast.manager, Decision.CHANGES, reason="More detail.")

    async def by_anna(session: AsyncSession) -> AccountRequest:
        return await requests.submit(
            session, requester_id=cast.requester, now=LATER, revise_id=revise_id,
            given=request_input(manager_id=cast.manager, team_ids=(cast.colleague,)),
        )

    async def by_filip(session: AsyncSession) -> AccountRequest:
        return await requests.submit(
            session, requester_id=cast.outsider, now=LATER,
            given=request_input(
                manager_id=cast.manager, team_ids=(cast.colleague,), handle="@KI_Neuroscience"
            ),
        )

    annas, filips = await one_inside_the_other(store, by_anna, by_filip)
    assert isinstance(annas, AccountRequest), annas
    assert isinstance(filips, Invalid), filips
    assert (filips.code, filips.params) == (
        "handle_requested", {"field": "handle", "requester": "Anna Berg", "day": "2027-03-01"}
    )
    pending = await load(
        store, AccountRequest, col(AccountRequest.status) == RequestStatus.PENDING.value
    )
    assert [(r.id, r.requester_id) for r in pending] == [(annas.id, cast.requester)]


async def test_two_requests_for_one_handle_approved_at_once_register_it_once(
    store: Store, cast: Cast
) -> None:
    """Two requests for one account waiting together (made before Submit locked the handle)
    approved at the same moment: one account is registered, the other approval is refused
    as it would be a moment later, and its request still waits."""
    first = await submit(store, cast)
    second = await submit(store, cast, handle="ki_other")
    assert first.id is not None and second.id is not None
    first_id, second_id = first.id, second.id
    async with store.transaction() as session:
        await session.exec(
            update(AccountRequest).where(col(AccountRequest.id) == second_id)
            .values(handle="KI_Neuroscience")
        )

    def approve(request_id: int) -> Job:
        async def job(session: AsyncSession) -> requests.Outcome:
            return await requests.decide(
                session, request_id=request_id, actor_id=cast.manager,
                decision=Decision.APPROVE, now=LATER,
            )

        return job

    outcome, refused = await one_inside_the_other(store, approve(first_id), approve(second_id))
    assert isinstance(outcome, requests.Outcome) and outcome.account is not None, outcome
    assert isinstance(refused, Invalid), refused
    assert (refused.code, refused.params) == (
        "handle_registered", {"field": "handle", "number": outcome.account.number}
    )
    assert [a.request_id for a in await load(store, Account)] == [first_id]
    [waiting] = await load(store, AccountRequest, col(AccountRequest.id) == second_id)
    assert waiting.status == RequestStatus.PENDING.value
