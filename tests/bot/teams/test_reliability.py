"""Approvals in Teams when things go wrong: repeats, stale cards, the wrong person, refusals,
throttling and outages of the Bot Connector."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from data import people, requests
from data.models import (
    AccountRequest,
    ApprovalDecision,
    AuditEvent,
    Decision,
    Outbox,
    OutboxStatus,
    RequestStatus,
)
from dialogs.i18n import Translator
from tests.bot.teams.rig import (
    ANNA,
    BJORN,
    CECILIA,
    COMMS,
    EVA,
    FILIP,
    TeamsRig,
    TeamsUser,
    executes,
    inputs_of,
    markdown,
    running_teams,
    texts,
    verbs,
)
from tests.helpers import count, load, request_input
from tests.helpers.fake_connector import FakeConnector

EN = Translator("en")


def tr(user: TeamsUser) -> Translator:
    """What `user` reads: their Teams language."""
    return Translator(user.locale)


async def file_request(
    rig: TeamsRig, manager: TeamsUser = CECILIA, **overrides: Any
) -> AccountRequest:
    """Anna's request, filed as the dialog files it, with `manager` to approve it."""
    async with rig.store.transaction() as session:
        anna = await people.find_by_identity(session, "teams", ANNA.aad)
        boss = await people.find_by_identity(session, "teams", manager.aad)
        bjorn = await people.ensure_person(
            session,
            now=rig.clock(),
            platform="teams",
            external_id=BJORN.aad,
            display_name=BJORN.name,
        )
        assert anna and anna.id and boss and boss.id and bjorn.id
        return await requests.submit(
            session,
            requester_id=anna.id,
            given=request_input(manager_id=boss.id, team_ids=(bjorn.id,), **overrides),
            now=rig.clock(),
        )


async def state(rig: TeamsRig) -> tuple[str, int, int, int]:
    [request] = await load(rig.store, AccountRequest)
    return (
        request.status,
        await count(rig.store, ApprovalDecision),
        await count(rig.store, AuditEvent),
        # Answers to the clicker are owed as replies; what a click changes is owed otherwise.
        await count(rig.store, Outbox, Outbox.kind != "reply"),
    )


@pytest.fixture
async def carded(teams: TeamsRig) -> TeamsRig:
    """Anna, Cecilia and Eva have the app; Cecilia has Anna's request on her card."""
    for user in (ANNA, CECILIA, EVA):
        await teams.install(user)
    await file_request(teams)
    await teams.settle()
    await teams.wait_card(CECILIA, "approval:approve", "the manager's card")
    return teams


async def test_the_same_invoke_twice_decides_once(carded: TeamsRig) -> None:
    rig = carded
    approve = rig.click(CECILIA, "approval:approve")
    first = await rig.execute(CECILIA, approve, activity_id="click-1")
    await rig.settle()
    before, calls = await state(rig), len(rig.fake.calls)
    assert before[:2] == (RequestStatus.APPROVED.value, 1)

    again = await rig.execute(CECILIA, approve, activity_id="click-1")
    await rig.settle()
    assert again == first
    assert await state(rig) == before
    assert len(rig.fake.calls) == calls, "a repeated invoke posted something"


async def test_a_click_on_an_outdated_card_changes_nothing(carded: TeamsRig) -> None:
    rig = carded
    approve = rig.click(CECILIA, "approval:approve")
    await rig.execute(CECILIA, approve)
    await rig.settle()
    before = await state(rig)
    replies = len(rig.fake.in_conversation(CECILIA.conversation))

    body = await rig.execute(CECILIA, approve)
    assert await state(rig) == before
    assert "approval:approve" not in verbs(body["value"])
    assert tr(CECILIA)("Approved. Registered as {number}.", number="SOME-2027-0001") in _texts(body)
    [refusal] = rig.fake.in_conversation(CECILIA.conversation)[replies:]
    assert tr(CECILIA)(
        "This request has already moved on, so that click changed nothing. The card shows where it stands now."
    ) in _card_texts(refusal.card)


async def test_only_the_approver_can_decide(carded: TeamsRig) -> None:
    rig = carded
    approve = rig.click(CECILIA, "approval:approve")
    before = await state(rig)

    body = await rig.execute(EVA, approve)
    assert await state(rig) == before
    # Eva sees the request as it stands, without live buttons, and a polite refusal.
    assert not [v for v in verbs(body["value"]) if v.startswith("approval:")]
    assert "refresh" not in body["value"]
    assert tr(EVA)("Waiting for the decision of {name}.", name="Cecilia Carlsson") in _texts(body)
    refusal = rig.fake.in_conversation(EVA.conversation)[-1]
    assert tr(EVA)(
        "Only the person asked to decide on this request can do that. Nothing was changed."
    ) in _card_texts(refusal.card)
    # And the card Teams refreshes for Eva is the read-only one too.
    refreshed = await rig.refresh(EVA, rig.screen[CECILIA.key])
    assert not [v for v in verbs(refreshed["value"]) if v.startswith("approval:")]


async def test_reject_takes_the_reason_typed_on_the_card(carded: TeamsRig) -> None:
    rig = carded
    reject = rig.click(CECILIA, "approval:reject")
    field = reject["data"]["text"]

    body = await rig.execute(CECILIA, reject)
    assert (await state(rig))[:2] == (RequestStatus.PENDING.value, 0)
    assert "approval:reject" in verbs(body["value"]), "the card stays live for another try"
    assert body["value"]["refresh"]["userIds"] == [CECILIA.user_id]
    assert tr(CECILIA)(
        "Please write a reason in the text field first: it is sent to the requester."
    ) in _card_texts(rig.fake.in_conversation(CECILIA.conversation)[-1].card)

    reason = "The *unit* already has [an account](https://evil.example)."
    await rig.execute(CECILIA, reject, {field: reason})
    # The reason given, Reject asks before it rejects, the reason still in its field.
    assert (await state(rig))[:2] == (RequestStatus.PENDING.value, 0)
    question = rig.fake.in_conversation(CECILIA.conversation)[-1].card
    [sure] = [a for a in executes(question) if a["verb"] == "approval:reject_confirmed"]
    kept = inputs_of(question)[sure["data"]["text"]]
    assert kept["value"] == reason
    await rig.execute(CECILIA, sure, {kept["id"]: kept["value"]})
    assert (await state(rig))[:2] == (RequestStatus.REJECTED.value, 1)
    told = await rig.wait_text(
        ANNA.conversation,
        EN(
            "{name} rejected your request for {account}. Reason: {reason}",
            name="Cecilia Carlsson",
            account="Instagram ki_neuroscience",
            reason=reason,
        ),
    )
    raw = _markdown(told.card)
    assert "[an account](" not in raw and r"\[an account\]" in raw and r"\*unit\*" in raw


@pytest.mark.parametrize("how", ["blocked", "never-added"])
async def test_a_manager_teams_will_not_reach_keeps_the_request_waiting(
    teams: TeamsRig, how: str
) -> None:
    rig = teams
    for user in (ANNA, EVA):
        await rig.install(user)
    if how == "blocked":
        # Cecilia added the bot once, then blocked it.
        await rig.install(CECILIA)
        rig.fake.fail(
            "POST", f"/{CECILIA.conversation}/activities", 403, code="MessageWritesBlocked"
        )
    else:
        # Cecilia never added the bot: Teams will not open a chat with her.
        async with rig.store.transaction() as session:
            await people.ensure_person(
                session,
                now=rig.clock(),
                platform="teams",
                external_id=CECILIA.aad,
                display_name=CECILIA.name,
                address={"tenant_id": "tenant-ki", "service_url": rig.fake.url},
            )
        rig.fake.fail("POST", r"^/v3/conversations$", 403, code="BotNotInConversationRoster")

    await file_request(rig)
    await rig.settle()
    told = await rig.wait_text(
        ANNA.conversation, EN("{name} could not be reached", name="Cecilia Carlsson")
    )
    shown = _card_texts(told.card)
    assert "Microsoft Teams" in shown
    assert (
        EN(
            "Ask {name} to open kontobot in {platform} and write hello. I will then send them the request again.",
            name="Cecilia Carlsson",
            platform="Microsoft Teams",
        )
        in shown
    )
    [request] = await load(rig.store, AccountRequest)
    assert request.status == RequestStatus.PENDING.value
    [card] = await load(rig.store, Outbox, Outbox.kind == "approval_card")
    assert card.status == OutboxStatus.FAILED.value and "403" in (card.error or "")

    # Cecilia opens the bot: the request reaches her after all, and Anna is not told twice.
    await rig.install(CECILIA)
    await rig.settle()
    await rig.wait_card(CECILIA, "approval:approve", "the card once Cecilia has the app")
    assert await count(rig.store, Outbox, Outbox.kind == "unreachable") == 1


async def test_throttling_and_outages_are_retried_later(teams: TeamsRig) -> None:
    rig = teams
    for user in (ANNA, CECILIA):
        await rig.install(user)
    rig.fake.fail("POST", f"/{CECILIA.conversation}/activities", 429, retry_after=30)
    await file_request(rig)
    await rig.settle()
    [card] = await load(rig.store, Outbox, Outbox.kind == "approval_card")
    assert card.status == OutboxStatus.PENDING.value
    assert card.next_attempt_at == rig.clock() + timedelta(seconds=30)
    assert not [
        m
        for m in rig.fake.in_conversation(CECILIA.conversation)
        if "approval:approve" in verbs(m.card)
    ]

    rig.fake.fail("POST", f"/{CECILIA.conversation}/activities", 500, code="ServiceError")
    rig.clock.advance(timedelta(seconds=31))
    await rig.settle()
    [card] = await load(rig.store, Outbox, Outbox.kind == "approval_card")
    assert card.status == OutboxStatus.PENDING.value and card.attempts == 2

    rig.clock.advance(timedelta(hours=1))
    await rig.settle()
    await rig.wait_card(CECILIA, "approval:approve", "the card after the outage")
    [card] = await load(rig.store, Outbox, Outbox.kind == "approval_card")
    assert card.status == OutboxStatus.SENT.value


async def test_after_a_restart_the_service_url_is_remembered(sqlite_url: str) -> None:
    fake = FakeConnector()
    await fake.start()
    try:
        await _restart(sqlite_url, fake)
    finally:
        await fake.close()


async def _restart(sqlite_url: str, fake: FakeConnector) -> None:
    async with running_teams(sqlite_url, fake=fake) as rig:
        for user in (ANNA, CECILIA):
            await rig.install(user)
        request = await file_request(rig)
        await rig.settle()
    # A new process: nobody has written to it yet, and the manager approves elsewhere.
    async with running_teams(sqlite_url, fake=fake) as rig:
        async with rig.store.transaction() as session:
            cecilia = await people.find_by_identity(session, "teams", CECILIA.aad)
            assert request.id and cecilia and cecilia.id
            await requests.decide(
                session,
                request_id=request.id,
                actor_id=cecilia.id,
                decision=Decision.APPROVE,
                now=rig.clock(),
            )
        await rig.settle()
        posted = await rig.wait_text(
            COMMS, EN("New social-media account: {number}", number="SOME-2027-0001")
        )
        assert posted.activity["conversation"]["id"] == COMMS
        [put] = rig.fake.puts(CECILIA.conversation)
        assert put.status == 200


async def test_a_message_delivered_twice_is_answered_once(teams: TeamsRig) -> None:
    rig = teams
    await rig.install(ANNA)
    activity = rig.activity(ANNA, "message", text="open account")
    before = len(rig.fake.in_conversation(ANNA.conversation))
    await rig.send(activity)
    await rig.send(activity)
    assert len(rig.fake.in_conversation(ANNA.conversation)) == before + 1


def _texts(body: dict[str, Any]) -> str:
    """What an invoke's response says: its card's text, or the text said beside the card
    (a refusal, which leaves the card as it was)."""
    value = body["value"]
    return value if isinstance(value, str) else texts(value)


_card_texts = texts
_markdown = markdown


async def test_the_approver_hands_the_decision_to_a_colleague(carded: TeamsRig) -> None:
    rig = carded
    # Filip has never written to the bot; Teams can tell who he is.
    rig.fake.add_member(FILIP.aad, FILIP.user_id, FILIP.name, FILIP.email)
    body = await rig.execute(CECILIA, rig.click(CECILIA, "approval:handover"))
    assert "approval:handover" in verbs(body["value"]), "the card itself does not change yet"
    picker = rig.fake.in_conversation(CECILIA.conversation)[-1]
    rig.screen[CECILIA.key] = picker.card
    [submit] = [a for a in executes(picker.card) if a["verb"] == "handover:to"]
    assert submit["data"]["people"] is True

    body = await rig.execute(CECILIA, submit, {submit["data"]["input"]: FILIP.aad})
    assert tr(CECILIA)(
        "Handed over to {name}. They have been sent the request.", name="Filip Fors"
    ) in _texts(body)
    await rig.settle()
    [request] = await load(rig.store, AccountRequest)
    async with rig.store.transaction() as session:
        filip = await people.find_by_identity(session, "teams", FILIP.aad)
    assert filip is not None and request.approver_id == filip.id
    [(conversation, members)] = rig.fake.created.items()
    assert members == [{"id": FILIP.user_id}]
    card = await rig.wait_text(conversation, EN("Approve"))
    assert card.card["refresh"]["userIds"] == [FILIP.user_id]
    # Cecilia's card now says who decides.
    [put] = rig.fake.puts(CECILIA.conversation)
    assert tr(CECILIA)("Waiting for the decision of {name}.", name="Filip Fors") in _card_texts(
        put.body["attachments"][0]["content"]
    )


async def test_the_hand_over_picker_searches_without_the_requester_or_the_approver(
    carded: TeamsRig,
) -> None:
    rig = carded
    # Teams' own Graph search cannot leave anyone out: the picker asks the bot instead.
    await rig.execute(CECILIA, rig.click(CECILIA, "approval:handover"))
    picker = rig.fake.in_conversation(CECILIA.conversation)[-1].card
    [data] = [e["choices.data"] for e in inputs_of(picker).values() if "choices.data" in e]
    assert data["type"] == "Data.Query" and data["dataset"].startswith("kontobot.people")
    assert picker["version"] == "1.6"
    # "e" fits Anna (the requester), Cecilia (the approver) and Eva.
    body = await rig.search(CECILIA, picker, "e")
    assert body["type"] == "application/vnd.microsoft.search.searchResponse"
    found = {r["value"]: r["title"] for r in body["value"]["results"]}
    assert found == {EVA.aad: f"{EVA.name} ({EVA.email})"}


async def test_the_hand_over_picker_explains_why_the_requester_or_the_approver_cannot_decide(
    carded: TeamsRig,
) -> None:
    rig = carded
    # The picker's search is the bot's own and leaves them out (below); a pick that names
    # them anyway is still checked when it is sent, explained, and nothing moves.
    await rig.execute(CECILIA, rig.click(CECILIA, "approval:handover"))
    picker = rig.fake.in_conversation(CECILIA.conversation)[-1]
    rig.screen[CECILIA.key] = picker.card
    [submit] = [a for a in executes(picker.card) if a["verb"] == "handover:to"]
    said = tr(CECILIA)
    body = await rig.execute(CECILIA, submit, {submit["data"]["input"]: ANNA.aad})
    assert said("The decision can't be handed to the person who made the request.") in _texts(
        body
    )
    body = await rig.execute(CECILIA, submit, {submit["data"]["input"]: CECILIA.aad})
    assert said("The decision is already yours: pick someone else to hand it to.") in _texts(
        body
    )
    await rig.settle()
    [request] = await load(rig.store, AccountRequest)
    async with rig.store.transaction() as session:
        cecilia = await people.find_by_identity(session, "teams", CECILIA.aad)
    assert cecilia is not None and request.approver_id == cecilia.id
