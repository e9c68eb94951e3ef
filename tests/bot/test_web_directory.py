"""/open-account with KI's directory in the web chat, through the JSON API the page uses: the
proposed unit and manager accepted with one click each and the request on that manager's
card; another manager named with a reason the approver and the Communications Office see.

The journeys of tests/dialogs/test_open_account_directory.py, through the real app, on SQLite
and on PostgreSQL."""

from __future__ import annotations

from bot.keys import STORE
from data import people
from data.models import RequestStatus
from dialogs.i18n import Translator
from tests.helpers import T0
from tests.helpers.journey import (
    MANAGER_REASON,
    STAFF_MANAGER,
    STAFF_UNIT,
    Answer,
    card_value,
    directory_answers,
    import_staff,
    latest_request,
    open_account_answers,
    typical_answers,
)
from tests.helpers.web import Shown, WebChat, running_chat

EN, SV = Translator("en"), Translator("sv")
COMMS_PLACE = "place:comms"


async def person_id(chat: WebChat, key: str) -> int | None:
    async with chat.client.app[STORE].read() as session:
        person = await people.find_by_identity(session, "web", key)
    return person.id if person is not None else None


async def walk(chat: WebChat, who: str, answers: list[Answer]) -> dict[str, Shown]:
    """`who` answers each question shown in turn, then submits; returns the message each
    step was asked in."""
    asked: dict[str, Shown] = {}
    await chat.say(who, "/open-account")
    for answer in answers:
        asked[answer.step] = (await chat.messages(who))[-1]
        await chat.answer(who, answer)
    summary = (await chat.messages(who))[-1]
    assert "dlg:summary:submit" in summary.buttons(), summary.text
    asked["summary"] = summary
    await chat.act(who, "dlg:summary:submit")
    return asked


async def test_the_proposed_unit_and_manager_are_accepted_with_one_click_each(
    database_url: str,
) -> None:
    async with running_chat(database_url) as chat:
        store = chat.client.app[STORE]
        await import_staff(store, T0)
        asked = await walk(chat, "anna", directory_answers(team=("bjorn",)))

        unit = asked["unit"]
        assert "dlg:unit:accept" in unit.buttons()
        assert EN("Use {unit}", unit=STAFF_UNIT) in unit.text
        manager = asked["manager"]
        assert "dlg:manager:accept" in manager.buttons()
        assert EN("Yes, {name}", name=STAFF_MANAGER) in manager.text
        # Each click answered its question: no reason was asked, and the summary says so.
        assert "manager_reason" not in asked
        summary = asked["summary"].text
        assert f"{EN('Organisational unit')} {STAFF_UNIT}" in summary
        assert f"{EN('Immediate manager')} {STAFF_MANAGER}" in summary
        assert EN("Why another manager") not in summary

        request = await latest_request(store)
        assert request.status == RequestStatus.PENDING.value
        assert (request.unit, request.manager_reason) == (STAFF_UNIT, None)
        assert request.manager_id == await person_id(chat, "cecilia")
        # The directory's manager gets the card (in Swedish, her language) with live buttons.
        card = await chat.wait_for_text(
            "cecilia", SV("Your decision is needed as the immediate manager.")
        )
        assert card.buttons()["approval:approve"] == card_value(request)
        assert SV("Why another manager") not in card.text


async def test_a_typical_request_takes_at_most_eight_interactions(database_url: str) -> None:
    """Someone the directory knows, the usual choices accepted: the command, the platform,
    the form about the account, the unit, the team, the manager, the confirmations, Submit."""
    async with running_chat(database_url) as chat:
        store = chat.client.app[STORE]
        await import_staff(store, T0)
        answers = typical_answers(team=("bjorn",))
        asked = await walk(chat, "anna", answers)
        interactions = 1 + len(answers) + 1  # /open-account, each answer, Submit
        assert interactions <= 8
        assert 'data-action="dlg:handle:form"' in asked["handle"].html

        request = await latest_request(store)
        typed = {a.step: a.text for a in open_account_answers()}
        assert (request.purpose, request.holiday_cover) == (
            typed["purpose"], typed["holiday_cover"],
        )
        # The scope chosen; the response time the form proposed, accepted as it was.
        assert (request.scope, request.response_time) == ("unit", "24h")
        assert (request.unit, request.manager_id) == (STAFF_UNIT, await person_id(chat, "cecilia"))
        assert request.team_ids == [await person_id(chat, "bjorn")]


async def test_a_refused_field_comes_back_on_the_form_with_what_was_typed(
    database_url: str,
) -> None:
    async with running_chat(database_url) as chat:
        await chat.say("anna", "/open-account")
        await chat.act("anna", "dlg:platform:choose", selected=("instagram",))
        form = (await chat.messages("anna"))[-1].form()
        await chat.act(
            "anna", "dlg:handle:form",
            values={**form, "handle": "ki_neuro", "purpose": "Too <b>", "benefit": "More"},
        )
        again = await chat.wait_for_text("anna", EN("Some answers need changing: see the note under each."))
        assert EN("Please write at least {minimum} characters.", minimum=10) in again.text
        assert 'aria-invalid="true"' in again.html
        # What was typed is back in its field, escaped.
        assert again.form()["purpose"] == "Too <b>" and "Too &lt;b&gt;" in again.html
        assert again.form()["benefit"] == "More"


async def test_another_manager_is_named_with_a_reason_the_approver_and_comms_see(
    database_url: str,
) -> None:
    async with running_chat(database_url) as chat:
        store = chat.client.app[STORE]
        await import_staff(store, T0)
        asked = await walk(chat, "anna", directory_answers(team=("bjorn",), other_manager="filip"))

        # The directory's manager was offered; Anna picked Filip and was asked why.
        assert EN("Yes, {name}", name=STAFF_MANAGER) in asked["manager"].text
        reason = asked["manager_reason"].text
        assert EN("Why should someone other than the manager in KI's directory approve?") in reason
        summary = asked["summary"].text
        assert f"{EN('Immediate manager')} Filip Fors" in summary
        assert f"{EN('Why another manager')} {MANAGER_REASON}" in summary

        request = await latest_request(store)
        assert request.manager_id == await person_id(chat, "filip")
        assert request.manager_reason == MANAGER_REASON
        # Filip's card says why he, not the directory's manager, is asked.
        card = await chat.wait_for_text(
            "filip", EN("Your decision is needed as the immediate manager.")
        )
        assert f"{EN('Why another manager')} {MANAGER_REASON}" in card.text

        # Approved (an account of the unit needs no director), the Communications Office is
        # told, with the reason, in the default language (Swedish).
        await chat.act("filip", "approval:approve", card.buttons()["approval:approve"])
        notice = await chat.wait_for_text("eva", "SOME-2027-0001", COMMS_PLACE)
        assert f"{SV('Why another manager')} {MANAGER_REASON}" in notice.text, notice.text
