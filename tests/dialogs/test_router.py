"""One turn of the bot through `Brain.handle`: commands, resuming a conversation after a
restart, and deciding on requests from the approval card. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from data import requests
from data.db import Store
from data.models import (
    Account,
    AccountRequest,
    ApprovalDecision,
    AuditEvent,
    DialogState,
    Outbox,
    RequestStatus,
)
from dialogs.engine import CONVERSATION
from dialogs.events import Sender
from dialogs.messages import Paragraph, TextInput
from dialogs.router import Brain
from tests.helpers import T0, Cast, count, load, make_roles, submit
from tests.helpers.chat import (
    CastSenders,
    Chat,
    answer,
    buttons,
    dialog_state,
    fields,
    fill,
    fill_from,
    only,
    pickers,
    says,
    step_of,
)

LATER = T0 + timedelta(hours=3)
NOT_APPROVER = "Only the person asked to decide on this request can do that. Nothing was changed."
MOVED_ON = (
    "This request has already moved on, so that click changed nothing. "
    "The card shows where it stands now."
)


def chat_for(store: Store, sender: Sender) -> Chat:
    """A chat with its own Brain, as each click may reach another bot process."""
    return Chat(Brain(store), sender, now=LATER)


async def snapshot(store: Store) -> tuple[list[AccountRequest], int, int, int, int]:
    """Requests as stored, and how many decisions, accounts, outbox rows and audit events."""
    return (
        await load(store, AccountRequest),
        await count(store, ApprovalDecision),
        await count(store, Account),
        await count(store, Outbox),
        await count(store, AuditEvent),
    )


def card(request: AccountRequest, round_: int = 1, stage: str = "manager") -> str:
    return f"{request.id}:{round_}:{stage}"


# --- commands and plain text ---------------------------------------------------------------


async def test_help_and_unknown_commands(store: Store, who: CastSenders) -> None:
    chat = Chat(Brain(store), who.requester)
    help_ = only(await chat.command("help"))
    assert help_.title == "kontobot help"
    assert fields(help_)["/open-account"] == "Request a new social-media account in KI's name."
    assert [b.action for b in buttons(help_)] == [
        "cmd:open-account", "cmd:removed", "cmd:consent", "cmd:casework", "cmd:accessible",
    ]

    [unknown] = await chat.say("/frobnicate now")
    assert unknown.ephemeral
    assert unknown.message.blocks[0] == Paragraph("I don't know the command /frobnicate.")

    hello = only(await chat.say("hi there"))
    assert says(hello, "Hello! Here is what I can do.")
    assert await count(store, DialogState) == 0

    # A blank message gets an answer too, never silence.
    blank = only(await chat.say("  "))
    assert says(blank, "I found no text in your message. Here is what I can do.")
    assert "/open-account" in fields(blank)


async def test_the_help_button_starts_the_conversation(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    chat = Chat(Brain(store), who.requester)
    assert step_of(only(await chat.click("cmd:open-account"))) == "platform"
    assert await dialog_state(store, cast.requester) is not None


async def test_typed_slash_command_starts_the_conversation(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    chat = Chat(Brain(store), who.requester)
    assert step_of(only(await chat.say("  /Open-Account"))) == "platform"


# --- resuming ------------------------------------------------------------------------------


async def test_a_restart_loses_nothing_and_the_next_answer_lands_at_the_right_step(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    before = Chat(Brain(store), who.requester)
    await fill(before, who, until="purpose")

    # The bot restarts: a new Brain on the same database, an hour later.
    after = Chat(Brain(store), who.requester, now=T0 + timedelta(hours=1))
    reply = only(await after.say("Show our research to prospective students."))
    assert step_of(reply) == "objectives"
    state = await dialog_state(store, cast.requester)
    assert state is not None
    assert state.step == "objectives"
    assert state.data["purpose"] == "Show our research to prospective students."
    assert state.data["handle"] == "ki_neuroscience"
    assert state.updated_at == after.now

    await fill_from(after, who, "objectives")
    await after.dlg("summary", "submit")
    [request] = await load(store, AccountRequest)
    assert request.purpose == "Show our research to prospective students."
    assert request.unit == "Department of Neuroscience"


async def test_open_account_again_continues_where_the_person_left_off(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    await fill(Chat(Brain(store), who.requester), who, until="team")
    chat = Chat(Brain(store), who.requester)

    reply = only(await chat.command("open-account"))
    assert reply.blocks[0] == Paragraph(
        "You have a request in progress. Let's continue where you left off."
    )
    assert step_of(reply) == "team"
    state = await dialog_state(store, cast.requester)
    assert state is not None and state.step == "team"
    # The answers so far, besides which conversation this is.
    assert set(state.data) - {CONVERSATION} == {
        "platform",
        "handle",
        "unit",
        "scope",
        "purpose",
        "objectives",
        "target_group",
        "benefit",
    }
    assert step_of(only(await answer(chat, "team", who))) == "manager"


async def test_a_restart_at_the_summary_still_submits(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    await fill(Chat(Brain(store), who.requester), who)
    chat = Chat(Brain(store), who.requester)
    reply = only(await chat.command("open-account"))
    assert step_of(reply) == "summary"
    assert fields(reply)["Immediate manager"] == "Dan Holm"
    await chat.dlg("summary", "submit")
    assert await count(store, AccountRequest) == 1


async def test_each_person_has_a_conversation_of_their_own(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    brain = Brain(store)
    anna = Chat(brain, who.requester)
    bo = Chat(brain, who.colleague)
    await fill(anna, who, until="unit")
    await bo.command("open-account")
    await bo.dlg("platform", "choose", "x")
    assert step_of(only(await anna.say("Department of Neuroscience"))) == "scope"
    mine = await dialog_state(store, cast.requester)
    theirs = await dialog_state(store, cast.colleague)
    assert mine is not None and theirs is not None
    assert mine.data["platform"] == "instagram" and theirs.data["platform"] == "x"
    assert theirs.step == "handle"


# --- approving -----------------------------------------------------------------------------


async def test_the_manager_approves_a_unit_account(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    request = await submit(store, cast)
    manager = chat_for(store, who.manager)

    reply = only(await manager.click("approval:approve", value=card(request)))

    [account] = await load(store, Account)
    assert account.number == "SOME-2027-0001"
    assert reply.blocks[0] == Paragraph(
        "Approved. Instagram ki_neuroscience is registered as SOME-2027-0001; "
        "the team and the Communications Office are told."
    )
    [stored] = await load(store, AccountRequest)
    assert stored.status == RequestStatus.APPROVED.value
    assert stored.account_id == account.id
    assert (account.scope, account.manager_id, account.registered_at) == (
        "unit",
        cast.manager,
        LATER,
    )
    [decision] = await load(store, ApprovalDecision)
    assert (decision.decider_id, decision.decision, decision.stage) == (
        cast.manager,
        "approve",
        "manager",
    )
    keys = {row.key for row in await load(store, Outbox)}
    assert f"request_decided:{request.id}:1:manager" in keys
    assert f"approval_card:{request.id}:1:manager:{cast.manager}:decided" in keys
    assert f"account_registered:{account.id}:comms" in keys

    # A second click, or a retried one, changes nothing.
    before = await snapshot(store)
    [again] = await manager.click("approval:approve", value=card(request))
    assert again.ephemeral
    assert again.message.blocks[0] == Paragraph(MOVED_ON)
    assert await snapshot(store) == before


async def test_university_wide_needs_the_director_after_the_manager(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    request = await submit(store, cast, scope="university_wide")
    manager = chat_for(store, who.manager)
    director = chat_for(store, who.director)

    # The director cannot jump the queue.
    [early] = await director.click("approval:approve", value=card(request))
    assert early.ephemeral and early.message.blocks[0] == Paragraph(NOT_APPROVER)

    reply = only(await manager.click("approval:approve", value=card(request)))
    assert reply.blocks[0] == Paragraph(
        "Approved. The request for Instagram ki_neuroscience now goes to the "
        "Director of Communications."
    )
    [stored] = await load(store, AccountRequest)
    assert (stored.status, stored.stage, stored.approver_id) == (
        "pending",
        "director",
        cast.director,
    )
    assert await count(store, Account) == 0
    [director_card] = await load(
        store, Outbox, Outbox.key == f"approval_card:{request.id}:1:director:{cast.director}"
    )
    assert director_card.recipient_id == cast.director

    # The manager's old card no longer decides anything.
    [stale] = await manager.click("approval:approve", value=card(request))
    assert stale.message.blocks[0] == Paragraph(MOVED_ON)

    director.now = LATER + timedelta(days=1)
    reply = only(await director.click("approval:approve", value=card(request, stage="director")))
    [account] = await load(store, Account)
    assert says(reply, f"registered as {account.number}")
    [stored] = await load(store, AccountRequest)
    assert stored.status == "approved"
    decisions = await load(store, ApprovalDecision)
    assert [(d.stage, d.decider_id) for d in decisions] == [
        ("manager", cast.manager),
        ("director", cast.director),
    ]


async def test_a_refused_approval_leaves_no_trace_and_can_be_repeated(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    # The director role was removed after the request was filed: approving cannot go on.
    request = await submit(store, cast, scope="university_wide")
    async with store.transaction() as session:
        await make_roles(session, T0, director=set())
    manager = chat_for(store, who.manager)
    before = await snapshot(store)

    [reply] = await manager.click("approval:approve", value=card(request))

    assert reply.ephemeral
    assert reply.message.blocks[0] == Paragraph(
        "No Director of Communications is configured, so this scope can't be approved yet. "
        "Contact the Communications Office."
    )
    assert await snapshot(store) == before
    # Once a director is configured again, the same click works.
    async with store.transaction() as session:
        await make_roles(session, T0, director={cast.director})
    approved = only(await manager.click("approval:approve", value=card(request)))
    assert says(approved, "now goes to the Director of Communications")
    [stored] = await load(store, AccountRequest)
    assert (stored.stage, stored.approver_id) == ("director", cast.director)


@pytest.mark.parametrize("verb", ["approve", "reject", "reject_confirmed", "changes", "handover"])
@pytest.mark.parametrize("intruder", ["outsider", "colleague", "director"])
async def test_only_the_approver_decides(
    store: Store, cast: Cast, who: CastSenders, verb: str, intruder: str
) -> None:
    request = await submit(store, cast)
    stranger = chat_for(store, getattr(who, intruder))
    before = await snapshot(store)

    if verb == "handover":
        # The picker is only a question; the hand-over itself is refused.
        await stranger.click("approval:handover", value=card(request))
        [reply] = await stranger.click(
            "handover:to", who.second_colleague.external_id, value=card(request)
        )
    else:
        [reply] = await stranger.click(
            f"approval:{verb}", value=card(request), text="Not mine to say."
        )

    assert reply.ephemeral
    assert reply.message.blocks[0] == Paragraph(NOT_APPROVER)
    after = await snapshot(store)
    assert after[1:] == before[1:]
    assert after[0][0].model_dump() == before[0][0].model_dump()


async def test_the_requester_cannot_decide_their_own_request(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    request = await submit(store, cast)
    before = await snapshot(store)
    [reply] = await chat_for(store, who.requester).click("approval:approve", value=card(request))
    assert reply.ephemeral
    assert reply.message.blocks[0] == Paragraph(
        "You can't decide on your own request. Nothing was changed."
    )
    assert await snapshot(store) == before


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("", "I can't find that request."),
        ("7", "I can't find that request."),
        ("x:1:manager", "I can't find that request."),
        ("1:2:3:4", "I can't find that request."),
        # An id no request has, as someone else's request: ids are sequential.
        ("999:1:manager",
         "Only the person asked to decide on this request can do that. Nothing was changed."),
    ],
)
async def test_a_card_value_that_names_no_request(
    store: Store, cast: Cast, who: CastSenders, value: str, said: str
) -> None:
    await submit(store, cast)
    before = await snapshot(store)
    [reply] = await chat_for(store, who.manager).click("approval:approve", value=value)
    assert reply.ephemeral
    assert reply.message.blocks[0] == Paragraph(said)
    assert await snapshot(store) == before


@pytest.mark.parametrize("verb", ["reject", "reject_confirmed", "changes"])
@pytest.mark.parametrize("reason", ["", "   "])
async def test_reject_and_ask_for_changes_need_a_reason(
    store: Store, cast: Cast, who: CastSenders, verb: str, reason: str
) -> None:
    request = await submit(store, cast)
    before = await snapshot(store)
    [reply] = await chat_for(store, who.manager).click(
        f"approval:{verb}", value=card(request), text=reason
    )
    assert reply.ephemeral
    expected = "Please write a reason in the text field first: it is sent to the requester."
    assert reply.message.blocks[0] == Paragraph(expected)
    assert await snapshot(store) == before


async def test_reject_with_a_reason_tells_the_requester(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    request = await submit(store, cast)
    dan = chat_for(store, who.manager)
    before = await snapshot(store)
    # With the reason checked, Reject asks before it rejects; the reason stays to change.
    [question] = await dan.click(
        "approval:reject", value=card(request), text="  We already have an account.  "
    )
    assert question.ephemeral
    assert question.message.blocks[0] == Paragraph(
        "Do you want to reject the request for Instagram ki_neuroscience? The requester is "
        "told, with your reason. This cannot be undone."
    )
    [reason] = [b for b in question.message.blocks if isinstance(b, TextInput)]
    assert (reason.action, reason.value) == ("approval:reason", "  We already have an account.  ")
    assert [(b.action, b.value) for b in buttons(question.message)] == [
        ("approval:reject_confirmed", card(request)),
        ("approval:keep", card(request)),
    ]
    assert await snapshot(store) == before

    # Go back: nothing changes.
    [kept] = await dan.click("approval:keep", value=card(request))
    assert kept.message.blocks[0] == Paragraph(
        "Nothing has changed: the request still waits for a decision."
    )
    assert await snapshot(store) == before

    reply = only(
        await dan.click(
            "approval:reject_confirmed", value=card(request), text="  We already have an account.  "
        )
    )
    assert reply.blocks[0] == Paragraph("Rejected. The requester is told, with your reason.")
    [stored] = await load(store, AccountRequest)
    assert stored.status == "rejected"
    assert stored.last_reason == "We already have an account."
    [notice] = await load(store, Outbox, Outbox.kind == "request_decided")
    assert notice.recipient_id == cast.requester
    assert notice.params == {"request_id": request.id, "round": 1, "stage": "manager"}
    assert await count(store, Account) == 0


async def test_changes_then_revise_resubmits_as_round_two(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    request = await submit(store, cast)
    manager = chat_for(store, who.manager)
    reply = only(
        await manager.click(
            "approval:changes", value=card(request), text="Name the research group."
        )
    )
    assert reply.blocks[0] == Paragraph("Sent back to the requester with your request for changes.")
    [stored] = await load(store, AccountRequest)
    assert (stored.status, stored.last_reason) == ("changes_requested", "Name the research group.")
    [notice] = await load(store, Outbox, Outbox.kind == "request_decided")
    assert notice.recipient_id == cast.requester

    # Someone else cannot take over the revision.
    [refused] = await chat_for(store, who.outsider).click("revise", value=str(request.id))
    assert refused.message.blocks[0] == Paragraph(
        "Only the person who made the request can change it."
    )

    requester = chat_for(store, who.requester)
    requester.now = LATER + timedelta(hours=1)
    summary = only(await requester.click("revise", value=str(request.id)))
    assert summary.blocks[0] == Paragraph("Change what is needed, then submit the request again.")
    assert step_of(summary) == "summary"
    assert fields(summary)["Organisational unit"] == "Department of Neuroscience"
    assert fields(summary)["Responsible persons"] == "Anna Berg, Bo Ek"

    await requester.dlg("summary", "edit_field", "unit")
    summary = only(await requester.say("Department of Neuroscience, Pain Research Group"))
    assert fields(summary)["Organisational unit"] == (
        "Department of Neuroscience, Pain Research Group"
    )
    done = only(await requester.dlg("summary", "submit"))
    assert says(done, "has been sent to Dan Holm for approval")

    [stored] = await load(store, AccountRequest)  # the same request, not a second one
    assert stored.id == request.id
    assert (stored.status, stored.round, stored.stage) == ("pending", 2, "manager")
    assert stored.unit == "Department of Neuroscience, Pain Research Group"
    assert await dialog_state(store, cast.requester) is None
    [card2] = await load(
        store, Outbox, Outbox.key == f"approval_card:{request.id}:2:manager:{cast.manager}"
    )
    assert card2.recipient_id == cast.manager

    # The revise button has done its work; the round-1 card is out of date.
    [again] = await requester.click("revise", value=str(request.id))
    assert again.message.blocks[0] == Paragraph(MOVED_ON)
    [stale] = await manager.click("approval:approve", value=card(request, 1))
    assert stale.message.blocks[0] == Paragraph(MOVED_ON)

    reply = only(await manager.click("approval:approve", value=card(request, 2)))
    assert says(reply, "is registered as SOME-2027-0001")


# --- handing over --------------------------------------------------------------------------


async def test_the_approver_hands_the_decision_to_another_manager(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    request = await submit(store, cast)
    manager = chat_for(store, who.manager)

    [question] = await manager.click("approval:handover", value=card(request))
    assert question.ephemeral
    assert says(question.message, "Who should decide instead of you?")
    [picker] = pickers(question.message)
    assert (picker.action, picker.value) == ("handover:to", card(request))

    reply = only(
        await manager.click("handover:to", who.second_colleague.external_id, value=picker.value)
    )
    assert reply.blocks[0] == Paragraph("Handed over to Cia Lund. They have been sent the request.")
    [stored] = await load(store, AccountRequest)
    assert (stored.approver_id, stored.status, stored.stage) == (
        cast.second_colleague,
        "pending",
        "manager",
    )
    keys = {row.key for row in await load(store, Outbox)}
    assert f"approval_card:{request.id}:1:manager:{cast.second_colleague}" in keys
    assert f"approval_card:{request.id}:1:manager:{cast.manager}:handed" in keys
    assert f"request_handed:{request.id}:1:manager:{cast.second_colleague}" in keys

    # The old approver's card is dead; the new approver's works.
    [stale] = await manager.click("approval:approve", value=card(request))
    assert stale.message.blocks[0] == Paragraph(NOT_APPROVER)
    reply = only(
        await chat_for(store, who.second_colleague).click("approval:approve", value=card(request))
    )
    assert says(reply, "registered as SOME-2027-0001")
    [decision] = await load(store, ApprovalDecision)
    assert decision.decider_id == cast.second_colleague


@pytest.mark.parametrize(
    ("to", "says_"),
    [
        ("anna.berg", "The decision can't be handed to the person who made the request."),
        ("dan.holm", "The decision is already yours: pick someone else to hand it to."),
        (
            "nobody.here",
            "I can't find anyone called nobody.here. Check the spelling, pick the person from "
            "the list, or type their work e-mail address.",
        ),
        (None, "Please write an answer: it can't be empty."),
    ],
)
async def test_a_hand_over_that_cannot_be_done_changes_nothing(
    store: Store, cast: Cast, who: CastSenders, to: str | None, says_: str
) -> None:
    request = await submit(store, cast)
    before = await snapshot(store)
    selected = (to,) if to is not None else ()
    [reply] = await chat_for(store, who.manager).click(
        "handover:to", *selected, value=card(request)
    )
    assert reply.ephemeral
    assert reply.message.blocks[0] == Paragraph(says_)
    assert await snapshot(store) == before


async def test_a_button_nobody_knows_does_nothing(store: Store, who: CastSenders) -> None:
    [reply] = await chat_for(store, who.requester).click("frobnicate:now", value="1")
    assert reply.ephemeral
    assert reply.message.blocks[0] == Paragraph("That button no longer does anything.")


async def test_a_click_the_platform_delivers_twice_counts_once(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    """The same click delivered twice by the platform (a retry) counts once."""
    request = await submit(store, cast)
    brain = Brain(store)
    first = Chat(brain, who.manager, now=LATER)
    second = Chat(Brain(store), who.manager, now=LATER + timedelta(seconds=3))
    await first.click("approval:approve", value=card(request))
    await second.click("approval:approve", value=card(request))
    assert await count(store, ApprovalDecision) == 1
    assert await count(store, Account) == 1
    async with store.transaction() as session:
        stored = await requests.get_request(session, request.id or 0)
    assert stored.status == "approved"


async def test_revising_someone_elses_request_or_none_is_refused_alike(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    """Request ids are sequential: an id no request has says what another's request says."""
    request = await submit(store, cast)
    said = []
    for value in (str(request.id), "999"):
        [reply] = await chat_for(store, who.outsider).click("revise", value=value)
        said.append(reply.message.blocks[0])
    assert said == [Paragraph("Only the person who made the request can change it.")] * 2


async def test_a_revise_click_with_a_broken_value_is_refused_politely(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    [reply] = await chat_for(store, who.requester).click("revise", value="not-a-number")
    assert reply.ephemeral
    assert reply.message.blocks[0] == Paragraph("I can't find that request.")


# Ids past the database's 32-bit integers, and not ids at all: refused like an unknown id
# (before the database sees them), on every button that carries one.
@pytest.mark.parametrize("value", ["99999999999999999999", "-3", "0", "x"])
@pytest.mark.parametrize(
    ("action", "suffix", "expected"),
    [
        ("revise", "", "I can't find that request."),
        ("approval:approve", "", "I can't find that request."),
        ("duty:monitored", ":2027-03-01", "I can't find that account."),
        ("active:yes", "", "I can't find that account."),
        ("archive:done", "", "I can't find that account."),
        ("close:start", "", "I can't find that account."),
        ("question:answered", "", "I can't find that question."),
        ("away:cancel", "", "I can't find that absence. It may already be cancelled."),
    ],
)
async def test_a_click_with_an_id_out_of_range_is_refused_politely(
    store: Store, cast: Cast, who: CastSenders, action: str, suffix: str, expected: str,
    value: str,
) -> None:
    [reply] = await chat_for(store, who.requester).click(action, value=value + suffix)
    assert reply.ephemeral
    assert reply.message.blocks[0] == Paragraph(expected)
