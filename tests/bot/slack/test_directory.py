"""/open-account with KI's directory in Slack, through signed requests and the blocks the bot
posted: the proposed unit and manager accepted with one click each and the request on that
manager's card; another manager named with a reason the approver and the Communications
Office's channel see.

The directory names people by work e-mail: the bot offers "Yes, <name>" for a manager it knows
by that address. In most tests Cecilia, Anna's manager, has opened the bot's Home tab before
(Slack then told the bot her e-mail); in one she never has, and the bot finds her with Slack's
`users.lookupByEmail`. On SQLite and on PostgreSQL."""

from __future__ import annotations

import copy

from data import people
from data.models import RequestStatus
from dialogs.i18n import Translator
from tests.bot.slack.rig import ANNA, BJORN, CECILIA, COMMS, FILIP, SlackRig, buttons, running
from tests.helpers import T0
from tests.helpers.fake_slack import Posted
from tests.helpers.journey import (
    MANAGER_REASON,
    STAFF_MANAGER,
    STAFF_UNIT,
    SUBMIT,
    Answer,
    card_value,
    directory_answers,
    import_staff,
    latest_request,
    open_account_answers,
    typical_answers,
)

EN, SV = Translator("en"), Translator("sv")


async def person_id(rig: SlackRig, user: str) -> int | None:
    async with rig.store.read() as session:
        person = await people.find_by_identity(session, "slack", user)
    return person.id if person is not None else None


async def walk(rig: SlackRig, answers: list[Answer]) -> dict[str, Posted]:
    """Anna answers each question in her direct chat, then submits; returns the message each
    step was asked in, as it was asked (each is rewritten to its answer once answered)."""
    response = await rig.command(ANNA.id, "open-account")
    assert response.status == 200
    shown = await rig.next_dm(ANNA.id, 0, "the first question")
    asked: dict[str, Posted] = {}
    for answer in answers:
        asked[answer.step] = copy.deepcopy(shown)
        shown = await rig.answer(ANNA.id, answer)
    assert "dlg:summary:submit" in buttons(shown), shown.all_text()
    asked["summary"] = copy.deepcopy(shown)
    thanks = await rig.answer(ANNA.id, SUBMIT)
    asked["thanks"] = thanks
    await rig.settle()
    return asked


async def ready(rig: SlackRig) -> None:
    """KI's directory imported, and Cecilia known to the bot from her visit to its Home tab."""
    await import_staff(rig.store, T0)
    response = await rig.home_opened(CECILIA.id)
    assert response.status == 200
    await rig.settle()
    assert await person_id(rig, CECILIA.id) is not None


async def test_the_proposed_unit_and_manager_are_accepted_with_one_click_each(
    database_url: str,
) -> None:
    async with running(database_url) as rig:
        await ready(rig)
        asked = await walk(rig, directory_answers(team=(BJORN.id,)))

        assert "dlg:unit:accept" in buttons(asked["unit"])
        assert EN("Use {unit}", unit=STAFF_UNIT) in asked["unit"].all_text()
        assert "dlg:manager:accept" in buttons(asked["manager"])
        assert EN("Yes, {name}", name=STAFF_MANAGER) in asked["manager"].all_text()
        assert "manager_reason" not in asked
        summary = asked["summary"].all_text()
        assert STAFF_UNIT in summary and STAFF_MANAGER in summary
        assert EN("Why another manager") not in summary
        assert STAFF_MANAGER in asked["thanks"].all_text()

        request = await latest_request(rig.store)
        assert request.status == RequestStatus.PENDING.value
        assert (request.unit, request.manager_reason) == (STAFF_UNIT, None)
        assert request.manager_id == await person_id(rig, CECILIA.id)
        # The card reaches Cecilia in her direct chat, in Swedish, with live buttons.
        [card] = rig.fake.dm(CECILIA.id)
        assert buttons(card)["approval:approve"] == card_value(request)
        assert SV("Your decision is needed as the immediate manager.") in card.all_text()
        assert SV("Why another manager") not in card.all_text()
        refused = [c for c in rig.fake.calls if not c.ok]
        assert not refused, [(c.method, c.answer) for c in refused]


async def test_a_typical_request_takes_at_most_eight_interactions(database_url: str) -> None:
    """Someone the directory knows, the usual choices accepted: the command, the platform,
    the form about the account (inputs in the message, one button), the unit, the team, the
    manager, the confirmations, Submit."""
    async with running(database_url) as rig:
        await ready(rig)
        answers = typical_answers(team=(BJORN.id,))
        asked = await walk(rig, answers)
        interactions = 1 + len(answers) + 1  # /open-account, each answer, Submit
        assert interactions <= 8
        assert "dlg:handle:form" in buttons(asked["handle"])

        request = await latest_request(rig.store)
        typed = {a.step: a.text for a in open_account_answers()}
        assert (request.purpose, request.target_group, request.monitoring) == (
            typed["purpose"], typed["target_group"], typed["monitoring"],
        )
        assert (request.scope, request.response_time) == ("unit", "24h")
        assert (request.unit, request.manager_id) == (
            STAFF_UNIT, await person_id(rig, CECILIA.id),
        )
        assert request.team_ids == [await person_id(rig, BJORN.id)]
        refused = [c for c in rig.fake.calls if not c.ok]
        assert not refused, [(c.method, c.answer) for c in refused]


async def test_another_manager_is_named_with_a_reason_the_approver_and_comms_see(
    database_url: str,
) -> None:
    async with running(database_url) as rig:
        await ready(rig)
        asked = await walk(rig, directory_answers(team=(BJORN.id,), other_manager=FILIP.id))

        # Cecilia was offered; Anna picked Filip in the people picker and was asked why.
        assert EN("Yes, {name}", name=STAFF_MANAGER) in asked["manager"].all_text()
        assert EN(
            "Why should someone other than the manager in KI's directory approve?"
        ) in asked["manager_reason"].all_text()
        summary = asked["summary"].all_text()
        assert EN("Why another manager") in summary and MANAGER_REASON in summary
        assert FILIP.name in asked["thanks"].all_text()

        request = await latest_request(rig.store)
        assert request.manager_id == await person_id(rig, FILIP.id)
        assert request.manager_reason == MANAGER_REASON
        # Filip's card says why he, not the directory's manager, is asked.
        [card] = rig.fake.dm(FILIP.id)
        assert EN("Your decision is needed as the immediate manager.") in card.all_text()
        assert EN("Why another manager") in card.all_text()
        assert MANAGER_REASON in card.all_text()
        assert rig.fake.dm(CECILIA.id) == []

        # Approved (an account of the unit needs no director), the Communications Office's
        # channel is told, with the reason, in the default language (Swedish).
        response = await rig.act(FILIP.id, card, "approval:approve")
        assert response.status == 200
        await rig.settle()
        [notice] = rig.fake.in_channel(COMMS)
        assert "SOME-2027-0001" in notice.all_text()
        assert SV("Why another manager") in notice.all_text()
        assert MANAGER_REASON in notice.all_text()
        refused = [c for c in rig.fake.calls if not c.ok]
        assert not refused, [(c.method, c.answer) for c in refused]


async def test_a_manager_who_never_wrote_to_the_bot_is_found_by_e_mail_and_one_click_away(
    database_url: str,
) -> None:
    async with running(database_url) as rig:
        await import_staff(rig.store, T0)
        assert await person_id(rig, CECILIA.id) is None
        asked = await walk(rig, directory_answers(team=(BJORN.id,)))

        # Slack was asked for the directory's manager by address, and she is offered.
        looked_up = [c.args.get("email") for c in rig.fake.calls_of("users.lookupByEmail")]
        assert CECILIA.email in looked_up
        assert "dlg:manager:accept" in buttons(asked["manager"])
        assert EN("Yes, {name}", name=STAFF_MANAGER) in asked["manager"].all_text()
        assert "manager_reason" not in asked

        request = await latest_request(rig.store)
        assert request.manager_reason is None
        assert request.manager_id is not None
        assert request.manager_id == await person_id(rig, CECILIA.id)
        # The card reaches her direct chat with live buttons.
        [card] = rig.fake.dm(CECILIA.id)
        assert buttons(card)["approval:approve"] == card_value(request)
        refused = [c for c in rig.fake.calls if not c.ok and c.method != "users.lookupByEmail"]
        assert not refused, [(c.method, c.answer) for c in refused]
