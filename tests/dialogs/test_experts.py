"""Questions with an expert in chat, through `Brain.handle`: *Ask a colleague* on a logged
question (criticism or a question for an expert; a colleague of the unit from the directory,
or anyone named), the colleague's card with *Suggest an answer* and *Not me*, and what the
team and the manager hear. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from data import directory, questions
from data.db import Store
from data.models import Outbox, QuestionReferral
from dialogs import notices
from dialogs.i18n import Translator
from dialogs.messages import Message
from tests.helpers import T0, Cast, load, make_person
from tests.helpers.chat import (
    CastSenders,
    buttons,
    choices,
    fields,
    only,
    pickers,
    says,
    step_of,
)
from tests.helpers.nudging import account_of, chat, refusal

EN, SV = Translator("en"), Translator("sv")
TEXT = "Why did KI close the evening course?"
STAFF = (
    "email,name,unit,manager_email\n"
    "greta.gran@ki.se,Greta Gran,Department of Neuroscience,\n"
    "hugo.hed@ki.se,Hugo Hed,Department of Clinical Neuroscience,\n"
)


async def compose(store: Store, row: Outbox, tr: Translator = EN) -> Message:
    async with store.transaction() as session:
        return await notices.compose(session, tr, row.kind, row.params, row.recipient_id)


async def owed(store: Store, kind: str, **where: Any) -> list[Outbox]:
    rows = await load(store, Outbox, Outbox.kind == kind)
    return [r for r in rows if all(getattr(r, k) == v for k, v in where.items())]


async def logged(store: Store, cast: Cast, who: CastSenders) -> int:
    await account_of(store, cast)
    anna = chat(store, who.requester)
    await anna.command("question")
    await anna.say(TEXT)
    done = only(await anna.dlg("summary", "submit"))
    _, refer, *_case_buttons = buttons(done)
    assert (refer.action, refer.label) == ("question:refer", "Ask a colleague")
    return int(refer.value)


async def test_the_person_on_duty_asks_a_colleague_who_suggests_an_answer(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    question_id = await logged(store, cast, who)
    bo = chat(store, who.colleague)
    prompt = only(await bo.click("question:refer", value=str(question_id)))
    assert step_of(prompt) == "category"
    assert says(prompt, f"Let's ask a colleague about this question to Instagram ki_neuroscience: {TEXT}")
    prompt = only(await bo.dlg("category", "choose", "expert"))
    assert step_of(prompt) == "expert" and pickers(prompt)
    # Nobody is known by the directory here: no one-click colleagues, only the picker.
    assert choices(prompt) == []
    again = only(await bo.say("Bo Ek"))
    assert says(again, "You can't ask yourself: pick the colleague who knows the subject.")
    summary = only(await bo.say("Filip Sjö"))
    assert fields(summary) == {"Kind": "A question for an expert", "Colleague": "Filip Sjö"}
    done = only(await bo.dlg("summary", "submit"))
    # The account promised an answer within 24 hours (tests.helpers.request_input).
    assert says(done, "Filip Sjö has been asked to suggest an answer by 2027-03-02 10:00.")
    [referral] = await load(store, QuestionReferral)
    assert (referral.expert_id, referral.category, referral.due_at) == (
        cast.outsider, "expert", T0 + timedelta(hours=24)
    )
    assert await owed(store, "question_criticism") == []

    # The colleague's card: the question, *Suggest an answer* and *Not me*.
    [card_row] = await owed(store, "expert_asked")
    card = await compose(store, card_row)
    assert card_row.recipient_id == cast.outsider
    assert fields(card)["Question"] == TEXT
    assert [(b.action, b.value) for b in buttons(card)] == [
        ("expert:suggest", str(referral.id)), ("expert:notme", str(referral.id))
    ]
    # Only the colleague may answer it.
    assert refusal(await bo.click("expert:suggest", value=str(referral.id))) == (
        "Only the colleague who was asked can answer this. Nothing was changed."
    )
    filip = chat(store, who.outsider, now=T0 + timedelta(hours=2))
    prompt = only(await filip.click("expert:suggest", value=str(referral.id)))
    assert step_of(prompt) == "suggestion"
    only(await filip.say("The course moves to the spring term."))
    thanks = only(await filip.dlg("summary", "submit"))
    assert says(thanks, "Thank you! Your suggestion has gone to the account's team.")

    # The team hears the suggestion, with *Answered*; the card is rewritten without buttons.
    told = await owed(store, "expert_suggestion")
    assert sorted(r.recipient_id or 0 for r in told) == sorted([cast.requester, cast.colleague])
    suggestion = await compose(store, told[0])
    assert fields(suggestion)["Suggested answer"] == "The course moves to the spring term."
    assert [b.action for b in buttons(suggestion)] == ["question:answered"]
    [update] = await owed(store, "expert_asked", update_of=card_row.key)
    rewritten = await compose(store, update)
    assert buttons(rewritten) == []
    assert "You suggested an answer on 2027-03-01 12:00. Thank you!" in [
        getattr(block, "text", "") for block in rewritten.blocks
    ]


async def test_criticism_goes_to_the_manager_and_not_me_goes_back(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    question_id = await logged(store, cast, who)
    bo = chat(store, who.colleague)
    await bo.click("question:refer", value=str(question_id))
    await bo.dlg("category", "choose", "criticism")
    await bo.say("Filip Sjö")
    done = only(await bo.dlg("summary", "submit"))
    assert says(done, "The manager has been shown the criticism.")
    [shown] = await owed(store, "question_criticism")
    assert shown.recipient_id == cast.manager
    manager_view = await compose(store, shown, SV)
    assert fields(manager_view)[SV("Question")] == TEXT

    [referral] = await load(store, QuestionReferral)
    filip = chat(store, who.outsider)
    assert says(only(await filip.click("expert:notme", value=str(referral.id))),
                "Understood. Whoever asked you has been told, so they can ask someone else.")
    [declined] = await owed(store, "expert_declined")
    assert declined.recipient_id == cast.colleague
    back = await compose(store, declined)
    assert [(b.action, b.value) for b in buttons(back)] == [("question:refer", str(question_id))]
    # A second click changes nothing.
    assert refusal(await filip.click("expert:notme", value=str(referral.id))).startswith(
        "This request has already been answered, declined or handed to someone else"
    )


async def test_colleagues_of_the_unit_are_offered_from_the_directory(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    question_id = await logged(store, cast, who)
    async with store.transaction() as session:
        greta = await make_person(session, T0, "Greta Gran", email="greta.gran@ki.se")
        await make_person(session, T0, "Hugo Hed", email="hugo.hed@ki.se")
        await directory.import_csv(session, STAFF, now=T0, source_name="staff.csv")
    bo = chat(store, who.colleague)
    await bo.click("question:refer", value=str(question_id))
    prompt = only(await bo.dlg("category", "choose", "expert"))
    # Only the account's unit (Department of Neuroscience): Greta, not Hugo.
    [offered] = choices(prompt)
    assert [(o.value, o.label) for o in offered.options] == [(str(greta.id), "Greta Gran")]
    assert offered.action == "dlg:expert:colleague"
    summary = only(await bo.dlg("expert", "colleague", str(greta.id)))
    assert fields(summary)["Colleague"] == "Greta Gran"
    only(await bo.dlg("summary", "submit"))
    [card] = await owed(store, "expert_asked")
    assert card.recipient_id == greta.id


async def test_only_the_team_asks_and_not_about_an_answered_question(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    question_id = await logged(store, cast, who)
    manager = chat(store, who.manager)
    assert refusal(await manager.click("question:refer", value=str(question_id))) == (
        "Only the account's team can do that. Nothing was changed."
    )
    anna = chat(store, who.requester)
    await anna.click("question:answered", value=str(question_id))
    assert refusal(await anna.click("question:refer", value=str(question_id))) == (
        "Anna Berg has already marked this question as answered."
    )
    assert await load(store, QuestionReferral) == []


async def test_the_manager_is_told_when_the_colleague_is_late(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    """The nudge composed for the manager, and its wording for whoever asked."""
    question_id = await logged(store, cast, who)
    bo = chat(store, who.colleague)
    await bo.click("question:refer", value=str(question_id))
    await bo.dlg("category", "choose", "expert")
    await bo.say("Filip Sjö")
    await bo.dlg("summary", "submit")
    [referral] = await load(store, QuestionReferral)
    params = {"day": "2027-03-02", "items": [{
        "subject": "account:1", "account_id": referral.account_id, "why": "expert_late",
        "escalation": True, "period": "2027-03-02", "referral_ids": [referral.id],
        "question_ids": [question_id], "experts": [cast.outsider], "count": 1,
        "due": referral.due_at.isoformat(),
    }]}
    to_manager = await compose(store, Outbox(key="k", kind="nudge_expert", params=params,
                                             recipient_id=cast.manager, status="pending",
                                             next_attempt_at=T0, created_at=T0))
    assert says(to_manager, "Filip Sjö was asked to help answer a question to Instagram "
                "ki_neuroscience (SOME-2027-0001) by 2027-03-02 10:00, the account's promised "
                "response time, and has not.")
    assert buttons(to_manager) == []
    to_bo = await compose(store, Outbox(key="k", kind="nudge_expert", params=params,
                                        recipient_id=cast.colleague, status="pending",
                                        next_attempt_at=T0, created_at=T0))
    assert [b.action for b in buttons(to_bo)] == ["question:refer", "question:answered"]
    assert says(to_bo, "Filip Sjö has not suggested an answer to the question to Instagram "
                "ki_neuroscience (SOME-2027-0001) by 2027-03-02 10:00.")


async def test_a_webhook_question_can_be_handed_on_from_the_morning_reminder(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    """A question from the webhook has no reply that logged it: the person on duty's morning
    reminder shows it with *Answered* and *Ask a colleague* before any question reminder."""
    account = await account_of(store, cast)
    async with store.transaction() as session:
        question, _ = await questions.receive_question(
            session, account_id=account, text="Is the library open at Easter?", now=T0
        )
    params = {"day": "2027-03-01", "items": [{
        "subject": f"account:{account}", "account_id": account, "why": "on_duty",
        "escalation": False, "period": "2027-03-01", "open_questions": 1, "archive_due": None,
        "archive_overdue": False,
    }]}
    morning = await compose(store, Outbox(key="k", kind="nudge_rota", params=params,
                                          recipient_id=cast.requester, status="pending",
                                          next_attempt_at=T0, created_at=T0))
    assert fields(morning)["2027-03-01 10:00"] == "Is the library open at Easter?"
    assert ("question:refer", str(question.id)) in [(b.action, b.value) for b in buttons(morning)]
    bo = chat(store, who.colleague)
    prompt = only(await bo.click("question:refer", value=str(question.id)))
    assert step_of(prompt) == "category"
