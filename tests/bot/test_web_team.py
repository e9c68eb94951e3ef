"""Issue 11 end to end in the web chat: the real app driven through the page's JSON API. After
registration a team member is replaced: Björn adds Filip with `/team`, then leaves on a day he
is on duty; Anna takes the day, the Communications Office is told, and /duty shows the rota
following. Never sleeps: the page's long poll wakes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date
from html import unescape

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.keys import STORE
from data import people
from data.db import Store
from dialogs.i18n import Translator
from tests.helpers import Clock
from tests.helpers.accounts import register
from tests.helpers.nudging import at
from tests.helpers.web import Shown, WebChat, settings_for

en, sv = Translator("en"), Translator("sv")
MONDAY = date(2027, 3, 1)
TUESDAY = date(2027, 3, 2)
NAME = "Instagram ki_neuro_demo"
LABEL = "SOME-2027-0001 · Instagram ki_neuro_demo"
TOLD = "Instagram ki_neuro_demo (SOME-2027-0001)"


@pytest.fixture
async def web(sqlite_url: str) -> AsyncIterator[tuple[WebChat, Clock]]:
    clock = Clock(at(TUESDAY, 10))
    app = create_app(settings_for(sqlite_url), web_chat_enabled=True, clock=clock)
    async with TestClient(TestServer(app)) as client:
        yield WebChat(client), clock


async def ids(store: Store, *keys: str) -> list[int]:
    found = []
    async with store.transaction() as session:
        for key in keys:
            person = await people.find_by_identity(session, "web", key)
            assert person is not None and person.id is not None
            found.append(person.id)
    return found


def values(shown: Shown, action: str) -> list[str]:
    """Every value a live button `action` carries in the message (several may share one)."""
    return [
        unescape(value)
        for found, value in re.findall(r'data-action="([^"]*)" data-value="([^"]*)"', shown.html)
        if unescape(found) == action
    ]


async def test_a_team_member_is_replaced_and_the_rota_follows(
    web: tuple[WebChat, Clock],
) -> None:
    chat, _ = web
    store: Store = chat.client.app[STORE]
    anna, bjorn, cecilia = await ids(store, "anna", "bjorn", "cecilia")
    account = await register(store, requester=anna, team=(bjorn,), manager=cecilia,
                             now=at(MONDAY, 9), handle="ki_neuro_demo")
    assert account.id is not None

    # Tuesday: Björn is on duty, and is leaving. First he brings Filip onto the team.
    await chat.say("bjorn", "/team")
    card = await chat.wait_for_text("bjorn", sv("The people of {account}", account=LABEL))
    assert values(card, "team:add") == [str(account.id)]
    assert not values(card, "team:remove")
    await chat.act("bjorn", "team:add", value=str(account.id))
    await chat.wait_for_text("bjorn", sv("Who should join the team of the account?"))
    await chat.act("bjorn", "dlg:person:pick", selected=("filip",))
    summary = await chat.wait_for_text(
        "bjorn", sv("Add this person to the team? Confirm, edit a field, or cancel.")
    )
    assert "Filip Fors" in summary.text
    await chat.act("bjorn", "dlg:summary:submit")
    added = await chat.wait_for_text("bjorn", sv(
        "{name} is now on the team of {account}, last in the rota. They have been welcomed, "
        "and the team and the Communications Office have been told.",
        name="Filip Fors", account=NAME,
    ))
    await chat.wait_for_text("filip", en("Welcome to the team of {account} ({number})!",
                                         account=NAME, number="SOME-2027-0001"))
    await chat.wait_for_text("anna", en("{by} added {name} to the team of {account}, last in "
                                        "the rota.", by="Björn Berg", name="Filip Fors",
                                        account=TOLD))

    # Now three: Björn takes himself off the team, on his own day.
    assert f"{account.id}:{bjorn}" in values(added, "team:remove")
    shown = len(await chat.messages("bjorn"))
    await chat.act("bjorn", "team:remove", value=f"{account.id}:{bjorn}", message=added.id)
    left = sv("You have left the team of {account} and its rota. The team and the "
              "Communications Office have been told.", account=NAME)
    instead = sv("{name} is on duty today instead and has been told.", name="Anna Andersson")
    done = await chat.wait_for_text("bjorn", left)
    assert instead in done.text
    # The card he clicked on now shows the team as it is: rewritten, not sent again.
    assert done.id == added.id and len(await chat.messages("bjorn")) == shown
    # Off the team, Björn has nothing left to click on it.
    assert not values(done, "team:add") and not values(done, "team:remove")
    await chat.wait_for_text("anna", en(
        "{name} has left the team of {account}, so you are on duty for it today instead.",
        name="Björn Berg", account=TOLD,
    ))
    await chat.wait_for_text(
        "eva", sv("{name} has left the team of {account} and its rota.", name="Björn Berg",
                  account=TOLD), "place:comms",
    )

    # The rota follows: Anna today, Filip tomorrow, Björn nowhere.
    await chat.say("filip", "/duty")
    duty = await chat.wait_for_text(
        "filip", en("{account}: {name} is on duty today.", account=LABEL, name="Anna Andersson")
    )
    assert "Wednesday 2027-03-03 Filip Fors" in duty.text
    assert "Thursday 2027-03-04 Anna Andersson" in duty.text
    assert "Björn Berg" not in duty.text
    await chat.say("bjorn", "/duty")
    await chat.wait_for_text("bjorn", sv(
        "You are not on the team of any account in the register, nor the manager of one."
    ))
