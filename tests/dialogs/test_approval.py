"""*Hand to another approver* for the requester: after five working days of waiting
(data.requests decides), through `Brain.handle`. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from data.db import Store
from data.models import AccountRequest, Outbox
from dialogs.messages import Paragraph
from tests.helpers import T0, Cast, load, submit
from tests.helpers.chat import CastSenders, buttons, only, pickers, says
from tests.helpers.nudging import chat, refusal

FRIDAY = T0 + timedelta(days=4)  # four working days after Monday's request
MONDAY = T0 + timedelta(days=7)  # five


def card(request: AccountRequest) -> str:
    return f"{request.id}:{request.round}:{request.stage}"


async def test_the_requester_names_another_approver_once_it_has_waited(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    request = await submit(store, cast)
    early = chat(store, who.requester, FRIDAY)
    assert refusal(await early.click("approval:handover", value=card(request))) == (
        "You can name another approver once your request has waited 5 working days for a "
        "decision. So far it has waited 4."
    )
    # Nor by going straight to the picker's button.
    assert refusal(
        await early.click("handover:to", who.outsider.external_id, value=card(request))
    ).startswith("You can name another approver once")

    anna = chat(store, who.requester, MONDAY)
    [question] = await anna.click("approval:handover", value=card(request))
    assert question.ephemeral
    assert says(question.message, "Who should decide on your request instead?")
    [picker] = pickers(question.message)
    assert (picker.action, picker.value, picker.submit_label) == (
        "handover:to", card(request), "Send the request"
    )

    # Not to the approver already asked, nor to oneself.
    assert refusal(await anna.click("handover:to", "dan.holm", value=card(request))) == (
        "That person is already asked to decide on your request: pick someone else."
    )
    assert refusal(await anna.click("handover:to", "anna.berg", value=card(request))) == (
        "The decision can't be handed to the person who made the request."
    )

    reply = only(await anna.click("handover:to", who.outsider.external_id, value=card(request)))
    assert reply.blocks[0] == Paragraph(
        "Your request for Instagram ki_neuroscience now goes to Filip Sjö, who has been sent it."
    )
    [stored] = await load(store, AccountRequest)
    assert stored.approver_id == cast.outsider
    [new_card] = await load(
        store, Outbox, Outbox.key == f"approval_card:{request.id}:1:manager:{cast.outsider}"
    )
    assert new_card.recipient_id == cast.outsider

    # The new approver decides.
    approved = only(
        await chat(store, who.outsider, MONDAY).click("approval:approve", value=card(request))
    )
    assert says(approved, "registered as SOME-2027-0001")


async def test_the_approver_still_hands_over_at_any_time(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    request = await submit(store, cast)
    dan = chat(store, who.manager, T0)
    [question] = await dan.click("approval:handover", value=card(request))
    assert says(question.message, "Who should decide instead of you?")
    # The picker leaves out whom the decision can never go to: Dan himself, the requester
    # and the responsible persons.
    [picker] = pickers(question.message)
    assert set(picker.exclude) == {"dan.holm", "anna.berg", "bo.ek"}
    reply = only(await dan.click("handover:to", "filip.sjö", value=card(request)))
    assert reply.blocks[0] == Paragraph(
        "Handed over to Filip Sjö. They have been sent the request."
    )


async def test_others_cannot_reroute(store: Store, cast: Cast, who: CastSenders) -> None:
    request = await submit(store, cast)
    bo = chat(store, who.colleague, MONDAY + timedelta(days=30))
    assert refusal(await bo.click("handover:to", "filip.sjö", value=card(request))) == (
        "Only the person asked to decide on this request can do that. Nothing was changed."
    )
    [stored] = await load(store, AccountRequest)
    assert stored.approver_id == cast.manager


async def test_at_the_director_stage_with_no_other_director_the_office_is_asked(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    request = await submit(store, cast, scope="university_administration")
    dan = chat(store, who.manager, T0)
    only(await dan.click("approval:approve", value=card(request)))
    [at_director] = await load(store, AccountRequest)
    anna = chat(store, who.requester, MONDAY)
    [reply] = await anna.click("approval:handover", value=card(at_director))
    assert reply.ephemeral
    assert says(
        reply.message,
        "No other Director of Communications can decide on your request, so I have asked the "
        "Communications Office to see to it.",
    )
    assert not pickers(reply.message)
    [again] = await anna.click("approval:handover", value=card(at_director))
    assert says(again.message, "The Communications Office has already been asked")
    [posted] = await load(store, Outbox, Outbox.kind == "approval_escalated")
    assert posted.place == "comms"
    # Nor can a colleague be named through the picker's button.
    assert refusal(
        await anna.click("handover:to", who.outsider.external_id, value=card(at_director))
    ) == "At this stage only a Director of Communications can decide: pick one of them."


async def test_a_card_value_out_of_the_databases_range_is_refused(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    """Found by tests/dialogs/test_router_properties.py: such a value reached the database."""
    request = await submit(store, cast)
    manager = chat(store, who.manager, MONDAY)
    for value in ("9223372036854775808:1:manager", f"{request.id}:99999999999:manager",
                  "-1:1:manager", f"{request.id}:1", f"{request.id}:1:manager:x"):
        assert refusal(await manager.click("approval:approve", value=value))
    [stored] = await load(store, AccountRequest)
    assert stored.status == "pending"


async def test_a_mis_click_on_hand_over_is_cancelled(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    request = await submit(store, cast)
    dan = chat(store, who.manager, T0)
    [question] = await dan.click("approval:handover", value=card(request))
    assert [(b.action, b.label) for b in buttons(question.message)][-1] == (
        "handover:cancel", "Cancel"
    )
    [cancelled] = await dan.click("handover:cancel", value=card(request))
    assert cancelled.ephemeral
    assert cancelled.message.blocks[0] == Paragraph(
        "Nothing has changed: the request still waits for a decision."
    )
    [stored] = await load(store, AccountRequest)
    assert (stored.approver_id, stored.status) == (cast.manager, "pending")
    # And the card's buttons still decide.
    approved = only(await dan.click("approval:approve", value=card(request)))
    assert says(approved, "registered as SOME-2027-0001")


async def test_only_the_approver_is_offered_the_hand_over_picker(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    """The picker leaves out who is on the request: someone else naming its id is refused
    before it is made, and learns nothing of it."""
    request = await submit(store, cast)
    stranger = chat(store, who.outsider, T0)
    [reply] = await stranger.click("approval:handover", value=card(request))
    assert not pickers(reply.message)
    assert refusal([reply]) == (
        "Only the person asked to decide on this request can do that. Nothing was changed."
    )
    # The approver still is.
    [question] = await chat(store, who.manager, T0).click("approval:handover", value=card(request))
    assert pickers(question.message)
