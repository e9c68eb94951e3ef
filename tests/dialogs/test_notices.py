"""Messages composed when the outbox delivers: the approval card and what people are told
about a request and a new account. Composed from the database as it is; on both databases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import col

from data import requests, rules
from data.db import Store
from data.models import Account, Decision, Outbox
from dialogs import notices
from dialogs.explain import acknowledgement_labels
from dialogs.i18n import Translator
from dialogs.messages import Actions, Context, Fields, Message, Paragraph, TextInput
from tests.helpers import T0, Cast, decide, load, make_person, submit
from tests.helpers.chat import buttons, fields

EN = Translator("en")
SV = Translator("sv")
LATER = T0 + timedelta(hours=2)  # 12:00 in Stockholm (CET)


async def compose(
    store: Store, kind: str, params: dict[str, Any], recipient: int | None, tr: Translator = EN
) -> Message:
    async with store.transaction() as session:
        return await notices.compose(session, tr, kind, params, recipient)


async def owed(store: Store, kind: str) -> list[Outbox]:
    return await load(store, Outbox, Outbox.kind == kind)


def contexts(message: Message) -> list[str]:
    return [b.text for b in message.blocks if isinstance(b, Context)]


def paragraphs(message: Message) -> list[str]:
    return [b.text for b in message.blocks if isinstance(b, Paragraph)]


# --- the approval card ---------------------------------------------------------------------


async def test_the_approver_sees_the_whole_request_and_live_buttons(
    store: Store, cast: Cast
) -> None:
    request = await submit(store, cast, team_ids=(cast.colleague, cast.second_colleague))
    [row] = await owed(store, "approval_card")

    card = await compose(store, row.kind, row.params, row.recipient_id)

    assert card.title == "Request to open an account: Instagram ki_neuroscience"
    assert fields(card) == {
        "Requested by": "Anna Berg",
        "Platform": "Instagram",
        "Account name or handle": "ki_neuroscience",
        "Organisational unit": "Department of Neuroscience",
        "Scope": "A unit (department, centre, section or research group)",
        "Purpose": "Show the department's research to prospective students.",
        "Objectives": "Two posts a week about ongoing projects.",
        "Target group": "Prospective master's students",
        "Operational benefit": "More applicants to the department's programmes.",
        "Responsible persons": "Anna Berg, Bo Ek, Cia Lund",
        "Immediate manager": "Dan Holm",
        "Weekday monitoring": "Checked every working day by the team in turn.",
        "Cover during holidays": "The unit's communicator covers holidays.",
        "Answering questions": "Within 24 hours",
        "Confirmations": "All points of the guidelines confirmed",
    }
    assert "Your decision is needed as the immediate manager." in paragraphs(card)
    [reason] = [b for b in card.blocks if isinstance(b, TextInput)]
    assert reason.action == "approval:reason"
    value = f"{request.id}:1:manager"
    assert notices.card_value(request) == value
    assert [(b.action, b.value) for b in buttons(card)] == [
        ("approval:approve", value),
        ("approval:reject", value),
        ("approval:changes", value),
        ("approval:handover", value),
    ]
    [reject] = [b for b in buttons(card) if b.action == "approval:reject"]
    # No question before the click: Reject checks the reason first, then asks (test_router).
    assert reject.confirm is None and reject.style == "danger"


async def test_anyone_else_sees_the_card_without_buttons(store: Store, cast: Cast) -> None:
    await submit(store, cast)
    [row] = await owed(store, "approval_card")
    for someone in (cast.outsider, cast.requester, None):
        card = await compose(store, row.kind, row.params, someone)
        assert not [b for b in card.blocks if isinstance(b, Actions | TextInput)]
        assert paragraphs(card) == ["Waiting for the decision of Dan Holm."]


async def test_the_card_composed_after_a_decision_shows_who_decided_and_when(
    store: Store, cast: Cast
) -> None:
    request = await submit(store, cast, scope="university_wide")
    assert request.id is not None
    await decide(store, request.id, cast.manager, now=LATER)
    [update] = await load(store, Outbox, col(Outbox.update_of).is_not(None))
    assert update.key == f"approval_card:{request.id}:1:manager:{cast.manager}:decided"
    assert update.recipient_id == cast.manager

    card = await compose(store, update.kind, update.params, update.recipient_id)
    assert contexts(card) == ["Approved by Dan Holm on 2027-03-01 12:00."]
    assert paragraphs(card) == ["Waiting for the decision of Eva Strand."]
    assert not buttons(card)
    assert card.text == (
        "Request to open an account: Instagram ki_neuroscience. "
        "Approved by Dan Holm on 2027-03-01 12:00."
    )

    # The director's card has the buttons, at the director stage.
    director_card = await compose(store, "approval_card", update.params, cast.director)
    assert "Your decision is needed as Director of Communications." in paragraphs(director_card)
    assert {b.value for b in buttons(director_card)} == {f"{request.id}:1:director"}

    await decide(store, request.id, cast.director, Decision.REJECT, now=LATER, reason="No.")
    card = await compose(store, update.kind, update.params, cast.manager)
    assert contexts(card) == [
        "Approved by Dan Holm on 2027-03-01 12:00.",
        "Rejected by Eva Strand on 2027-03-01 12:00. Reason: No.",
    ]
    assert paragraphs(card) == ["Rejected."]


async def test_typed_markup_stays_plain_text_on_the_card(store: Store, cast: Cast) -> None:
    typed = "<script>alert(1)</script> @channel <!channel> *bold* <https://evil.example|ki.se>"
    await submit(store, cast, purpose=typed, unit="<!here> Unit & Co")
    [row] = await owed(store, "approval_card")
    card = await compose(store, row.kind, row.params, row.recipient_id)
    [shown] = [b for b in card.blocks if isinstance(b, Fields)]
    assert ("Purpose", typed) in shown.items
    assert ("Organisational unit", "<!here> Unit & Co") in shown.items


async def test_the_card_in_swedish(store: Store, cast: Cast) -> None:
    await submit(store, cast)
    [row] = await owed(store, "approval_card")
    card = await compose(store, row.kind, row.params, row.recipient_id, SV)
    title = SV("Request to open an account: {account}", account="Instagram ki_neuroscience")
    assert title != "Request to open an account: Instagram ki_neuroscience"
    assert card.title == title
    assert SV("Purpose") in fields(card)
    assert SV("Approve") in [b.label for b in buttons(card)]
    assert SV("Approve") != "Approve"


# --- what the requester is told ------------------------------------------------------------


async def test_the_requester_is_told_of_an_approval_with_the_account_number(
    store: Store, cast: Cast
) -> None:
    request = await submit(store, cast)
    assert request.id is not None
    await decide(store, request.id, cast.manager)
    [row] = await owed(store, "request_decided")
    assert row.recipient_id == cast.requester
    message = await compose(store, row.kind, row.params, row.recipient_id)
    assert paragraphs(message) == [
        "Your request for Instagram ki_neuroscience is approved. "
        "The account is registered as SOME-2027-0001."
    ]


async def test_the_requester_is_told_the_director_decides_next(store: Store, cast: Cast) -> None:
    request = await submit(store, cast, scope="university_administration")
    assert request.id is not None
    await decide(store, request.id, cast.manager)
    [row] = await owed(store, "request_decided")
    expected = (
        "Dan Holm approved your request for Instagram ki_neuroscience. "
        "It now needs the approval of the Director of Communications."
    )
    assert (await compose(store, row.kind, row.params, row.recipient_id)).text == expected
    # Composed again after the director decided (a late delivery), it still says the same.
    await decide(store, request.id, cast.director)
    assert (await compose(store, row.kind, row.params, row.recipient_id)).text == expected
    director_row = next(
        r for r in await owed(store, "request_decided") if r.params["stage"] == "director"
    )
    message = await compose(store, director_row.kind, director_row.params, cast.requester)
    assert message.text.startswith("Your request for Instagram ki_neuroscience is approved.")


async def test_the_requester_is_told_of_a_rejection_with_the_reason(
    store: Store, cast: Cast
) -> None:
    request = await submit(store, cast)
    assert request.id is not None
    await decide(store, request.id, cast.manager, Decision.REJECT, reason="Use the unit's account.")
    [row] = await owed(store, "request_decided")
    message = await compose(store, row.kind, row.params, row.recipient_id)
    assert message.text == (
        "Dan Holm rejected your request for Instagram ki_neuroscience. "
        "Reason: Use the unit's account."
    )
    assert not buttons(message)


async def test_asked_for_changes_the_requester_gets_a_revise_button(
    store: Store, cast: Cast
) -> None:
    request = await submit(store, cast)
    assert request.id is not None
    await decide(store, request.id, cast.manager, Decision.CHANGES, reason="Add a target group.")
    [row] = await owed(store, "request_decided")
    message = await compose(store, row.kind, row.params, row.recipient_id)
    assert paragraphs(message) == [
        "Dan Holm asked for changes to your request for Instagram ki_neuroscience: "
        "Add a target group."
    ]
    [revise] = buttons(message)
    assert (revise.action, revise.value) == ("revise", str(request.id))


async def test_the_requester_is_told_of_a_hand_over(store: Store, cast: Cast) -> None:
    request = await submit(store, cast)
    assert request.id is not None
    async with store.transaction() as session:
        other = await make_person(session, T0, "Gun Åberg")
        await requests.hand_over(
            session,
            request_id=request.id,
            actor_id=cast.manager,
            to_person_id=other.id or 0,
            now=LATER,
        )
    [row] = await owed(store, "request_handed")
    message = await compose(store, row.kind, row.params, row.recipient_id)
    assert message.text == (
        "The decision on your request for Instagram ki_neuroscience was handed to Gun Åberg."
    )


async def test_the_comms_office_hears_of_a_request_no_other_director_can_take(
    store: Store, cast: Cast
) -> None:
    request = await submit(store, cast, scope="university_wide")
    assert request.id is not None
    await decide(store, request.id, cast.manager)
    params = {"request_id": request.id, "approver_id": cast.director, "days": 5}
    message = await compose(store, "approval_escalated", params, None)
    assert message.title == "A request waits for the Director of Communications"
    assert message.text == (
        "Anna Berg's request for Instagram ki_neuroscience has waited 5 working days for Eva "
        "Strand, and no other Director of Communications can decide on it. Please see to it "
        "that it is decided."
    )
    swedish = await compose(store, "approval_escalated", params, None, SV)
    assert swedish.text.startswith("Anna Bergs ansökan om Instagram ki_neuroscience har väntat")


# --- a new account -------------------------------------------------------------------------


async def test_the_comms_office_and_the_team_hear_of_a_new_account(
    store: Store, cast: Cast
) -> None:
    request = await submit(store, cast)
    assert request.id is not None
    await decide(store, request.id, cast.manager, now=LATER)
    [account] = await load(store, Account)

    [comms] = await owed(store, "account_registered")
    assert (comms.place, comms.recipient_id) == ("comms", None)
    message = await compose(store, comms.kind, comms.params, None)
    assert message.title == "New social-media account: SOME-2027-0001"
    assert paragraphs(message) == [
        "Instagram ki_neuroscience of Department of Neuroscience has been approved and "
        "registered as SOME-2027-0001."
    ]
    assert fields(message) == {
        "Scope": "A unit (department, centre, section or research group)",
        "Purpose": account.purpose,
        "Responsible persons": "Anna Berg, Bo Ek",
        "Immediate manager": "Dan Holm",
        "Registered": "2027-03-01 12:00",
    }

    welcomes = await owed(store, "welcome")
    assert sorted(w.recipient_id or 0 for w in welcomes) == [cast.requester, cast.colleague]
    message = await compose(store, "welcome", welcomes[0].params, welcomes[0].recipient_id)
    assert message.title == "Welcome to the team of Instagram ki_neuroscience (SOME-2027-0001)!"
    assert fields(message) == {
        "Responsible persons": "Anna Berg, Bo Ek",
        "Rota, first on duty first": "Anna Berg, Bo Ek",
    }
    assert paragraphs(message)[0].startswith("As a responsible person you share these duties")
    # Who is on duty first, and what to do next.
    assert paragraphs(message)[-1] == (
        "Anna Berg is first on duty, then the others in the rota's order. On your day I'll "
        "remind you in the morning: check the account, answer what is waiting, then click "
        "Monitored today. Away? Type /away so the rota skips you. Type /duty to see the week."
    )


def test_every_acknowledgement_has_a_label() -> None:
    assert list(acknowledgement_labels()) == list(rules.ACKNOWLEDGEMENTS)
