"""The hub's turns from the inbox, through the real brain and a recording platform: replies
owed and delivered where the person wrote, one sender's turns in order, a poisoned event
parked while the sender's later turns go on, an inline run's first reply handed back. On SQLite
and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, update
from sqlalchemy.util import await_only
from sqlmodel import col

from data import inbox, outbox, parked, people
from data.db import Store
from data.models import AccountRequest, DialogState, InboxEvent, InboxStatus, Outbox
from dialogs.events import Action, Command, Event, Sender, Text, Visit
from dialogs.help import GREETING
from dialogs.i18n import Translator
from dialogs.messages import Actions, Button, Message, to_dict
from dialogs.router import Brain
from hub.delivery import REPLY, Deliverer
from hub.turns import CARD, CLICKED_WINDOW, Hub
from hub.wire import event_to_dict
from tests.helpers import T0, Cast, Clock, count, load, make_person, store_urgently, submit
from tests.helpers.channels import RecordingChannel
from tests.helpers.chat import cast_senders
from tests.helpers.journey import import_staff
from tests.helpers.kinds import POSTGRESQL_ONLY, SQLITE_ONLY

EN = Translator("en")
ANNA = Sender("web", "anna", display_name="Anna Andersson", email="anna@ki.se", locale="en")
BO = Sender("web", "bo", display_name="Bo Ek", email="bo@ki.se", locale="en")
FIRST_QUESTION = EN("Which platform is the account on?")
TURN_FAILED_TEXT = EN(
    "Something went wrong ({code}). Please try again. If it keeps happening, write to "
    "socialmedia@ki.se.", code="turn_failed",
)


class Recorder:
    """A platform as the hub sees it: it registers, and completes events before a turn."""

    name = "web"
    label = "the web chat"
    same_origin = True

    def __init__(self) -> None:
        self.prepared: list[Event] = []
        self.finished: list[Event] = []

    async def prepare(self, event: Event, context: dict[str, Any]) -> Event:
        self.prepared.append(event)
        return event

    async def after(self, event: Event, context: dict[str, Any]) -> None:
        self.finished.append(event)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def web() -> RecordingChannel:
    return RecordingChannel("web")


@pytest.fixture
async def hub(store: Store, web: RecordingChannel, clock: Clock) -> Hub:
    async with store.transaction() as session:
        await make_person(session, clock(), "Anna Andersson", ext="anna")
    deliverer = Deliverer(store, {"web": web})
    return Hub(store, Brain(store), deliverer, clock, workers=1)


def texts(channel: RecordingChannel) -> list[str]:
    return [call.message.text for call in channel.calls]


async def test_a_turn_owes_its_replies_and_they_reach_the_person(
    hub: Hub, store: Store, web: RecordingChannel
) -> None:
    assert await hub.receive("web:anna:1", Command(ANNA, "open-account"), {"reply": {"x": "1"}})
    assert await hub.run_due() == 1
    [row] = await load(store, InboxEvent)
    assert row.status == InboxStatus.DONE.value
    replies = await load(store, Outbox, Outbox.kind == REPLY)
    assert replies and all(r.status == "sent" for r in replies)
    [call] = web.calls
    assert (call.verb, call.target) == ("reply", "anna")
    assert call.address is not None and call.address.details["x"] == "1"
    assert FIRST_QUESTION in call.message.text


async def test_a_repeated_delivery_runs_once(hub: Hub, store: Store, web: RecordingChannel) -> None:
    assert await hub.receive("web:anna:1", Command(ANNA, "open-account"))
    assert not await hub.receive("web:anna:1", Command(ANNA, "open-account"))
    assert await hub.run_due() == 1
    assert await hub.run_due() == 0
    assert len(web.calls) == 1


async def test_a_senders_turns_run_in_the_order_received(
    hub: Hub, store: Store, web: RecordingChannel
) -> None:
    await hub.receive("web:anna:1", Command(ANNA, "open-account"))
    await hub.receive("web:anna:2", Text(ANNA, "cancel"))
    await hub.run_due()
    first, _retired, cancelled = texts(web)
    assert FIRST_QUESTION in first
    assert EN("Cancelled. Nothing was sent.") in cancelled
    assert await count(store, DialogState) == 0


async def test_a_poisoned_event_is_parked_and_the_senders_later_turns_go_on(
    hub: Hub, store: Store, web: RecordingChannel, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    # An event no version of the bot can read (stored by a newer one, or damaged).
    async with store.transaction() as session:
        await inbox.receive(
            session,
            key="web:anna:poison",
            platform="web",
            lane="web:anna",
            payload={"event": {"type": "gesture", "sender": {}}},
            now=clock(),
        )
    await hub.receive("web:anna:2", Command(ANNA, "open-account"))
    for _ in range(inbox.MAX_ATTEMPTS - 1):
        await hub.run_due()
        # Each retry waits its backoff; the sender's later event waits behind it.
        assert web.calls == []
        clock.advance(timedelta(minutes=1))
    # The last attempt fails too: parked, and the sender's later event runs.
    await hub.run_due()
    [poison] = await load(store, InboxEvent, InboxEvent.key == "web:anna:poison")
    assert poison.status == InboxStatus.PARKED.value
    assert poison.attempts == inbox.MAX_ATTEMPTS and poison.error
    assert any("parked" in r.getMessage() for r in caplog.records)
    [call] = web.calls
    assert FIRST_QUESTION in call.message.text
    assert hub.stats.parked == 1


class Crashing(Recorder):
    """A platform on which every turn of Anna's fails (a defect the retries can't mend)."""

    async def prepare(self, event: Event, context: dict[str, Any]) -> Event:
        raise RuntimeError("a defect")


async def test_a_turn_given_up_on_tells_the_person_in_their_language(
    hub: Hub, store: Store, web: RecordingChannel, clock: Clock
) -> None:
    hub.register(Crashing())
    async with store.transaction() as session:
        anna = await people.find_by_identity(session, "web", "anna")
        assert anna is not None and anna.id is not None
        await people.set_locale(session, now=clock(), person_id=anna.id, locale="sv")
    await hub.receive("web:anna:1", Command(ANNA, "help"))
    for _ in range(inbox.MAX_ATTEMPTS - 1):
        await hub.run_due()
        # Retried after a backoff: nothing said yet, it may still work.
        assert web.calls == []
        clock.advance(timedelta(minutes=1))
    await hub.run_due()
    [row] = await load(store, InboxEvent)
    assert row.status == InboxStatus.PARKED.value
    await hub.deliverer.deliver_due(clock())
    [call] = web.calls
    assert (call.verb, call.target) == ("reply", "anna")
    assert call.message.text == Translator("sv")(
        "Something went wrong ({code}). Please try again. If it keeps happening, write to "
        "socialmedia@ki.se.", code="turn_failed",
    )
    # Once: parked events are not run again on their own; put back by an operator, failing
    # every attempt again, and parked again, it owes nothing new.
    clock.advance(timedelta(hours=1))
    assert await hub.run_due() == 0
    async with store.transaction() as session:
        assert await parked.retry(session, keys=["web:anna:1"], now=clock()) == ["web:anna:1"]
    for _ in range(inbox.MAX_ATTEMPTS):
        await hub.run_due()
        clock.advance(timedelta(minutes=1))
    [row] = await load(store, InboxEvent)
    assert (row.status, row.retries) == (InboxStatus.PARKED.value, 1)
    await hub.deliverer.deliver_due(clock())
    assert len(web.calls) == 1


@pytest.mark.parametrize("event", [Visit(ANNA), Command(ANNA, GREETING)])
async def test_a_visit_or_greeting_given_up_on_is_not_apologised_for(
    hub: Hub, store: Store, web: RecordingChannel, clock: Clock, event: Event
) -> None:
    """Nothing was asked (the Home tab opened, the chat's greeting): nothing to try again."""
    hub.register(Crashing())
    await hub.receive("web:anna:1", event)
    for _ in range(inbox.MAX_ATTEMPTS):
        await hub.run_due()
        clock.advance(timedelta(minutes=1))
    [row] = await load(store, InboxEvent)
    assert row.status == InboxStatus.PARKED.value
    await hub.deliverer.deliver_due(clock())
    assert web.calls == []


async def test_a_turn_whose_process_died_on_its_last_attempt_tells_the_person(
    hub: Hub, store: Store, web: RecordingChannel, clock: Clock
) -> None:
    """Parked when the hub starts again and finds it held by a process of this machine that no
    longer runs (it took its process down each time): the sender is told, as when a turn
    fails."""
    gone = await asyncio.create_subprocess_exec("true")
    await gone.wait()
    holder = f"{hub.worker.rpartition(':')[0]}:{gone.pid}"
    async with store.transaction() as session:
        await inbox.receive(
            session, key="web:anna:1", platform="web", lane="web:anna",
            payload={"event": event_to_dict(Command(ANNA, "help"))}, now=clock(),
        )
        await session.exec(  # type: ignore[call-overload]
            update(InboxEvent).values(
                status=InboxStatus.WORKING.value, claimed_by=holder,
                claimed_until=clock() + timedelta(minutes=1), attempts=inbox.MAX_ATTEMPTS,
            )
        )
    await hub.start()
    await hub.quiesce()
    [row] = await load(store, InboxEvent)
    assert row.status == InboxStatus.PARKED.value
    await hub.deliverer.deliver_due(clock())
    [call] = web.calls
    assert call.message.text == EN(
        "Something went wrong ({code}). Please try again. If it keeps happening, write to "
        "socialmedia@ki.se.", code="turn_failed",
    )


async def held_elsewhere(store: Store, clock: Clock, key: str, attempts: int) -> None:
    """Anna's `key`, claimed for the `attempts`th time by a process on another machine (which
    `_reclaim` cannot see die) that then stopped: its lease runs out with the clock's next
    minute."""
    async with store.transaction() as session:
        await inbox.receive(
            session, key=key, platform="web", lane="web:anna",
            payload={"event": event_to_dict(Command(ANNA, "help"))}, now=clock(),
        )
        await session.exec(
            update(InboxEvent).where(col(InboxEvent.key) == key).values(
                status=InboxStatus.WORKING.value, claimed_by="elsewhere:4242",
                claimed_until=clock() + inbox.LEASE, attempts=attempts,
            )
        )


async def test_a_turn_whose_process_died_elsewhere_on_its_last_attempt_is_parked_and_told(
    hub: Hub, store: Store, web: RecordingChannel, clock: Clock
) -> None:
    """Once its lease runs out, it is parked rather than run again (it took its process down
    each time), its sender is told once, and their later events go on."""
    recorder = Recorder()
    hub.register(recorder)
    kicks: list[int] = []
    hub.deliverer.elsewhere = lambda: kicks.append(1)
    await held_elsewhere(store, clock, "web:anna:1", attempts=inbox.MAX_ATTEMPTS)
    await hub.receive("web:anna:2", Text(ANNA, "help"))
    assert await hub.run_due() == 0
    clock.advance(timedelta(minutes=1))
    assert await hub.run_due() == 1
    [row] = await load(store, InboxEvent, InboxEvent.key == "web:anna:1")
    assert (row.status, row.attempts, row.claimed_by) == (
        InboxStatus.PARKED.value, inbox.MAX_ATTEMPTS, None
    )
    assert [e.sender for e in recorder.prepared] == [ANNA]
    [apology] = await load(store, Outbox, col(Outbox.key).endswith(":failed"))
    assert apology.params["to"]["external_id"] == "anna"
    assert kicks == [1]
    await hub.deliverer.deliver_due(clock())
    assert TURN_FAILED_TEXT in texts(web)
    clock.advance(timedelta(hours=1))
    assert await hub.run_due() == 0
    assert await count(store, Outbox, col(Outbox.key).endswith(":failed")) == 1


async def test_in_a_backlog_what_a_process_left_is_parked_soon_after_its_lease(
    hub: Hub, store: Store, web: RecordingChannel, clock: Clock
) -> None:
    """Bo's events keep the worker busy (each turn takes ten seconds here), so it never idles;
    meanwhile the lease of Anna's event, held by a process that died elsewhere on its last
    attempt, runs out. The worker still looks now and then (Hub.look_every): Anna's event is
    parked and her later one runs, rather than after the whole backlog."""

    class Slow(Recorder):
        async def prepare(self, event: Event, context: dict[str, Any]) -> Event:
            clock.advance(timedelta(seconds=10))
            return await super().prepare(event, context)

    slow = Slow()
    hub.register(slow)
    await held_elsewhere(store, clock, "web:anna:1", attempts=inbox.MAX_ATTEMPTS)
    await hub.receive("web:anna:2", Text(ANNA, "help"))
    for n in range(6):
        await hub.receive(f"web:bo:{n}", Text(BO, "help"))
    assert await hub.run_due() == 7
    # Lease 15 s: two of Bo's turns, then the look that parks Anna's first event.
    assert [e.sender for e in slow.prepared] == [BO, BO, ANNA, BO, BO, BO, BO]
    [row] = await load(store, InboxEvent, InboxEvent.key == "web:anna:1")
    assert row.status == InboxStatus.PARKED.value


async def test_a_turn_whose_process_died_elsewhere_with_attempts_left_runs_again(
    hub: Hub, store: Store, web: RecordingChannel, clock: Clock
) -> None:
    await held_elsewhere(store, clock, "web:anna:1", attempts=inbox.MAX_ATTEMPTS - 1)
    clock.advance(timedelta(minutes=1))
    assert await hub.run_due() == 1
    [row] = await load(store, InboxEvent)
    assert (row.status, row.attempts) == (InboxStatus.DONE.value, inbox.MAX_ATTEMPTS)
    assert await count(store, Outbox, col(Outbox.key).endswith(":failed")) == 0
    assert web.calls and TURN_FAILED_TEXT not in texts(web)


@POSTGRESQL_ONLY
async def test_two_processes_finding_it_at_once_tell_the_sender_once(
    hub: Hub, store: Store, web: RecordingChannel, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """Two processes (here two hubs, each on connections of its own) find it at once: the
    first parks it and, before it commits, the second looks and would park it too. The second
    neither waits for the first nor parks it again: the sender is told once."""
    first = Hub(store, Brain(store), Deliverer(store, {"web": web}), clock, workers=1)
    await held_elsewhere(store, clock, "web:anna:1", attempts=inbox.MAX_ATTEMPTS)
    clock.advance(timedelta(minutes=1))
    parked_uncommitted, go_on = asyncio.Event(), asyncio.Event()

    def executed(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        # The first parking statement holds its transaction open until the second is done.
        parking = sql.startswith("UPDATE inbox_event SET status") and "error=" in sql
        if parking and not parked_uncommitted.is_set():
            parked_uncommitted.set()
            await_only(go_on.wait())

    event.listen(store.engine.sync_engine, "after_cursor_execute", executed)
    running = asyncio.create_task(first.run_due())
    try:
        # A timeout, not a pause: waiting for the first's row lock would never end.
        async with asyncio.timeout(10):
            await parked_uncommitted.wait()
            assert await hub.run_due() == 0
        go_on.set()
        assert await running == 0
    finally:
        go_on.set()
        await asyncio.gather(running, return_exceptions=True)
        event.remove(store.engine.sync_engine, "after_cursor_execute", executed)
    parkings = [r for r in caplog.records if "its process stopped each time" in r.getMessage()]
    assert len(parkings) == 1
    assert await count(store, Outbox, col(Outbox.key).endswith(":failed")) == 1
    await hub.deliverer.deliver_due(clock())
    assert texts(web) == [TURN_FAILED_TEXT]


async def test_an_inline_run_hands_back_its_first_reply_and_delivers_the_rest(
    hub: Hub, store: Store, web: RecordingChannel
) -> None:
    await hub.receive("web:anna:1", Command(ANNA, "open-account"))
    await hub.run_due()
    web.clear()
    replies = await hub.run_now("web:anna:2", Text(ANNA, "cancel"), take_first=True)
    assert replies is not None
    # The first reply is the caller's answer (a Teams card: the question, cancelled): not
    # owed, not sent; the rest is.
    assert replies[0].in_place and EN("✓ You chose: {answer}", answer="Cancel") in (
        replies[0].message.text
    )
    assert texts(web) == [EN("Cancelled. Nothing was sent.")]
    assert [r.status for r in await load(store, InboxEvent)] == [InboxStatus.DONE.value] * 2


@SQLITE_ONLY
async def test_an_inline_run_waits_behind_the_senders_events_still_in_the_spool(
    hub: Hub, store: Store, web: RecordingChannel
) -> None:
    """On SQLite an event acknowledged a moment ago may not be in the inbox yet (hub/intake.py):
    an inline run moves it there first, and waits behind it."""
    assert store.spool is not None
    # Spooled, not moved yet.
    await store.spool.put([hub._incoming("web:anna:1", Command(ANNA, "open-account"), None)])
    assert await hub.run_now("web:anna:2", Text(ANNA, "cancel")) is None
    assert await store.spool.count() == 0
    await hub.run_due()
    first, _retired, cancelled = texts(web)
    assert FIRST_QUESTION in first and EN("Cancelled. Nothing was sent.") in cancelled


@SQLITE_ONLY
async def test_events_in_the_spool_are_work_to_do(
    hub: Hub, store: Store, web: RecordingChannel
) -> None:
    assert store.spool is not None
    await store.spool.put([hub._incoming("web:anna:1", Command(ANNA, "open-account"), None)])
    assert not await hub.idle()
    assert await hub.run_due() == 1
    assert await hub.idle()


async def test_an_inline_run_waits_behind_the_senders_earlier_events(
    hub: Hub, store: Store, web: RecordingChannel
) -> None:
    await hub.receive("web:anna:1", Command(ANNA, "open-account"))
    assert await hub.run_now("web:anna:2", Text(ANNA, "cancel")) is None
    # Stored all the same: a worker runs both, in order.
    await hub.run_due()
    first, retired, cancelled = texts(web)
    assert FIRST_QUESTION in first and EN("Cancelled. Nothing was sent.") in cancelled
    # The question typed "cancel" to is rewritten in place: it says so, and has no buttons.
    assert [c.verb for c in web.calls] == ["reply", "update", "reply"]
    assert web.calls[1].ref == web.calls[0].ref and FIRST_QUESTION in retired


async def typed_to_before_it_was_sent(hub: Hub, web: RecordingChannel) -> None:
    """Anna types "cancel" to the first question while its card still waits to be sent (the
    platform was down as it went out)."""
    await hub.receive("web:anna:1", Command(ANNA, "open-account"))
    web.fail_next()
    await hub.run_due()
    assert web.calls == []
    await hub.receive("web:anna:2", Text(ANNA, "cancel"))
    await hub.run_due()


async def test_a_question_typed_to_before_its_card_was_sent_is_rewritten_once_it_is(
    hub: Hub, store: Store, web: RecordingChannel, clock: Clock
) -> None:
    await typed_to_before_it_was_sent(hub, web)
    [cancelled] = web.calls
    assert EN("Cancelled. Nothing was sent.") in cancelled.message.text

    # Once the question is sent, the answer typed to it rewrites it: no buttons left live.
    clock.advance(timedelta(hours=1))
    await hub.deliverer.deliver_due(clock())
    _, question, retired = web.calls
    assert (question.verb, retired.verb) == ("reply", "update")
    assert FIRST_QUESTION in question.message.text and retired.ref == question.ref
    assert EN("✓ You chose: {answer}", answer="Cancel") in retired.message.text
    assert not any(isinstance(b, Actions) for b in retired.message.blocks)
    assert all(r.status == "sent" for r in await load(store, Outbox, Outbox.kind == REPLY))


async def test_a_rewrite_waiting_for_a_card_that_is_then_given_up_is_dropped(
    hub: Hub, store: Store, web: RecordingChannel, clock: Clock
) -> None:
    await typed_to_before_it_was_sent(hub, web)
    # The platform refuses the question for good: there is no card to rewrite.
    web.fail_next(permanent=True)
    clock.advance(timedelta(hours=1))
    await hub.deliverer.deliver_due(clock())
    assert [c.verb for c in web.calls] == ["reply"]
    statuses = sorted(r.status for r in await load(store, Outbox, Outbox.kind == REPLY))
    assert statuses == ["failed", "sent", "sent"]
    assert await hub.deliverer.deliver_due(clock() + timedelta(hours=1)) == 0


async def test_a_registered_platform_prepares_each_turn(hub: Hub, store: Store) -> None:
    recorder = Recorder()
    hub.register(recorder)
    await hub.receive("web:anna:1", Command(ANNA, "help"))
    await hub.run_due()
    assert [e.sender.external_id for e in recorder.prepared] == ["anna"]
    assert [e.sender.external_id for e in recorder.finished] == ["anna"]


async def test_a_turn_that_fails_is_retried_and_runs_once_the_platform_is_back(
    store: Store, cast: Cast, clock: Clock, web: RecordingChannel
) -> None:
    down = True

    async def platform(ids: tuple[str, ...]) -> list[Sender | None]:
        if down:
            raise ConnectionError("the platform's people lookup is down")
        return [Sender("web", i, display_name="Stina Strand") for i in ids]

    hub = Hub(store, Brain(store, resolvers={"web": platform}), Deliverer(store, {"web": web}),
              clock)
    request = await submit(store, cast)
    who = await cast_senders(store, cast)
    # Someone we have never met: the platform must say who they are.
    value = f"{request.id}:{request.round}:manager"
    await hub.receive("web:dan:1", Action(who.manager, "handover:to", value, ("stina",)))
    await hub.run_due()
    [row] = await load(store, InboxEvent)
    assert (row.status, row.attempts) == (InboxStatus.PENDING.value, 1)
    assert await count(store, AccountRequest, AccountRequest.approver_id == cast.manager) == 1
    down = False
    clock.advance(timedelta(minutes=1))
    await hub.run_due()
    [row] = await load(store, InboxEvent)
    assert row.status == InboxStatus.DONE.value
    [moved] = await load(store, AccountRequest)
    assert moved.approver_id != cast.manager


async def run_three_counting(
    hub: Hub, store: Store, web: RecordingChannel, name: str, listener: Any
) -> None:
    """Run the three stored turns with `listener` on the engine's event `name` (once they are
    in the inbox: on SQLite, moved there from the spool)."""
    await hub.intake.settle()
    event.listen(store.engine.sync_engine, name, listener)
    try:
        assert await hub.run_due() == 3
    finally:
        event.remove(store.engine.sync_engine, name, listener)
    assert len(web.calls) == 3


async def test_a_worker_claims_its_next_event_in_the_transaction_that_ends_a_turn(
    hub: Hub, store: Store, web: RecordingChannel
) -> None:
    for n in range(3):
        await hub.receive(f"web:anna:{n}", Text(ANNA, "help"))
    writing: list[int] = []

    def begun(connection: Any) -> None:
        options = connection.get_execution_options()
        if not (options.get("kontobot_read") or options.get("postgresql_readonly")):
            writing.append(1)

    await run_three_counting(hub, store, web, "begin", begun)
    # One claim, then per turn: the turn (which claims the next event) and marking its reply
    # sent. Claiming each event in a transaction of its own would take two more.
    assert len(writing) == 1 + 3 * 2


async def test_a_turn_costs_few_statements(hub: Hub, store: Store, web: RecordingChannel) -> None:
    # Every statement is a round trip to PostgreSQL: the claim, the owed replies and the next
    # claim are single statements (RETURNING), not a read followed by writes.
    for n in range(3):
        await hub.receive(f"web:anna:{n}", Text(ANNA, "help"))
    statements: list[str] = []

    def executed(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        # What SQLite's transactions are made of (BEGIN, PRAGMA) is not a statement of ours.
        if not sql.startswith(("BEGIN", "PRAGMA")):
            statements.append(sql)

    await run_three_counting(hub, store, web, "before_cursor_execute", executed)
    # A look for work (a read) and the first claim; then per turn: reading the sender and
    # their dialog, owing the reply, reviving what could not reach them, finishing the event,
    # claiming the next (the last finds none), marking the reply sent; the first turn also
    # stores the sender's e-mail; a last look finds nothing. A claim that reads before it
    # writes, or reading the owed replies back, would cost 6 more.
    assert len(statements) == 2 + 3 * 7 + 1 + 1


async def test_a_reply_in_place_or_new_rewrites_the_clicked_card_else_comes_anew(
    hub: Hub, store: Store, web: RecordingChannel
) -> None:
    """The next page of /accounts replaces the page clicked on; where the platform named no
    card (or one the bot cannot edit), it comes as a new message rather than not at all."""
    await hub.receive("web:anna:0", Command(ANNA, "accounts"))
    await hub.run_due()
    [shown] = web.calls
    web.clear()
    page = Action(ANNA, "accounts:page", value="1")
    await hub.receive("web:anna:1", page, {CARD: shown.ref})
    await hub.run_due()
    [call] = web.calls
    assert (call.verb, call.target) == ("update", shown.ref)
    web.clear()
    await hub.receive("web:anna:2", page)
    await hub.run_due()
    [call] = web.calls
    assert (call.verb, call.target) == ("reply", "anna")


async def test_a_click_naming_a_card_sent_to_someone_else_rewrites_nothing(
    hub: Hub, store: Store, web: RecordingChannel
) -> None:
    """A click comes with the card it was made on as the platform names it, which a forged
    request can set to anyone's card: an answer is written over a card sent to the clicker
    alone; else it comes as a new message, and the other person's card stays as it was."""
    async with store.transaction() as session:
        await make_person(session, T0, "Bo Ek", ext="bo")
    await hub.receive("web:bo:0", Command(BO, "accounts"))
    await hub.run_due()
    [bos_card] = web.calls
    web.clear()
    await hub.receive("web:anna:1", Action(ANNA, "accounts:page", value="1"),
                      {CARD: bos_card.ref})
    await hub.run_due()
    [call] = web.calls
    assert (call.verb, call.target) == ("reply", "anna")


async def test_the_clicked_card_is_found_among_the_persons_newest_messages(
    hub: Hub, store: Store, clock: Clock
) -> None:
    """Looked for a page at a time, newest first, as far as CLICKED_WINDOW messages back: a
    card with fifteen messages after it is found as it was sent; one further back is not."""
    card = Message(text="Monitoring today", blocks=(
        Actions((Button("duty:monitored", "Monitored today", "1:2027-03-02"),)),
    ))
    async with store.transaction() as session:
        anna = await people.find_by_identity(session, "web", "anna")
        assert anna is not None and anna.id is not None
        for n, (ref, message) in enumerate(
            [("7", card), *[(f"x{i}", Message(text=f"later {i}")) for i in range(15)]]
        ):
            key = f"reply:test:{n}"
            await outbox.enqueue(session, key=key, kind=REPLY, now=clock(), recipient_id=anna.id,
                                 params={"platform": "web", "message": to_dict(message)})
            row = await outbox.by_key(session, key)
            assert row is not None and row.id is not None
            await outbox.mark_sent(session, row_id=row.id, now=clock(), delivered={"web": ref})
        assert await hub._clicked(session, anna, "web", "7") == card
        assert await hub._clicked(session, anna, "web", "x3") == Message(text="later 3")
        assert await hub._clicked(session, anna, "slack", "7") is None
        # A notice of a kind an older version sent, which cannot be composed any more: the
        # card is left as it was, and the turn's transaction goes on.
        await outbox.enqueue(session, key="gone:1", kind="a_kind_no_more", now=clock(),
                             recipient_id=anna.id, params={})
        gone = await outbox.by_key(session, "gone:1")
        assert gone is not None and gone.id is not None
        await outbox.mark_sent(session, row_id=gone.id, now=clock(), delivered={"web": "8"})
        assert await hub._clicked(session, anna, "web", "8") is None
        assert await hub._clicked(session, anna, "web", "7") == card
        for i in range(CLICKED_WINDOW):
            await outbox.enqueue(session, key=f"reply:more:{i}", kind=REPLY, now=clock(),
                                 recipient_id=anna.id, params={"platform": "web"})
        assert await hub._clicked(session, anna, "web", "7") is None


@SQLITE_ONLY
async def test_open_account_asks_the_platform_for_the_manager_before_its_transaction(
    store: Store, web: RecordingChannel, clock: Clock
) -> None:
    """The manager the directory names, unknown to the bot, is looked up by e-mail on the
    platform before the turn's transaction: on SQLite an event stored meanwhile (before its
    acknowledgement) does not wait for the platform, and the turn finds the manager known."""
    await import_staff(store, clock())
    asked, answer = asyncio.Event(), asyncio.Event()
    looked_up: list[str] = []

    async def by_email(email: str) -> Sender | None:
        looked_up.append(email)
        asked.set()
        await answer.wait()
        return Sender("web", "cecilia", "Cecilia Carlsson", "cecilia.carlsson@ki.se")

    hub = Hub(store, Brain(store, email_lookups={"web": by_email}),
              Deliverer(store, {"web": web}), clock, workers=1)
    anna = Sender("web", "anna.a", "Anna Andersson", "anna.andersson@ki.se", "en")
    await hub.receive("web:anna.a:1", Command(anna, "open-account"))
    running = asyncio.create_task(hub.run_due())

    try:
        await asyncio.wait_for(asked.wait(), timeout=20)
        await asyncio.wait_for(store_urgently(store), timeout=10)  # the platform has not answered
    finally:
        answer.set()
        assert await running == 1
    assert looked_up == ["cecilia.carlsson@ki.se"]
    async with store.read() as session:
        cecilia = await people.find_by_identity(session, "web", "cecilia")
    assert cecilia is not None and cecilia.email == "cecilia.carlsson@ki.se"


async def test_a_turn_wakes_delivery_only_when_it_owed_something_for_delivery(
    hub: Hub, store: Store, web: RecordingChannel, clock: Clock
) -> None:
    """A turn's own replies are sent by its worker; delivery is woken (a read of the outbox)
    only for what else the turn owed: here a message that had failed to reach Anna, revived
    by her writing, once her turn is committed."""
    kicks: list[int] = []
    hub.deliverer.elsewhere = lambda: kicks.append(1)
    assert await hub.receive("web:anna:1", Command(ANNA, "open-account"))
    assert await hub.run_due() == 1
    assert kicks == [] and len(web.calls) == 1
    async with store.transaction() as session:
        anna = await people.find_by_identity(session, "web", "anna")
        assert anna is not None and anna.id is not None
        await outbox.enqueue(session, key="welcome:1", kind="welcome", now=clock(),
                             recipient_id=anna.id, params={})
        [failed] = await outbox.claim_due(session, now=clock())
        await outbox.mark_failed(session, row_id=failed.id, error="unreachable", delivered={})
    assert await hub.receive("web:anna:2", Text(ANNA, "Instagram"))
    assert await hub.run_due() == 1
    assert kicks == [1]
    assert [r.status for r in await load(store, Outbox, Outbox.key == "welcome:1")] == ["pending"]
