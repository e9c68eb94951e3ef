"""*Revise the request* after the manager asked for changes, with a conversation in progress:
another one (a second request half answered) is kept and the revision refused as starting any
dialog over it is; the same revision (a second click) is taken up where it is, its changes
kept. Through `Brain.handle`, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from data.db import Store
from data.models import AccountRequest
from dialogs.open_account import REVISE
from tests.helpers import T0, Cast, load, submit
from tests.helpers.chat import CastSenders, Chat, dialog_state, fields, only, says, step_of
from tests.helpers.journey import card_value
from tests.helpers.nudging import chat

LATER = T0 + timedelta(days=1)
PURPOSE = "Show the department's research to prospective students and researchers."
UNIT = "Department of Neuroscience, Pain Research Group"
BUSY = (
    "You are in the middle of another conversation with me. Finish it, or type cancel to stop "
    "it, before starting a new one."
)
CONTINUE = "Let's continue where you left off."
REVISING = "Change what is needed, then submit the request again."


async def sent_back(store: Store, cast: Cast, who: CastSenders) -> tuple[AccountRequest, Chat]:
    """A request the manager asked changes to, and the requester's chat."""
    request = await submit(store, cast)
    manager = chat(store, who.manager, LATER)
    only(await manager.click("approval:changes", value=card_value(request),
                             text="Say more about the purpose."))
    return request, chat(store, who.requester, LATER)


async def test_revising_with_another_request_half_answered_keeps_it(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    request, anna = await sent_back(store, cast, who)
    only(await anna.command("open-account"))
    handle = only(await anna.dlg("platform", "choose", "facebook"))
    assert step_of(handle) == "handle"

    refused = only(await anna.click("revise", value=str(request.id)))
    # Refused as a new dialog over another is; the question where Anna is asked again.
    assert says(refused, BUSY) and not says(refused, REVISING)
    assert step_of(refused) == "handle"
    state = await dialog_state(store, cast.requester)
    assert state is not None and (state.dialog, state.step) == ("open_account", "handle")
    assert state.data["platform"] == "facebook" and REVISE not in state.data

    # Once that one is cancelled, the revision starts with the answers sent back.
    only(await anna.say("cancel"))
    summary = only(await anna.click("revise", value=str(request.id)))
    assert says(summary, REVISING) and step_of(summary) == "summary"
    assert fields(summary)["Platform"] == "Instagram"


async def test_a_second_click_on_revise_takes_the_revision_up_where_it_is(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    request, anna = await sent_back(store, cast, who)
    assert says(only(await anna.click("revise", value=str(request.id))), REVISING)
    only(await anna.dlg("summary", "edit"))
    only(await anna.dlg("summary", "edit_field", "purpose"))
    summary = only(await anna.say(PURPOSE))
    assert fields(summary)["Purpose"] == PURPOSE

    again = only(await anna.click("revise", value=str(request.id)))
    assert says(again, CONTINUE) and not says(again, REVISING)
    assert step_of(again) == "summary" and fields(again)["Purpose"] == PURPOSE
    state = await dialog_state(store, cast.requester)
    assert state is not None and state.data["purpose"] == PURPOSE
    assert state.data[REVISE] == request.id

    # Clicked again halfway through changing another answer: that question is asked again.
    only(await anna.dlg("summary", "edit"))
    assert step_of(only(await anna.dlg("summary", "edit_field", "unit"))) == "unit"
    again = only(await anna.click("revise", value=str(request.id)))
    assert says(again, CONTINUE) and step_of(again) == "unit"
    summary = only(await anna.say(UNIT))
    assert fields(summary)["Purpose"] == PURPOSE and fields(summary)["Organisational unit"] == UNIT

    assert says(only(await anna.dlg("summary", "submit")), "has been sent to")
    [stored] = await load(store, AccountRequest)
    assert (stored.id, stored.round, stored.purpose, stored.unit) == (
        request.id, 2, PURPOSE, UNIT
    )
