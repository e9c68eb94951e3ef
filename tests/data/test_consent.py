"""Consent and credit: the team, the manager or the Communications Office records who consented
to a post with identifiable people, how, where the consent is kept, and the creator credited
and their consent; a creator who has not consented is refused. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from data import closure, consent
from data.db import Store
from data.errors import Invalid, MovedOn, NotAllowed
from data.models import AuditEvent, ConsentRecord
from tests.helpers import T0, Cast, load, make_person, make_roles
from tests.helpers.accounts import id_of, register

POST = "https://instagram.com/p/lab-day"


async def account(store: Store, cast: Cast) -> int:
    return id_of(await register(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager, now=T0
    ))


async def record(store: Store, acc: int, actor: int, **changes: Any) -> ConsentRecord:
    given: dict[str, Any] = {
        "post": f" {POST} ", "people_named": "Sara Lind, Omar Said", "method": "form",
        "kept_at": "W:/Comms/consent/2027-03-01.pdf", "creator": "Ulf Sirén",
        "creator_credited": True, "creator_consented": True,
    } | changes
    async with store.transaction() as session:
        return await consent.record_consent(session, account_id=acc, actor_id=actor, now=T0,
                                            **given)


async def test_a_team_member_records_who_consented_and_the_creator(
    store: Store, cast: Cast
) -> None:
    acc = await account(store, cast)
    done = await record(store, acc, cast.colleague)
    [stored] = await load(store, ConsentRecord)
    assert (stored.id, stored.account_id, stored.post, stored.people, stored.method) == (
        done.id, acc, POST, "Sara Lind, Omar Said", "form"
    )
    assert (stored.creator, stored.creator_credited, stored.creator_consented) == (
        "Ulf Sirén", True, True
    )
    assert (stored.recorded_by, stored.recorded_at) == (cast.colleague, T0)
    [event] = await load(store, AuditEvent, AuditEvent.action == "consent.recorded")
    assert (event.actor_id, event.subject, event.details["consent_id"]) == (
        cast.colleague, f"account:{acc}", done.id
    )
    async with store.read() as session:
        assert [r.id for r in await consent.consents_of(session, [acc])] == [done.id]


async def test_the_manager_and_the_communications_office_may_others_may_not(
    store: Store, cast: Cast
) -> None:
    acc = await account(store, cast)
    async with store.transaction() as session:
        office = id_of(await make_person(session, T0, "Gun Press", ext="gun"))
        await make_roles(session, T0, comms={office})
    await record(store, acc, cast.manager)
    await record(store, acc, office)
    with pytest.raises(NotAllowed) as refused:
        await record(store, acc, cast.outsider)
    assert refused.value.code == "not_team_or_manager"
    assert len(await load(store, ConsentRecord)) == 2


async def test_a_creator_who_has_not_consented_is_refused(store: Store, cast: Cast) -> None:
    acc = await account(store, cast)
    with pytest.raises(Invalid) as refused:
        await record(store, acc, cast.requester, creator_consented=False)
    assert (refused.value.code, refused.value.params["field"]) == (
        "creator_not_consented", "creator_consented"
    )
    # Not credited, as agreed with the creator, is recorded as such.
    done = await record(store, acc, cast.requester, creator_credited=False)
    assert done.creator_credited is False
    assert len(await load(store, ConsentRecord)) == 1


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"method": "nodded"}, "unknown_method", "method"),
        ({"people_named": "  "}, "empty", "people"),
        ({"post": ""}, "empty", "post"),
        ({"kept_at": "x" * 1001}, "too_long", "kept_at"),
        ({"creator": ""}, "empty", "creator"),
    ],
)
async def test_what_is_missing_or_unknown_is_refused(
    store: Store, cast: Cast, changes: dict[str, Any], code: str, field: str
) -> None:
    acc = await account(store, cast)
    with pytest.raises(Invalid) as refused:
        await record(store, acc, cast.requester, **changes)
    assert (refused.value.code, refused.value.params["field"]) == (code, field)
    assert await load(store, ConsentRecord) == []


async def test_a_closed_account_takes_no_record(store: Store, cast: Cast) -> None:
    acc = await account(store, cast)
    async with store.transaction() as session:
        await closure.close_account(session, account_id=acc, actor_id=cast.requester,
                                    reason="Merged", final_archive_location="W:/x", now=T0)
    with pytest.raises(MovedOn):
        await record(store, acc, cast.requester)
