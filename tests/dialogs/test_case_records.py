"""`/casework` marks a post for case management (the Registry Office is told, the reminder runs
as for a question) or research value, or records a purge under a rule of the disposal decision;
a purge of a marked post is refused, in both languages; on a closed account a purge only.
Through `Brain.handle`, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

from data import casework, closure, questions
from data.db import Store
from data.models import AuditEvent, CaseMark, Outbox, Purge
from dialogs.events import Sender
from dialogs.i18n import Translator
from dialogs.messages import Message
from tests.helpers import T0, Cast, load
from tests.helpers.accounts import id_of, register
from tests.helpers.chat import (
    CastSenders,
    Chat,
    cast_senders,
    choices,
    dialog_state,
    fields,
    only,
    says,
    step_of,
)
from tests.helpers.nudging import account_of, chat

SV = Translator("sv")
LATER = T0 + timedelta(days=60)
POST = "https://instagram.com/p/study-results"


async def test_a_post_marked_for_case_management_goes_to_the_registry_office(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    account = await account_of(store, cast)
    bo = chat(store, who.colleague)
    prompt = only(await bo.command("casework"))
    # One account: straight to what to record.
    assert step_of(prompt) == "what"
    assert step_of(only(await bo.dlg("what", "choose", "case_management"))) == "post"
    summary = only(await bo.say(POST))
    assert fields(summary) == {
        "Account": "SOME-2027-0001 · Instagram ki_neuroscience",
        "What to record": "It needs case management (tell the Registry Office)",
        "Post or question": POST,
    }
    done = only(await bo.dlg("summary", "submit"))
    assert says(done, "The post on Instagram ki_neuroscience is marked as needing case management.")
    [mark] = await load(store, CaseMark)
    assert (mark.account_id, mark.kind, mark.post, mark.question_id, mark.marked_by) == (
        account, "case_management", POST, None, cast.colleague
    )
    [notice] = await load(store, Outbox, Outbox.kind == "case_registration_needed")
    assert notice.place == "registry"
    assert notice.params == {"account_id": account, "mark_id": mark.id}
    assert await load(store, AuditEvent, AuditEvent.action == "case.marked")


async def test_a_purge_is_recorded_with_its_rule_and_day(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    await account_of(store, cast)
    bo = chat(store, who.colleague)
    only(await bo.command("casework"))
    only(await bo.dlg("what", "choose", "purge"))
    prompt = only(await bo.say(POST))
    assert step_of(prompt) == "rule"
    assert says(prompt, "Under which rule of the disposal decision (gallringsbeslut) was it purged?")
    assert step_of(only(await bo.say("Gallringsbeslut 2019, punkt 4.2"))) == "purged_on"
    # Not a date, then a day to come: asked again.
    again = only(await bo.say("yesterday"))
    assert step_of(again) == "purged_on" and says(again, "I couldn't read yesterday as a date.")
    again = only(await bo.say("2027-03-02"))
    assert step_of(again) == "purged_on" and says(again, "That time has not come yet.")
    summary = only(await bo.say("2027-02-26"))
    assert fields(summary)["Rule of the disposal decision"] == "Gallringsbeslut 2019, punkt 4.2"
    assert fields(summary)["Purged"] == "2027-02-26"
    done = only(await bo.dlg("summary", "submit"))
    assert says(done, "The purge of the post is recorded with Instagram ki_neuroscience.")
    [purge] = await load(store, Purge)
    assert (purge.what, purge.rule, purge.purged_by, purge.purged_on, purge.recorded_at) == (
        POST, "Gallringsbeslut 2019, punkt 4.2", cast.colleague, date(2027, 2, 26), T0
    )


async def purge_typed(
    store: Store, sender: Sender, post: str = "", question: int | None = None
) -> Message:
    """`sender` records a purge of `post` (or of the logged `question`, picked) today, under
    a rule: the answer to Record it."""
    bo = chat(store, sender, LATER)
    only(await bo.command("casework"))
    only(await bo.dlg("what", "choose", "purge"))
    if question is None:
        only(await bo.say(post))
    else:
        only(await bo.dlg("post", "choose", str(question)))
    only(await bo.say("Punkt 4.2"))
    only(await bo.dlg("purged_on", "today"))
    return only(await bo.dlg("summary", "submit"))


async def research_value_summary(bo: Chat) -> Message:
    """/casework up to the summary of POST marked as having research value."""
    only(await bo.command("casework"))
    only(await bo.dlg("what", "choose", "research_value"))
    return only(await bo.say(POST))


async def test_a_purge_of_a_marked_post_is_refused_in_both_languages(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    await account_of(store, cast)
    bo = chat(store, who.colleague)
    await research_value_summary(bo)
    done = only(await bo.dlg("summary", "submit"))
    assert says(done, "is marked as having research value. It may not be purged.")

    # The same post, written with other spacing and case.
    refused = await purge_typed(store, who.colleague, "  HTTPS://instagram.com/p/study-results ")
    assert says(refused, "It is marked as having research value, so it may not be purged.")
    assert says(refused, "Nothing was recorded.")
    swedish = await cast_senders(store, cast, locale="sv")
    refused = await purge_typed(store, swedish.requester, POST)
    assert says(refused, SV("It is marked as having research value, so it may not be purged."))
    assert says(refused, "Det är markerat")
    assert await load(store, Purge) == []


async def test_an_edit_from_a_mark_to_a_purge_asks_for_the_rule(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    await account_of(store, cast)
    bo = chat(store, who.colleague)
    await research_value_summary(bo)
    only(await bo.dlg("summary", "edit"))
    prompt = only(await bo.dlg("summary", "edit_field", "what"))
    assert step_of(prompt) == "what"
    assert step_of(only(await bo.dlg("what", "choose", "purge"))) == "rule"
    assert step_of(only(await bo.say("Punkt 4.2"))) == "purged_on"
    summary = only(await bo.dlg("purged_on", "today"))
    assert step_of(summary) == "summary"
    assert fields(summary)["Purged"] == "2027-03-01"


async def test_the_manager_may_swedish_is_spoken_and_outsiders_are_told(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    await account_of(store, cast)
    assert step_of(only(await chat(store, who.manager).command("casework"))) == "what"
    swedish = await cast_senders(store, cast, locale="sv")
    prompt = only(await chat(store, swedish.requester).command("casework"))
    assert says(prompt, SV("What do you want to record?"))
    assert says(prompt, "Vad vill du registrera?")
    assert says(
        only(await chat(store, who.outsider).command("casework")),
        "Case management and purges are recorded by an account's team or manager, and you are neither for any account.",
    )
    assert await load(store, CaseMark) == []


async def test_a_logged_question_is_picked_and_purged_once_unmarked(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    """The account's newest logged questions are offered at the post's question; one marked
    for research value may not be purged (nor is it offered for a purge), another is, and then
    is offered no more."""
    account = await account_of(store, cast)
    async with store.transaction() as session:
        kept = await questions.log_question(session, account_id=account, actor_id=cast.colleague,
                                            text="Can I use your data in my thesis?", now=T0)
        gone = await questions.log_question(session, account_id=account, actor_id=cast.colleague,
                                            text="When is the open day?", now=T0)
        await casework.mark(session, account_id=account, actor_id=cast.colleague,
                            kind="research_value", question_id=kept.id, now=T0)
    bo = chat(store, who.colleague, LATER)
    only(await bo.command("casework"))
    prompt = only(await bo.dlg("what", "choose", "purge"))
    [offered] = choices(prompt)
    assert [(o.value, o.label) for o in offered.options] == [
        (str(gone.id), "2027-03-01: When is the open day?"),
    ]
    only(await bo.dlg("post", "choose", str(gone.id)))
    only(await bo.say("Punkt 4.2"))
    summary = only(await bo.dlg("purged_on", "today"))
    assert fields(summary)["Post or question"] == "The question “When is the open day?”"
    only(await bo.say("cancel"))
    refused = await purge_typed(store, who.colleague, question=kept.id)
    assert says(refused, "It is marked as having research value, so it may not be purged.")

    done = await purge_typed(store, who.colleague, question=gone.id)
    assert says(done, "The purge of the question is recorded with Instagram ki_neuroscience.")
    [purge] = await load(store, Purge)
    assert (purge.question_id, purge.what, purge.purged_on) == (
        gone.id, f"question:{gone.id}", date(2027, 4, 30)
    )
    only(await bo.command("casework"))
    prompt = only(await bo.dlg("what", "choose", "research_value"))
    assert [o.value for o in choices(prompt)[0].options] == [str(kept.id)]
    # A question of another account, or none, is not taken.
    again = only(await bo.dlg("post", "choose", "999999"))
    assert step_of(again) == "post" and says(again, "I can't find that question.")


async def close(store: Store, account: int, by: int) -> None:
    async with store.transaction() as session:
        await closure.close_account(
            session, account_id=account, actor_id=by, reason="The project ended.",
            final_archive_location="W:/Kommunikation/Arkiv", now=T0,
        )


async def test_on_a_closed_account_only_a_purge_is_recorded(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    """The team of a closed account still records the purges the disposal decision calls for:
    offered the account, it is asked for the post straight away, never what to record."""
    account = await account_of(store, cast)
    await close(store, account, cast.colleague)
    bo = chat(store, who.colleague, LATER)
    prompt = only(await bo.command("casework"))
    assert step_of(prompt) == "post"
    assert says(prompt, "Let's record that a post was purged.")
    assert step_of(only(await bo.say(POST))) == "rule"
    only(await bo.say("Punkt 4.2"))
    summary = only(await bo.dlg("purged_on", "today"))
    assert fields(summary) == {
        "Account": "SOME-2027-0001 · Instagram ki_neuroscience (closed)",
        "Post or question": POST,
        "Rule of the disposal decision": "Punkt 4.2",
        "Purged": "2027-04-30",
    }
    done = only(await bo.dlg("summary", "submit"))
    assert says(done, "The purge of the post is recorded with Instagram ki_neuroscience.")
    [purge] = await load(store, Purge)
    assert (purge.account_id, purge.what, purge.purged_by) == (account, POST, cast.colleague)
    # Named by its number, in Swedish too.
    swedish = await cast_senders(store, cast, locale="sv")
    swede = chat(store, swedish.requester, LATER)
    prompt = only(await swede.command("casework", "SOME-2027-0001"))
    assert step_of(prompt) == "post"
    assert says(prompt, SV("Let's record that a post was purged."))
    assert says(prompt, "gallrats")


async def test_open_accounts_come_first_and_a_closed_one_skips_what_to_record(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    closed = await account_of(store, cast)
    await close(store, closed, cast.colleague)
    open_ = id_of(await register(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager, now=T0,
        handle="ki_alumni",
    ))
    bo = chat(store, who.colleague, LATER)
    prompt = only(await bo.command("casework"))
    assert step_of(prompt) == "account"
    assert says(prompt, "Let's mark a post for case management or research value")
    [offered] = choices(prompt)
    assert [(o.value, o.label) for o in offered.options] == [
        (str(open_), "SOME-2027-0002 · Instagram ki_alumni"),
        (str(closed), "SOME-2027-0001 · Instagram ki_neuroscience (closed)"),
    ]
    assert step_of(only(await bo.dlg("account", "choose", str(closed)))) == "post"
    only(await bo.say(POST))
    only(await bo.say("Punkt 4.2"))
    summary = only(await bo.dlg("purged_on", "today"))
    assert "What to record" not in fields(summary)
    # Moved to the open account, it is asked what to record there.
    only(await bo.dlg("summary", "edit"))
    only(await bo.dlg("summary", "edit_field", "account"))
    assert step_of(only(await bo.dlg("account", "choose", str(open_)))) == "what"
    summary = only(await bo.dlg("what", "choose", "research_value"))
    assert fields(summary) == {
        "Account": "SOME-2027-0002 · Instagram ki_alumni",
        "What to record": "It has research value (it may not be purged)",
        "Post or question": POST,
    }
    only(await bo.dlg("summary", "submit"))
    [mark] = await load(store, CaseMark)
    assert (mark.account_id, mark.kind) == (open_, "research_value")
    assert await load(store, Purge) == []
    # Typed by its place in the list, the closed one is the second.
    only(await bo.command("casework"))
    assert step_of(only(await bo.say("2"))) == "post"
    # So too written as a phone's full-width digit, or pasted as a superscript.
    only(await bo.say("cancel"))
    only(await bo.command("casework"))
    assert step_of(only(await bo.say("２"))) == "post"
    only(await bo.say("cancel"))
    assert step_of(only(await bo.command("casework", "²"))) == "post"
    only(await bo.say("cancel"))
    # A number of thousands of digits is no place in the list: refused in words, naming the
    # start of what was typed, and nothing started.
    only(await bo.say("cancel"))
    refused = only(await bo.command("casework", "9" * 5000))
    assert says(refused, f"None of the accounts you can choose here is numbered {'9' * 40}. ")
    assert step_of(refused) is None and await dialog_state(store, cast.colleague) is None
