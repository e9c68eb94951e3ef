"""Consent, case management and purging end to end in Teams, against a fake Bot Connector, on
SQLite and PostgreSQL. Neither command fits the ten-command menu: Björn types `samtycke` and
records consent and credit for a post; Anna clicks the help card's *Case management and
purging* and marks another post as needing case management, which is posted in the Registry
Office's conversation; then she types `casework` to purge it, and is refused."""

from __future__ import annotations

from datetime import date
from typing import Any

from data.models import CaseMark, ConsentRecord, Purge
from dialogs.i18n import Translator
from tests.bot.teams.rig import (
    ANNA,
    BJORN,
    REGISTRY,
    TeamsRig,
    TeamsUser,
    running_teams,
    texts,
    verbs,
)
from tests.bot.teams.test_experts import account, person_id
from tests.helpers import load
from tests.helpers.journey import (
    CASE_POST,
    CONSENT_POST,
    Answer,
    casework_answers,
    consent_answers,
)
from tests.helpers.nudging import at

EN, SV = Translator("en"), Translator("sv")
MONDAY = date(2027, 3, 1)
ACCOUNT = "Instagram ki_neuro_demo"


async def answer_all(rig: TeamsRig, user: TeamsUser, answers: list[Answer]) -> dict[str, Any]:
    """Every answer in turn; the card after the last."""
    for answer in answers:
        card = await rig.answer(user, answer)
    return card


async def test_consent_and_case_management_in_teams(database_url: str) -> None:
    async with running_teams(database_url) as rig:
        rig.clock.now = at(MONDAY, 10)
        await account(rig)
        anna, bjorn = await person_id(rig, ANNA), await person_id(rig, BJORN)

        [prompt] = await rig.say(BJORN, "samtycke")
        assert SV("Which post? Paste a link to it, or describe it if it is not published yet.") in (
            texts(prompt.card)
        )
        done = await answer_all(rig, BJORN, consent_answers())
        assert SV("The consent is recorded with {account}. The dashboard lists it on the "
                  "account's page.", account=ACCOUNT) in texts(done)
        [record] = await load(rig.store, ConsentRecord)
        assert (record.post, record.recorded_by) == (CONSENT_POST, bjorn)

        # The help card's button, since the menu holds ten commands.
        [shown] = await rig.say(ANNA, "help")
        assert "cmd:casework" in verbs(shown.card)
        body = await rig.execute(ANNA, rig.click(ANNA, "cmd:casework"))
        assert EN("What do you want to record?") in texts(body["value"])
        done = await answer_all(rig, ANNA, casework_answers("case_management"))
        assert EN("The post on {account} is marked as needing case management. The Registry "
                  "Office has been told; the team is reminded until its registry number "
                  "(diarienummer) is recorded. It may not be purged.", account=ACCOUNT) in (
            texts(done)
        )
        await rig.settle()
        told = await rig.wait_text(REGISTRY, CASE_POST)
        assert EN("To register: content of {number}", number="SOME-2027-0001") in texts(told.card)

        await rig.say(ANNA, "casework")
        done = await answer_all(rig, ANNA, casework_answers("purge"))
        assert EN("It is marked for case management, so it may not be purged: that would "
                  "violate the public's right of access.") in texts(done)
        [mark] = await load(rig.store, CaseMark)
        assert (mark.post, mark.marked_by) == (CASE_POST, anna)
        assert await load(rig.store, Purge) == []
