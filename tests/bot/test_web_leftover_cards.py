"""Leftover cards in the web chat, on SQLite and PostgreSQL: the real app driven through the
page's JSON API, each click carrying what its button carries on the page. A /question summary
left live cannot close an account while /close-account waits at its summary; *Revise the
request* keeps a second request half answered, and a second click on it keeps the revision's
changes. Never sleeps: the page's long poll wakes."""

from __future__ import annotations

from bot.keys import STORE
from data.db import Store
from data.models import Account, DialogState, Question
from dialogs.i18n import Translator
from tests.bot.test_web_experts import ids
from tests.helpers import T0, load
from tests.helpers.accounts import register
from tests.helpers.journey import SUBMIT, open_account_answers
from tests.helpers.web import Shown, WebChat, running_chat

en = Translator("en")
QUESTION = "What are your opening hours?"
WHERE = "W:/archive/ki_one"
WHY = "No longer needed, the project ended."
PURPOSE = "A much better purpose, explained at length now."


async def click(chat: WebChat, who: str, card: Shown, action: str, **rest: str) -> None:
    """`who` clicks `action` on `card` as the page showed it (its value, its message id)."""
    await chat.act(who, action, card.buttons()[action], message=card.id, **rest)


async def newest(chat: WebChat, who: str) -> Shown:
    return (await chat.messages(who))[-1]


async def test_a_leftover_question_summary_cannot_close_the_account(database_url: str) -> None:
    async with running_chat(database_url) as chat:
        store: Store = chat.client.app[STORE]
        anna, bjorn, cecilia = await ids(store, "anna", "bjorn", "cecilia")
        await register(store, requester=anna, team=(bjorn,), manager=cecilia, now=T0,
                       handle="ki_one")

        await chat.say("anna", "/question")
        asked = await chat.wait_for_text("anna", en("What was asked? Paste or type the question or comment."))
        await chat.say("anna", QUESTION)
        first = await newest(chat, "anna")
        assert "dlg:summary:submit" in first.buttons()
        # A click on the older card asks the summary again; the first summary stays live.
        await click(chat, "anna", asked, "dlg:text:help")
        second = await newest(chat, "anna")
        assert second.id != first.id and "dlg:summary:submit" in second.buttons()
        await click(chat, "anna", second, "dlg:summary:submit")
        await chat.wait_for_text("anna", "is logged.")
        [live] = [m for m in await chat.messages("anna") if m.id == first.id]
        assert "dlg:summary:submit" in live.buttons()

        await chat.say("anna", "/close-account")
        await chat.say("anna", WHERE)
        await chat.say("anna", WHY)
        closing = await newest(chat, "anna")
        assert "dlg:summary:submit" in closing.buttons() and "data-confirm-title" in closing.html
        await click(chat, "anna", first, "dlg:summary:submit")

        again = await newest(chat, "anna")
        assert en(
            "That button belongs to a conversation that has ended. Here is where we are now."
        ) in again.text
        assert again.buttons() == closing.buttons() and WHY in again.text
        [account] = await load(store, Account)
        assert account.status == "active"
        assert len(await load(store, Question)) == 1
        [state] = await load(store, DialogState)
        assert (state.dialog, state.step, state.data["reason"]) == (
            "close_account", "summary", WHY
        )

        # Its own Submit still closes it.
        await click(chat, "anna", again, "dlg:summary:submit")
        await chat.wait_for_text("anna", "is closed.")
        [account] = await load(store, Account)
        assert account.status == "closed"


async def test_revise_keeps_a_request_half_answered_and_then_its_own_changes(
    database_url: str,
) -> None:
    async with running_chat(database_url) as chat:
        store: Store = chat.client.app[STORE]
        await chat.say("anna", "/open-account")
        for answer in [*open_account_answers(handle="ki_first", scope="unit"), SUBMIT]:
            await chat.answer("anna", answer)
        shown = await chat.wait_for("cecilia", lambda ms: any(
            "approval:changes" in m.buttons() for m in ms
        ))
        [card] = [m for m in shown if "approval:changes" in m.buttons()]
        await click(chat, "cecilia", card, "approval:changes", text="Say more about the purpose.")
        shown = await chat.wait_for("anna", lambda ms: any("revise" in m.buttons() for m in ms))
        [revise] = [m for m in shown if "revise" in m.buttons()]

        # A second request, half answered, when Revise is clicked: it is kept.
        await chat.say("anna", "/open-account")
        await chat.answer("anna", open_account_answers(platform="tiktok")[0])
        await click(chat, "anna", revise, "revise")
        refused = await newest(chat, "anna")
        assert en("You are in the middle of another conversation with me. Finish it, or type cancel to stop it, before starting a new one.") in refused.text
        [state] = await load(store, DialogState)
        assert (state.step, state.data["platform"]) == ("handle", "tiktok")
        assert "_revise_id" not in state.data

        # Cancelled, the revision starts; a second click on Revise keeps what was changed.
        await chat.say("anna", "cancel")
        await click(chat, "anna", revise, "revise")
        summary = await chat.wait_for_text(
            "anna", en("Change what is needed, then submit the request again.")
        )
        await click(chat, "anna", summary, "dlg:summary:edit")
        menu = await newest(chat, "anna")
        await chat.act("anna", "dlg:summary:edit_field", menu.buttons()["dlg:summary:edit_field"],
                       selected=("purpose",), message=menu.id)
        await chat.say("anna", PURPOSE)
        await click(chat, "anna", revise, "revise")
        again = await newest(chat, "anna")
        assert en("Let's continue where you left off.") in again.text and PURPOSE in again.text
        [state] = await load(store, DialogState)
        assert (state.step, state.data["purpose"]) == ("summary", PURPOSE)
