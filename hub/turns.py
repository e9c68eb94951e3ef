"""Turns from the durable inbox: what every platform's adapter hands its events to.

An adapter translates a platform's payload into a neutral event and calls `Hub.receive`,
which commits it to the inbox (data/inbox.py) before the adapter acknowledges; only then
does the platform hear that we have it. Workers then claim rows, one sender at a time and in
order, and run each turn in one transaction that resolves the person, runs the dialogs, owes
the replies to the outbox and marks the row done. Delivery (hub/delivery.py) sends the replies.

A platform registers itself here (`register`), with the hooks its adapter needs around a turn
(looking people up on the platform before it, refreshing a view after it). Nothing else in the
hub, dialogs/, scheduler/ or data/ knows which platforms exist.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from data import inbox, outbox, people
from data.db import Store
from data.errors import DomainError
from data.models import InboxEvent, Outbox, OutboxStatus, Person
from dialogs import chat_platforms, notices
from dialogs.common import message
from dialogs.engine import Reply
from dialogs.events import Action, Command, Event, Sender, Visit
from dialogs.explain import explain
from dialogs.help import GREETING
from dialogs.messages import Message, from_dict, to_dict
from dialogs.router import Brain
from hub.delivery import REPLY, UPDATE, Deliverer
from hub.intake import Intake
from hub.sign_in_links import signed
from hub.wire import event_from_dict, event_to_dict

log = logging.getLogger(__name__)

Context = dict[str, Any]
# The context key under which an adapter names the message whose card was clicked (a reference
# its `Channel.update` takes): a reply `in_place` rewrites that message.
CARD = "card"


class Platform(Protocol):
    """What an adapter tells the hub about its platform."""

    # Its id (stored with each identity), what a sentence calls it (a msgid), and whether its
    # pages come from this server (then links to the dashboard may be paths).
    name: str
    label: str
    same_origin: bool

    async def prepare(self, event: Event, context: Context) -> Event:
        """Before the turn, outside any transaction: complete the event from the platform
        (the sender's profile, people picked or mentioned); return the event to run."""
        ...

    async def after(self, event: Event, context: Context) -> None:
        """After the turn has been committed (refresh a view the person is looking at)."""
        ...


@dataclass
class Stats:
    """What /metrics shows of the turns this process ran."""

    received: int = 0
    repeats: int = 0
    done: int = 0
    failed: int = 0
    parked: int = 0
    seconds: list[float] = field(default_factory=list)


class LeaseLost(Exception):
    """Another worker took the row over while this one was slow: its turn is rolled back."""


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# How long a worker chains turns in a backlog before it looks again (Hub.look_every): well
# inside an inbox lease, so what a process that died left is parked soon after the lease ends.
LOOK_EVERY = timedelta(seconds=5)

# How many of the newest messages to a person are searched for the card they clicked, and how
# many are read at a time.
CLICKED_WINDOW = 100
CLICKED_PAGE = 10
# What a question card's actions start with (dialogs.engine): the cards a typed answer retires.
QUESTION = "dlg:"


def _actions(message: Any) -> list[str]:
    """The actions of a message as the outbox keeps it (dialogs.messages.to_dict)."""
    found: list[str] = []
    for block in (message or {}).get("blocks", ()) if isinstance(message, dict) else ():
        if block.get("action"):
            found.append(str(block["action"]))
        found += [str(b.get("action", "")) for b in block.get("buttons", ())]
    return found


# The code a person is shown when their turn was given up on (explain's "Something went
# wrong ({code})": what they can quote to the Communications Office).
TURN_FAILED = "turn_failed"


def reply_to(sender: Sender) -> dict[str, Any]:
    """Where `sender` wrote, as a reply's params keep it: sending it looks nothing up."""
    return {"external_id": sender.external_id, "details": dict(sender.address)}


def reply_key(row_key: str, n: int) -> str:
    # Outbox keys are at most 255 characters; inbox keys may be as long: a digest is not.
    return f"reply:{hashlib.sha256(row_key.encode()).hexdigest()[:40]}:{n}"


class Hub:
    def __init__(
        self,
        store: Store,
        brain: Brain,
        deliverer: Deliverer,
        clock: Callable[[], datetime],
        *,
        workers: int = 4,
        idle: float = 1.0,
        drain_seconds: float = 20.0,
    ) -> None:
        self.store = store
        self.brain = brain
        self.deliverer = deliverer
        self.clock = clock
        self.worker = worker_name()
        self.platforms: dict[str, Platform] = {}
        # Stores what `receive` is given, events arriving together in one commit.
        self.intake = Intake(store)
        # On SQLite events reach the inbox from the spool (hub/intake.py): woken then.
        self.intake.moved = self._moved
        self.stats = Stats()
        self._workers = workers
        self._idle = idle
        self._drain_seconds = drain_seconds
        # One wake-up per event received, so one idle worker (not all) looks for it.
        self._wake = asyncio.Semaphore(0)
        self._tasks: list[asyncio.Task[None]] = []
        # Rows being worked on in this process, and the renewals keeping their leases.
        self._working: dict[int, asyncio.Task[None]] = {}
        self._stopping = False
        # Set when other processes run the workers (bot/turn_processes.py): what wakes them.
        self.elsewhere: Callable[[], None] | None = None
        # How long a worker goes from turn to turn claiming the next event in the turn's own
        # transaction (the cheapest way) before it looks through `_claim` again, which also
        # parks what a process that died elsewhere left on its last attempt: in a backlog
        # that never lets a worker idle, its sender's later events would wait till it ends.
        self.look_every = LOOK_EVERY

    def register(self, platform: Platform) -> None:
        self.platforms[platform.name] = platform
        chat_platforms.describe(platform.name, platform.label, same_origin=platform.same_origin)

    # --- receiving ----------------------------------------------------------------------

    async def receive(self, key: str, event: Event, context: Context | None = None) -> bool:
        """Commit `event` to the inbox under the platform's delivery id `key`; True when it is
        new. Returns only once it is committed: the adapter acknowledges after this, so this
        write goes before the turns' own (an urgent transaction). Events received together
        share one transaction and one commit (hub/intake.py)."""
        new = await self.intake.store_one(self._incoming(key, event, context))
        self._count(key, new)
        if new and self.store.spool is None:
            self._woken()
        return new

    def _moved(self, keys: set[str]) -> None:
        for _ in keys:
            self._woken()

    def _woken(self) -> None:
        if self.elsewhere is not None:
            self.elsewhere()
        else:
            self._wake.release()

    def wake(self, events: int = 1) -> None:
        """`events` were stored by another process: idle workers look for them now."""
        for _ in range(min(events, self._workers)):
            self._wake.release()

    async def run_now(
        self, key: str, event: Event, context: Context | None = None, *, take_first: bool = False
    ) -> list[Reply] | None:
        """Store `event` like `receive`, and run it at once, in this request, when it may run
        now (no earlier event of its sender waits); it is claimed in the transaction that
        stores it, so no worker takes it meanwhile. Returns the turn's replies; None when it
        could not run here (a repeat, or its sender's earlier events wait: a worker runs it).
        With `take_first` the first reply is the caller's to answer with (a Teams card in the
        HTTP response) and is not owed to the outbox; the others are owed and delivered before
        this returns."""
        # Its sender's events received before it are in the inbox first, to run before it.
        await self.intake.settle()
        async with self.store.transaction(urgent=True) as session:
            new = await self._store(session, key, event, context)
            rows = await inbox.claim(session, now=self.clock(), worker=self.worker, key=key)
        if not rows:
            if new:
                self._woken()
            return None
        return await self._work(rows[0], take_first=take_first)

    async def met(self, sender: Sender) -> None:
        """`sender` did something that is not a turn (Teams' typing, an install): remember how
        to reach them, and what could not reach them before is owed anew."""
        now = self.clock()
        async with self.store.transaction() as session:
            person = await self.brain.capture(session, sender, now)
            assert person.id is not None
            await self.deliverer.revive(session, person.id, now)

    def _incoming(self, key: str, event: Event, context: Context | None) -> inbox.Incoming:
        sender = event.sender
        return inbox.Incoming(
            key=key,
            platform=sender.platform,
            lane=f"{sender.platform}:{sender.external_id}",
            payload={"event": event_to_dict(event), "context": context or {}},
            now=self.clock(),
        )

    async def _store(
        self, session: AsyncSession, key: str, event: Event, context: Context | None
    ) -> bool:
        incoming = self._incoming(key, event, context)
        new = await inbox.receive(
            session,
            key=incoming.key,
            platform=incoming.platform,
            lane=incoming.lane,
            payload=incoming.payload,
            now=incoming.now,
        )
        self._count(key, new)
        return new

    def _count(self, key: str, new: bool) -> None:
        if new:
            self.stats.received += 1
        else:
            self.stats.repeats += 1
            log.info("inbox: %s received before, stored once", key)

    # --- workers ------------------------------------------------------------------------

    async def start(self) -> None:
        await self._reclaim()
        self._stopping = False
        self._tasks = [asyncio.create_task(self._loop()) for _ in range(self._workers)]

    async def _reclaim(self) -> None:
        """Rows held by a process of this machine that no longer runs (killed, crashed) are
        taken back at once, rather than when their lease runs out."""
        host = self.worker.rpartition(":")[0]
        told = False
        async with self.store.transaction() as session:
            now = self.clock()
            for holder in await inbox.holders(session):
                where, _, pid = holder.rpartition(":")
                if where == host and pid.isdigit() and not _alive(int(pid)):
                    given_up = await inbox.used_up(session, worker=holder)
                    released = await inbox.release(session, worker=holder, stopped=True)
                    log.info("inbox: %d event(s) of a stopped process taken back", released)
                    told = await self._stopped_every_time(session, given_up, now) or told
        if told:
            self.deliverer.kick()

    async def _park_stopped(self) -> None:
        """Rows whose lease ran out on their last attempt are parked rather than claimed again
        (their process stopped while running them every time, where `_reclaim` cannot see it:
        on another machine, or on this one under another name), and their senders told."""
        async with self.store.transaction() as session:
            now = self.clock()
            given_up = await inbox.park_stopped(session, now=now)
            told = await self._stopped_every_time(session, given_up, now)
        if told:
            self.deliverer.kick()

    async def _stopped_every_time(
        self, session: AsyncSession, given_up: list[InboxEvent], now: datetime
    ) -> bool:
        """Tell the senders of `given_up`, parked as their process stopped while running them
        on each attempt; True when a message was owed."""
        told = False
        for row in given_up:
            log.error("inbox: %s parked after %d attempts: its process stopped each time",
                      row.key, row.attempts)
            told = await self._given_up(session, row, now) or told
        return told

    async def quiesce(self) -> None:
        """Take no more work; let the turns in progress finish (within `drain_seconds`); what
        is left stays in the inbox for the next start or another process."""
        self._stopping = True
        for _ in self._tasks:
            self._wake.release()
        if self._tasks:
            _done, pending = await asyncio.wait(self._tasks, timeout=self._drain_seconds)
            for task in pending:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            if pending:
                log.warning("inbox: %d turn(s) cut short at shutdown", len(pending))
        self._tasks = []
        # Renewals of rows whose workers were cut short: the rows are given back below.
        for renewal in self._working.values():
            renewal.cancel()
        await asyncio.gather(*self._working.values(), return_exceptions=True)
        self._working.clear()
        async with self.store.transaction() as session:
            released = await inbox.release(session, worker=self.worker)
        if released:
            log.info("inbox: %d event(s) left for the next start", released)

    async def idle(self) -> bool:
        """Nothing in the inbox waits to run now, and no turn is in progress here."""
        if self._working:
            return False
        await self.intake.settle()
        async with self.store.read() as session:
            return not await inbox.runnable(session, now=self.clock())

    async def run_due(self, limit: int = 100) -> int:
        """Run what may run now, one row after another (tests, and the CLI); the count run."""
        await self.intake.settle()
        ran = 0
        looked = self.clock()
        row = await self._claim() if limit > 0 else None
        while row is not None:
            ran += 1
            row = (await self._run(row, chain=ran < limit and self._chains(looked)))[1]
            if row is None and ran < limit:
                looked = self.clock()
                row = await self._claim()
        return ran

    def _chains(self, looked: datetime) -> bool:
        """Whether a turn claims the next event itself, `_claim` having looked at `looked`."""
        return self.clock() - looked < self.look_every

    async def _loop(self) -> None:
        # A row this worker claimed in the transaction that finished its last turn.
        row: InboxEvent | None = None
        looked = self.clock()
        while True:
            if self._stopping:
                if row is not None:
                    # Not started: quiesce gives it back with the rest.
                    await self._let_go(row)
                return
            if row is None:
                looked = self.clock()
                try:
                    row = await self._claim()
                except Exception:
                    log.exception("inbox: claiming failed; trying again shortly")
                    row = None
            if row is not None:
                row = (await self._run(row, chain=self._chains(looked)))[1]
                continue
            # Nothing to run here: wait for a new event, or look again shortly (a retry come
            # due, a lease run out, an event received by another process).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._idle):
                    await self._wake.acquire()

    async def _claim(self) -> InboxEvent | None:
        if self._stopping:
            return None
        # A read first: it takes no write lock, and mostly there is nothing to claim.
        async with self.store.read() as session:
            waiting = await inbox.waiting(session, now=self.clock())
        if waiting.to_park:
            # Rare (a process died on an event's last attempt); the sender's later events may
            # run once it is parked, so a claim follows, even when parking failed.
            try:
                await self._park_stopped()
            except Exception:
                log.exception("inbox: parking what a stopped process left failed; claiming")
        elif not waiting.to_claim:
            return None
        async with self.store.transaction() as session:
            rows = await inbox.claim(session, now=self.clock(), worker=self.worker)
        return rows[0] if rows else None

    async def _renew(self, row_id: int) -> None:
        while True:
            await asyncio.sleep(inbox.LEASE.total_seconds() / 3)
            async with self.store.transaction() as session:
                await inbox.renew(session, ids=[row_id], worker=self.worker, now=self.clock())

    def _hold(self, row: InboxEvent) -> None:
        """Keep `row`'s lease renewed while this process has it."""
        assert row.id is not None
        if row.id not in self._working:
            self._working[row.id] = asyncio.create_task(self._renew(row.id))

    async def _let_go(self, row: InboxEvent) -> None:
        assert row.id is not None
        renewal = self._working.pop(row.id, None)
        if renewal is not None:
            renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewal

    async def _work(self, row: InboxEvent, *, take_first: bool = False) -> list[Reply] | None:
        return (await self._run(row, take_first=take_first))[0]

    async def _run(
        self, row: InboxEvent, *, take_first: bool = False, chain: bool = False
    ) -> tuple[list[Reply] | None, InboxEvent | None]:
        """Run `row`'s turn; its replies, and with `chain` the row claimed for this worker in
        the turn's own transaction (one writing transaction fewer per turn under load)."""
        self._hold(row)
        started = asyncio.get_running_loop().time()
        try:
            replies, owed, following, others = await self._turn(
                row, take_first=take_first, chain=chain
            )
        except asyncio.CancelledError:
            raise
        except Exception as error:
            await self._failed(row, error)
            return None, None
        finally:
            await self._let_go(row)
        if following is not None:
            self._hold(following)
        self.stats.done += 1
        self.stats.seconds = [*self.stats.seconds[-999:], asyncio.get_running_loop().time() - started]
        # The turn's own replies go out at once, in order, from here (owed already claimed);
        # anything else it owed (notices to others) goes with the delivery pass woken here.
        if owed:
            await self.deliverer.send_claimed(owed, self.clock())
        if others:
            self.deliverer.kick()
        event, context = self._decode(row)
        platform = self.platforms.get(row.platform)
        if platform is not None:
            try:
                await platform.after(event, context)
            except Exception:
                log.exception("inbox: %s's after-turn step failed for %s", row.platform, row.key)
        return replies, following

    @staticmethod
    def _decode(row: InboxEvent) -> tuple[Event, Context]:
        return event_from_dict(row.payload["event"]), dict(row.payload.get("context") or {})

    async def _turn(
        self, row: InboxEvent, *, take_first: bool, chain: bool
    ) -> tuple[list[Reply], list[Outbox], InboxEvent | None, bool]:
        """The turn's replies, the rows of those it owed (claimed, for this worker to send), the
        row it claimed next with `chain`, and whether it owed anything for delivery to send."""
        assert row.id is not None
        event, context = self._decode(row)
        platform = self.platforms.get(row.platform)
        if platform is not None:
            event = await platform.prepare(event, context)
        now = self.clock()
        # What the turn would ask Graph or the platform for, asked before its transaction.
        await self.brain.look_up_ahead(event, now)
        async with self.store.transaction() as session:
            person = await self.brain.capture(session, event.sender, now)
            assert person.id is not None
            # The card the person clicked, as the adapter named it: what an answer rewrites.
            card = str(context.get(CARD) or "")
            clicked = (
                functools.partial(self._clicked, session, person, row.platform, card)
                if card and isinstance(event, Action)
                else None
            )
            replies = await self.brain.turn(session, person, event, now, clicked)
            if take_first and replies:
                # The caller answers with it at once, not through the outbox: signed here.
                first, signing = replies[0], self.deliverer.signing_key
                replies = [replace(first, message=signed(first.message, signing, person.id)),
                           *replies[1:]]
            if card and any(reply.in_place for reply in replies) and (
                await self._card_sent(session, person, row.platform, card) is None
            ):
                # The click names a card that was not sent to this person (or long ago): an
                # answer is not written over it (a forged click could name anyone's card, and
                # wipe its buttons); what may come anew does (`or_new`).
                card, foreign = "", True
            else:
                foreign = False
            keys: list[str] = []
            rows: dict[str, Outbox] = {}
            to = reply_to(event.sender)
            for n, reply in enumerate(replies):
                if take_first and n == 0:
                    if reply.in_place and card:
                        # The caller's answer rewrites the clicked card: on record as sent, so
                        # that the next click on it finds it as it reads now (_clicked).
                        await self._answered_in_place(session, row, person.id, reply, card, now)
                    continue
                target, unsent = card, None
                if reply.in_place and not target and not foreign:
                    # A typed answer: the card it answers is the newest one owed with its
                    # actions, if that is still the newest question card of the chat.
                    target, unsent = await self._card_of(
                        session, person.id, row.platform, reply.card_of
                    )
                if reply.in_place and not target and not unsent and not reply.or_new:
                    # Nothing to rewrite (a message the platform can't edit, or none).
                    continue
                key = reply_key(row.key, n)
                new = await outbox.enqueue_claimed(
                    session,
                    key=key,
                    kind=REPLY,
                    now=now,
                    recipient_id=person.id,
                    # The card is still on its way: its rewrite waits until it is sent.
                    update_of=unsent,
                    params={
                        "message": to_dict(reply.message),
                        "ephemeral": reply.ephemeral,
                        "platform": row.platform,
                        "to": to,
                        "context": context.get("reply") or {},
                        **({UPDATE: target} if reply.in_place and target else {}),
                    },
                )
                keys.append(key)
                if new is not None:
                    rows[key] = new
            if len(rows) < len(keys):
                # Owed already by an earlier attempt that was cut short: sent as they are.
                rows |= {o.key: o for o in await outbox.by_keys(session, keys)}
            owed = [rows[key] for key in keys if key in rows]
            # What could not reach this person before may reach them now that they wrote.
            await self.deliverer.revive(session, person.id, now)
            if not await inbox.finish(session, row_id=row.id, worker=self.worker, now=now):
                raise LeaseLost(row.key)
            following = None
            if chain and not self._stopping:
                claimed = await inbox.claim(session, now=now, worker=self.worker)
                following = claimed[0] if claimed else None
            others = outbox.for_delivery(session)
        return replies, owed, following, others

    @staticmethod
    async def _answered_in_place(
        session: AsyncSession, row: InboxEvent, person_id: int, reply: Reply, card: str,
        now: datetime,
    ) -> None:
        answered = await outbox.enqueue_claimed(
            session, key=reply_key(row.key, 0), kind=REPLY, now=now, recipient_id=person_id,
            params={"message": to_dict(reply.message), "ephemeral": False,
                    "platform": row.platform, UPDATE: card},
        )
        if answered is not None and answered.id is not None:
            await outbox.mark_sent(
                session, row_id=answered.id, now=now, delivered={row.platform: card}
            )

    @staticmethod
    async def _card_of(
        session: AsyncSession, person_id: int, platform: str, actions: str
    ) -> tuple[str, str | None]:
        """The newest question card owed to the person on `platform`, when its actions start
        with `actions`: its reference if it is sent, else its outbox key (it is still on its
        way: typed to faster than it was delivered, or before it was marked sent). ("", None)
        when the newest is another question's (or there is none)."""
        if not actions:
            return "", None
        for owed in await outbox.latest_owed(session, recipient_id=person_id, kind=REPLY):
            params = owed.params
            if (params.get("platform") != platform or params.get(UPDATE) or owed.update_of
                    or params.get("ephemeral")):
                continue
            found = _actions(params.get("message"))
            if not any(a.startswith(QUESTION) for a in found):
                continue
            if not any(a.startswith(actions) for a in found):
                return "", None
            if owed.status != OutboxStatus.SENT.value:
                return "", owed.key
            # Sent where it cannot be edited (no reference): nothing to rewrite.
            return owed.delivered.get(platform, ""), None
        return "", None

    async def _clicked(
        self, session: AsyncSession, person: Person, platform: str, ref: str
    ) -> Message | None:
        """The card `person` clicked on `platform` (`ref`, as the platform names it), as it
        reads now: the newest rewrite of it, else the message first sent. Looked for among
        the newest messages to the person (CLICKED_WINDOW); an older card is not rewritten,
        though its button still works."""
        sent = await self._card_sent(session, person, platform, ref)
        if sent is None:
            return None
        if sent.kind == REPLY:
            return from_dict(dict(sent.params["message"]))
        return await self._composed(session, person, sent)

    @staticmethod
    async def _card_sent(
        session: AsyncSession, person: Person, platform: str, ref: str
    ) -> Outbox | None:
        """The outbox row that put card `ref` in front of `person` on `platform` (the newest
        rewrite of it, else the message first sent), among their newest messages; None: no
        card of theirs (older than CLICKED_WINDOW, or someone else's)."""
        assert person.id is not None
        # A few at a time: the card clicked is nearly always among the newest.
        for offset in range(0, CLICKED_WINDOW, CLICKED_PAGE):
            rows = await outbox.newest_to(
                session, recipient_id=person.id, limit=CLICKED_PAGE, offset=offset
            )
            for sent in rows:
                params = sent.params
                if sent.kind == REPLY:
                    if params.get("platform") != platform or params.get("ephemeral"):
                        continue
                    if params.get(UPDATE) == ref or sent.delivered.get(platform) == ref:
                        return sent
                elif sent.delivered.get(platform) == ref:
                    return sent
            if len(rows) < CLICKED_PAGE:
                break
        return None

    async def _composed(self, session: AsyncSession, person: Person, sent: Outbox) -> Message | None:
        """A notice as it reads now, in the person's language: composed from the state when it
        is sent (hub.delivery), so too the card it rewrites. A notice that can no longer be
        composed (a kind an older version sent, what it named gone) is left as it is: the
        click still counts, in a savepoint of its own so the turn goes on."""
        tr = self.brain.translator(person)
        try:
            async with session.begin_nested():
                return await notices.compose(session, tr, sent.kind, sent.params, sent.recipient_id)
        except Exception:
            log.warning("the clicked %s card (%s) could not be composed again; it is left as it "
                        "was", sent.kind, sent.key, exc_info=True)
            return None

    async def _given_up(self, session: AsyncSession, row: InboxEvent, now: datetime) -> bool:
        """The person whose turn was parked is told, where they wrote and in their language,
        rather than left waiting for an answer that will not come (an operator may run it
        again: data.parked). Nobody is told of an event that cannot be read, from someone
        never met, or that asked nothing (a visit to the Home tab, the greeting on opening
        the chat). True when a message was owed. In a savepoint of its own: failing to say
        so must not undo the parking (the row would run and fail for ever, and the sender's
        later events wait behind it)."""
        try:
            async with session.begin_nested():
                return await self._apologise(session, row, now)
        except Exception:
            log.exception("inbox: could not tell the sender of %s that it was given up", row.key)
            return False

    async def _apologise(self, session: AsyncSession, row: InboxEvent, now: datetime) -> bool:
        try:
            event, context = self._decode(row)
        except Exception:
            return False
        if isinstance(event, Visit) or (isinstance(event, Command) and event.name == GREETING):
            return False
        sender = event.sender
        person = await people.find_by_identity(session, sender.platform, sender.external_id)
        if person is None:
            return False
        text = explain(self.brain.translator(person), DomainError(TURN_FAILED))
        return await outbox.enqueue(
            session,
            key=f"{reply_key(row.key, 0)}:failed",
            kind=REPLY,
            now=now,
            recipient_id=person.id,
            params={
                "message": to_dict(message(text)),
                "ephemeral": False,
                "platform": row.platform,
                "to": reply_to(sender),
                "context": context.get("reply") or {},
            },
        )

    async def _failed(self, row: InboxEvent, error: Exception) -> None:
        assert row.id is not None
        if isinstance(error, LeaseLost):
            log.warning("inbox: %s was taken over by another worker", row.key)
            return
        self.stats.failed += 1
        reason = f"{type(error).__name__}: {error}"
        try:
            async with self.store.transaction() as session:
                now = self.clock()
                parked = await inbox.fail(
                    session, row_id=row.id, worker=self.worker, now=now, error=reason
                )
                told = parked and await self._given_up(session, row, now)
        except Exception:
            log.exception("inbox: could not record the failure of %s", row.key)
            return
        if told:
            self.deliverer.kick()
        if parked:
            self.stats.parked += 1
            log.error(
                "inbox: %s parked after %d attempts: %s", row.key, row.attempts, reason,
                exc_info=error,
            )
        else:
            log.warning("inbox: %s failed (attempt %d), will retry: %s", row.key, row.attempts,
                        reason, exc_info=error)
