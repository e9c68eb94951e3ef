"""The whole of journeys 1-3 in Slack: /open-account, the manager's and the director's
approval, the card updated in place, the comms office told and the team welcomed."""

from __future__ import annotations

from data.models import Account, AccountRequest, RequestStatus
from dialogs.i18n import Translator
from tests.bot.slack.rig import (
    ANNA,
    BJORN,
    CECILIA,
    COMMS,
    DAVID,
    Person,
    SlackRig,
    buttons,
    running,
)
from tests.helpers import T0, load
from tests.helpers.journey import SUBMIT, open_account_answers

EN = Translator("en")
SV = Translator("sv")


def tr(person: Person) -> Translator:
    return SV if person.locale.startswith("sv") else EN


async def open_account(rig: SlackRig, requester: Person, team: Person, manager: Person) -> None:
    response = await rig.command(requester.id, "open-account")
    assert response.status == 200
    first = await rig.next_dm(requester.id, 0, "the first question")
    assert tr(requester)("Which platform is the account on?") in first.all_text()
    answers = open_account_answers(team=(team.id,), manager=manager.id)
    for answer in answers:
        shown = await rig.answer(requester.id, answer)
    assert (
        tr(requester)("Here is your request. Submit it, edit a field, or cancel.")
        in shown.all_text()
    )
    thanks = await rig.answer(requester.id, SUBMIT)
    assert manager.name in thanks.all_text()


async def journey(rig: SlackRig, requester: Person, team: Person, manager: Person) -> None:
    await open_account(rig, requester, team, manager)
    await rig.settle()

    # The manager's card: Approve / Reject / Ask for changes, in the manager's language.
    [card] = rig.fake.dm(manager.id)
    assert {"approval:approve", "approval:reject", "approval:changes"} <= set(buttons(card))
    assert tr(manager)("Approve") in card.all_text()
    [request] = await load(rig.store, AccountRequest)
    assert request.status == RequestStatus.PENDING.value and request.stage == "manager"

    response = await rig.act(manager.id, card, "approval:approve")
    assert response.status == 200
    await rig.settle()

    # Updated in place: no buttons left, and who decided.
    card = rig.fake.message(card.ref)
    assert card.updates == 1 and not buttons(card)
    decided = tr(manager)(
        "Approved by {name} on {when}.", name=manager.name, when=tr(manager).when(T0)
    )
    assert decided in card.all_text()
    # University-wide: the director decides next.
    [director_card] = rig.fake.dm(DAVID.id)
    assert "approval:approve" in buttons(director_card)

    response = await rig.act(DAVID.id, director_card, "approval:approve")
    assert response.status == 200
    await rig.settle()

    director_card = rig.fake.message(director_card.ref)
    assert director_card.updates == 1 and not buttons(director_card)
    decided = EN("Approved by {name} on {when}.", name=DAVID.name, when=EN.when(T0))
    assert decided in director_card.all_text()
    [account] = await load(rig.store, Account)
    assert account.number == "SOME-2027-0001"
    [request] = await load(rig.store, AccountRequest)
    assert request.status == RequestStatus.APPROVED.value

    # The comms office channel is told (in the default language, Swedish).
    [notice] = rig.fake.in_channel(COMMS)
    assert SV("New social-media account: {number}", number=account.number) in notice.all_text()

    # The team is welcomed, each in their own language.
    for member in (requester, team):
        welcome = [
            m
            for m in rig.fake.dm(member.id)
            if "SOME-2027-0001" in m.all_text()
            and tr(member)(
                "Welcome to the team of {account} ({number})!",
                account="Instagram ki_neuro_demo",
                number=account.number,
            )
            in m.all_text()
        ]
        assert len(welcome) == 1, [m.all_text() for m in rig.fake.dm(member.id)]
    # And every block the bot sent was one Slack would take.
    refused = [c for c in rig.fake.calls if not c.ok]
    assert not refused, [(c.method, c.answer) for c in refused]


async def test_journey_in_english(database_url: str) -> None:
    """On SQLite and on PostgreSQL."""
    async with running(database_url) as rig:
        await journey(rig, ANNA, BJORN, CECILIA)


async def test_journey_in_swedish(rig: SlackRig) -> None:
    await journey(rig, BJORN, ANNA, CECILIA)
