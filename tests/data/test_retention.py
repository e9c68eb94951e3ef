"""Old delivered replies and digests and old processed events deleted (data.retention), and
nothing else: not what is still owed or running, not the cards a decision rewrites (nor, in the
web chat, those still waiting for it), not the notices, not what is younger than the
retention; each deletion on record."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event as sql_event
from sqlalchemy import update
from sqlmodel import col

from data import (
    dialog_state,
    experts,
    inbox,
    outbox,
    parked,
    questions,
    requests,
    retention,
    team,
    webchat,
)
from data.db import Store
from data.models import (
    AuditEvent,
    Decision,
    DialogState,
    InboxEvent,
    InboxStatus,
    Outbox,
    OutboxStatus,
    WebMessage,
)
from data.policy import NudgeConfig
from scheduler.nudge_rules import KINDS
from tests.helpers import T0, Cast, decide, load, submit
from tests.helpers.accounts import id_of, register
from tests.helpers.kinds import POSTGRESQL_ONLY

DAY = timedelta(days=1)
# Pruned as of NOW with 90 days: rows from before OLD's day are old enough.
NOW = T0 + 100 * DAY
OLD = T0
YOUNG = NOW - 10 * DAY


async def owe(store: Store, cast: Cast, key: str, kind: str, at: datetime,
              status: OutboxStatus = OutboxStatus.SENT) -> None:
    """An outbox row owed at `at`, then brought to `status` as delivery would."""
    expires = status is OutboxStatus.EXPIRED
    async with store.transaction() as session:
        await outbox.enqueue(session, key=key, kind=kind, now=at, recipient_id=cast.colleague,
                             not_after=at + DAY / 2 if expires else None)
    if status is OutboxStatus.PENDING:
        return
    async with store.transaction() as session:
        row = await outbox.by_key(session, key)
        assert row is not None and row.id is not None
        if status is OutboxStatus.SENT:
            await outbox.mark_sent(session, row_id=row.id, now=at, delivered={"slack": "1.2"})
        elif status is OutboxStatus.FAILED:
            await outbox.mark_failed(session, row_id=row.id, error="refused", delivered={})
    if status is OutboxStatus.EXPIRED:
        async with store.transaction() as session:
            # Claimed past its not_after: expired instead of sent.
            assert await outbox.claim_due(session, now=at + DAY) == []
    [row] = await load(store, Outbox, Outbox.key == key)
    assert row.status == status.value


async def event(store: Store, key: str, at: datetime, status: InboxStatus) -> None:
    """An inbox event received at `at`, then brought to `status` as the workers would."""
    async with store.transaction() as session:
        assert await inbox.receive(session, key=key, platform="slack", lane=f"slack:{key}",
                                   payload={"text": "hej"}, now=at)
    for attempt in range({InboxStatus.PENDING: 0, InboxStatus.WORKING: 1,
                          InboxStatus.DONE: 1, InboxStatus.PARKED: inbox.MAX_ATTEMPTS}[status]):
        async with store.transaction() as session:
            later = at + attempt * DAY
            [row] = await inbox.claim(session, now=later, worker="w", key=key)
            assert row.id is not None
            if status is InboxStatus.DONE:
                assert await inbox.finish(session, row_id=row.id, worker="w", now=later)
            elif status is InboxStatus.PARKED:
                await inbox.fail(session, row_id=row.id, worker="w", now=later, error="boom")
    [row] = await load(store, InboxEvent, InboxEvent.key == key)
    assert row.status == status.value


async def test_old_replies_and_digests_done_with_are_deleted_and_nothing_else(
    store: Store, cast: Cast
) -> None:
    gone = {
        "reply:old:sent": (outbox.REPLY, OLD, OutboxStatus.SENT),
        "reply:old:failed": (outbox.REPLY, OLD, OutboxStatus.FAILED),
        "nudge_rota:old:sent": ("nudge_rota", OLD, OutboxStatus.SENT),
        "nudge_monthly:old:expired": ("nudge_monthly", OLD, OutboxStatus.EXPIRED),
    }
    kept = {
        # Still owed: whatever its age.
        "reply:old:pending": (outbox.REPLY, OLD, OutboxStatus.PENDING),
        # Younger than the retention.
        "reply:young": (outbox.REPLY, YOUNG, OutboxStatus.SENT),
        "nudge_rota:young": ("nudge_rota", YOUNG, OutboxStatus.SENT),
        # A card a later decision rewrites (update_of), and a notice: the record.
        "approval_card:1:1:manager:7": ("approval_card", OLD, OutboxStatus.SENT),
        "expert_asked:3": ("expert_asked", OLD, OutboxStatus.SENT),
        "rota_changed:4": ("rota_changed", OLD, OutboxStatus.SENT),
        # Not a digest, though its name is near one ("_" is not a wildcard).
        "nudgeXrota:old": ("nudgeXrota", OLD, OutboxStatus.SENT),
    }
    # In the order owed, as ids grow: the old ones first.
    for key, (kind, at, status) in sorted({**gone, **kept}.items(), key=lambda item: item[1][1]):
        await owe(store, cast, key, kind, at, status)

    pruned = await retention.prune(store, now=NOW, days=90)

    assert (pruned.outbox, pruned.inbox, pruned.before) == (4, 0, NOW - 90 * DAY)
    assert {row.key for row in await load(store, Outbox)} == set(kept)
    [record] = await load(store, AuditEvent, AuditEvent.action == "retention.pruned")
    assert (record.actor_id, record.subject, record.at) == (None, "outbox", NOW)
    assert record.details == {"rows": 4, "before": (NOW - 90 * DAY).isoformat(), "days": 90}
    async with store.read() as session:
        assert {subject: (total.deleted, total.attempts)
                for subject, total in (await retention.totals(session)).items()} == {
            "outbox": (4, 0)
        }
    # Run again: nothing more to delete, nothing more on record.
    assert await retention.prune(store, now=NOW, days=90) == retention.Pruned(NOW - 90 * DAY, 0, 0, 0, 0)
    assert len(await load(store, AuditEvent, AuditEvent.action == "retention.pruned")) == 1


async def test_old_events_done_or_parked_are_deleted_and_those_waiting_kept(
    store: Store, cast: Cast
) -> None:
    await event(store, "old:done", OLD, InboxStatus.DONE)
    await event(store, "old:parked", OLD, InboxStatus.PARKED)
    await event(store, "old:working", OLD, InboxStatus.WORKING)
    # Parked long ago, then put back to run lately, and parked again: an operator's, for now.
    await event(store, "old:retried", OLD, InboxStatus.PARKED)
    await event(store, "young:done", YOUNG, InboxStatus.DONE)
    await event(store, "young:parked", YOUNG, InboxStatus.PARKED)
    await event(store, "old:pending", OLD + DAY, InboxStatus.PENDING)
    async with store.transaction() as session:
        assert await parked.retry(session, keys=["old:retried"], now=YOUNG) == ["old:retried"]
    for attempt in range(inbox.MAX_ATTEMPTS):
        async with store.transaction() as session:
            [row] = await inbox.claim(session, now=YOUNG + attempt * DAY, worker="w",
                                      key="old:retried")
            assert row.id is not None
            await inbox.fail(session, row_id=row.id, worker="w", now=YOUNG, error="boom")
    [again] = await load(store, InboxEvent, InboxEvent.key == "old:retried")
    assert again.status == InboxStatus.PARKED.value
    async with store.read() as session:
        before = await inbox.tally(session)

    pruned = await retention.prune(store, now=NOW, days=90)

    assert (pruned.outbox, pruned.inbox) == (0, 2)
    assert [row.key for row in await load(store, InboxEvent)] == [
        "old:working", "old:retried", "young:done", "young:parked", "old:pending"
    ]
    [record] = await load(store, AuditEvent, AuditEvent.action == "retention.pruned")
    assert (record.subject, record.details["rows"]) == ("inbox", 2)
    async with store.read() as session:
        total = (await retention.totals(session))["inbox"]
        assert (total.deleted, total.done, total.attempts, total.parked) == (
            2, 1, 1 + inbox.MAX_ATTEMPTS, 1
        )
        # What was deleted is still counted.
        assert await inbox.tally(session) == before


async def said(store: Store, cast: Cast, conversation: str, text: str, at: datetime,
               rewritten: datetime | None = None) -> int:
    """A web chat message said at `at` (by the bot to `conversation`), rewritten at `rewritten`."""
    async with store.transaction() as session:
        message_id = await webchat.append(session, conversation=conversation, sender_id=None,
                                          payload={"text": text}, now=at)
    if rewritten is not None:
        async with store.transaction() as session:
            assert await webchat.replace(session, message_id=message_id,
                                         payload={"text": f"{text} (rewritten)"}, now=rewritten)
    return message_id


async def test_old_web_chat_messages_are_deleted_unless_rewritten_since(
    store: Store, cast: Cast
) -> None:
    await said(store, cast, "dm:anna", "old", OLD)
    await said(store, cast, "dm:anna", "old, rewritten since", OLD, rewritten=YOUNG)
    await said(store, cast, "place:comms", "old, rewritten long ago", OLD, rewritten=OLD + DAY)
    await said(store, cast, "dm:anna", "young", YOUNG)
    # Nothing is deleted from the web chat unless its retention has passed.
    assert (await retention.prune(store, now=NOW, days=365)).web_chat == 0

    pruned = await retention.prune(store, now=NOW, days=90)

    assert (pruned.outbox, pruned.inbox, pruned.web_chat) == (0, 0, 2)
    async with store.read() as session:
        assert [m.payload["text"] for m in await webchat.history(session, "dm:anna")] == [
            "old, rewritten since (rewritten)", "young"
        ]
        assert await webchat.history(session, "place:comms") == []
    [record] = await load(store, AuditEvent, AuditEvent.action == "retention.pruned")
    assert (record.subject, record.details["rows"]) == ("web_message", 2)


async def shown(store: Store, key: str, at: datetime) -> int:
    """The card owed as `key` delivered at `at` to its recipient's web chat, as delivery does:
    a message there, named in the outbox row's `delivered`."""
    async with store.transaction() as session:
        row = await outbox.by_key(session, key)
        assert row is not None and row.id is not None
        message_id = await webchat.append(session, conversation=f"dm:{row.recipient_id}",
                                          sender_id=None, payload={"text": key}, now=at)
        await outbox.mark_sent(session, row_id=row.id, now=at,
                               delivered={"slack": "C1:1.2", retention.WEB: str(message_id)})
    return message_id


async def rewritten(store: Store, *message_ids: int, at: datetime) -> None:
    """A decision's rewrite of these cards reaching the web chat at `at` (hub.delivery)."""
    async with store.transaction() as session:
        for message_id in message_ids:
            assert await webchat.replace(session, message_id=message_id,
                                         payload={"text": "decided"}, now=at)


async def web_chat(store: Store) -> set[int]:
    return {message.id for message in await load(store, WebMessage) if message.id is not None}


async def test_the_approval_cards_of_a_pending_request_stay_in_the_web_chat_until_decided(
    store: Store, cast: Cast
) -> None:
    # Waiting for the director since OLD: the director's card, and the manager's, rewritten
    # as the manager approved (the director's decision rewrites it again).
    waiting = await submit(store, cast, OLD, scope="university_wide")
    assert waiting.id is not None
    by_manager = await shown(store, requests.card_key(waiting), OLD)
    at_director = (await decide(store, waiting.id, cast.manager, now=OLD)).request
    await rewritten(store, by_manager, at=OLD)
    by_director = await shown(store, requests.card_key(at_director), OLD)
    # Decided as long ago: its card goes, as does an ordinary message beside the cards.
    decided = await submit(store, cast, OLD, handle="ki_decided")
    assert decided.id is not None
    done = await shown(store, requests.card_key(decided), OLD)
    await decide(store, decided.id, cast.manager, Decision.REJECT, now=OLD, reason="Too few")
    await rewritten(store, done, at=OLD)
    await said(store, cast, f"dm:{cast.manager}", "old", OLD)

    # A chunk a row: the cards kept fill chunks of their own.
    pruned = await retention.prune(store, now=NOW, days=90, chunk=1)

    assert pruned.web_chat == 2
    assert await web_chat(store) == {by_manager, by_director}

    await decide(store, waiting.id, cast.director, now=NOW, expect_stage="director")
    await rewritten(store, by_manager, by_director, at=NOW)
    assert (await retention.prune(store, now=NOW, days=90)).web_chat == 0
    assert (await retention.prune(store, now=NOW + 91 * DAY, days=90)).web_chat == 2
    assert await web_chat(store) == set()


async def test_the_card_of_a_request_sent_back_for_changes_stays_until_it_is_revised(
    store: Store, cast: Cast
) -> None:
    # Sent back by the director since OLD: the requester's card with *Revise the request*.
    back = await submit(store, cast, OLD, scope="university_wide")
    assert back.id is not None
    await decide(store, back.id, cast.manager, now=OLD)
    await decide(store, back.id, cast.director, Decision.CHANGES, now=OLD,
                 expect_stage="director", reason="Name the unit")
    revise = await shown(store, requests.decided_key(back.id, back.round, "director"), OLD)
    # Rejected as long ago: its message goes.
    rejected = await submit(store, cast, OLD, handle="ki_rejected")
    assert rejected.id is not None
    await decide(store, rejected.id, cast.manager, Decision.REJECT, now=OLD, reason="No")
    await shown(store, requests.decided_key(rejected.id, rejected.round, "manager"), OLD)

    assert (await retention.prune(store, now=NOW, days=90)).web_chat == 1
    assert await web_chat(store) == {revise}

    # Revised and sent again: the card has done its work.
    await submit(store, cast, NOW, revise_id=back.id, scope="university_wide")
    assert (await retention.prune(store, now=NOW, days=90)).web_chat == 1
    assert await web_chat(store) == set()


async def test_the_cards_of_a_colleague_asked_and_a_hand_over_stay_until_answered(
    store: Store, cast: Cast
) -> None:
    account = id_of(await register(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager, now=OLD
    ))
    async with store.transaction() as session:
        question = await questions.log_question(
            session, account_id=account, actor_id=cast.colleague, text="Why?", now=OLD
        )
        assert question.id is not None
        referral = await experts.refer_question(
            session, question_id=question.id, actor_id=cast.colleague, expert_id=cast.outsider,
            category="expert", now=OLD, nudges=NudgeConfig(),
        )
        handover = await team.propose_manager(
            session, account_id=account, person_id=cast.director, actor_id=cast.colleague,
            now=OLD,
        )
    assert referral.id is not None and handover.id is not None
    asked = await shown(store, experts.card_key(referral), OLD)
    handed = await shown(store, team.card_key(handover), OLD)
    await said(store, cast, f"dm:{cast.director}", "old", OLD)

    assert (await retention.prune(store, now=NOW, days=90)).web_chat == 1
    assert await web_chat(store) == {asked, handed}

    async with store.transaction() as session:
        await experts.decline_referral(
            session, referral_id=referral.id, actor_id=cast.outsider, now=NOW
        )
        await team.accept_manager(
            session, handover_id=handover.id, actor_id=cast.director, now=NOW
        )
    await rewritten(store, asked, handed, at=NOW)
    assert (await retention.prune(store, now=NOW, days=90)).web_chat == 0
    assert (await retention.prune(store, now=NOW + 91 * DAY, days=90)).web_chat == 2
    assert await web_chat(store) == set()


async def test_conversations_left_unfinished_are_deleted_and_those_going_on_kept(
    store: Store, cast: Cast
) -> None:
    for person, at in ((cast.requester, OLD), (cast.manager, YOUNG), (cast.colleague, OLD)):
        async with store.transaction() as session:
            await dialog_state.save(session, person_id=person, dialog="open_account",
                                    step="handle", data={"platform": "instagram"},
                                    history=["platform"], turn=1, now=at)
    # The colleague answered lately: going on.
    async with store.transaction() as session:
        state = await dialog_state.load(session, cast.colleague)
        assert state is not None
        await dialog_state.save(session, person_id=cast.colleague, dialog=state.dialog,
                                step="summary", data=state.data, history=state.history,
                                turn=2, now=YOUNG)

    pruned = await retention.prune(store, now=NOW, days=90)

    assert pruned.dialogs == 1
    assert sorted(s.person_id for s in await load(store, DialogState)) == sorted(
        [cast.manager, cast.colleague]
    )
    [record] = await load(store, AuditEvent, AuditEvent.action == "retention.pruned")
    assert (record.subject, record.details["rows"]) == ("dialog_state", 1)


# (On SQLite a writing transaction holds the write lock from its start: no row can change.)
@POSTGRESQL_ONLY
async def test_a_row_changed_while_it_is_being_deleted_is_kept(store: Store, cast: Cast) -> None:
    await owe(store, cast, "reply:old:failed", outbox.REPLY, OLD, OutboxStatus.FAILED)
    async with store.engine.connect() as reviving:
        revived: list[str] = []

        def revive_first(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
            """The person writes again, and delivery revives the message that had failed,
            committed after the nightly run found it failed and old, before it deletes it."""
            if statement.startswith("DELETE FROM outbox") and not revived:
                revived.append(statement)
                # Run in the pruning statement's own greenlet: SQLAlchemy awaits it there.
                reviving.sync_connection.execute(  # type: ignore[union-attr]
                    update(Outbox).where(col(Outbox.key) == "reply:old:failed")
                    .values(status="pending")
                )
                reviving.sync_connection.commit()  # type: ignore[union-attr]

        engine = store.engine.sync_engine
        sql_event.listen(engine, "before_cursor_execute", revive_first)
        try:
            pruned = await retention.prune(store, now=NOW, days=90)
        finally:
            sql_event.remove(engine, "before_cursor_execute", revive_first)

    assert revived, "the nightly run never deleted"
    assert pruned.outbox == 0
    [row] = await load(store, Outbox)
    assert row.status == OutboxStatus.PENDING.value


async def test_many_rows_go_a_transaction_per_chunk_each_on_record(
    store: Store, cast: Cast
) -> None:
    for n in range(7):
        await owe(store, cast, f"reply:{n}", outbox.REPLY, OLD + n * timedelta(minutes=1))
    # Owed later than the young one, though older: found below the first young row's id
    # only, and so left to the next run (ids grow with time; this one did not).
    await owe(store, cast, "reply:young", outbox.REPLY, YOUNG)
    await owe(store, cast, "reply:late", outbox.REPLY, OLD)

    pruned = await retention.prune(store, now=NOW, days=90, chunk=3)

    assert pruned.outbox == 7
    assert [row.key for row in await load(store, Outbox)] == ["reply:young", "reply:late"]
    records = await load(store, AuditEvent, AuditEvent.action == "retention.pruned")
    assert [record.details["rows"] for record in records] == [3, 3, 1]


async def test_two_prunes_at_once_delete_and_count_each_row_once(
    store: Store, cast: Cast
) -> None:
    for n in range(5):
        await event(store, f"old:{n}", OLD + n * timedelta(minutes=1), InboxStatus.DONE)
        await owe(store, cast, f"reply:{n}", outbox.REPLY, OLD)
    await event(store, "young", YOUNG, InboxStatus.DONE)

    # Two processes' nightly runs at the same moment (on PostgreSQL each its own connection).
    first, second = await asyncio.gather(
        retention.prune(store, now=NOW, days=90, chunk=2),
        retention.prune(store, now=NOW, days=90, chunk=2),
    )

    assert (first.outbox + second.outbox, first.inbox + second.inbox) == (5, 5)
    assert [row.key for row in await load(store, InboxEvent)] == ["young"]
    async with store.read() as session:
        totals = await retention.totals(session)
        # One attempt each, by the rows deleted; the young one's is the tally's own.
        assert (totals["inbox"].deleted, totals["inbox"].attempts) == (5, 5)
        assert totals["outbox"].deleted == 5
        assert await inbox.tally(session) == inbox.Tally(done=6, failed=0, parked=0)
    records = await load(store, AuditEvent, AuditEvent.action == "retention.pruned")
    assert sum(r.details["rows"] for r in records if r.subject == "inbox") == 5


async def test_a_shorter_retention_deletes_more(store: Store, cast: Cast) -> None:
    await owe(store, cast, "reply:young", outbox.REPLY, YOUNG)
    assert (await retention.prune(store, now=NOW, days=11)).outbox == 0
    assert (await retention.prune(store, now=NOW, days=9)).outbox == 1
    assert await load(store, Outbox) == []


def test_every_nudge_digest_is_of_a_kind_pruned_as_a_digest() -> None:
    assert KINDS and all(kind.startswith(retention.DIGESTS) for kind in KINDS)
