"""The whole account journey in Teams, in English and in Swedish, against a fake Bot Connector.

Anna asks for a university-wide account in her personal chat with the bot, answering with
typed text, buttons, menus and the people picker; Cecilia, her manager, approves with
`Action.Execute`; David, the Director of Communications, approves second; the Communications
Office channel is told and the team is welcomed — Björn in a chat the bot opens, as it has never
spoken with him.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from data import people
from data.models import Account, AccountRequest, ApprovalDecision, RequestStatus
from dialogs.i18n import Translator
from tests.bot.teams.rig import (
    ANNA,
    BJORN,
    CECILIA,
    COMMS,
    DAVID,
    EVA,
    TeamsRig,
    TeamsUser,
    actions_of,
    executes,
    inputs_of,
    running_teams,
    texts,
    verbs,
)
from tests.helpers import T0, load
from tests.helpers.journey import STEPS, open_account_answers

LANGUAGES = {"en": "en-US", "sv": "sv-SE"}


def speaking(user: TeamsUser, language: str) -> TeamsUser:
    return TeamsUser(user.key, user.name, user.email, LANGUAGES[language])


async def request_account(
    rig: TeamsRig, anna: TeamsUser, language: str, **answers: Any
) -> dict[str, Any]:
    """Anna opens the bot and answers every question (Björn picked in the people picker, and
    Cecilia as manager), then submits; returns the summary card she submitted."""
    tr = Translator(language)
    replies = await rig.say(anna, "open account")
    assert len(replies) == 1
    first = replies[0].card
    assert tr("Which platform is the account on?") in texts(first)
    steps = open_account_answers(team=(BJORN.aad,), manager=CECILIA.aad, **answers)
    assert [a.step for a in steps] == list(STEPS)
    for answer in steps:
        card = await rig.answer(anna, answer)
    assert verbs(card)[:3] == ["dlg:summary:submit", "dlg:summary:edit", "dlg:summary:cancel"]
    shown = texts(card)
    assert "Björn Berg" in shown and "Cecilia Carlsson" in shown
    body = await rig.execute(anna, rig.click(anna, "dlg:summary:submit"))
    # The summary clicked now shows what was chosen, without a button; the thanks follows.
    submitted = body["value"]
    assert not list(actions_of(submitted)) and '"Input.' not in json.dumps(submitted)
    assert "Björn Berg" in texts(submitted)
    assert tr("✓ You chose: {answer}", answer=tr("Submit")) in texts(submitted)
    assert tr(
        "Thank you! Your request has been sent to {manager} for approval. I will tell you when they have decided.",
        manager="Cecilia Carlsson",
    ) in texts(rig.screen[anna.key])
    return card


@pytest.mark.parametrize("language", ["en", "sv"])
async def test_account_journey_in_teams(sqlite_url: str, language: str) -> None:
    await journey(sqlite_url, language)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_account_journey_in_teams_on_postgresql(database_url: str) -> None:
    await journey(database_url, "sv")


async def journey(database_url: str, language: str) -> None:
    tr = Translator(language)
    anna, cecilia, david, eva = (speaking(u, language) for u in (ANNA, CECILIA, DAVID, EVA))
    async with running_teams(database_url, default_locale=language) as rig:
        # Björn has not written to the bot; Teams can tell who he is.
        rig.fake.add_member(BJORN.aad, BJORN.user_id, BJORN.name, BJORN.email)
        for user in (anna, cecilia, david, eva):
            greeting = await rig.install(user)
            assert tr("I help you follow KI's rules for social-media accounts.") in texts(
                greeting.card
            )
            # The greeting says what to do next, and where to write when stuck.
            shown = texts(greeting.card)
            assert tr(
                "To ask for a new social-media account, click Open an account below: I'll ask one thing at a time. Type help whenever you want to see this list again."
            ) in shown
            assert "socialmedia@ki.se" in shown

        await request_account(rig, anna, language)
        [request] = await load(rig.store, AccountRequest)
        assert request.status == RequestStatus.PENDING.value and request.scope == "university_wide"
        async with rig.store.transaction() as session:
            bjorn = await people.find_by_identity(session, "teams", BJORN.aad)
            assert bjorn is not None and bjorn.display_name == "Björn Berg"
            assert bjorn.email == BJORN.email
            assert request.team_ids == [bjorn.id]

        # The manager's card: live buttons for her alone, refreshed when she opens it.
        card_message = await rig.wait_card(cecilia, "approval:approve", "the manager's card")
        card = card_message.card
        assert card["refresh"]["userIds"] == [cecilia.user_id]
        assert tr("Approve") in texts(card) and tr("Purpose") in texts(card)
        if language != "en":
            assert Translator("en")("Reject the request?") not in texts(card)
        refreshed = await rig.refresh(cecilia, card)
        assert "approval:approve" in verbs(refreshed["value"])

        approve = rig.click(cecilia, "approval:approve")
        body = await rig.execute(cecilia, approve)
        replaced = body["value"]
        assert "approval:approve" not in verbs(replaced)
        assert tr(
            "Approved by {name} on {when}.", name="Cecilia Carlsson", when="2027-03-01 10:00"
        ) in texts(replaced)
        assert tr("Waiting for the decision of {name}.", name="David Dahl") in texts(replaced)
        # The card she clicked is rewritten in place for everyone who sees it.
        await rig.settle()
        [put] = rig.fake.puts(cecilia.conversation)
        assert put.path.endswith(f"/activities/{card_message.id}")
        assert texts(card_message.card) == texts(replaced)
        await rig.wait_text(
            anna.conversation,
            tr(
                "{name} approved your request for {account}. It now needs the approval of the Director of Communications.",
                name="Cecilia Carlsson",
                account="Instagram ki_neuro_demo",
            ),
        )

        # The director's second approval.
        director_card = await rig.wait_card(david, "approval:approve", "the director's card")
        assert director_card.card["refresh"]["userIds"] == [david.user_id]
        body = await rig.execute(david, rig.click(david, "approval:approve"))
        assert tr("Approved. Registered as {number}.", number="SOME-2027-0001") in texts(
            body["value"]
        )
        await rig.settle()
        [account] = await load(rig.store, Account)
        assert account.number == "SOME-2027-0001"
        assert len(await load(rig.store, ApprovalDecision)) == 2

        # The Communications Office channel is told, the requester and the team are welcomed.
        await rig.wait_text(
            COMMS,
            tr(
                "{account} of {unit} has been approved and registered as {number}.",
                account="Instagram ki_neuro_demo",
                unit="Department of Neuroscience",
                number="SOME-2027-0001",
            ),
        )
        welcome = tr(
            "Welcome to the team of {account} ({number})!",
            account="Instagram ki_neuro_demo",
            number="SOME-2027-0001",
        )
        await rig.wait_text(anna.conversation, welcome)
        [(conversation, members)] = rig.fake.created.items()
        assert members == [{"id": BJORN.user_id}]
        await rig.wait_text(conversation, welcome)
        assert not [c for c in rig.fake.calls if c.status >= 400]
        assert all(executes(m.card) == [] for m in rig.fake.in_conversation(COMMS))


async def test_help_typed_in_the_middle_explains_the_question(teams: TeamsRig) -> None:
    tr = Translator("en")
    await teams.install(ANNA)
    await teams.say(ANNA, "/open-account")
    [reply] = await teams.say(ANNA, "help")
    assert tr("Pick the social-media platform where the account will be opened.") in texts(
        reply.card
    )


async def test_an_action_submit_from_an_older_client_works_too(teams: TeamsRig) -> None:
    tr = Translator("en")
    await teams.install(ANNA)
    await teams.say(ANNA, "open account")
    submit = teams.click(ANNA, "dlg:platform:choose")
    before = len(teams.fake.in_conversation(ANNA.conversation))
    await teams.send(
        teams.activity(
            ANNA, "message", value={**submit["data"], submit["data"]["input"]: "instagram"}
        )
    )
    [reply] = teams.fake.in_conversation(ANNA.conversation)[before:]
    # The platform was taken: next comes the form about the account, the handle first.
    handle = inputs_of(reply.card)["field_handle"]
    assert handle["label"] == tr("What is the account's name or handle on the platform?")


async def test_in_a_channel_the_bot_only_explains_itself(teams: TeamsRig) -> None:
    tr = Translator("en")
    channel = {"id": COMMS, "conversationType": "channel", "isGroup": True, "tenantId": "t"}
    await teams.send(
        teams.activity(ANNA, "message", text="<at>kontobot</at> open account", conversation=channel)
    )
    [reply] = teams.fake.in_conversation(COMMS)
    assert tr("I help you follow KI's rules for social-media accounts.") in texts(reply.card)
    assert await load(teams.store, AccountRequest) == []
    # Anna's personal chat is not mistaken for the channel.
    async with teams.store.transaction() as session:
        anna = await people.find_by_identity(session, "teams", ANNA.aad)
        assert anna is not None and anna.id is not None
        [identity] = await people.identities(session, anna.id)
    assert "conversation_id" not in identity.address


async def test_the_sender_is_linked_to_the_same_person_elsewhere_by_email(
    teams: TeamsRig,
) -> None:
    # Anna is known on Slack already (her profile gave her work e-mail). Writing on Teams, her
    # member details give the same address: one person, with both identities.
    async with teams.store.transaction() as session:
        on_slack = await people.ensure_person(
            session, now=T0, platform="slack", external_id="UANNA", display_name=ANNA.name,
            email=ANNA.email.upper(),
        )
    await teams.say(ANNA, "help")
    async with teams.store.transaction() as session:
        on_teams = await people.find_by_identity(session, "teams", ANNA.aad)
        assert on_teams is not None and on_teams.id == on_slack.id
        assert (on_teams.email, on_teams.last_platform) == (ANNA.email, "teams")
    asked = [c for c in teams.fake.calls if c.path.endswith(f"/members/{ANNA.aad}")]
    # Asked once: known from then on.
    await teams.say(ANNA, "help")
    assert [c for c in teams.fake.calls if c.path.endswith(f"/members/{ANNA.aad}")] == asked
    assert len(asked) == 1


NOT_STAFF = [
    pytest.param(None, "guest", id="a-guest-in-our-tenant"),
    pytest.param("tenant-elsewhere", "user", id="a-member-of-another-tenant"),
    pytest.param(None, "anonymous", id="anonymous"),
]


async def on_slack(rig: TeamsRig, user: TeamsUser) -> int:
    """`user` known on Slack by their work e-mail: the person a Teams identity could join."""
    async with rig.store.transaction() as session:
        person = await people.ensure_person(
            session, now=T0, platform="slack", external_id=f"U{user.key}",
            display_name=user.name, email=user.email,
        )
    assert person.id is not None
    return person.id


async def not_linked(rig: TeamsRig, user: TeamsUser, slack_person: int) -> None:
    async with rig.store.transaction() as session:
        on_teams = await people.find_by_identity(session, "teams", user.aad)
    assert on_teams is not None and on_teams.id != slack_person
    assert on_teams.email is None
    # Teams was asked: the address it gave was not taken.
    assert [c for c in rig.fake.calls if c.path.endswith(f"/members/{user.aad}")]


@pytest.mark.parametrize(("tenant", "role"), NOT_STAFF)
async def test_a_guest_who_writes_is_served_but_not_linked_by_the_email_teams_reports(
    teams: TeamsRig, tenant: str | None, role: str
) -> None:
    """A B2B guest is in KI's tenant with whatever address their invitation gave; a member of
    another tenant (a shared channel) has one their own administrators set. Neither becomes
    the KI person with that address: they are known by their Teams id alone."""
    slack_person = await on_slack(teams, ANNA)
    teams.fake.add_member(ANNA.aad, ANNA.user_id, ANNA.name, ANNA.email, tenant=tenant, role=role)
    assert await teams.say(ANNA, "help"), "the guest is answered"
    await not_linked(teams, ANNA, slack_person)


@pytest.mark.parametrize(("tenant", "role"), NOT_STAFF)
async def test_a_guest_picked_in_the_people_picker_is_not_linked_by_email(
    teams: TeamsRig, tenant: str | None, role: str
) -> None:
    slack_person = await on_slack(teams, BJORN)
    teams.fake.add_member(
        BJORN.aad, BJORN.user_id, BJORN.name, BJORN.email, tenant=tenant, role=role
    )
    for user in (ANNA, CECILIA):
        await teams.install(user)
    await request_account(teams, ANNA, "en")
    await not_linked(teams, BJORN, slack_person)
