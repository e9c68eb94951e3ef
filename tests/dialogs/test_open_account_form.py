"""`/open-account`'s questions about the account on one form: sent together, each field
checked as its own question checks it, refused fields shown with their reason and the form
again with everything typed; one question at a time stays for those who choose it; and the
six confirmations in one click."""

from __future__ import annotations

import pytest

from data import rules
from data.db import Store
from dialogs.i18n import Translator
from dialogs.messages import Form, FormField, Message
from dialogs.router import Brain
from tests.helpers import Cast
from tests.helpers.chat import (
    PURPOSE,
    CastSenders,
    Chat,
    buttons,
    cast_senders,
    dialog_state,
    fields,
    fill,
    fill_from,
    only,
    says,
    step_of,
)

SV = Translator("sv")
GOOD = {
    "handle": "@ki_neuroscience",
    "scope": "unit",
    "purpose": PURPOSE,
    "objectives": "Two posts a week about ongoing projects.",
    "target_group": "Prospective master's students",
    "benefit": "More applicants to the department's programmes.",
    "monitoring": "Checked every working day by the team in turn.",
    "holiday_cover": "The unit's communicator covers holidays.",
    "response_time": "same_day",
}


@pytest.fixture
def chat(store: Store, who: CastSenders) -> Chat:
    return Chat(Brain(store), who.requester)


def form_of(message: Message) -> Form:
    [form] = [b for b in message.blocks if isinstance(b, Form)]
    return form


def by_name(form: Form) -> dict[str, FormField]:
    return {f.name: f for f in form.fields}


async def send(chat: Chat, values: dict[str, str]) -> Message:
    return only(await chat.click("dlg:handle:form", values=tuple(values.items())))


async def test_the_form_asks_about_the_account_with_lengths_and_defaults_stated(
    chat: Chat, who: CastSenders
) -> None:
    shown = await fill(chat, who, until="handle")
    form = form_of(shown)
    assert form.action == "dlg:handle:form"
    assert [f.name for f in form.fields] == list(GOOD)
    named = by_name(form)
    assert named["handle"].label == "What is the account's name or handle on the platform?"
    assert named["handle"].hint == "For example karolinskainstitutet."
    assert named["purpose"].hint == "At least 10 and at most 1000 characters."
    assert named["objectives"].hint == "At most 1000 characters."
    assert named["purpose"].multiline and not named["handle"].multiline
    # The usual response time is chosen until the person picks another; the scope is not:
    # it decides whether the Director of Communications is asked, so it must be chosen.
    assert (named["scope"].value, named["response_time"].value) == ("", "24h")
    assert [o.value for o in named["response_time"].options] == ["same_day", "24h", "48h"]
    assert {b.action for b in buttons(shown)} >= {"dlg:handle:single", "dlg:handle:cancel"}


async def test_a_sent_form_answers_its_questions_and_the_others_follow(
    store: Store, cast: Cast, chat: Chat, who: CastSenders
) -> None:
    await fill(chat, who, until="handle")
    after = await send(chat, GOOD)
    # The questions between the form's own are asked next; the form's are not asked again.
    assert step_of(after) == "unit"
    assert step_of(await fill_from(chat, who, "unit", until="team")) == "team"
    nxt = only(await chat.dlg("team", "pick", who.colleague.external_id))
    assert step_of(nxt) == "manager"
    assert step_of(await fill_from(chat, who, "manager", until="acknowledgements")) == (
        "acknowledgements"
    )
    summary = only(await chat.dlg("acknowledgements", "all"))
    assert step_of(summary) == "summary"
    shown = fields(summary)
    assert shown["Account name or handle"] == "ki_neuroscience"
    assert shown["Purpose"] == PURPOSE
    assert shown["Answering questions"] == "The same day"
    assert shown["Scope"] == "A unit (department, centre, section or research group)"
    state = await dialog_state(store, cast.requester)
    assert state is not None and state.data["holiday_cover"] == GOOD["holiday_cover"]


async def test_the_sent_form_is_rewritten_to_what_each_field_was_answered(
    chat: Chat, who: CastSenders
) -> None:
    await fill(chat, who, until="handle")
    await send(chat, GOOD)
    card = chat.answered[-1]
    assert not [b for b in card.blocks if isinstance(b, Form)] and not buttons(card)
    text = " ".join(getattr(b, "text", "") for b in card.blocks)
    assert "✓ You chose: " in text
    assert "Account name or handle: ki_neuroscience" in text
    assert f"Purpose: {PURPOSE}" in text
    assert "Answering questions: The same day" in text


async def test_a_refused_field_shows_its_reason_and_the_form_again_with_what_was_typed(
    store: Store, cast: Cast, chat: Chat, who: CastSenders
) -> None:
    await fill(chat, who, until="handle")
    typed = {**GOOD, "handle": "ki neuro", "purpose": " Too short ", "objectives": "   "}
    again = await send(chat, typed)
    assert step_of(again) == "handle"
    assert says(again, "Some answers need changing: see the note under each.")
    named = by_name(form_of(again))
    # The same words as the questions asked one at a time.
    assert named["handle"].error == (
        "That doesn't fit Instagram's rules for a handle. An example that does: "
        "karolinskainstitutet"
    )
    assert named["purpose"].error == "Please write at least 10 characters."
    assert named["objectives"].error == "Please write an answer: it can't be empty."
    assert named["benefit"].error == ""
    assert {n: f.value for n, f in named.items()} == typed
    state = await dialog_state(store, cast.requester)
    assert state is not None and "purpose" not in state.data and "benefit" not in state.data

    # Corrected, it goes on; nothing of the refusal is left behind.
    assert step_of(await send(chat, GOOD)) == "unit"
    state = await dialog_state(store, cast.requester)
    assert state is not None and state.data["purpose"] == PURPOSE
    assert "_form_draft" not in state.data


async def test_a_form_sent_without_a_scope_asks_for_one(
    store: Store, cast: Cast, chat: Chat, who: CastSenders
) -> None:
    """Nobody is taken to have chosen "unit" (which the Director of Communications is not
    asked about) by leaving the scope alone."""
    await fill(chat, who, until="handle")
    again = await send(chat, {**GOOD, "scope": ""})
    assert step_of(again) == "handle"
    named = by_name(form_of(again))
    assert named["scope"].error == "Please pick one of the options offered."
    assert named["scope"].value == ""
    state = await dialog_state(store, cast.requester)
    assert state is not None and "scope" not in state.data


async def test_one_at_a_time_stays_for_those_who_choose_it(
    chat: Chat, who: CastSenders
) -> None:
    await fill(chat, who, until="handle")
    single = only(await chat.dlg("handle", "single"))
    assert step_of(single) == "handle" and not [b for b in single.blocks if isinstance(b, Form)]
    assert says(single, "What is the account's name or handle on the platform?")
    assert step_of(only(await chat.say("ki_neuroscience"))) == "unit"
    # A typed answer to the form's first question works the same without the click.
    other = Chat(chat.brain, who.colleague)
    await other.command("open-account")
    await other.dlg("platform", "choose", "instagram")
    # Typed and refused, the question comes back alone, not the form.
    refused = only(await other.say("ki neuro"))
    assert says(refused, "What is the account's name or handle on the platform?")
    assert not [b for b in refused.blocks if isinstance(b, Form)]
    assert step_of(only(await other.say("ki_neuroscience"))) == "unit"


async def test_help_on_the_form_explains_the_form(chat: Chat, who: CastSenders) -> None:
    await fill(chat, who, until="handle")
    helped = only(await chat.dlg("handle", "help"))
    assert says(helped, "Fill in every field and click Send the answers")
    assert form_of(helped).action == "dlg:handle:form"


async def test_back_to_the_form_shows_the_answers_given(chat: Chat, who: CastSenders) -> None:
    await fill(chat, who, until="handle")
    await send(chat, GOOD)
    back = only(await chat.dlg("unit", "back"))
    assert step_of(back) == "handle"
    named = by_name(form_of(back))
    assert named["purpose"].value == PURPOSE
    assert named["handle"].value == "ki_neuroscience"


async def test_the_form_in_swedish(store: Store, cast: Cast) -> None:
    who = await cast_senders(store, cast, locale="sv-SE")
    chat = Chat(Brain(store), who.requester)
    await fill(chat, who, until="handle")
    again = await send(chat, {**GOOD, "purpose": "Kort"})
    named = by_name(form_of(again))
    assert named["purpose"].label == SV("What is the purpose of the account?")
    assert named["purpose"].hint == SV(
        "At least {minimum} and at most {maximum} characters.", minimum=10, maximum=1000
    )
    assert named["purpose"].hint != "At least 10 and at most 1000 characters."
    assert named["purpose"].error == SV("Please write at least {minimum} characters.", minimum=10)
    assert says(again, SV("Some answers need changing: see the note under each."))
    assert SV("Send the answers") == form_of(again).submit_label != "Send the answers"


async def test_all_six_confirmations_in_one_click(
    store: Store, cast: Cast, chat: Chat, who: CastSenders
) -> None:
    shown = await fill(chat, who, until="acknowledgements")
    [confirm_all] = [b for b in buttons(shown) if b.action == "dlg:acknowledgements:all"]
    assert confirm_all.label == "I confirm all of them" and confirm_all.style == "primary"
    summary = only(await chat.dlg("acknowledgements", "all"))
    assert step_of(summary) == "summary"
    state = await dialog_state(store, cast.requester)
    assert state is not None
    assert state.data["acknowledgements"] == list(rules.ACKNOWLEDGEMENTS)
    assert fields(summary)["Confirmations"] == "All points of the guidelines confirmed"
