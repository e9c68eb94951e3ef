"""Issue 11 end to end in Slack: the real server against the fake Slack Web API, slash
commands and clicks signed as Slack sends them. After registration Björn brings Filip onto the
team with /team (Slack's user picker) and leaves on a day he is on duty: Anna takes the day,
the Communications Office channel is told, /duty shows the rota following. Then the account is
handed to Greta, who accepts on her card, which is updated in place."""

from __future__ import annotations

from datetime import date

from data import people
from data.models import Account
from dialogs.i18n import Translator
from tests.bot.slack.rig import (
    ANNA,
    BJORN,
    CECILIA,
    COMMS,
    FILIP,
    GRETA,
    Person,
    SlackRig,
    buttons,
)
from tests.helpers import load
from tests.helpers.accounts import register
from tests.helpers.journey import SUBMIT, Answer
from tests.helpers.nudging import at

EN, SV = Translator("en"), Translator("sv")
MONDAY = date(2027, 3, 1)
TUESDAY = date(2027, 3, 2)
NAME = "Instagram ki_neuro_demo"
LABEL = "SOME-2027-0001 · Instagram ki_neuro_demo"
TOLD = "Instagram ki_neuro_demo (SOME-2027-0001)"


async def meet(rig: SlackRig, *met: Person) -> list[int]:
    """Each person writes to the bot once; their person ids."""
    ids = []
    for person in met:
        before = len(rig.fake.dm(person.id))
        assert (await rig.say(person.id, "hej")).status == 200
        await rig.next_dm(person.id, before, f"hello to {person.name}")
        async with rig.store.transaction() as session:
            found = await people.find_by_identity(session, "slack", person.id)
        assert found is not None and found.id is not None
        ids.append(found.id)
    return ids


def action_with(posted_buttons: dict[str, str], value: str) -> str:
    """The action id of the button carrying `value` (Slack numbers repeated ones: `#n`)."""
    [found] = [action for action, v in posted_buttons.items() if v == value]
    return found


async def test_a_team_member_is_replaced_and_the_rota_follows(rig: SlackRig) -> None:
    rig.clock.now = at(TUESDAY, 10)
    anna, bjorn, cecilia = await meet(rig, ANNA, BJORN, CECILIA)
    account = await register(rig.store, requester=anna, team=(bjorn,), manager=cecilia,
                             now=at(MONDAY, 9), handle="ki_neuro_demo")
    assert account.id is not None
    await rig.settle()

    before = len(rig.fake.dm(BJORN.id))
    assert (await rig.command(BJORN.id, "team")).status == 200
    card = await rig.next_dm(BJORN.id, before, "the team card")
    assert SV("The people of {account}", account=LABEL) in card.all_text()
    assert buttons(card)["team:add"] == str(account.id)

    before = len(rig.fake.dm(BJORN.id))
    await rig.act(BJORN.id, card, "team:add")
    prompt = await rig.next_dm(BJORN.id, before, "who joins")
    assert SV("Who should join the team of the account?") in prompt.all_text()
    summary = await rig.answer(BJORN.id, Answer("person", selected=(FILIP.id,), verb="pick"))
    assert FILIP.name in summary.all_text()
    added = await rig.answer(BJORN.id, SUBMIT)
    assert SV("{name} is now on the team of {account}, last in the rota. They have been "
              "welcomed, and the team and the Communications Office have been told.",
              name=FILIP.name, account=NAME) in added.all_text()
    await rig.settle()
    assert any(EN("Welcome to the team of {account} ({number})!", account=NAME,
                  number="SOME-2027-0001") in m.all_text() for m in rig.fake.dm(FILIP.id))

    # Björn leaves on his own day on duty.
    before = len(rig.fake.dm(BJORN.id))
    await rig.act(BJORN.id, added, action_with(buttons(added), f"{account.id}:{bjorn}"))
    await rig.settle()
    # The card he clicked on shows the team as it now is (chat.update), without his Remove.
    left = rig.fake.message(added.ref)
    assert left.updates == 1 and len(rig.fake.dm(BJORN.id)) == before
    assert SV("{name} is on duty today instead and has been told.",
              name=ANNA.name) in left.all_text()
    assert f"{account.id}:{bjorn}" not in buttons(left).values()
    assert any(EN("{name} has left the team of {account}, so you are on duty for it today "
                  "instead.", name=BJORN.name, account=TOLD) in m.all_text()
               for m in rig.fake.dm(ANNA.id))
    told = SV("{name} has left the team of {account} and its rota.", name=BJORN.name,
              account=TOLD)
    assert len([m for m in rig.fake.in_channel(COMMS) if told in m.all_text()]) == 1

    before = len(rig.fake.dm(FILIP.id))
    await rig.command(FILIP.id, "duty")
    duty = await rig.next_dm(FILIP.id, before, "who is on duty")
    assert EN("{account}: {name} is on duty today.", account=LABEL,
              name=ANNA.name) in duty.all_text()
    assert FILIP.name in duty.all_text() and BJORN.name not in duty.all_text()

    # Then Anna hands the account to Greta, who accepts on her card.
    before = len(rig.fake.dm(ANNA.id))
    await rig.command(ANNA.id, "team")
    card = await rig.next_dm(ANNA.id, before, "the team card")
    before = len(rig.fake.dm(ANNA.id))
    await rig.act(ANNA.id, card, "team:manager")
    await rig.next_dm(ANNA.id, before, "who manages")
    await rig.answer(ANNA.id, Answer("manager", selected=(GRETA.id,), verb="pick"))
    asked = await rig.answer(ANNA.id, SUBMIT)
    assert EN("{name} has been asked to accept being the immediate manager of {account}. "
              "Until they do, {manager} stays the manager.", name=GRETA.name, account=NAME,
              manager=CECILIA.name) in asked.all_text()
    await rig.settle()
    [offer] = [m for m in rig.fake.dm(GRETA.id) if "manager:accept" in buttons(m)]
    assert EN("Will you be the manager of {account}?", account=TOLD) in offer.all_text()
    await rig.act(GRETA.id, offer, "manager:accept")
    await rig.settle()
    offer = rig.fake.message(offer.ref)
    assert offer.updates == 1 and not buttons(offer)
    [stored] = await load(rig.store, Account)
    assert stored.manager_id != cecilia
    assert any(SV("{name} is now the immediate manager of {account}, taking over from {old}.",
                  name=GRETA.name, account=TOLD, old=CECILIA.name) in m.all_text()
               for m in rig.fake.dm(CECILIA.id))
    refused = [c for c in rig.fake.calls if not c.ok]
    assert not refused, [(c.method, c.answer) for c in refused]
