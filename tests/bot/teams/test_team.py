"""Issue 11 end to end in Teams, against a fake Bot Connector: after registration Björn types
`team`, brings Filip onto the team with the people picker and leaves on a day he is on duty;
Anna takes the day, the Communications Office channel is told, and /duty shows the rota
following. Then the account is handed to David, who accepts with `Action.Execute`."""

from __future__ import annotations

from datetime import date

from data import people
from data.models import Account
from dialogs.i18n import Translator
from tests.bot.teams.rig import (
    ANNA,
    BJORN,
    CECILIA,
    COMMS,
    DAVID,
    FILIP,
    TeamsRig,
    TeamsUser,
    texts,
    verbs,
)
from tests.helpers import load
from tests.helpers.accounts import register
from tests.helpers.journey import Answer
from tests.helpers.nudging import at

EN, SV = Translator("en"), Translator("sv")
MONDAY = date(2027, 3, 1)
TUESDAY = date(2027, 3, 2)
NAME = "Instagram ki_neuro_demo"
LABEL = "SOME-2027-0001 · Instagram ki_neuro_demo"
TOLD = "Instagram ki_neuro_demo (SOME-2027-0001)"


async def person_id(rig: TeamsRig, user: TeamsUser) -> int:
    async with rig.store.transaction() as session:
        found = await people.find_by_identity(session, "teams", user.aad)
    assert found is not None and found.id is not None
    return found.id


async def test_a_team_member_is_replaced_and_the_rota_follows(teams: TeamsRig) -> None:
    rig = teams
    rig.clock.now = at(TUESDAY, 10)
    for user in (ANNA, BJORN, CECILIA, DAVID):
        await rig.install(user)
    # Filip has never written to the bot; Teams can tell who he is.
    rig.fake.add_member(FILIP.aad, FILIP.user_id, FILIP.name, FILIP.email)
    anna, bjorn, cecilia = [await person_id(rig, u) for u in (ANNA, BJORN, CECILIA)]
    account = await register(rig.store, requester=anna, team=(bjorn,), manager=cecilia,
                             now=at(MONDAY, 9), handle="ki_neuro_demo")
    await rig.settle()

    # Picked from the command menu (or typed) without a slash.
    [card] = await rig.say(BJORN, "team")
    assert SV("The people of {account}", account=LABEL) in texts(card.card)
    assert "team:remove" not in verbs(card.card)
    body = await rig.execute(BJORN, rig.click(BJORN, "team:add"))
    assert SV("Who should join the team of the account?") in texts(body["value"])
    summary = await rig.answer(BJORN, Answer("person", selected=(FILIP.aad,), verb="pick"))
    assert FILIP.name in texts(summary)
    await rig.execute(BJORN, rig.click(BJORN, "dlg:summary:submit"))
    assert SV("{name} is now on the team of {account}, last in the rota. They have been "
              "welcomed, and the team and the Communications Office have been told.",
              name=FILIP.name, account=NAME) in texts(rig.screen[BJORN.key])
    await rig.settle()
    [(chat_with_filip, members)] = rig.fake.created.items()
    assert members == [{"id": FILIP.user_id}]
    await rig.wait_text(chat_with_filip, EN("Welcome to the team of {account} ({number})!",
                                            account=NAME, number="SOME-2027-0001"))

    # Björn leaves on his own day on duty.
    body = await rig.execute(
        BJORN, rig.click(BJORN, "team:remove", value=f"{account.id}:{bjorn}")
    )
    assert SV("{name} is on duty today instead and has been told.",
              name=ANNA.name) in texts(body["value"])
    await rig.settle()
    await rig.wait_text(ANNA.conversation, EN(
        "{name} has left the team of {account}, so you are on duty for it today instead.",
        name=BJORN.name, account=TOLD,
    ))
    await rig.wait_text(COMMS, EN("{name} has left the team of {account} and its rota.",
                                  name=BJORN.name, account=TOLD))

    [duty] = await rig.say(FILIP, "duty")
    shown = texts(duty.card)
    assert EN("{account}: {name} is on duty today.", account=LABEL, name=ANNA.name) in shown
    assert FILIP.name in shown and BJORN.name not in shown

    # Anna hands the account to David, who accepts on his card.
    await rig.say(ANNA, "/team")
    await rig.execute(ANNA, rig.click(ANNA, "team:manager"))
    await rig.answer(ANNA, Answer("manager", selected=(DAVID.aad,), verb="pick"))
    await rig.execute(ANNA, rig.click(ANNA, "dlg:summary:submit"))
    await rig.settle()
    offer = await rig.wait_card(DAVID, "manager:accept", "the hand-over card")
    assert EN("Will you be the manager of {account}?", account=TOLD) in texts(offer.card)
    body = await rig.execute(DAVID, rig.click(DAVID, "manager:accept"))
    assert EN("You are now the immediate manager of {account} ({number}). The team and the "
              "Communications Office have been told.", account=NAME,
              number="SOME-2027-0001") in texts(body["value"])
    await rig.settle()
    [stored] = await load(rig.store, Account)
    assert stored.manager_id == await person_id(rig, DAVID)
    await rig.wait_text(CECILIA.conversation, SV(
        "{name} is now the immediate manager of {account}, taking over from {old}.",
        name=DAVID.name, account=TOLD, old=CECILIA.name,
    ))
    assert not [c for c in rig.fake.calls if c.status >= 400]
