"""The moderation log: the team records removed posts and comments; threats and sensitive
personal data tell the manager at once."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from data import moderation
from data.db import Store
from data.errors import Invalid, NotAllowed
from data.models import AuditEvent, ModerationEntry, Outbox
from tests.helpers import T0, Cast, load
from tests.helpers.accounts import id_of, register

HOUR = timedelta(hours=1)
ZONE = ZoneInfo("Europe/Stockholm")


async def account(store: Store, cast: Cast) -> int:
    return id_of(await register(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager, now=T0
    ))


async def record(store: Store, acc: int, actor: int, category: str, **kw: object) -> int:
    async with store.transaction() as session:
        entry = await moderation.record_removal(
            session, account_id=acc, actor_id=actor, content=" https://x.example/p/1 ",
            category=category, reason="Threatened a lecturer", evidence="Screenshot in W:/some",
            now=T0, **kw,  # type: ignore[arg-type]
        )
    assert entry.id is not None
    return entry.id


async def test_a_team_member_records_a_removal(store: Store, cast: Cast) -> None:
    acc = await account(store, cast)
    entry_id = await record(store, acc, cast.colleague, "copyright", removed_at=T0 - HOUR)
    [row] = await load(store, ModerationEntry)
    assert (row.id, row.content, row.category, row.reason, row.evidence) == (
        entry_id, "https://x.example/p/1", "copyright", "Threatened a lecturer",
        "Screenshot in W:/some",
    )
    assert (row.removed_at, row.removed_by, row.recorded_at) == (T0 - HOUR, cast.colleague, T0)
    [event] = await load(store, AuditEvent, AuditEvent.action == "moderation.recorded")
    assert event.details == {"entry_id": entry_id, "category": "copyright"}
    # Copyright is not urgent: the manager is not told at once.
    assert await load(store, Outbox, Outbox.kind == "moderation_alert") == []


@pytest.mark.parametrize("category", ["crime", "sensitive_data"])
async def test_threats_and_sensitive_data_tell_the_manager_at_once(
    store: Store, cast: Cast, category: str
) -> None:
    acc = await account(store, cast)
    entry_id = await record(store, acc, cast.requester, category)
    [alert] = await load(store, Outbox, Outbox.kind == "moderation_alert")
    assert (alert.recipient_id, alert.params) == (cast.manager, {"entry_id": entry_id})


async def test_only_the_team_records_and_bad_entries_are_refused(
    store: Store, cast: Cast
) -> None:
    acc = await account(store, cast)
    with pytest.raises(NotAllowed):
        await record(store, acc, cast.manager, "crime")
    for kw, code, field in (
        ({"category": "rude"}, "unknown_category", "category"),
        ({"removed_at": T0 + HOUR}, "in_the_future", "removed_at"),
        ({"content": "  "}, "empty", "content"),
        ({"evidence": "x" * 1001}, "too_long", "evidence"),
    ):
        given: dict[str, object] = {
            "content": "a post", "category": "other", "reason": "spam", "evidence": "W:",
            **kw,
        }
        async with store.transaction() as session:
            with pytest.raises(Invalid) as refused:
                await moderation.record_removal(
                    session, account_id=acc, actor_id=cast.colleague, now=T0,
                    **given,  # type: ignore[arg-type]
                )
        assert (refused.value.code, refused.value.params["field"]) == (code, field)
    assert await load(store, ModerationEntry) == []


async def test_counts_per_account_and_month(store: Store, cast: Cast) -> None:
    acc = await account(store, cast)
    await record(store, acc, cast.colleague, "other", removed_at=T0 - timedelta(days=40))
    await record(store, acc, cast.colleague, "other")
    await record(store, acc, cast.colleague, "agitation")
    async with store.transaction() as session:
        counts = await moderation.monthly_counts(
            session, since=T0 - timedelta(days=365), zone=ZONE, account_ids=None
        )
        assert counts == {(acc, "2027-01"): 1, (acc, "2027-03"): 2}
        log = await moderation.entries_of(session, [acc])
    assert [e.removed_at for e in log] == [T0, T0, T0 - timedelta(days=40)]
