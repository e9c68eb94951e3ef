"""Cards left over from a conversation: every card of a dialog names its conversation (the
value its buttons, menus, pickers and forms carry), and a click on a card of a conversation that
has ended, or on one sent before cards named theirs, answers nothing: the question where the
person is comes again. Through `Brain.handle`, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from data import dialog_state as saved_state
from data.db import Store
from data.models import Account, ClosureRecord, Question
from dialogs.engine import CONVERSATION
from dialogs.events import Action
from dialogs.messages import Button, Message, TextInput
from tests.helpers import T0, Cast, count, load
from tests.helpers.chat import (
    CastSenders,
    Chat,
    buttons,
    dialog_state,
    fields,
    fill,
    only,
    says,
    step_of,
)
from tests.helpers.nudging import account_of, chat

TEXT = "What are your opening hours?"
WHERE = "W:/archive/ki_neuroscience"
WHY = "No longer needed, the project ended."
LATER = T0 + timedelta(days=100)
ENDED = "That button belongs to a conversation that has ended. Here is where we are now."
OUTDATED = "That question has already been answered. Here is where we are now."


def button(message: Message, action: str) -> Button:
    [found] = [b for b in buttons(message) if b.action == action]
    return found


async def press(person: Chat, message: Message, action: str, text: str = "") -> Message:
    """A click on `action` as it is on `message`, carrying what it carries there."""
    clicked = button(message, action)
    return only(await person.click(clicked.action, value=clicked.value, text=text))


async def unnamed(person: Chat, action: str) -> Message:
    """A click on `action` as a card sent before cards named their conversation makes it:
    carrying nothing (sent as the platform sends it, not through `Chat.click`, which would
    carry what the chat's cards carry)."""
    replies = await person.brain.handle(Action(person.sender, action), person.now)
    [reply] = [r for r in replies if not r.in_place]
    return reply.message


async def to_close_summary(anna: Chat) -> Message:
    assert step_of(only(await anna.command("close-account"))) == "location"
    assert step_of(only(await anna.say(WHERE))) == "reason"
    summary = only(await anna.say(WHY))
    assert step_of(summary) == "summary" and fields(summary)["Reason"] == WHY
    return summary


async def test_a_leftover_question_summary_cannot_close_an_account(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    """The QA probe's path: a /question summary left live by a click on an older card, the
    question logged from its copy, then /close-account to its summary (whose Submit asks "Are
    you sure?"), and the leftover *Log the question* clicked: nothing is closed."""
    await account_of(store, cast)
    anna = chat(store, who.requester, LATER)
    asked = only(await anna.command("question"))
    first = only(await anna.say(TEXT))
    assert step_of(first) == "summary"
    # A click on the older card asks the summary again, and leaves the first one live.
    second = await press(anna, asked, "dlg:text:help")
    assert step_of(second) == "summary" and says(second, OUTDATED)
    assert says(await press(anna, second, "dlg:summary:submit"), "is logged.")
    assert await count(store, Question) == 1

    closing = await to_close_summary(anna)
    assert button(closing, "dlg:summary:submit").confirm is not None
    again = await press(anna, first, "dlg:summary:submit")

    assert says(again, ENDED)
    # Where Anna is: the close-account summary, its own Submit (with its confirmation) live.
    assert step_of(again) == "summary" and fields(again) == fields(closing)
    assert button(again, "dlg:summary:submit") == button(closing, "dlg:summary:submit")
    [account] = await load(store, Account)
    assert account.status == "active" and await load(store, ClosureRecord) == []
    assert await count(store, Question) == 1
    state = await dialog_state(store, cast.requester)
    assert state is not None and (state.dialog, state.step) == ("close_account", "summary")
    assert state.data["reason"] == WHY

    # The close-account summary's own button still closes it.
    done = await press(anna, again, "dlg:summary:submit")
    assert says(done, "is closed.")
    [account] = await load(store, Account)
    assert account.status == "closed"


async def test_a_leftover_card_of_the_same_dialog_answers_only_its_own_conversation(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    """Two /question conversations one after the other: the first's summary, clicked again
    while the second waits at its own, logs nothing; a double click on the second's logs it
    once."""
    await account_of(store, cast)
    anna = chat(store, who.requester, LATER)
    only(await anna.command("question"))
    first = only(await anna.say(TEXT))
    assert says(await press(anna, first, "dlg:summary:submit"), "is logged.")

    only(await anna.command("question"))
    second = only(await anna.say("Where do I apply for the summer school?"))
    assert button(second, "dlg:summary:submit").value != button(first, "dlg:summary:submit").value
    again = await press(anna, first, "dlg:summary:submit")
    assert says(again, ENDED) and step_of(again) == "summary"
    assert fields(again)["Question"] == "Where do I apply for the summer school?"
    assert [q.text for q in await load(store, Question)] == [TEXT]

    assert says(await press(anna, second, "dlg:summary:submit"), "is logged.")
    # A double click: the conversation has ended, nothing more is logged.
    clicked = button(second, "dlg:summary:submit")
    [twice] = await anna.click(clicked.action, value=clicked.value)
    assert twice.ephemeral
    assert await count(store, Question) == 2
    assert await dialog_state(store, cast.requester) is None


async def test_a_click_naming_no_conversation_is_stale(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    """Buttons sent before cards named their conversation carry nothing: whatever dialog is
    in progress, they answer none of its questions, its summary's Submit least of all."""
    await account_of(store, cast)
    anna = chat(store, who.requester, LATER)
    closing = await to_close_summary(anna)
    again = await unnamed(anna, "dlg:summary:submit")
    assert says(again, OUTDATED) and step_of(again) == "summary"
    assert fields(again) == fields(closing)
    [account] = await load(store, Account)
    assert account.status == "active"
    state = await dialog_state(store, cast.requester)
    assert state is not None and (state.dialog, state.step) == ("close_account", "summary")


async def test_a_conversation_begun_before_cards_named_theirs_is_named_from_then_on(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    """A conversation saved before conversations had an instance: an old card's click (it
    names none) is stale, and the question asked again names the conversation, so its
    buttons work."""
    await account_of(store, cast)
    anna = chat(store, who.requester, LATER)
    await to_close_summary(anna)
    state = await dialog_state(store, cast.requester)
    assert state is not None and CONVERSATION in state.data
    async with store.transaction() as session:
        # As the version before this one kept it.
        await saved_state.save(
            session, person_id=cast.requester, dialog=state.dialog, step=state.step,
            data={k: v for k, v in state.data.items() if k != CONVERSATION},
            history=state.history, turn=state.turn, now=LATER,
        )

    again = await unnamed(anna, "dlg:summary:submit")
    assert says(again, OUTDATED) and step_of(again) == "summary"
    [account] = await load(store, Account)
    assert account.status == "active"
    named = button(again, "dlg:summary:submit").value
    assert named.startswith("close_account:") and len(named) > len("close_account:")
    done = await press(anna, again, "dlg:summary:submit")
    assert says(done, "is closed.")


async def test_the_field_of_a_typed_answer_is_saved_with_a_button_naming_the_conversation(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    """Back to a typed answer: the field holds it (its value is its text), and Save, a button
    of its own, carries the conversation like the card's other buttons and sends what the
    field holds."""
    anna = chat(store, who.requester)
    team = await fill(anna, who, until="team")
    benefit = await press(anna, team, "dlg:team:back")
    assert step_of(benefit) == "benefit"
    [field] = [b for b in benefit.blocks if isinstance(b, TextInput)]
    assert field.value == "More applicants to the department's programmes."
    save = button(benefit, "dlg:benefit:answer")
    assert save.label == "Save"
    assert save.value == button(benefit, "dlg:benefit:cancel").value != ""
    following = await press(anna, benefit, "dlg:benefit:answer", text="More and better applicants.")
    assert step_of(following) == "team"
    state = await dialog_state(store, cast.requester)
    assert state is not None and state.data["benefit"] == "More and better applicants."
