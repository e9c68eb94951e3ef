"""Consent, case management and purging end to end in the web chat, on SQLite and PostgreSQL:
the real app driven through the page's JSON API. Björn records consent and credit for a post
with /consent; Anna marks another post as needing case management with /casework, which reaches
the Registry Office's place (Eva's #registry-office); a purge of that post is refused, and one
of a post nobody marked is recorded. Never sleeps: the page's long poll wakes."""

from __future__ import annotations

from bot.keys import STORE
from data.db import Store
from data.models import CaseMark, ConsentRecord, Purge
from dialogs.i18n import Translator
from tests.bot.test_web_experts import ids
from tests.helpers import T0, load
from tests.helpers.accounts import register
from tests.helpers.journey import (
    CASE_POST,
    CONSENT_POST,
    PURGE_RULE,
    casework_answers,
    consent_answers,
)
from tests.helpers.web import WebChat, running_chat

en, sv = Translator("en"), Translator("sv")
ACCOUNT = "Instagram ki_neuro_demo"


async def casework(chat: WebChat, who: str, what: str, post: str = CASE_POST) -> None:
    """`who` runs /casework to the end (one account: straight to the post)."""
    await chat.say(who, "/casework")
    await chat.wait_for_text(who, en("What do you want to record?"))
    for answer in casework_answers(what, post):
        await chat.answer(who, answer)


async def test_consent_case_management_and_purges_in_the_web_chat(database_url: str) -> None:
    async with running_chat(database_url) as chat:
        store: Store = chat.client.app[STORE]
        anna, bjorn, cecilia = await ids(store, "anna", "bjorn", "cecilia")
        await register(store, requester=anna, team=(bjorn,), manager=cecilia, now=T0,
                       handle="ki_neuro_demo")

        # Consent and credit, in Swedish (Björn's language).
        await chat.say("bjorn", "/consent")
        await chat.wait_for_text(
            "bjorn", sv("Which post? Paste a link to it, or describe it if it is not published yet.")
        )
        for answer in consent_answers():
            await chat.answer("bjorn", answer)
        await chat.wait_for_text("bjorn", sv(
            "The consent is recorded with {account}. The dashboard lists it on the account's page.",
            account=ACCOUNT,
        ))
        [record] = await load(store, ConsentRecord)
        assert (record.post, record.method, record.recorded_by) == (CONSENT_POST, "form", bjorn)

        # A post marked for case management reaches the Registry Office's place.
        await casework(chat, "anna", "case_management")
        await chat.wait_for_text("anna", en(
            "The post on {account} is marked as needing case management. The Registry Office has been told; the team is reminded until its registry number (diarienummer) is recorded. It may not be purged.",
            account=ACCOUNT,
        ))
        told = await chat.wait_for_text("eva", CASE_POST, "place:registry")
        assert sv("To register: content of {number}", number="SOME-2027-0001") in told.text

        # Purging it is refused; purging a post nobody marked is recorded.
        await casework(chat, "anna", "purge")
        refused = await chat.wait_for_text("anna", en(
            "It is marked for case management, so it may not be purged: that would violate the public's right of access."
        ))
        assert en("Nothing was recorded.") in refused.text
        await casework(chat, "anna", "purge", post="A comment with a typo, reposted")
        await chat.wait_for_text("anna", en(
            "The purge of the post is recorded with {account}.", account=ACCOUNT
        ))
        [mark] = await load(store, CaseMark)
        assert (mark.post, mark.kind, mark.marked_by) == (CASE_POST, "case_management", anna)
        [purge] = await load(store, Purge)
        assert (purge.what, purge.rule, purge.purged_by) == (
            "A comment with a typo, reposted", PURGE_RULE, anna
        )


async def test_the_help_card_reaches_case_management(database_url: str) -> None:
    async with running_chat(database_url) as chat:
        await chat.say("eva", "help")
        shown = await chat.wait_for_text("eva", sv("kontobot help"))
        assert "cmd:casework" in shown.buttons() and "/casework" in shown.text
        await chat.act("eva", "cmd:casework")
        await chat.wait_for_text("eva", sv(
            "Case management and purges are recorded by an account's team or manager, and you are neither for any account."
        ))
