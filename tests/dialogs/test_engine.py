"""The moves every dialog shares (back, cancel, help, the summary, editing one field, outdated
clicks), driven through `Brain.handle` on the open-account dialog. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from data.db import Store
from data.models import AccountRequest, Outbox
from dialogs.i18n import Translator
from dialogs.messages import (
    Actions,
    Choice,
    Context,
    Message,
    Option,
    Paragraph,
    PersonPicker,
    TextInput,
)
from dialogs.router import Brain
from tests.helpers import Cast, count, load
from tests.helpers.chat import (
    STEPS,
    CastSenders,
    Chat,
    answer,
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

EN = Translator("en")
SV = Translator("sv")

GENERAL_HELP = "You can type back to go to the previous question, or cancel to stop."
CANCELLED = "Cancelled. Nothing was sent."
FIRST = "This is the first question."
SUMMARY_STEP = "summary"
OUTDATED = "That question has already been answered. Here is where we are now."
HELP_TEXTS = {
    "platform": "Pick the social-media platform where the account will be opened.",
    "unit": "The department, centre, section or research group, as it will be named on the account.",
    "team": "At least two KI employees must have access to the account. Name the others besides you.",
    "acknowledgements": "All points are required by the guidelines. Tick every box and confirm.",
}


@pytest.fixture
def chat(store: Store, who: CastSenders) -> Chat:
    return Chat(Brain(store), who.requester)


async def swedish_chat(store: Store, cast: Cast) -> tuple[Chat, CastSenders]:
    who = await cast_senders(store, cast, locale="sv")
    return Chat(Brain(store), who.requester), who


# --- back ----------------------------------------------------------------------------------


@pytest.mark.parametrize("step", ["handle", "purpose", "team", "acknowledgements"])
@pytest.mark.parametrize("how", ["typed", "typed-sv", "clicked"])
async def test_back_returns_to_the_previous_question_and_keeps_its_answer(
    store: Store, cast: Cast, who: CastSenders, chat: Chat, step: str, how: str
) -> None:
    await fill(chat, who, until=step)
    before = await dialog_state(store, cast.requester)
    assert before is not None
    previous = STEPS[STEPS.index(step) - 1]

    if how == "clicked":
        reply = only(await chat.dlg(step, "back"))
    else:
        reply = only(await chat.say("Tillbaka" if how == "typed-sv" else "back"))

    assert step_of(reply) == previous
    state = await dialog_state(store, cast.requester)
    assert state is not None
    assert state.step == previous
    assert state.data == before.data  # the earlier answer is kept until it is replaced
    assert state.history == before.history[:-1]
    # Answering it again moves on to where the person was.
    assert step_of(only(await answer(chat, previous, who))) == step


async def test_back_at_the_first_question_says_so(store: Store, cast: Cast, chat: Chat) -> None:
    first = only(await chat.command("open-account"))
    assert "dlg:platform:back" not in [b.action for b in buttons(first)]
    reply = only(await chat.say("back"))
    assert reply.blocks[0] == Paragraph(FIRST)
    assert step_of(reply) == "platform"


async def test_back_from_the_summary_goes_to_the_last_question(
    store: Store, cast: Cast, who: CastSenders, chat: Chat
) -> None:
    await fill(chat, who)
    assert step_of(only(await chat.dlg("summary", "back"))) == "acknowledgements"
    assert step_of(only(await answer(chat, "acknowledgements", who))) == "summary"


async def test_back_twice_then_forward_again(
    store: Store, cast: Cast, who: CastSenders, chat: Chat
) -> None:
    await fill(chat, who, until="scope")
    await chat.say("back")
    assert step_of(only(await chat.say("bakåt"))) == "handle"
    reply = only(await chat.say("ki_other"))
    assert step_of(reply) == "unit"
    await fill_from(chat, who, "unit", until="purpose")
    state = await dialog_state(store, cast.requester)
    assert state is not None
    assert state.data["handle"] == "ki_other"
    assert state.history == ["platform", "handle", "unit", "scope"]


# --- cancel --------------------------------------------------------------------------------


@pytest.mark.parametrize("step", ["platform", "scope", "manager", "summary"])
@pytest.mark.parametrize("how", ["typed", "typed-sv", "clicked"])
async def test_cancel_clears_the_conversation_and_sends_nothing(
    store: Store, cast: Cast, who: CastSenders, chat: Chat, step: str, how: str
) -> None:
    await fill(chat, who, until=step)
    assert await dialog_state(store, cast.requester) is not None

    if how == "clicked":
        reply = only(await chat.dlg(step, "cancel"))
    else:
        reply = only(await chat.say("AVBRYT" if how == "typed-sv" else "cancel"))

    assert says(reply, CANCELLED)
    assert await dialog_state(store, cast.requester) is None
    assert await count(store, AccountRequest) == 0
    assert await count(store, Outbox) == 0
    # Typing afterwards no longer answers a question; /open-account starts afresh.
    assert step_of(only(await chat.say("Department of Neuroscience"))) is None
    fresh = only(await chat.command("open-account"))
    assert step_of(fresh) == "platform"
    assert says(fresh, "Let's open a social-media account in KI's name.")


async def test_the_summary_cancel_button_asks_for_confirmation(
    store: Store, who: CastSenders, chat: Chat
) -> None:
    summary = await fill(chat, who)
    [cancel] = [b for b in buttons(summary) if b.action == "dlg:summary:cancel"]
    assert cancel.style == "danger"
    assert cancel.confirm is not None
    assert cancel.confirm.title == "Cancel the request?"


async def test_a_click_after_the_conversation_ended_says_so(
    store: Store, cast: Cast, who: CastSenders, chat: Chat
) -> None:
    await fill(chat, who, until="unit")
    await chat.say("cancel")
    [reply] = await chat.dlg("unit", "help")
    assert reply.ephemeral
    assert says(
        reply.message, "That conversation has ended. Type /open-account to start a new request."
    )
    assert await dialog_state(store, cast.requester) is None


# --- help ----------------------------------------------------------------------------------


@pytest.mark.parametrize("step", list(HELP_TEXTS))
@pytest.mark.parametrize("how", ["typed", "clicked", "question-mark"])
async def test_help_explains_the_question_and_asks_it_again(
    store: Store, cast: Cast, who: CastSenders, chat: Chat, step: str, how: str
) -> None:
    await fill(chat, who, until=step)
    before = await dialog_state(store, cast.requester)
    if how == "clicked":
        reply = only(await chat.dlg(step, "help"))
    else:
        reply = only(await chat.say("?" if how == "question-mark" else "Help"))
    assert reply.blocks[0] == Paragraph(f"{HELP_TEXTS[step]} {GENERAL_HELP}")
    assert step_of(reply) == step
    after = await dialog_state(store, cast.requester)
    assert before is not None and after is not None
    assert (after.step, after.data, after.history) == (before.step, before.data, before.history)


async def test_help_at_the_summary_explains_thebuttons(
    store: Store, who: CastSenders, chat: Chat
) -> None:
    await fill(chat, who)
    reply = only(await chat.say("help"))
    assert says(
        reply,
        "Check your answers. Submit sends the request to your manager; Edit a field changes "
        "one answer; Cancel throws the request away.",
    )
    assert step_of(reply) == "summary"


@pytest.mark.parametrize("step", ["platform", "team"])
async def test_hjalp_back_and_cancel_in_swedish(store: Store, cast: Cast, step: str) -> None:
    chat, who = await swedish_chat(store, cast)
    await fill(chat, who, until=step)

    reply = only(await chat.say("hjälp"))
    help_text = SV(HELP_TEXTS[step])
    assert help_text != HELP_TEXTS[step]
    assert reply.blocks[0] == Paragraph(f"{help_text} {SV(GENERAL_HELP)}")
    assert step_of(reply) == step

    reply = only(await chat.say("tillbaka"))
    if step == "platform":
        assert reply.blocks[0] == Paragraph(SV(FIRST))
        assert SV(FIRST) != FIRST
        assert step_of(reply) == "platform"
    else:
        assert step_of(reply) == STEPS[STEPS.index(step) - 1]

    reply = only(await chat.say("avbryt"))
    assert says(reply, SV(CANCELLED))
    assert SV(CANCELLED) != CANCELLED
    assert await dialog_state(store, cast.requester) is None


# --- editing one field ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "how", "label", "shown"),
    [
        (
            "unit",
            "Department of Clinical Neuroscience",
            "Organisational unit",
            "Department of Clinical Neuroscience",
        ),
        ("scope", "University administration", "Scope", "University administration"),
        ("team", "Bo Ek, Cia Lund", "Responsible persons", "Anna Berg, Bo Ek, Cia Lund"),
        ("response_time", "1", "Answering questions", "The same day"),
    ],
)
async def test_edit_a_field_from_the_summary_then_return_to_it(
    store: Store,
    cast: Cast,
    who: CastSenders,
    chat: Chat,
    step: str,
    how: str,
    label: str,
    shown: str,
) -> None:
    summary = await fill(chat, who)
    unchanged = {k: v for k, v in fields(summary).items() if k != label}
    menu = only(await chat.dlg("summary", "edit"))
    assert says(menu, "Which answer do you want to change?")

    question = only(await chat.dlg("summary", "edit_field", step))
    assert step_of(question) == step
    summary = only(await chat.say(how))

    assert step_of(summary) == "summary"
    assert fields(summary)[label] == shown
    assert {k: v for k, v in fields(summary).items() if k != label} == unchanged
    state = await dialog_state(store, cast.requester)
    assert state is not None
    assert state.step == "summary"
    assert "_editing" not in state.data

    await chat.dlg("summary", "submit")
    assert await count(store, AccountRequest) == 1


async def test_back_while_editing_returns_to_the_summary_unchanged(
    store: Store, cast: Cast, who: CastSenders, chat: Chat
) -> None:
    summary = await fill(chat, who)
    await chat.dlg("summary", "edit_field", "purpose")
    back = only(await chat.say("back"))
    assert step_of(back) == "summary"
    assert fields(back) == fields(summary)
    state = await dialog_state(store, cast.requester)
    assert state is not None and "_editing" not in state.data


async def test_a_wrong_answer_while_editing_keeps_the_old_one(
    store: Store, cast: Cast, who: CastSenders, chat: Chat
) -> None:
    await fill(chat, who)
    await chat.dlg("summary", "edit_field", "purpose")
    reply = only(await chat.say("Too short"))
    assert says(reply, "Please write at least 10 characters.")
    assert step_of(reply) == "purpose"
    state = await dialog_state(store, cast.requester)
    assert state is not None
    assert state.data["purpose"] == "Show the department's research to prospective students."


async def test_editing_an_unknown_field_shows_the_summary_again(
    store: Store, cast: Cast, who: CastSenders, chat: Chat
) -> None:
    await fill(chat, who)
    reply = only(await chat.dlg("summary", "edit_field", "requester_id"))
    assert step_of(reply) == "summary"
    state = await dialog_state(store, cast.requester)
    assert state is not None and state.step == "summary" and "_editing" not in state.data


# --- outdated clicks -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old_step", "what", "selected"),
    [
        ("platform", "choose", ("x",)),
        ("scope", "choose", ("university_wide",)),
        ("team", "pick", ("cia.lund",)),
        ("platform", "back", ()),
        ("platform", "help", ()),
        ("scope", "cancel", ()),
        ("summary", "submit", ()),
    ],
)
async def test_a_click_on_an_answered_question_changes_nothing(
    store: Store,
    cast: Cast,
    who: CastSenders,
    chat: Chat,
    old_step: str,
    what: str,
    selected: tuple[str, ...],
) -> None:
    await fill(chat, who, until="monitoring")
    before = await dialog_state(store, cast.requester)

    reply = only(await chat.dlg(old_step, what, *selected))

    assert reply.blocks[0] == Paragraph(OUTDATED)
    assert step_of(reply) == "monitoring"
    after = await dialog_state(store, cast.requester)
    assert before is not None and after is not None
    assert (after.step, after.data, after.history, after.turn) == (
        before.step,
        before.data,
        before.history,
        before.turn,
    )
    assert await count(store, AccountRequest) == 0


async def test_a_click_on_the_old_summary_while_editing_changes_nothing(
    store: Store, cast: Cast, who: CastSenders, chat: Chat
) -> None:
    await fill(chat, who)
    await chat.dlg("summary", "edit_field", "unit")
    reply = only(await chat.dlg("summary", "submit"))
    assert reply.blocks[0] == Paragraph(OUTDATED)
    assert step_of(reply) == "unit"
    assert await count(store, AccountRequest) == 0


async def test_a_second_submit_click_files_one_request(
    store: Store, cast: Cast, who: CastSenders, chat: Chat
) -> None:
    await fill(chat, who)
    first = only(await chat.dlg("summary", "submit"))
    assert says(first, "has been sent to Dan Holm for approval")

    [again] = await chat.dlg("summary", "submit")
    assert again.ephemeral
    assert says(
        again.message, "That conversation has ended. Type /open-account to start a new request."
    )
    [request] = await load(store, AccountRequest)
    assert [row.key for row in await load(store, Outbox)] == [
        f"approval_card:{request.id}:1:manager:{cast.manager}"
    ]


# --- answered cards ------------------------------------------------------------------------


def interactive(message: Message) -> list[object]:
    return [b for b in message.blocks if isinstance(b, Actions | Choice | PersonPicker | TextInput)]


async def test_a_clicked_answer_rewrites_its_card_to_the_question_and_the_choice(
    chat: Chat, who: CastSenders
) -> None:
    await chat.command("open-account")
    handle = only(await chat.dlg("platform", "choose", "instagram"))
    assert step_of(handle) == "handle"
    [card] = chat.answered
    assert interactive(card) == []
    assert says(card, EN("Which platform is the account on?"))
    assert says(card, EN("✓ You chose: {answer}", answer="Instagram"))
    # A typed answer retires its card too; a refused click leaves its card live; an old
    # card's click is refused as before and rewrites nothing.
    await answer(chat, "handle", who)
    assert len(chat.answered) == 2 and chat.answered[-1].text.endswith(
        EN("✓ You chose: {answer}", answer="ki_neuroscience")
    )
    await chat.dlg("unit", "choose", "no-such-unit")
    await chat.dlg("platform", "choose", "facebook")
    [refused] = await chat.say("   ")
    assert step_of(refused.message) == "unit"
    assert len(chat.answered) == 2
    await answer(chat, "unit", who)
    scope = only(await chat.dlg("scope", "choose", "unit"))
    assert step_of(scope) == "purpose"
    unit = EN("A unit (department, centre, section or research group)")
    assert says(chat.answered[-1], EN("✓ You chose: {answer}", answer=unit))


async def test_the_answered_card_is_in_the_persons_language(store: Store, cast: Cast) -> None:
    chat, _ = await swedish_chat(store, cast)
    await chat.command("open-account")
    await chat.dlg("platform", "choose", "instagram")
    [card] = chat.answered
    assert says(card, "✓ Du valde: Instagram")


async def test_back_and_edit_show_the_earlier_answer_ready_to_change(
    chat: Chat, who: CastSenders
) -> None:
    await fill(chat, who, until="team")
    [team] = await answer(chat, "team", who)
    # Back to the people: the picker can't be preselected everywhere, so it says who.
    [people] = await chat.dlg(step_of(team.message) or "", "back")
    assert step_of(people.message) == "team"
    [now] = [b.text for b in people.message.blocks if isinstance(b, Context) and "Now" in b.text]
    assert now.startswith(EN("Now: {answer}", answer="")) and str(who.colleague.display_name) in now
    [picker] = [b for b in people.message.blocks if isinstance(b, PersonPicker)]
    assert picker.selected == (Option(who.colleague.external_id, str(who.colleague.display_name)),)
    # Back to a typed answer: in a field, ready to change and save.
    [benefit] = await chat.dlg("team", "back")
    [field] = [b for b in benefit.message.blocks if isinstance(b, TextInput)]
    assert field.value == "More applicants to the department's programmes."
    assert field.action == "dlg:benefit:answer"
    [team_again] = await chat.dlg("benefit", "answer", text="More applicants, and better ones.")
    assert step_of(team_again.message) == "team"
    # Edit a field from the summary: the choice is preselected and named.
    await fill_from(chat, who, "team")
    await chat.dlg(SUMMARY_STEP, "edit")
    [scope] = await chat.dlg(SUMMARY_STEP, "edit_field", "scope")
    [choice] = [b for b in scope.message.blocks if isinstance(b, Choice)]
    assert choice.selected == ("unit",)
    assert fields(only(await chat.dlg("scope", "choose", "unit")))[EN("Operational benefit")] == (
        "More applicants, and better ones."
    )


async def test_a_question_asked_the_first_time_has_no_field_and_says_no_answer(
    chat: Chat, who: CastSenders
) -> None:
    prompt = await fill(chat, who, until="purpose")
    assert not [b for b in prompt.blocks if isinstance(b, TextInput)]
    assert not [b for b in prompt.blocks if isinstance(b, Context) and "Now" in b.text]
