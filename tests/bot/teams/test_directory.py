"""/open-account with KI's directory in Teams, through Teams-shaped activities and the cards the
bot sent: the proposed unit and manager accepted with one click (`Action.Execute`) each and the
request on that manager's card; another manager named with a reason the approver and the
Communications Office's channel see.

Everyone has added the app, so Teams has told the bot their work e-mail, by which the directory
names them. On SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

from data import people
from data.models import RequestStatus
from dialogs.i18n import Translator
from tests.bot.teams.rig import (
    ANNA,
    BJORN,
    CECILIA,
    COMMS,
    FILIP,
    TeamsRig,
    TeamsUser,
    running_teams,
    texts,
    verbs,
)
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

EN, SV = Translator("en"), Translator("sv")


async def person_id(rig: TeamsRig, user: TeamsUser) -> int | None:
    async with rig.store.read() as session:
        person = await people.find_by_identity(session, "teams", user.aad)
    return person.id if person is not None else None


async def ready(rig: TeamsRig) -> None:
    """KI's directory imported; Anna and both managers have added the app."""
    await import_staff(rig.store, rig.clock())
    for user in (ANNA, CECILIA, FILIP):
        await rig.install(user)


async def walk(rig: TeamsRig, answers: list[Answer]) -> dict[str, dict[str, Any]]:
    """Anna answers each question on the card in front of her, then submits; returns the card
    each step was asked on."""
    replies = await rig.say(ANNA, "open account")
    assert len(replies) == 1
    asked: dict[str, dict[str, Any]] = {}
    for answer in answers:
        asked[answer.step] = rig.screen[ANNA.key]
        card = await rig.answer(ANNA, answer)
    assert "dlg:summary:submit" in verbs(card), texts(card)
    asked["summary"] = card
    await rig.execute(ANNA, rig.click(ANNA, "dlg:summary:submit"))
    asked["thanks"] = rig.screen[ANNA.key]
    return asked


async def test_the_proposed_unit_and_manager_are_accepted_with_one_click_each(
    database_url: str,
) -> None:
    async with running_teams(database_url) as rig:
        await ready(rig)
        asked = await walk(rig, directory_answers(team=(BJORN.aad,)))

        assert "dlg:unit:accept" in verbs(asked["unit"])
        assert EN("Use {unit}", unit=STAFF_UNIT) in texts(asked["unit"])
        assert "dlg:manager:accept" in verbs(asked["manager"])
        assert EN("Yes, {name}", name=STAFF_MANAGER) in texts(asked["manager"])
        assert "manager_reason" not in asked
        summary = texts(asked["summary"])
        assert f"{EN('Organisational unit')}: {STAFF_UNIT}" in summary
        assert f"{EN('Immediate manager')}: {STAFF_MANAGER}" in summary
        assert EN("Why another manager") not in summary
        assert STAFF_MANAGER in texts(asked["thanks"])

        request = await latest_request(rig.store)
        assert request.status == RequestStatus.PENDING.value
        assert (request.unit, request.manager_reason) == (STAFF_UNIT, None)
        assert request.manager_id == await person_id(rig, CECILIA)
        # The card reaches Cecilia, in Swedish, with live buttons.
        posted = await rig.wait_card(CECILIA, "approval:approve", "the manager's card")
        assert SV("Your decision is needed as the immediate manager.") in texts(posted.card)
        assert SV("Why another manager") not in texts(posted.card)
        approve = rig.click(CECILIA, "approval:approve")
        assert approve["data"]["value"] == card_value(request)
        assert not [c for c in rig.fake.calls if c.status >= 400]


async def test_a_typical_request_takes_at_most_eight_interactions(database_url: str) -> None:
    """Someone the directory knows, the usual choices accepted: the command, the platform,
    the form about the account (one card of inputs, one Action.Execute), the unit, the team,
    the manager, the confirmations, Submit."""
    async with running_teams(database_url) as rig:
        await ready(rig)
        answers = typical_answers(team=(BJORN.aad,))
        asked = await walk(rig, answers)
        interactions = 1 + len(answers) + 1  # "open account", each answer, Submit
        assert interactions <= 8
        assert "dlg:handle:form" in verbs(asked["handle"])

        request = await latest_request(rig.store)
        typed = {a.step: a.text for a in open_account_answers()}
        assert (request.purpose, request.objectives, request.benefit) == (
            typed["purpose"], typed["objectives"], typed["benefit"],
        )
        assert (request.scope, request.response_time) == ("unit", "24h")
        assert (request.unit, request.manager_id) == (
            STAFF_UNIT, await person_id(rig, CECILIA),
        )
        assert request.team_ids == [await person_id(rig, BJORN)]
        assert not [c for c in rig.fake.calls if c.status >= 400]


async def test_another_manager_is_named_with_a_reason_the_approver_and_comms_see(
    database_url: str,
) -> None:
    async with running_teams(database_url) as rig:
        await ready(rig)
        asked = await walk(rig, directory_answers(team=(BJORN.aad,), other_manager=FILIP.aad))

        # Cecilia was offered; Anna picked Filip and was asked why.
        assert EN("Yes, {name}", name=STAFF_MANAGER) in texts(asked["manager"])
        assert EN(
            "Why should someone other than the manager in KI's directory approve?"
        ) in texts(asked["manager_reason"])
        summary = texts(asked["summary"])
        assert f"{EN('Why another manager')}: {MANAGER_REASON}" in summary
        assert FILIP.name in texts(asked["thanks"])

        request = await latest_request(rig.store)
        assert request.manager_id == await person_id(rig, FILIP)
        assert request.manager_reason == MANAGER_REASON
        # Filip's card says why he, not the directory's manager, is asked.
        posted = await rig.wait_card(FILIP, "approval:approve", "the other manager's card")
        assert f"{EN('Why another manager')}: {MANAGER_REASON}" in texts(posted.card)
        assert not [
            p for p in rig.fake.in_conversation(CECILIA.conversation)
            if "approval:approve" in verbs(p.card)
        ]

        # Approved (an account of the unit needs no director), the Communications Office's
        # channel is told, with the reason, in the default language (English here).
        await rig.execute(FILIP, rig.click(FILIP, "approval:approve"))
        notice = await rig.wait_text(COMMS, "SOME-2027-0001")
        assert f"{EN('Why another manager')}: {MANAGER_REASON}" in texts(notice.card)
        assert not [c for c in rig.fake.calls if c.status >= 400]
