"""*Needs case management* and *Research value* on a logged question, through
`Brain.handle`: the mark, the Registry Office's notice, who may. On SQLite and PostgreSQL."""

from __future__ import annotations

from data import questions
from data.db import Store
from data.models import CaseMark, Outbox
from tests.helpers import T0, Cast, load
from tests.helpers.chat import CastSenders, buttons, cast_senders, only, says
from tests.helpers.nudging import account_of, chat, refusal


async def logged(store: Store, cast: Cast) -> int:
    account = await account_of(store, cast)
    async with store.transaction() as session:
        question = await questions.log_question(
            session, account_id=account, actor_id=cast.requester, text="Send me the files.",
            now=T0,
        )
    assert question.id is not None
    return question.id


async def test_a_question_marked_for_case_management_goes_to_the_registry_office(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    question = await logged(store, cast)
    bo = chat(store, who.colleague)
    done = only(await bo.click("case:mark", value=str(question)))
    assert says(done, "The question to Instagram ki_neuroscience is marked as needing case "
                      "management. The Registry Office has been told")
    [mark] = await load(store, CaseMark)
    assert (mark.kind, mark.question_id, mark.marked_by) == (
        "case_management", question, cast.colleague
    )
    [told] = await load(store, Outbox, Outbox.kind == "case_registration_needed")
    assert told.place == "registry"
    # A second click marks nothing new.
    only(await bo.click("case:mark", value=str(question)))
    assert len(await load(store, CaseMark)) == 1

    research = only(await bo.click("case:research", value=str(question)))
    assert says(research, "is marked as having research value. It may not be purged.")
    assert sorted(m.kind for m in await load(store, CaseMark)) == [
        "case_management", "research_value"
    ]


async def test_only_the_team_or_the_manager_marks_it_and_in_swedish(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    question = await logged(store, cast)
    assert refusal(await chat(store, who.outsider).click("case:mark", value=str(question))) == (
        "Only the account's team or its manager can do that. Nothing was changed."
    )
    assert refusal(await chat(store, who.colleague).click("case:mark", value="999")) == (
        "I can't find that question."
    )
    assert await load(store, CaseMark) == []
    swedish = await cast_senders(store, cast, locale="sv-SE")
    # Anna (the requester, who has not spoken yet) in Swedish.
    anna = only(await chat(store, swedish.requester).click("case:research",
                                                           value=str(question)))
    assert says(anna, "Frågan till Instagram ki_neuroscience är markerad som att den har "
                         "forskningsvärde. Den får inte gallras.")


async def test_the_registry_number_is_recorded_from_the_reminder(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    question = await logged(store, cast)
    bo = chat(store, who.colleague)
    await bo.click("case:mark", value=str(question))
    [mark] = await load(store, CaseMark)
    # Nothing typed: asked for the number, with the field and the button.
    ask = only(await bo.click("case:number", value=str(mark.id)))
    assert says(ask, "Write the registry number (diarienummer) first")
    assert [b.action for b in buttons(ask)] == ["case:number"]
    done = only(await bo.click("case:number", value=str(mark.id), text=" 1-77/2027 "))
    assert says(done, "Thanks! The registry number 1-77/2027 is recorded")
    [mark] = await load(store, CaseMark)
    assert (mark.registry_number, mark.registered_by) == ("1-77/2027", cast.colleague)
    assert refusal(
        await bo.click("case:number", value=str(mark.id), text="1-78/2027")
    ) == "It is already registered, under the registry number 1-77/2027."
    assert refusal(
        await chat(store, who.outsider).click("case:number", value=str(mark.id), text="1")
    ) == "Only the account's team or its manager can do that. Nothing was changed."
