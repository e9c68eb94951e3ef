"""`/question` logs a question from the public (a small dialog: which account, then the text)
and *Answered* closes one, through `Brain.handle`. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from data.db import Store
from data.models import Question
from dialogs.messages import Paragraph
from tests.helpers import T0, Cast, count, load
from tests.helpers.chat import (
    CastSenders,
    buttons,
    cast_senders,
    choices,
    dialog_state,
    fields,
    fill,
    only,
    says,
    step_of,
)
from tests.helpers.nudging import account_of, chat, refusal

TEXT = "When is the next open day for the master's programme?"


async def test_with_one_account_it_asks_for_the_text_at_once(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    account = await account_of(store, cast)
    anna = chat(store, who.requester)
    prompt = only(await anna.command("question"))
    assert step_of(prompt) == "text"
    assert prompt.title == "Log a question: question 2 of 2"
    assert says(prompt, "Let's log a question from the public, so that it is not forgotten.")
    assert says(prompt, "What was asked? Paste or type the question or comment.")

    # Empty and overlong answers are refused and asked again.
    again = only(await anna.say("   "))
    assert step_of(again) == "text" and says(again, "Please write an answer: it can't be empty.")
    again = only(await anna.say("x" * 4001))
    assert step_of(again) == "text"
    assert says(again, "That is 4001 characters; the most I can take is 4000.")

    summary = only(await anna.say(TEXT))
    assert step_of(summary) == "summary"
    assert says(summary, "Here is the question to log. Log it, edit a field, or cancel.")
    assert fields(summary) == {
        "Account": "SOME-2027-0001 · Instagram ki_neuroscience",
        "Question": TEXT,
    }
    [submit, _edit, _cancel] = buttons(summary)
    assert submit.label == "Log the question"

    done = only(await anna.dlg("summary", "submit"))
    [question] = await load(store, Question)
    assert (question.account_id, question.source, question.text, question.logged_by) == (
        account, "chat", TEXT, cast.requester
    )
    assert question.received_at == T0 and question.answered_at is None
    assert says(done, "The question to Instagram ki_neuroscience is logged.")
    assert [(b.action, b.value) for b in buttons(done)] == [
        ("question:answered", str(question.id)),
        ("question:refer", str(question.id)),
        ("case:mark", str(question.id)),
        ("case:research", str(question.id)),
    ]
    assert await dialog_state(store, cast.requester) is None


async def test_with_several_accounts_it_asks_which_first(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    await account_of(store, cast)
    second = await account_of(store, cast, "ki_pain")
    bo = chat(store, who.colleague)
    prompt = only(await bo.command("question"))
    assert step_of(prompt) == "account"
    [choice] = choices(prompt)
    assert [(o.value, o.label) for o in choice.options] == [
        ("1", "SOME-2027-0001 · Instagram ki_neuroscience"),
        ("2", "SOME-2027-0002 · Instagram ki_pain"),
    ]
    # Nothing offered: asked again.
    assert says(only(await bo.say("SOME-2027-0099")), "Please pick one of the options offered.")
    # Typed by its register number (clicking works as in every dialog).
    assert step_of(only(await bo.say("some-2027-0002"))) == "text"
    await bo.say(TEXT)
    await bo.dlg("summary", "submit")
    [question] = await load(store, Question)
    assert question.account_id == second


async def test_the_account_can_be_named_with_the_command(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    await account_of(store, cast)
    second = await account_of(store, cast, "ki_pain")
    anna = chat(store, who.requester)
    assert step_of(only(await anna.say("/question SOME-2027-0002"))) == "text"
    await anna.say(TEXT)
    await anna.dlg("summary", "submit")
    [question] = await load(store, Question)
    assert question.account_id == second


async def test_what_names_none_of_the_accounts_is_refused_not_dropped(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    """A number after /question that names none of the person's accounts is refused in
    words, never replaced by their only account (nor taken as the question)."""
    await account_of(store, cast)
    anna = chat(store, who.requester)
    for typed, named in (("SOME-2027-0002", "SOME-2027-0002"),
                         (f"SOME-2027-0002 {TEXT}", "SOME-2027-0002"), ("7", "7")):
        reply = only(await anna.command("question", typed))
        assert reply.blocks == (Paragraph(
            f"None of the accounts you can choose here is numbered {named}. Type the "
            "command alone to choose one."
        ),)
        assert await dialog_state(store, cast.requester) is None
    assert step_of(only(await anna.command("question", "SOME-2027-0001"))) == "text"


async def test_a_question_typed_after_the_command_is_shown_to_log(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    first = await account_of(store, cast)
    anna = chat(store, who.requester)
    summary = only(await anna.command("question", f"  {TEXT}  "))
    assert step_of(summary) == "summary"
    assert fields(summary) == {
        "Account": "SOME-2027-0001 · Instagram ki_neuroscience",
        "Question": TEXT,
    }
    await anna.dlg("summary", "submit")
    [question] = await load(store, Question)
    assert (question.account_id, question.text) == (first, TEXT)

    # With several accounts: which one, then the summary (the question is not asked again);
    # or the account named first.
    second = await account_of(store, cast, "ki_pain")
    assert step_of(only(await anna.command("question", "Is the lab open?"))) == "account"
    summary = only(await anna.say("2"))
    assert step_of(summary) == "summary" and fields(summary)["Question"] == "Is the lab open?"
    await anna.dlg("summary", "submit")
    summary = only(await anna.command("question", "SOME-2027-0002 Where do I apply?"))
    assert fields(summary) == {
        "Account": "SOME-2027-0002 · Instagram ki_pain",
        "Question": "Where do I apply?",
    }
    await anna.dlg("summary", "submit")
    logged = await load(store, Question)
    assert [(q.account_id, q.text) for q in logged[1:]] == [
        (second, "Is the lab open?"), (second, "Where do I apply?")
    ]

    # A number that names none of the accounts, before more words, starts the question.
    assert step_of(only(await anna.command("question", "3 people asked about parking"))) == (
        "account"
    )
    assert fields(only(await anna.say("1")))["Question"] == "3 people asked about parking"
    assert says(only(await anna.say("cancel")), "Cancelled. No question was logged.")

    # What the question step refuses is refused here too, and nothing starts.
    reply = only(await anna.command("question", "x" * 4001))
    assert says(reply, "That is 4001 characters; the most I can take is 4000.")
    assert await dialog_state(store, cast.requester) is None


async def test_only_a_team_logs_questions(store: Store, cast: Cast, who: CastSenders) -> None:
    await account_of(store, cast)
    for someone in (who.outsider, who.manager):
        reply = only(await chat(store, someone).command("question"))
        assert says(reply, "Questions are logged by an account's team")
    assert await dialog_state(store, cast.manager) is None


async def test_cancel_logs_nothing(store: Store, cast: Cast, who: CastSenders) -> None:
    await account_of(store, cast)
    anna = chat(store, who.requester)
    await anna.command("question")
    reply = only(await anna.say("cancel"))
    assert reply.blocks[0] == Paragraph("Cancelled. No question was logged.")
    assert await count(store, Question) == 0


async def test_another_conversation_is_not_thrown_away(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    # (Another handle than the one /open-account is answered with: that would be refused.)
    await account_of(store, cast, handle="ki_neuro_lab")
    anna = chat(store, who.requester)
    await fill(anna, who, until="unit")
    reply = only(await anna.command("question"))
    assert says(reply, "You are in the middle of another conversation with me.")
    assert step_of(reply) == "unit"
    state = await dialog_state(store, cast.requester)
    assert state is not None and state.dialog == "open_account"

    # And the other way round: /open-account while a question is being logged.
    bo = chat(store, who.colleague)
    await bo.command("question")
    reply = only(await bo.command("open-account"))
    assert says(reply, "You are in the middle of another conversation with me.")
    assert step_of(reply) == "text"
    # The same command again resumes.
    resumed = only(await bo.command("question"))
    assert says(resumed, "Let's continue where you left off.") and step_of(resumed) == "text"


async def test_answered_closes_the_question_once(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    await account_of(store, cast)
    anna = chat(store, who.requester)
    await anna.command("question")
    await anna.say(TEXT)
    [answered, _refer, _case, _research] = buttons(only(await anna.dlg("summary", "submit")))

    later = T0 + timedelta(hours=2)
    reply = only(await chat(store, who.colleague, later).click(answered.action, value=answered.value))
    assert reply.blocks[0] == Paragraph(
        "Thanks! The question to Instagram ki_neuroscience is marked as answered."
    )
    [question] = await load(store, Question)
    assert (question.answered_at, question.answered_by) == (later, cast.colleague)

    assert refusal(await anna.click(answered.action, value=answered.value)) == (
        "Bo Ek has already marked this question as answered."
    )
    [question] = await load(store, Question)
    assert question.answered_by == cast.colleague


async def test_only_the_team_marks_questions_answered(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    await account_of(store, cast)
    anna = chat(store, who.requester)
    await anna.command("question")
    await anna.say(TEXT)
    [answered, _refer, _case, _research] = buttons(only(await anna.dlg("summary", "submit")))
    for someone in (who.outsider, who.manager):
        assert refusal(
            await chat(store, someone).click(answered.action, value=answered.value)
        ) == "Only the account's team can do that. Nothing was changed."
    assert refusal(await anna.click("question:answered", value="99")) == (
        "I can't find that question."
    )
    [question] = await load(store, Question)
    assert question.answered_at is None


async def test_in_swedish(store: Store, cast: Cast) -> None:
    await account_of(store, cast)
    swedish = await cast_senders(store, cast, locale="sv")
    anna = chat(store, swedish.requester)
    refused = only(await anna.command("question", "SOME-2027-0002"))
    assert refused.blocks == (Paragraph(
        "Inget av de konton du kan välja här har numret SOME-2027-0002. Skriv bara kommandot "
        "för att välja ett."
    ),)
    prompt = only(await anna.command("question"))
    assert says(prompt, "Vad frågade personen? Klistra in eller skriv frågan eller kommentaren.")
    summary = only(await anna.say(TEXT))
    assert fields(summary)["Fråga"] == TEXT
    done = only(await anna.dlg("summary", "submit"))
    assert says(done, "Frågan till Instagram ki_neuroscience är registrerad.")
    assert [b.label for b in buttons(done)] == [
        "Besvarad", "Fråga en kollega", "Ska hanteras som ärende", "Forskningsvärde"
    ]
