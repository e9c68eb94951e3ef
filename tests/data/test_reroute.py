"""The requester may name another approver once the request has waited five working days at
its current stage (DESIGN.md section 4): data.requests decides, counting working days with the
calendar the caller passes. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from data import requests
from data.db import Store
from data.errors import Invalid, MovedOn, NotAllowed
from data.models import AccountRequest, AuditEvent, Decision, Outbox
from data.workdays import Calendar
from tests.helpers import T0, Cast, decide, load, submit

CALENDAR = Calendar()
# T0 is Monday 1 March 2027: Monday 8 March is five working days on, Friday 5 March four.
FRIDAY = T0 + timedelta(days=4)
MONDAY = T0 + timedelta(days=7)


async def reroute(
    store: Store, request_id: int, actor: int, to: int, now: datetime, **expect: Any
) -> AccountRequest:
    async with store.transaction() as session:
        return await requests.hand_over(
            session, request_id=request_id, actor_id=actor, to_person_id=to, now=now,
            calendar=CALENDAR, **expect,
        )


async def test_working_days_are_counted_from_when_the_approver_got_it(
    store: Store, cast: Cast
) -> None:
    request = await submit(store, cast)
    assert requests.working_days_waited(request, T0, CALENDAR) == 0
    assert requests.working_days_waited(request, FRIDAY, CALENDAR) == 4
    assert requests.working_days_waited(request, MONDAY, CALENDAR) == 5
    assert not requests.may_reroute(request, cast.requester, FRIDAY, CALENDAR)
    assert requests.may_reroute(request, cast.requester, MONDAY, CALENDAR)
    # Only the requester.
    assert not requests.may_reroute(request, cast.colleague, MONDAY, CALENDAR)
    # Easter 2027: Good Friday 26 March and Easter Monday 29 March are no working days.
    easter = await submit(store, cast, handle="ki_easter", now=T0 + timedelta(days=24))
    assert easter.stage_started_at.date() == date(2027, 3, 25)
    assert requests.working_days_waited(easter, T0 + timedelta(days=31), CALENDAR) == 3


async def test_the_requester_names_another_approver_after_five_working_days(
    store: Store, cast: Cast
) -> None:
    request = await submit(store, cast)
    assert request.id is not None

    with pytest.raises(NotAllowed) as early:
        await reroute(store, request.id, cast.requester, cast.outsider, FRIDAY)
    assert (early.value.code, early.value.params) == ("reroute_too_early", {"days": 4, "after": 5})

    rerouted = await reroute(
        store, request.id, cast.requester, cast.outsider, MONDAY, expect_round=1,
        expect_stage="manager",
    )
    assert (rerouted.approver_id, rerouted.stage, rerouted.status) == (
        cast.outsider, "manager", "pending"
    )
    [event] = await load(store, AuditEvent, AuditEvent.action == "request.rerouted")
    assert event.actor_id == cast.requester
    assert event.details["to_person_id"] == cast.outsider
    assert event.details["from_person_id"] == cast.manager
    keys = {row.key for row in await load(store, Outbox)}
    assert f"approval_card:{request.id}:1:manager:{cast.outsider}" in keys
    assert f"approval_card:{request.id}:1:manager:{cast.manager}:handed" in keys
    # The requester did it: nobody tells them.
    assert not await load(store, Outbox, Outbox.kind == "request_handed")

    # The old approver's card is dead; the new approver decides.
    with pytest.raises(NotAllowed):
        await decide(store, request.id, cast.manager, now=MONDAY)
    outcome = await decide(store, request.id, cast.outsider, now=MONDAY)
    assert outcome.account is not None


async def test_the_clock_starts_again_with_the_new_approver(store: Store, cast: Cast) -> None:
    request = await submit(store, cast)
    assert request.id is not None
    await reroute(store, request.id, cast.requester, cast.outsider, MONDAY)
    with pytest.raises(NotAllowed) as early:
        await reroute(store, request.id, cast.requester, cast.second_colleague,
                      MONDAY + timedelta(days=1))
    assert early.value.params == {"days": 1, "after": 5}


async def test_what_the_requester_may_not_name(store: Store, cast: Cast) -> None:
    request = await submit(store, cast)
    assert request.id is not None
    with pytest.raises(Invalid) as himself:
        await reroute(store, request.id, cast.requester, cast.requester, MONDAY)
    assert himself.value.code == "requester_as_approver"
    with pytest.raises(Invalid) as same:
        await reroute(store, request.id, cast.requester, cast.manager, MONDAY)
    assert same.value.code == "already_the_approver"
    # Without a calendar nobody can count the days: refused as for anyone but the approver.
    async with store.transaction() as session:
        with pytest.raises(NotAllowed) as blind:
            await requests.hand_over(
                session, request_id=request.id, actor_id=cast.requester,
                to_person_id=cast.outsider, now=MONDAY,
            )
    assert blind.value.code == "not_approver"
    # Others still cannot, however long it waited.
    with pytest.raises(NotAllowed) as other:
        await reroute(store, request.id, cast.colleague, cast.outsider, MONDAY)
    assert other.value.code == "not_approver"
    # A decided request has moved on.
    await decide(store, request.id, cast.manager, Decision.REJECT, reason="No.", now=MONDAY)
    with pytest.raises(MovedOn):
        await reroute(store, request.id, cast.requester, cast.outsider, MONDAY)
    [stored] = await load(store, AccountRequest)
    assert stored.approver_id == cast.manager


async def test_a_stranger_learns_nothing_of_a_decided_request(store: Store, cast: Cast) -> None:
    """Whether a request moved on is told only to whom may see it: request ids are
    sequential, and a stranger naming one would learn that it was decided."""
    request = await submit(store, cast)
    assert request.id is not None
    await decide(store, request.id, cast.manager, Decision.REJECT, reason="No.")

    async def checked(session: AsyncSession, actor: int) -> None:
        assert request.id is not None
        await requests.check_hand_over(
            session, await requests.get_request(session, request.id), actor
        )

    attempts: dict[str, Callable[[AsyncSession], Awaitable[object]]] = {
        "hand_over": lambda session: requests.hand_over(
            session, request_id=request.id, actor_id=cast.outsider, to_person_id=cast.colleague,
            now=MONDAY, calendar=CALENDAR,
        ),
        "check_hand_over": lambda session: checked(session, cast.outsider),
        "escalate": lambda session: requests.escalate(
            session, request_id=request.id, actor_id=cast.outsider, now=MONDAY,
            calendar=CALENDAR,
        ),
    }
    # An id no request has is refused the same way: ids are sequential.
    attempts["unknown"] = lambda session: requests.hand_over(
        session, request_id=request.id + 1000, actor_id=cast.outsider,
        to_person_id=cast.colleague, now=MONDAY, calendar=CALENDAR,
    )
    attempts["unknown escalation"] = lambda session: requests.escalate(
        session, request_id=request.id + 1000, actor_id=cast.outsider, now=MONDAY,
        calendar=CALENDAR,
    )
    for name, attempt in attempts.items():
        async with store.transaction() as session:
            with pytest.raises(NotAllowed) as refused:
                await attempt(session)
        assert refused.value.code == "not_approver", name
    # The approver it was put to is told it moved on.
    async with store.transaction() as session:
        with pytest.raises(MovedOn):
            await checked(session, cast.manager)
