"""`help` lists every command with a flow, in the person's language, in the order of
dialogs.help.COMMANDS (which Slack's manifest and Teams' command menu follow)."""

from __future__ import annotations

from data.db import Store
from dialogs.help import ALL_COMMANDS, GREETING
from dialogs.messages import Message
from tests.helpers import Cast
from tests.helpers.chat import buttons, cast_senders, fields, only, says
from tests.helpers.nudging import chat


async def test_help_lists_every_command(store: Store, cast: Cast) -> None:
    who = await cast_senders(store, cast)
    listed = fields(only(await chat(store, who.requester).command("help")))
    assert list(listed) == [name if name == "help" else f"/{name}" for name in ALL_COMMANDS]
    assert listed["/removed"].startswith("Record a post or comment you removed")
    assert listed["/consent"].startswith("Record who consented to a post with identifiable people")
    assert listed["/casework"].startswith("Mark a post as needing case management")
    assert listed["/accessible"].startswith("Run the accessibility checklist on a post")
    assert listed["/duty"] == "Show who is on duty today and this week for your accounts."
    assert listed["/away"].startswith("Record that you are away, for example /away 2027-07-01")
    # What may follow /question: the question, the account's number, or both.
    assert listed["/question"] == (
        "Log a question from the public: type it after the command, or I ask for it. "
        "/question SOME-2027-0001 picks the account."
    )


async def test_help_in_swedish(store: Store, cast: Cast) -> None:
    who = await cast_senders(store, cast, locale="sv")
    listed = fields(only(await chat(store, who.requester).command("help")))
    assert listed["/close-account"] == "Stäng ett konto som inte längre är aktivt."
    assert listed["/question"] == (
        "Registrera en fråga från allmänheten: skriv den efter kommandot, eller så frågar "
        "jag. /question SOME-2027-0001 väljer kontot."
    )


async def test_help_offers_the_moderation_log_and_the_expert_question(
    store: Store, cast: Cast
) -> None:
    """Teams' menu holds ten commands: the help card's buttons reach /removed and /consent
    there, and it
    says where asking a colleague starts."""
    who = await cast_senders(store, cast)
    shown = only(await chat(store, who.requester).command("help"))
    assert "cmd:removed" in [b.action for b in buttons(shown)]
    assert "cmd:consent" in [b.action for b in buttons(shown)]
    assert "cmd:casework" in [b.action for b in buttons(shown)]
    assert "cmd:accessible" in [b.action for b in buttons(shown)]
    # One row of buttons, at most six.
    assert len(buttons(shown)) <= 6
    assert says(shown, "Click Ask a colleague on a logged question")
def everything(message: Message) -> str:
    """Every sentence of the message, small print included."""
    return " ".join(b.text for b in message.blocks if isinstance(getattr(b, "text", None), str))


async def test_help_says_where_to_write_when_stuck(store: Store, cast: Cast) -> None:
    who = await cast_senders(store, cast)
    [reply] = await chat(store, who.requester).command("help")
    assert (
        "Questions about KI's social-media guidelines: write to the Communications Office at "
        "socialmedia@ki.se."
    ) in everything(reply.message)


async def test_the_greeting_says_who_i_am_and_what_to_do_next(store: Store, cast: Cast) -> None:
    who = await cast_senders(store, cast, locale="sv")
    [reply] = await chat(store, who.requester).command(GREETING)
    shown = everything(reply.message)
    assert shown.startswith("Hej Anna Berg! Jag är kontobot.")
    assert "klicka på Öppna ett konto här nedanför" in shown
    assert "/open-account" in fields(reply.message)
    # Opening an account comes first.
    assert next(b.action for b in buttons(reply.message)) == "cmd:open-account"
