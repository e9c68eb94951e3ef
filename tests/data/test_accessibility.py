"""Accessible posts: a member of an account's team (or its manager) records the accessibility
checklist run on a post, item by item; others are refused; each record is an audit event. On
SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from data import accessibility, closure
from data.db import Store
from data.errors import Invalid, MovedOn, NotAllowed
from data.models import AccessibilityCheck, AuditEvent
from tests.helpers import T0, Cast, load, make_person, make_roles
from tests.helpers.accounts import id_of
from tests.helpers.nudging import account_of

POST = "https://www.instagram.com/p/nobel-week"
ITEMS = {
    "alt_text": "fixed", "captions": "not_applicable", "plain_language": "ok",
    "link_text": "to_fix", "hashtags": "ok", "emoji": "ok",
}


async def record(store: Store, acc: int, actor: int, **changes: Any) -> AccessibilityCheck:
    given: dict[str, Any] = {"post": f"  {POST}\u200b ", "items": ITEMS} | changes
    async with store.transaction() as session:
        return await accessibility.record_check(
            session, account_id=acc, actor_id=actor, now=T0, **given
        )


async def test_a_team_member_records_the_checklist_item_by_item(
    store: Store, cast: Cast
) -> None:
    acc = await account_of(store, cast)
    done = await record(store, acc, cast.colleague)
    [stored] = await load(store, AccessibilityCheck)
    # The post normalised where it enters: no surrounding space, no invisible characters.
    assert (stored.id, stored.account_id, stored.post) == (done.id, acc, POST)
    assert accessibility.items_of(stored) == ITEMS
    assert (stored.checked_by, stored.checked_at) == (cast.colleague, T0)
    [event] = await load(store, AuditEvent, AuditEvent.action == "accessibility.checked")
    assert (event.actor_id, event.subject, event.details["check_id"]) == (
        cast.colleague, f"account:{acc}", done.id
    )
    assert event.details["to_fix"] == ["link_text"]
    async with store.read() as session:
        assert [c.id for c in await accessibility.checks_of(session, [acc])] == [done.id]


async def test_the_manager_may_an_outsider_and_the_communications_office_may_not(
    store: Store, cast: Cast
) -> None:
    acc = await account_of(store, cast)
    async with store.transaction() as session:
        office = id_of(await make_person(session, T0, "Gun Press", ext="gun"))
        await make_roles(session, T0, comms={office})
    await record(store, acc, cast.manager)
    for stranger in (cast.outsider, office):
        with pytest.raises(NotAllowed) as refused:
            await record(store, acc, stranger)
        assert refused.value.code == "not_team_or_manager"
    assert [c.checked_by for c in await load(store, AccessibilityCheck)] == [cast.manager]
    assert len(await load(store, AuditEvent, AuditEvent.action == "accessibility.checked")) == 1


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"post": " \u200b "}, "empty", "post"),
        ({"post": "x" * 501}, "too_long", "post"),
        ({"items": {k: v for k, v in ITEMS.items() if k != "emoji"}}, "missing_item", "items"),
        ({"items": ITEMS | {"colour": "ok"}}, "unknown_item", "items"),
        ({"items": ITEMS | {"hashtags": "fine"}}, "unknown_status", "items"),
    ],
)
async def test_what_is_missing_or_unknown_is_refused(
    store: Store, cast: Cast, changes: dict[str, Any], code: str, field: str
) -> None:
    acc = await account_of(store, cast)
    with pytest.raises(Invalid) as refused:
        await record(store, acc, cast.requester, **changes)
    assert (refused.value.code, refused.value.params["field"]) == (code, field)
    assert await load(store, AccessibilityCheck) == []


async def test_a_closed_account_takes_no_check(store: Store, cast: Cast) -> None:
    acc = await account_of(store, cast)
    async with store.transaction() as session:
        await closure.close_account(session, account_id=acc, actor_id=cast.requester,
                                    reason="Merged", final_archive_location="W:/x", now=T0)
    with pytest.raises(MovedOn):
        await record(store, acc, cast.requester)
    assert await load(store, AccessibilityCheck) == []
