"""Acknowledged at once, done once: Slack's retries and double clicks, and a Web API that
answers 429 or 5xx for a while."""

from __future__ import annotations

import asyncio
import copy
import logging
from datetime import timedelta

import pytest

from bot.slack.translate import DOUBLE_CLICK
from data.models import (
    AccountRequest,
    ApprovalDecision,
    DialogState,
    Outbox,
    OutboxStatus,
    RequestStatus,
)
from dialogs.i18n import Translator
from tests.bot.slack.rig import ANNA, BJORN, CECILIA, COMMS, SlackRig, buttons, running
from tests.helpers import count, load
from tests.helpers.fake_slack import dm_channel
from tests.helpers.journey import SUBMIT, open_account_answers

EN = Translator("en")
RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


async def test_acknowledged_before_the_work_is_done(rig: SlackRig) -> None:
    gate = rig.fake.hold("conversations.open")
    response = await rig.command(ANNA.id, "open-account")
    # Slack has its answer while the bot is still waiting for Slack's Web API.
    assert response.status == 200
    assert await response.text() == ""
    assert not rig.fake.dm(ANNA.id)
    gate.set()
    first = await rig.next_dm(ANNA.id, 0)
    assert EN("Which platform is the account on?") in first.all_text()


async def test_a_retried_slash_command_runs_once(rig: SlackRig) -> None:
    body = rig.command_body(ANNA.id, "open-account", trigger="trigger.same")
    form = "application/x-www-form-urlencoded"
    assert (await rig.post(body, form)).status == 200
    assert (await rig.post(body, form, headers=RETRY)).status == 200
    assert (await rig.post(body, form, headers={**RETRY, "X-Slack-Retry-Num": "2"})).status == 200
    await rig.settle()
    assert len(rig.fake.dm(ANNA.id)) == 1
    [state] = await load(rig.store, DialogState)
    assert state.step == "platform"


async def test_a_retried_event_is_answered_once(rig: SlackRig) -> None:
    await rig.command(ANNA.id, "open-account")
    await rig.next_dm(ANNA.id, 0)
    prompt = rig.fake.dm(ANNA.id)[-1]
    await rig.act(ANNA.id, prompt, "dlg:platform:choose", option="instagram")
    await rig.next_dm(ANNA.id, 1)
    event = {
        "type": "message",
        "channel": dm_channel(ANNA.id),
        "user": ANNA.id,
        "text": "ki_neuro_demo",
        "ts": "1700000001.000100",
        "channel_type": "im",
    }
    body = rig.event_body(event, event_id="Ev0SAME")
    assert (await rig.post(body, "application/json")).status == 200
    assert (await rig.post(body, "application/json", headers=RETRY)).status == 200
    await rig.settle()
    assert len(rig.fake.dm(ANNA.id)) == 3
    [state] = await load(rig.store, DialogState)
    assert state.step == "unit" and state.data["handle"] == "ki_neuro_demo"


async def submitted(rig: SlackRig) -> None:
    await rig.command(ANNA.id, "open-account")
    await rig.next_dm(ANNA.id, 0)
    for answer in open_account_answers(team=(BJORN.id,), manager=CECILIA.id, scope="unit"):
        await rig.answer(ANNA.id, answer)
    await rig.answer(ANNA.id, SUBMIT)
    await rig.settle()


@pytest.mark.parametrize("how", ["same payload", "double click", "a second apart", "at once"])
async def test_the_same_click_twice_decides_once(rig: SlackRig, how: str) -> None:
    await submitted(rig)
    [card] = rig.fake.dm(CECILIA.id)
    to_anna = len(rig.fake.dm(ANNA.id))
    if how == "same payload":
        body = rig.action_body(CECILIA.id, card, "approval:approve")
        form = "application/x-www-form-urlencoded"
        assert (await rig.post(body, form)).status == 200
        # Slack's redelivery: the same request, whenever it comes.
        rig.clock.advance(timedelta(minutes=10))
        assert (await rig.post(body, form, headers=RETRY)).status == 200
    elif how in ("double click", "a second apart"):
        # Two clicks: Slack sends each with its own trigger and time.
        for _ in range(2):
            assert (await rig.act(CECILIA.id, card, "approval:approve")).status == 200
            if how == "a second apart":
                rig.clock.advance(timedelta(seconds=1))
    else:
        responses = await asyncio.gather(
            *(rig.act(CECILIA.id, card, "approval:approve") for _ in range(3))
        )
        assert [r.status for r in responses] == [200, 200, 200]
    await rig.settle()

    assert await count(rig.store, ApprovalDecision) == 1
    assert len([c for c in rig.fake.calls_of("chat.update") if c.args["ts"] == card.ts]) == 1
    # Cecilia gets no second answer; Anna hears of the decision once, then the welcome.
    assert len(rig.fake.dm(CECILIA.id)) == 2
    assert not rig.fake.ephemeral(CECILIA.id)
    new_for_anna = rig.fake.dm(ANNA.id)[to_anna:]
    assert len(new_for_anna) == 2, [m.text for m in new_for_anna]


async def test_a_double_click_across_the_edge_of_a_slot_still_decides_once(
    rig: SlackRig,
) -> None:
    """The rare double click whose clicks fall in two slots (translate.DOUBLE_CLICK) is
    received twice; the second finds the request moved on and changes nothing."""
    await submitted(rig)
    [card] = rig.fake.dm(CECILIA.id)
    to_anna = len(rig.fake.dm(ANNA.id))
    edge = int(rig.clock().timestamp()) // DOUBLE_CLICK * DOUBLE_CLICK + DOUBLE_CLICK
    for action_ts in (f"{edge - 1}.900000", f"{edge}.100000"):
        response = await rig.act(CECILIA.id, card, "approval:approve", action_ts=action_ts)
        assert response.status == 200
    await rig.settle()
    assert await count(rig.store, ApprovalDecision) == 1
    assert len([c for c in rig.fake.calls_of("chat.update") if c.args["ts"] == card.ts]) == 1
    assert len(rig.fake.dm(ANNA.id)[to_anna:]) == 2


async def test_the_same_button_clicked_again_later_is_taken(rig: SlackRig) -> None:
    """The help card's *Open an account*, clicked, cancelled, and clicked again ten minutes
    later: the second click starts the request again (it was dropped as a repeat)."""
    await rig.say(ANNA.id, "hello")
    await rig.settle()
    help_card = rig.fake.dm(ANNA.id)[-1]
    prompts = []
    for _ in range(2):
        before = len(rig.fake.dm(ANNA.id))
        response = await rig.act(ANNA.id, rig.fake.message(help_card.ref), "cmd:open-account")
        assert response.status == 200
        await rig.settle()
        assert len(rig.fake.dm(ANNA.id)) == before + 1
        prompts.append(rig.fake.dm(ANNA.id)[-1].text)
        await rig.say(ANNA.id, "cancel")
        await rig.settle()
        assert await count(rig.store, DialogState) == 0
        rig.clock.advance(timedelta(minutes=10))
    assert prompts[0] == prompts[1]
    assert EN("Which platform is the account on?") in prompts[1]


async def test_a_request_can_be_revised_again_after_a_cancelled_revision(rig: SlackRig) -> None:
    await submitted(rig)
    [card] = rig.fake.dm(CECILIA.id)
    await rig.act(CECILIA.id, card, "approval:changes", text="Please explain more.")
    await rig.settle()
    told = rig.fake.dm(ANNA.id)[-1]
    assert "revise" in buttons(told)
    opened = []
    for _ in range(2):
        before = len(rig.fake.dm(ANNA.id))
        assert (await rig.act(ANNA.id, rig.fake.message(told.ref), "revise")).status == 200
        await rig.settle()
        assert len(rig.fake.dm(ANNA.id)) == before + 1
        assert await count(rig.store, DialogState) == 1
        opened.append(rig.fake.dm(ANNA.id)[-1].text)
        await rig.say(ANNA.id, "cancel")
        await rig.settle()
        assert await count(rig.store, DialogState) == 0
        rig.clock.advance(timedelta(minutes=10))
    assert opened[0] == opened[1]
    [request] = await load(rig.store, AccountRequest)
    assert request.status == RequestStatus.CHANGES_REQUESTED.value


async def test_a_deliberate_second_answer_is_not_mistaken_for_a_double_click(
    rig: SlackRig,
) -> None:
    await rig.command(ANNA.id, "open-account")
    prompt = await rig.next_dm(ANNA.id, 0)
    # As Anna's Slack shows it before the help rewrites it in place.
    shown = copy.deepcopy(prompt)
    await rig.act(ANNA.id, shown, "dlg:platform:help")
    await rig.next_dm(ANNA.id, 1)
    # Another choice from the same menu is a different answer, and is taken.
    await rig.act(ANNA.id, shown, "dlg:platform:choose", option="instagram")
    await rig.next_dm(ANNA.id, 2)
    [state] = await load(rig.store, DialogState)
    assert state.step == "handle"


async def test_429_then_success_delivers_one_message(rig: SlackRig) -> None:
    rig.fake.fail(
        "chat.postMessage",
        429,
        retry_after=0,
        only=lambda args: args.get("channel") == dm_channel(CECILIA.id),
    )
    await submitted(rig)
    attempts = [
        c
        for c in rig.fake.calls_of("chat.postMessage")
        if c.args["channel"] == dm_channel(CECILIA.id)
    ]
    assert [c.status for c in attempts] == [429, 200]
    assert len(rig.fake.dm(CECILIA.id)) == 1
    [card_row] = await load(rig.store, Outbox, Outbox.kind == "approval_card")
    assert card_row.status == OutboxStatus.SENT.value and card_row.attempts == 1


async def test_a_long_rate_limit_goes_back_to_the_outbox(rig: SlackRig) -> None:
    rig.fake.fail(
        "chat.postMessage",
        429,
        retry_after=30,
        only=lambda args: args.get("channel") == dm_channel(CECILIA.id),
    )
    await submitted(rig)
    assert not rig.fake.dm(CECILIA.id)
    [row] = await load(rig.store, Outbox, Outbox.kind == "approval_card")
    assert row.status == OutboxStatus.PENDING.value
    assert row.next_attempt_at == rig.clock() + timedelta(seconds=30)

    rig.clock.advance(timedelta(seconds=31))
    await rig.settle()
    assert len(rig.fake.dm(CECILIA.id)) == 1


async def test_a_message_slack_keeps_refusing_stays_in_the_outbox_and_is_logged(
    rig: SlackRig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    rig.fake.fail(
        "chat.postMessage",
        500,
        times=1000,
        only=lambda args: args.get("channel") == dm_channel(CECILIA.id),
    )
    await submitted(rig)
    failed = [c for c in rig.fake.calls_of("chat.postMessage") if c.status == 500]
    # The client's own backoff: the first try and two retries.
    assert len(failed) == 3
    assert not rig.fake.dm(CECILIA.id)
    [row] = await load(rig.store, Outbox, Outbox.kind == "approval_card")
    assert row.status == OutboxStatus.PENDING.value
    assert row.error is not None and "HTTP 500" in row.error
    assert any(row.key in r.getMessage() and "will retry" in r.getMessage() for r in caplog.records)
    assert not any("xoxb" in r.getMessage() for r in caplog.records)

    # Slack recovers; the outbox sends the card when it is due again.
    rig.fake.heal()
    rig.clock.advance(timedelta(hours=1))
    await rig.settle()
    assert len(rig.fake.dm(CECILIA.id)) == 1
    [request_row] = await load(rig.store, Outbox, Outbox.kind == "approval_card")
    assert request_row.status == OutboxStatus.SENT.value


async def test_a_reply_that_cannot_be_sent_waits_in_the_outbox(
    rig: SlackRig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    rig.fake.fail("chat.postMessage", 500, times=3)
    await rig.command(ANNA.id, "open-account")
    await rig.settle()
    assert not rig.fake.dm(ANNA.id)
    # A turn's replies are owed in the outbox like every other message: logged, kept, retried.
    [row] = await load(rig.store, Outbox, Outbox.kind == "reply")
    assert row.status == OutboxStatus.PENDING.value
    assert any(row.key in r.getMessage() and "will retry" in r.getMessage() for r in caplog.records)
    rig.fake.heal()
    rig.clock.advance(timedelta(hours=1))
    await rig.settle()
    [prompt] = rig.fake.dm(ANNA.id)
    assert EN("Which platform is the account on?") in prompt.all_text()


async def test_requests_in_flight_finish_before_shutdown(slack_db: str) -> None:
    async with running(slack_db) as rig:
        gate = rig.fake.hold("conversations.open")
        await rig.command(ANNA.id, "open-account")
        fake = rig.fake
        # The turn has run and its reply is on its way: the request is in flight.
        async with asyncio.timeout(10):
            await fake.arrived("conversations.open")
        asyncio.get_running_loop().call_soon(gate.set)
    # The server has stopped; the turn it had started was finished first.
    assert len(fake.dm(ANNA.id)) == 1


async def test_a_channel_the_bot_is_not_in_is_given_up_and_logged(
    rig: SlackRig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    rig.fake.fail(
        "chat.postMessage",
        200,
        error="not_in_channel",
        times=5,
        only=lambda args: args.get("channel") == COMMS,
    )
    await submitted(rig)
    [card] = rig.fake.dm(CECILIA.id)
    await rig.act(CECILIA.id, card, "approval:approve")
    await rig.settle()
    [row] = await load(rig.store, Outbox, Outbox.kind == "account_registered")
    assert row.status == OutboxStatus.FAILED.value
    assert row.error == "slack chat.postMessage: HTTP 200 not_in_channel"
    assert any(row.key in r.getMessage() and "given up" in r.getMessage() for r in caplog.records)
    # The welcome still reached the team.
    assert await count(rig.store, Outbox, Outbox.status == OutboxStatus.SENT.value) >= 3
