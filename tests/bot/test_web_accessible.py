"""`/accessible` end to end in the web chat, on SQLite and PostgreSQL: the real app driven
through the page's JSON API. Anna, on the team of two accounts, picks one, describes the post,
ticks what it has and then the checklist's boxes on one card; left unticked, the link text is
listed with how to fix it; fixed and ticked on a second look, the alt text counts as fixed. The
help card's button reaches it too. Never sleeps: the page's long poll wakes."""

from __future__ import annotations

from bot.keys import STORE
from data import accessibility
from data.db import Store
from data.models import AccessibilityCheck
from dialogs.i18n import Translator
from tests.bot.test_web_experts import ids
from tests.helpers import T0, load
from tests.helpers.accounts import register
from tests.helpers.web import running_chat

en = Translator("en")
POST = "Film about the open lab <b>not published</b>"


async def test_a_post_checked_for_accessibility_in_the_web_chat(database_url: str) -> None:
    async with running_chat(database_url) as chat:
        store: Store = chat.client.app[STORE]
        anna, bjorn, cecilia = await ids(store, "anna", "bjorn", "cecilia")
        await register(store, requester=anna, team=(bjorn,), manager=cecilia, now=T0,
                       handle="ki_neuro_demo")
        second = await register(store, requester=anna, team=(bjorn,), manager=cecilia, now=T0,
                                handle="ki_open_lab")

        await chat.say("anna", "help")
        await chat.wait_for_text("anna", en("kontobot help"))
        await chat.act("anna", "cmd:accessible")
        prompt = await chat.wait_for_text("anna", en("Which account is the post for?"))
        assert "SOME-2027-0002" in prompt.text
        await chat.act("anna", "dlg:account:choose", selected=(str(second.id),))
        await chat.wait_for_text("anna", en(
            "Which post? Paste a link to it, or describe it in a few words if it is not published yet."
        ))
        await chat.say("anna", POST)
        await chat.wait_for_text("anna", en("What does the post have? Tick everything it has."))
        await chat.act("anna", "dlg:content:choose", selected=("images", "links"))
        card = await chat.wait_for_text("anna", en(
            "Go through the post and tick each item that is checked and OK. What you leave "
            "unticked I'll list with how to fix it."
        ))
        # One card: a checkbox per item that applies.
        assert card.html.count('type="checkbox"') == 3
        await chat.act("anna", "dlg:checklist:choose", selected=("plain_language",))
        await chat.wait_for_text("anna", en(
            "Still to fix: {items}.", items="Alt text for images, Descriptive link text"
        ))
        await chat.act("anna", "dlg:summary:edit_field", selected=("checklist",))
        await chat.act("anna", "dlg:checklist:choose", selected=("alt_text", "plain_language"))
        summary = await chat.wait_for_text(
            "anna", en("Still to fix: {items}.", items="Descriptive link text")
        )
        # What Anna typed is shown as text, never as markup.
        assert "<b>not published</b>" not in summary.html
        assert "&lt;b&gt;not published&lt;/b&gt;" in summary.html
        await chat.act("anna", "dlg:summary:submit")
        done = await chat.wait_for_text("anna", en("Still to fix before you publish:"))
        assert "Say where a link leads" in done.text
        [check] = await load(store, AccessibilityCheck)
        assert check.post == POST and check.checked_by == anna
        assert (check.account_id, accessibility.items_of(check)) == (second.id, {
            "alt_text": "fixed", "captions": "not_applicable", "plain_language": "ok",
            "link_text": "to_fix", "hashtags": "not_applicable", "emoji": "not_applicable",
        })
