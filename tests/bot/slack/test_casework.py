"""Consent, case management and purging end to end in Slack: the real server against the fake
Slack Web API, on SQLite and PostgreSQL. Björn records consent and credit for a post with
/consent; Anna marks another post as needing case management with /casework, which is posted
in the Registry Office's channel; a purge of that post is refused, in Anna's language."""

from __future__ import annotations

from datetime import date

from data.models import CaseMark, ConsentRecord, Purge
from dialogs.i18n import Translator
from tests.bot.slack.rig import ANNA, BJORN, REGISTRY, Person, SlackRig, running
from tests.bot.slack.test_experts import neuro_account
from tests.helpers import load
from tests.helpers.fake_slack import Posted
from tests.helpers.journey import (
    CASE_POST,
    CONSENT_POST,
    Answer,
    casework_answers,
    consent_answers,
)

EN, SV = Translator("en"), Translator("sv")
MONDAY = date(2027, 3, 1)
ACCOUNT = "Instagram ki_neuro_demo"


async def run(rig: SlackRig, person: Person, command: str, answers: list[Answer]) -> Posted:
    """`person` types `/command` and answers every question; the last answer's reply."""
    before = len(rig.fake.dm(person.id))
    assert (await rig.command(person.id, command)).status == 200
    await rig.next_dm(person.id, before, f"the first question of /{command}")
    for answer in answers:
        done = await rig.answer(person.id, answer)
    return done


async def test_consent_and_case_management_in_slack(database_url: str) -> None:
    async with running(database_url) as rig:
        anna, bjorn, _ = await neuro_account(rig)

        done = await run(rig, BJORN, "consent", consent_answers())
        assert SV("The consent is recorded with {account}. The dashboard lists it on the "
                  "account's page.", account=ACCOUNT) in done.all_text()
        [record] = await load(rig.store, ConsentRecord)
        assert (record.post, record.creator, record.recorded_by) == (
            CONSENT_POST, "Ulf Sirén", bjorn
        )

        done = await run(rig, ANNA, "casework", casework_answers("case_management"))
        assert EN("The post on {account} is marked as needing case management. The Registry "
                  "Office has been told; the team is reminded until its registry number "
                  "(diarienummer) is recorded. It may not be purged.", account=ACCOUNT) in (
            done.all_text()
        )
        await rig.settle()
        [told] = [m for m in rig.fake.in_channel(REGISTRY) if CASE_POST in m.all_text()]
        assert SV("To register: content of {number}", number="SOME-2027-0001") in told.all_text()

        done = await run(rig, ANNA, "casework", casework_answers("purge"))
        assert EN("It is marked for case management, so it may not be purged: that would "
                  "violate the public's right of access.") in done.all_text()
        assert EN("Nothing was recorded.") in done.all_text()
        [mark] = await load(rig.store, CaseMark)
        assert (mark.post, mark.marked_by) == (CASE_POST, anna)
        assert await load(rig.store, Purge) == []
        refused = [c for c in rig.fake.calls if not c.ok]
        assert not refused, [(c.method, c.answer) for c in refused]
