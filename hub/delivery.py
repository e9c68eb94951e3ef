"""Delivers the outbox, one message at a time, with retries.

Rows are claimed in one short transaction, sent outside any transaction, and the outcome is
written in another: a slow or failing platform never holds a database lock, and a worker that
dies between claiming and sending leaves a lease that runs out, so the row is sent later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from data import outbox, people
from data.db import Store
from data.models import Outbox, OutboxStatus
from dialogs import notices
from dialogs.channel import PLACES, Address, Channel, DeliveryError
from dialogs.i18n import Translator, normalise
from dialogs.messages import Message, from_dict
from hub.sign_in_links import signed

log = logging.getLogger(__name__)

# How long after the message it rewrites is tried an update is tried again.
UPDATE_WAIT = timedelta(seconds=2)
# A turn's reply (hub/turns.py): the message itself is in the row, composed by the turn, and
# it goes back on the platform the person wrote on, where they wrote (the row's context).
REPLY = outbox.REPLY
# A reply's param naming the message it rewrites (the clicked card), rather than being sent.
UPDATE = "update"


class Deliverer:
    def __init__(
        self,
        store: Store,
        channels: dict[str, Channel],
        *,
        default_locale: str = "en",
        timezone: ZoneInfo | None = None,
        signing_key: bytes | None = None,
    ) -> None:
        self.store = store
        # Signs the dashboard sign-in links in replies as they leave (hub/sign_in_links.py);
        # from outside the database (bot/secret_key.py).
        self.signing_key = signing_key
        self.channels = channels
        self.default_locale = normalise(default_locale)
        self.timezone = timezone or ZoneInfo("Europe/Stockholm")
        self._wake = asyncio.Event()
        # Set when other processes deliver (bot/turn_processes.py): what wakes them.
        self.elsewhere: Callable[[], None] | None = None

    def places(self) -> frozenset[str]:
        """The places some platform here has configured."""
        return frozenset().union(*(c.places() for c in self.channels.values()))

    async def start(self, now: datetime) -> dict[str, int]:
        """At start: say which office has no place on any platform (its notices of openings
        and closings wait in the outbox until one is configured), and owe anew what waited
        for a place configured now. Returns what still waits, per place."""
        configured = self.places()
        async with self.store.transaction() as session:
            released = await outbox.release_placed(session, places=configured, now=now)
            waiting = await outbox.waiting_for_places(session)
        if released:
            log.info("%s message(s) that waited for a place are sent now", released)
            self.kick()
        for place in PLACES:
            if place not in configured:
                log.warning(
                    "no platform has the place %r configured: its notices (openings, "
                    "closings) wait in the outbox until one is (%s waiting)",
                    place, waiting.get(place, 0),
                )
        return waiting

    def kick(self) -> None:
        """Something was written to the outbox: deliver it now rather than at the next tick."""
        self._wake.set()
        if self.elsewhere is not None:
            self.elsewhere()

    async def run(self, clock: Callable[[], datetime], idle: float = 5.0) -> None:
        """Deliver until cancelled, waking on `kick()` or every `idle` seconds."""
        while True:
            try:
                while await self.deliver_due(clock()):
                    pass
            except Exception:
                log.exception("outbox delivery pass failed; trying again shortly")
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
            # arrives together with a kick, and shutdown would then wait forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(idle):
                    await self._wake.wait()
            self._wake.clear()

    async def deliver_due(self, now: datetime, limit: int = 20) -> int:
        """Claim and deliver what is due at `now`; returns how many rows were attempted."""
        # A read first: most passes find nothing, and need not queue for the write lock.
        async with self.store.read() as session:
            if not await outbox.any_due(session, now=now):
                return 0
        async with self.store.transaction() as session:
            rows = await outbox.claim_due(session, now=now, limit=limit)
        for row in rows:
            await self._deliver(row, now)
        return len(rows)

    async def send_claimed(self, rows: list[Outbox], now: datetime) -> None:
        """Send rows their owner claimed when it owed them (a turn's replies), in order, and
        mark those sent in one transaction; a failure is recorded as any delivery's is."""
        sent: list[tuple[int, dict[str, str]]] = []
        for row in rows:
            delivered = await self._attempt(row, now)
            if delivered is not None:
                assert row.id is not None
                sent.append((row.id, delivered))
        if sent:
            async with self.store.transaction() as session:
                await outbox.mark_many_sent(session, sent=sent, now=now)

    async def _deliver(self, row: Outbox, now: datetime) -> None:
        assert row.id is not None
        delivered = await self._attempt(row, now)
        if delivered is None:
            return
        async with self.store.transaction() as session:
            await outbox.mark_sent(session, row_id=row.id, now=now, delivered=delivered)

    async def _attempt(self, row: Outbox, now: datetime) -> dict[str, str] | None:
        """Send `row`; what it was delivered as, or None when it failed (and that is recorded:
        a retry owed, or given up)."""
        assert row.id is not None
        delivered = dict(row.delivered)
        try:
            if row.kind == REPLY:
                delivered = await self._reply(row, delivered)
            elif row.update_of is not None:
                delivered = await self._update(row, now)
            elif row.place is not None:
                delivered = await self._post(row, delivered)
            else:
                delivered = await self._send(row, delivered)
        except _NoPlace as missing:
            async with self.store.transaction() as session:
                await outbox.hold_unplaced(session, row_id=row.id, now=now, delivered=delivered)
            log.warning("%s; %s waits for it", missing, row.key)
            return None
        except _NotYet as wait:
            async with self.store.transaction() as session:
                waiting = await outbox.wait_for_original(
                    session,
                    row_id=row.id,
                    now=now,
                    error=str(wait),
                    delivered=delivered,
                    # Tried again just after the message it rewrites is, in step with that
                    # message's backoff: a platform down for minutes is outlasted.
                    until=max(wait.tried_next, now) + UPDATE_WAIT,
                )
            if not waiting:
                log.error("outbox row %s (%s) given up: %s", row.key, row.kind, wait)
            return None
        except DeliveryError as error:
            await self._failed(row, now, str(error), delivered, error.retry_after, error.permanent)
            return None
        except Exception as error:  # a bug or an unexpected platform answer: keep the row
            log.exception("outbox row %s (%s) could not be delivered", row.key, row.kind)
            await self._failed(row, now, repr(error), delivered, None, False)
            return None
        return delivered

    async def _failed(
        self,
        row: Outbox,
        now: datetime,
        reason: str,
        delivered: dict[str, str],
        retry_after: float | None,
        permanent: bool,
    ) -> None:
        assert row.id is not None
        async with self.store.transaction() as session:
            if permanent:
                await outbox.mark_failed(
                    session, row_id=row.id, error=reason, delivered=delivered
                )
                retried = False
                await self._tell_unreachable(session, row, now)
            else:
                retried = await outbox.mark_retry(
                    session, row_id=row.id, now=now, error=reason, delivered=delivered,
                    delay=_delay(retry_after),
                )
        if retried:
            log.warning("outbox row %s (%s) failed, will retry: %s", row.key, row.kind, reason)
        else:
            log.error("outbox row %s (%s) given up: %s", row.key, row.kind, reason)

    async def _tell_unreachable(self, session: AsyncSession, row: Outbox, now: datetime) -> None:
        """The platform refused to reach a person for good: tell whoever waits on them."""
        if row.recipient_id is None or row.update_of is not None:
            return
        told = await notices.who_hears_of_unreachable(session, row.kind, row.params)
        if told is None or told == row.recipient_id:
            return
        await outbox.enqueue(
            session,
            key=f"unreachable:{row.key}"[:255],
            kind="unreachable",
            now=now,
            recipient_id=told,
            params={**row.params, "person_id": row.recipient_id, "about": row.kind},
        )
        self.kick()

    async def reachable_again(self, person_id: int, now: datetime) -> int:
        """The person has just written to the bot: what failed to reach them is sent anew."""
        async with self.store.transaction() as session:
            revived = await self.revive(session, person_id, now)
        if revived:
            self.kick()
        return revived

    async def revive(self, session: AsyncSession, person_id: int, now: datetime) -> int:
        """In `session`'s transaction (the turn's): what failed to reach the person is owed
        anew (`outbox.for_delivery`: wake delivery once it is committed). Composed at delivery
        as always, so a card that waited shows the current state; old replies are not revived
        (the conversation has moved on since)."""
        revived = await outbox.revive(session, recipient_id=person_id, now=now, besides=REPLY)
        if revived:
            log.info("person %s is reachable again: %s message(s) to send anew", person_id, revived)
        return revived

    async def _compose(self, row: Outbox) -> Message:
        async with self.store.read() as session:
            locale = self.default_locale
            if row.recipient_id is not None:
                person = await people.get_person(session, row.recipient_id)
                locale = normalise(person.locale, self.default_locale)
            tr = Translator(locale, self.timezone)
            return await notices.compose(session, tr, row.kind, row.params, row.recipient_id)

    async def _send(self, row: Outbox, delivered: dict[str, str]) -> dict[str, str]:
        assert row.recipient_id is not None
        address = await self._address(row.recipient_id)
        if address is None:
            raise DeliveryError("no configured platform reaches this person")
        if address.platform in delivered:
            return delivered
        message = await self._compose(row)
        ref = await self.channels[address.platform].send(address, message)
        return {**delivered, address.platform: ref}

    async def _reply(self, row: Outbox, delivered: dict[str, str]) -> dict[str, str]:
        assert row.recipient_id is not None
        platform = str(row.params.get("platform", ""))
        if platform in delivered:
            return delivered
        channel = self.channels.get(platform)
        if channel is None:
            raise DeliveryError(f"{platform!r} is not configured here", permanent=True)
        # The turn that owed the reply wrote down where the person is (params "to").
        to = row.params.get("to")
        if not isinstance(to, dict):
            async with self.store.read() as session:
                known = await people.identities(session, row.recipient_id)
            identity = next((i for i in known if i.platform == platform), None)
            if identity is None:
                raise DeliveryError(f"the person has no {platform} identity", permanent=True)
            to = {"external_id": identity.external_id, "details": dict(identity.address)}
        address = Address(
            platform,
            str(to["external_id"]),
            {**dict(to.get("details") or {}), **dict(row.params.get("context") or {})},
        )
        try:
            message = signed(
                from_dict(dict(row.params["message"])), self.signing_key, row.recipient_id
            )
        except ValueError as error:
            raise DeliveryError(str(error), permanent=True) from error
        clicked = row.params.get(UPDATE)
        if row.update_of is not None:
            # A typed answer's rewrite of a card that was still on its way (hub.turns).
            original = await self._sent(row.update_of)
            # Not sent, or sent where it cannot be edited: nothing to rewrite.
            clicked = original.delivered.get(platform) if original is not None else None
            if not clicked:
                return delivered
        if clicked:
            await channel.update(str(clicked), message)
            return {**delivered, platform: str(clicked)}
        ref = await channel.reply(address, message, ephemeral=bool(row.params.get("ephemeral")))
        return {**delivered, platform: ref}

    async def _sent(self, key: str) -> Outbox | None:
        """The message owed as `key`, sent; None when it never will be (given up, expired or
        deleted). Raises _NotYet while it is still to send."""
        async with self.store.read() as session:
            original = await outbox.by_key(session, key)
        if original is None or original.status in (
            OutboxStatus.FAILED.value, OutboxStatus.EXPIRED.value
        ):
            return None
        if original.status != OutboxStatus.SENT.value:
            raise _NotYet(f"waiting for {key} to be sent", original.next_attempt_at)
        return original

    async def _post(self, row: Outbox, delivered: dict[str, str]) -> dict[str, str]:
        assert row.place is not None
        targets = [c for c in self.channels.values() if row.place in c.places()]
        if not targets:
            # Owed, not dropped: the notice is sent once a place is configured (start()).
            raise _NoPlace(f"no platform has the place {row.place!r} configured")
        message = await self._compose(row)
        for channel in targets:
            if channel.platform not in delivered:
                # Filled in place, so that after a failure the retry skips platforms done.
                delivered[channel.platform] = await channel.post(row.place, message)
        return delivered

    async def _update(self, row: Outbox, now: datetime) -> dict[str, str]:
        assert row.update_of is not None
        original = await self._sent(row.update_of)
        if original is None:
            return {}
        message = await self._compose(row)
        for platform, ref in original.delivered.items():
            channel = self.channels.get(platform)
            if channel is not None:
                await channel.update(ref, message)
        return dict(original.delivered)

    async def _address(self, person_id: int) -> Address | None:
        async with self.store.read() as session:
            person = await people.get_person(session, person_id)
            known = await people.identities(session, person_id)
        reachable = [i for i in known if i.platform in self.channels]
        # Where the person last spoke to us first, then any other platform we can reach.
        reachable.sort(key=lambda i: i.platform != person.last_platform)
        if not reachable:
            return None
        first = reachable[0]
        return Address(first.platform, first.external_id, dict(first.address))


class _NotYet(Exception):
    """The message a row rewrites is not sent yet; `tried_next` is when its sending is next
    tried (or in flight: when it was claimed)."""

    def __init__(self, message: str, tried_next: datetime) -> None:
        super().__init__(message)
        self.tried_next = tried_next


class _NoPlace(Exception):
    pass


def _delay(retry_after: float | None) -> timedelta | None:
    """The wait a platform asked for, within [0, outbox.MAX_BACKOFF]; None (the outbox's own
    backoff) when it asked for none, or for no number of seconds at all: a Retry-After of
    "inf" or "nan" from a proxy between us would otherwise fail the bookkeeping of the send."""
    if retry_after is None or not math.isfinite(retry_after):
        return None
    return timedelta(seconds=min(max(retry_after, 0.0), outbox.MAX_BACKOFF.total_seconds()))
