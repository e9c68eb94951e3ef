"""The outbox delivered through a recording chat platform: sends, card updates, posts to
places, retries with backoff and leases that run out. On SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

import pytest

from data import closure, outbox
from data.db import Store
from data.models import AccountRequest, Outbox, OutboxStatus
from dialogs.i18n import Translator
from dialogs.messages import Actions, Context, Paragraph
from dialogs.router import Brain
from hub.delivery import UPDATE_WAIT, Deliverer
from tests.helpers import T0, Cast, id_of, load, make_person, submit
from tests.helpers.accounts import register
from tests.helpers.channels import RecordingChannel
from tests.helpers.chat import Chat, buttons, cast_senders, fields

SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)


@pytest.fixture
def web() -> RecordingChannel:
    return RecordingChannel("web", places={"comms", "registry"})


@pytest.fixture
def deliverer(store: Store, web: RecordingChannel) -> Deliverer:
    return Deliverer(store, {"web": web})


async def row(store: Store, key: str) -> Outbox:
    [found] = await load(store, Outbox, Outbox.key == key)
    return found


def card_key(request: AccountRequest, approver: int, stage: str = "manager") -> str:
    return f"approval_card:{request.id}:{request.round}:{stage}:{approver}"


async def approve(store: Store, cast: Cast, request: AccountRequest, now: datetime) -> None:
    """The manager clicks Approve on the card, through the bot."""
    who = await cast_senders(store, cast)
    manager = Chat(Brain(store), who.manager, now=now)
    await manager.click("approval:approve", value=f"{request.id}:{request.round}:manager")


async def test_the_approval_card_is_sent_to_the_manager(
    store: Store, cast: Cast, web: RecordingChannel, deliverer: Deliverer
) -> None:
    request = await submit(store, cast)

    assert await deliverer.deliver_due(T0) == 1

    [sent] = web.calls
    assert sent.verb == "send"
    assert sent.target == "dan.holm"
    assert sent.address is not None and sent.address.platform == "web"
    assert sent.message.title == "Request to open an account: Instagram ki_neuroscience"
    assert fields(sent.message)["Requested by"] == "Anna Berg"
    assert [b.action for b in buttons(sent.message)] == [
        "approval:approve",
        "approval:reject",
        "approval:changes",
        "approval:handover",
    ]
    card = await row(store, card_key(request, cast.manager))
    assert card.status == OutboxStatus.SENT.value
    assert card.delivered == {"web": sent.ref}
    assert (card.sent_at, card.attempts, card.claimed_until) == (T0, 1, None)

    # Nothing is due any more: a second pass sends nothing.
    assert await deliverer.deliver_due(T0 + timedelta(hours=1)) == 0
    assert len(web.calls) == 1


async def test_a_decision_updates_the_card_in_place_and_tells_everyone(
    store: Store, cast: Cast, web: RecordingChannel, deliverer: Deliverer
) -> None:
    request = await submit(store, cast)
    await deliverer.deliver_due(T0)
    [card] = web.sent
    web.clear()

    decided_at = T0 + timedelta(hours=2)
    await approve(store, cast, request, decided_at)
    assert await deliverer.deliver_due(decided_at) == 5

    # The manager's card, rewritten in place: who decided and when, no buttons left.
    [update] = web.updated
    assert update.target == card.ref
    assert not [b for b in update.message.blocks if isinstance(b, Actions)]
    assert Context("Approved by Dan Holm on 2027-03-01 12:00.") in update.message.blocks
    assert Paragraph("Approved. Registered as SOME-2027-0001.") in update.message.blocks
    rewritten = await row(store, f"{card_key(request, cast.manager)}:decided")
    assert rewritten.status == "sent" and rewritten.delivered == {"web": card.ref}

    # The requester hears the outcome; the team is welcomed; the comms office is told.
    by_target = {(c.verb, c.target): c.message for c in web.calls if c.verb != "update"}
    assert set(by_target) == {
        ("send", "anna.berg"),  # the decision, and a welcome: two sends
        ("send", "bo.ek"),
        ("post", "comms"),
    }
    assert [c.message.text for c in web.sent if c.target == "anna.berg"] == [
        "Your request for Instagram ki_neuroscience is approved. "
        "The account is registered as SOME-2027-0001.",
        "Welcome to the team of Instagram ki_neuroscience (SOME-2027-0001)!",
    ]
    assert by_target[("post", "comms")].title == "New social-media account: SOME-2027-0001"
    assert all(r.status == "sent" for r in await load(store, Outbox))


async def test_a_failing_platform_is_retried_with_backoff_and_delivers_once(
    store: Store, cast: Cast, web: RecordingChannel, deliverer: Deliverer
) -> None:
    request = await submit(store, cast)
    key = card_key(request, cast.manager)
    web.fail_next(2)

    assert await deliverer.deliver_due(T0) == 1
    first = await row(store, key)
    assert (first.status, first.attempts) == ("pending", 1)
    assert first.error == "platform unavailable"
    assert first.next_attempt_at == T0 + timedelta(seconds=10)

    # Not due yet: nothing is attempted before the backoff runs out.
    assert await deliverer.deliver_due(T0 + 9 * SECOND) == 0

    now = first.next_attempt_at
    assert await deliverer.deliver_due(now) == 1
    second = await row(store, key)
    assert (second.status, second.attempts) == ("pending", 2)
    assert second.next_attempt_at == now + timedelta(seconds=20)  # backing off further
    assert await deliverer.deliver_due(now + 19 * SECOND) == 0

    now = second.next_attempt_at
    assert await deliverer.deliver_due(now) == 1
    third = await row(store, key)
    assert (third.status, third.attempts, third.error) == ("sent", 3, None)

    assert web.refused == [("send", "dan.holm"), ("send", "dan.holm")]
    assert len(web.sent) == 1
    assert await deliverer.deliver_due(now + timedelta(days=1)) == 0
    assert len(web.sent) == 1


@pytest.mark.parametrize(
    ("retry_after", "wait"),
    [
        (90, timedelta(seconds=90)),
        # Within reason: not before now, not after an hour.
        (-5, timedelta(0)),
        (1e12, timedelta(hours=1)),
        (1e300, timedelta(hours=1)),
        # No number of seconds (a proxy's "inf" or "nan"): the outbox's own backoff.
        (math.inf, timedelta(seconds=10)),
        (math.nan, timedelta(seconds=10)),
    ],
)
async def test_the_platform_can_say_when_to_retry(
    store: Store, cast: Cast, web: RecordingChannel, deliverer: Deliverer,
    retry_after: float, wait: timedelta,
) -> None:
    request = await submit(store, cast)
    web.fail_next(reason="rate limited", retry_after=retry_after)
    await deliverer.deliver_due(T0)
    card = await row(store, card_key(request, cast.manager))
    assert (card.status, card.next_attempt_at) == ("pending", T0 + wait)
    assert card.error == "rate limited"


async def test_a_permanent_failure_is_not_retried(
    store: Store, cast: Cast, web: RecordingChannel, deliverer: Deliverer
) -> None:
    request = await submit(store, cast)
    web.fail_next(reason="user blocked the bot", permanent=True)
    await deliverer.deliver_due(T0)
    card = await row(store, card_key(request, cast.manager))
    assert (card.status, card.error, card.claimed_until) == (
        "failed",
        "user blocked the bot",
        None,
    )
    await deliverer.deliver_due(T0 + timedelta(days=1))
    assert web.refused == [("send", "dan.holm")]
    assert [c for c in web.calls if c.target == "dan.holm"] == []
    assert (await row(store, card_key(request, cast.manager))).status == "failed"


async def test_a_row_gives_up_after_its_attempts(
    store: Store, cast: Cast, web: RecordingChannel, deliverer: Deliverer
) -> None:
    request = await submit(store, cast)
    web.fail_next(outbox.MAX_ATTEMPTS)
    now = T0
    for _ in range(outbox.MAX_ATTEMPTS):
        assert await deliverer.deliver_due(now) == 1
        now += timedelta(hours=1)  # past any backoff
    card = await row(store, card_key(request, cast.manager))
    assert (card.status, card.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    assert await deliverer.deliver_due(now) == 0
    assert web.calls == []


async def test_a_place_row_is_posted_to_the_place(
    store: Store, cast: Cast, web: RecordingChannel, deliverer: Deliverer
) -> None:
    request = await submit(store, cast)
    await approve(store, cast, request, T0)
    await deliverer.deliver_due(T0)
    [post] = web.posted
    assert post.target == "comms"
    [comms] = await load(store, Outbox, Outbox.place == "comms")
    assert comms.status == "sent" and comms.delivered == {"web": post.ref}


async def test_a_place_is_posted_on_every_platform_that_has_it(store: Store, cast: Cast) -> None:
    web = RecordingChannel("web", places={"comms"})
    other = RecordingChannel("slack", places={"comms"})
    elsewhere = RecordingChannel("teams", places={"registry"})
    deliverer = Deliverer(store, {"web": web, "slack": other, "teams": elsewhere})
    request = await submit(store, cast)
    await approve(store, cast, request, T0)
    # Slack fails once: the retry posts there only, not again on the web.
    other.fail_next()
    await deliverer.deliver_due(T0)
    [comms] = await load(store, Outbox, Outbox.place == "comms")
    assert comms.status == "pending"
    assert set(comms.delivered) == {"web"}

    await deliverer.deliver_due(T0 + timedelta(hours=1))
    [comms] = await load(store, Outbox, Outbox.place == "comms")
    assert comms.status == "sent"
    assert set(comms.delivered) == {"web", "slack"}
    assert [c.target for c in web.posted] == ["comms"]
    assert [c.target for c in other.posted] == ["comms"]
    assert elsewhere.calls == []


async def test_an_expired_lease_is_delivered_by_the_next_pass(
    store: Store, cast: Cast, web: RecordingChannel, deliverer: Deliverer
) -> None:
    request = await submit(store, cast)
    # A worker claims the row and dies before sending or marking it.
    async with store.transaction() as session:
        [claimed] = await outbox.claim_due(session, now=T0)
    assert claimed.claimed_until == T0 + outbox.LEASE

    # While the lease holds, nobody else takes it.
    assert await deliverer.deliver_due(T0 + outbox.LEASE / 2) == 0
    assert await deliverer.deliver_due(T0 + outbox.LEASE) == 0
    assert web.calls == []

    later = T0 + outbox.LEASE + SECOND
    assert await deliverer.deliver_due(later) == 1
    [sent] = web.sent
    assert sent.target == "dan.holm"
    card = await row(store, card_key(request, cast.manager))
    assert (card.status, card.attempts, card.sent_at) == ("sent", 2, later)


async def test_an_update_waits_for_the_message_it_rewrites(
    store: Store, cast: Cast, web: RecordingChannel, deliverer: Deliverer
) -> None:
    request = await submit(store, cast)
    # The card has not gone out yet (the platform is down) when the manager decides.
    web.fail_next()
    await deliverer.deliver_due(T0)
    await approve(store, cast, request, T0 + SECOND)
    update_key = f"{card_key(request, cast.manager)}:decided"

    await deliverer.deliver_due(T0 + SECOND)
    waiting = await row(store, update_key)
    assert waiting.status == "pending"
    # Tried again just after the card is.
    card = await row(store, card_key(request, cast.manager))
    assert card.next_attempt_at > T0 + SECOND
    assert waiting.next_attempt_at == card.next_attempt_at + UPDATE_WAIT
    assert web.updated == []

    # Once the card is sent, the update rewrites it.
    await deliverer.deliver_due(T0 + timedelta(minutes=1))
    [card] = [c for c in web.sent if c.target == "dan.holm"]
    [update] = web.updated
    assert update.target == card.ref
    assert (await row(store, update_key)).status == "sent"


async def test_an_update_outlasts_a_platform_down_as_long_as_its_card_does(
    store: Store, cast: Cast, web: RecordingChannel, deliverer: Deliverer
) -> None:
    request = await submit(store, cast)
    web.down = True
    await deliverer.deliver_due(T0)
    await approve(store, cast, request, T0 + SECOND)
    # Down for twenty minutes: the card backs off (10 s, 20 s, 40 s ...) and is sent at its last
    # try; the update is tried in step with it (tried every 2 s, it gave up within 16 s).
    now, step = T0 + SECOND, timedelta(seconds=5)
    while now < T0 + timedelta(minutes=20):
        await deliverer.deliver_due(now)
        now += step
    web.down = False
    while not web.updated and now < T0 + timedelta(hours=1):
        await deliverer.deliver_due(now)
        now += step
    [card] = [c for c in web.sent if c.target == "dan.holm"]
    assert (await row(store, card_key(request, cast.manager))).attempts == outbox.MAX_ATTEMPTS
    [update] = web.updated
    assert update.target == card.ref
    assert (await row(store, f"{card_key(request, cast.manager)}:decided")).status == "sent"


async def test_messages_are_composed_in_the_recipients_language(
    store: Store, cast: Cast, web: RecordingChannel, deliverer: Deliverer
) -> None:
    async with store.transaction() as session:
        chef = await make_person(session, T0, "Gun Åberg", locale="sv")
    await submit(store, cast, manager_id=chef.id)
    await deliverer.deliver_due(T0)
    [sent] = web.sent
    assert sent.target == "gun.åberg"
    title = Translator("sv")(
        "Request to open an account: {account}", account="Instagram ki_neuroscience"
    )
    assert title != "Request to open an account: Instagram ki_neuroscience"
    assert sent.message.title == title


async def test_an_office_without_a_place_has_its_notices_kept_until_one_is_configured(
    store: Store, cast: Cast, caplog: pytest.LogCaptureFixture
) -> None:
    # Only the Communications Office has a place: the server says so at start.
    comms_only = RecordingChannel("web", places={"comms"})
    deliverer = Deliverer(store, {"web": comms_only})
    with caplog.at_level(logging.WARNING, logger="hub.delivery"):
        assert await deliverer.start(T0) == {}
    assert "no platform has the place 'registry' configured" in caplog.text
    assert "'comms'" not in caplog.text

    # An account opens and closes (R3, R20): the Registry Office's notice of the closing stays
    # owed, however often delivery runs, instead of being marked sent.
    account = id_of(await register(store, requester=cast.requester, team=(cast.colleague,),
                                   manager=cast.manager, now=T0))
    async with store.transaction() as session:
        await closure.close_account(session, account_id=account, actor_id=cast.requester,
                                    reason="Merged", final_archive_location="S:/Comms/x",
                                    now=T0 + HOUR)
    for later in (T0 + HOUR, T0 + timedelta(days=30)):
        while await deliverer.deliver_due(later):
            pass
    [registry] = await load(store, Outbox, Outbox.place == "registry")
    assert (registry.status, registry.delivered, registry.sent_at) == ("unplaced", {}, None)
    assert [c.target for c in comms_only.posted] == ["comms", "comms"]
    async with store.read() as session:
        assert await outbox.waiting_for_places(session) == {"registry": 1}

    # Restarted with a place for the Registry Office: the notice is delivered there, once.
    both = RecordingChannel("web", places={"comms", "registry"})
    restarted = Deliverer(store, {"web": both})
    assert await restarted.start(T0 + timedelta(days=31)) == {}
    while await restarted.deliver_due(T0 + timedelta(days=31)):
        pass
    [post] = both.posted
    assert post.target == "registry"
    assert (await row(store, registry.key)).status == "sent"
    assert await restarted.deliver_due(T0 + timedelta(days=32)) == 0
