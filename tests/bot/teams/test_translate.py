"""What a person types to the bot in Teams becomes a command: the words of the command menu
in English and Swedish, and `away` or `question` followed by dates or an account number."""

from __future__ import annotations

import pytest

from bot.teams.translate import _text_event
from dialogs.events import Command, Sender, Text

SENDER = Sender("teams", "aad-1")


@pytest.mark.parametrize(
    ("typed", "name", "args"),
    [
        ("duty", "duty", ""),
        ("Vem har jour", "duty", ""),
        ("away", "away", ""),
        ("away 2027-07-01 2027-07-31", "away", "2027-07-01 2027-07-31"),
        ("Borta 2027-07-01", "away", "2027-07-01"),
        ("question", "question", ""),
        ("question SOME-2027-0001", "question", "SOME-2027-0001"),
        ("major change", "major-change", ""),
        ("stäng konto", "close-account", ""),
        ("close-account SOME-2027-0002", "close-account", "SOME-2027-0002"),
        # Beyond the ten-command menu: the moderation log, typed.
        ("removed", "removed", ""),
        ("Registrera borttaget", "removed", ""),
        ("removed SOME-2027-0001", "removed", "SOME-2027-0001"),
        # And consent and credit.
        ("consent", "consent", ""),
        ("Registrera samtycke", "consent", ""),
        ("samtycke SOME-2027-0001", "consent", "SOME-2027-0001"),
        # And the accessibility checklist.
        ("accessible", "accessible", ""),
        ("Tillgänglighet", "accessible", ""),
        ("accessible SOME-2027-0001", "accessible", "SOME-2027-0001"),
        # An answer that merely starts with a command word stays an answer.
        ("question about the open day", None, ""),
        ("away on holiday", None, ""),
    ],
)
def test_typed_commands(typed: str, name: str | None, args: str) -> None:
    event = _text_event(SENDER, typed)
    if name is None:
        assert event == Text(SENDER, typed)
    else:
        assert event == Command(SENDER, name, args)


def test_text_is_normalised_where_it_enters() -> None:
    from bot.teams.translate import translate

    incoming = translate(
        {
            "type": "message", "id": "1", "text": "cafe\u0301\x00 \ud800!",
            "from": {"id": "29:x", "name": "Bjo\u0308rn\x07", "aadObjectId": "aad-1"},
            "conversation": {"id": "a:1", "conversationType": "personal"},
        }
    )
    assert incoming.sender is not None and incoming.sender.display_name == "Björn"
    assert isinstance(incoming.event, Text)
    assert incoming.event.text == "café \ufffd!"


def test_a_message_with_no_text_is_still_a_message() -> None:
    """A mention alone, or a picture: it gets an answer (dialogs.router), never silence."""
    from bot.teams.translate import translate

    incoming = translate(
        {
            "type": "message", "id": "2", "text": "<at>kontobot</at>",
            "from": {"id": "29:x", "name": "Björn", "aadObjectId": "aad-1"},
            "conversation": {"id": "a:1", "conversationType": "personal"},
        }
    )
    assert incoming.kind == "message"
    assert isinstance(incoming.event, Text) and incoming.event.text == ""


def test_a_search_in_the_bots_people_picker_says_what_was_typed_and_whom_to_leave_out() -> None:
    from bot.teams.translate import translate

    raw = {
        "type": "invoke", "id": "3", "name": "application/search",
        "from": {"id": "29:x", "name": "Cecilia", "aadObjectId": "aad-cecilia"},
        "conversation": {"id": "a:1", "conversationType": "personal"},
        "value": {"queryText": " an ", "dataset": "kontobot.people:aad-anna,aad-cecilia"},
    }
    incoming = translate(raw)
    assert (incoming.kind, incoming.query, incoming.invoke) == ("search", "an", True)
    assert incoming.exclude == ("aad-anna", "aad-cecilia")
    # A search in another dataset is not the bot's to answer.
    other = translate({**raw, "value": {"queryText": "an", "dataset": "graph.microsoft.com/users"}})
    assert other.kind == "other"


def test_long_text_is_passed_on_whole() -> None:
    """A step that takes at most 4,000 characters refuses it; cut here, it would take the
    first 4,000 for the whole answer."""
    from bot.teams.translate import translate

    long = "x" * 4500 + " END"
    incoming = translate(
        {
            "type": "message", "id": "3", "text": long,
            "from": {"id": "29:x", "name": "Björn", "aadObjectId": "aad-1"},
            "conversation": {"id": "a:1", "conversationType": "personal"},
        }
    )
    assert isinstance(incoming.event, Text) and incoming.event.text == long
