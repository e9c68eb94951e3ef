"""What a person types to the bot in Teams becomes a command: the words of the command menu
in English and Swedish, and `away` or `question` followed by dates or an account number."""

from __future__ import annotations

import dataclasses

import pytest

from bot.teams.translate import _text_event
from dialogs.events import Command, Event, Sender, Text

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


def typed(text: str, text_format: str = "plain") -> Event:
    """What a message from Teams with `text` becomes (its sender made SENDER)."""
    from bot.teams.translate import translate

    incoming = translate(
        {
            "type": "message", "id": "4", "text": text, "textFormat": text_format,
            "from": {"id": "29:x", "name": "Björn", "aadObjectId": "aad-1"},
            "conversation": {"id": "a:1", "conversationType": "personal"},
        }
    )
    assert incoming.kind == "message" and incoming.event is not None
    assert incoming.event.sender.external_id == SENDER.external_id
    return dataclasses.replace(incoming.event, sender=SENDER)


@pytest.mark.parametrize(
    ("text", "text_format", "reads"),
    [
        # As typed: the line breaks stay; on each line runs of space are one, and trimmed.
        ("Line one.\nLine two:  *x*\t<b>x</b>\n- item", "plain", "Line one.\nLine two: *x* <b>x</b>\n- item"),
        ("<at>kontobot</at> Line one \r\n\t Line two  \n\n", "plain", "Line one\nLine two"),
        ("one\n\ntwo", "plain", "one\n\ntwo"),
        # As HTML ("xml"): a line for each paragraph, <div> and <br>; the source's own line
        # breaks are spaces; entities are what was typed.
        ("<p>Line one.</p>\n<p>Line two: &lt;b&gt;x&lt;/b&gt; &amp;\n more</p><p>- item</p>", "xml",
         "Line one.\nLine two: <b>x</b> & more\n- item"),
        ("<div><div><div>This</div><div>is</div><div>three</div></div></div>", "xml", "This\nis\nthree"),
        ("<p>one<br>two<br/>three</p>", "xml", "one\ntwo\nthree"),
        ("<p>one</p><p>&nbsp;</p><p>two</p>", "xml", "one\n\ntwo"),
        ('<p><at id="0">kontobot</at>&nbsp; hi  there</p>', "xml", "hi there"),
        ('<p>Nice <img alt="😀" itemtype="http://schema.skype.com/Emoji" src="x.png"> '
         '<emoji id="smile" alt="😄" title="Smile"></emoji></p>', "xml", "Nice 😀 😄"),
        ("<p>a < b, c > d</p>", "xml", "a < b, c > d"),
        # A link: its words, and its address where they do not say it (as on Slack).
        ('<p>See <a href="https://ki.se/x?a=1&amp;b=2" title="t">the page</a>, '
         '<a href="https://ki.se">https://ki.se</a> or <a href="mailto:a@ki.se">a@ki.se</a></p>',
         "xml", "See the page (https://ki.se/x?a=1&b=2), https://ki.se or a@ki.se"),
        # In plain text, what looks like HTML is what was typed.
        ("<p>one</p><p>two</p>", "plain", "<p>one</p><p>two</p>"),
    ],
)
def test_typed_lines_reach_the_dialog_as_lines(text: str, text_format: str, reads: str) -> None:
    assert typed(text, text_format) == Text(SENDER, reads)


def test_html_that_would_take_long_to_parse_takes_no_time() -> None:
    """The standard library's HTML parser takes minutes over 60,000 `<!--`."""
    import time

    started = time.monotonic()
    for text in ("<!--" * 60_000, "<a " * 80_000, "<p>" * 80_000, "<a b='" + "x" * 200_000):
        typed(text, "xml")
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("text", "text_format", "event"),
    [
        ("/close-account SOME-2027-0001", "plain", Text(SENDER, "/close-account SOME-2027-0001")),
        ("<p>/close-account SOME-2027-0001</p>", "xml", Text(SENDER, "/close-account SOME-2027-0001")),
        ("<at>kontobot</at>  close-account \t SOME-2027-0001 ", "plain",
         Command(SENDER, "close-account", "SOME-2027-0001")),
        ("<p>close-account SOME-2027-0001</p>", "xml", Command(SENDER, "close-account", "SOME-2027-0001")),
        ("Open account", "plain", Command(SENDER, "open-account")),
        # A command is one line: typed over several, it is read as before.
        ("/close-account\nSOME-2027-0001", "plain", Text(SENDER, "/close-account SOME-2027-0001")),
        ("away 2027-07-01\n2027-07-31", "plain", Command(SENDER, "away", "2027-07-01 2027-07-31")),
        ("<p>open</p><p>account</p>", "xml", Command(SENDER, "open-account")),
    ],
)
def test_commands_are_read_as_before(text: str, text_format: str, event: Event) -> None:
    assert typed(text, text_format) == event


def test_lines_typed_are_the_same_text_as_on_slack_and_in_the_web_chat() -> None:
    from bot.slack import translate as slack
    from bot.web import translate as web

    lines = "Line one of the purpose.\nLine two: *not bold* <b>x</b> [link](https://evil.example)\n- item"
    # Slack escapes &, < and > and marks a link; Teams sends the text, or HTML.
    on_slack = slack.message(
        {
            "event_id": "Ev1",
            "event": {
                "type": "message", "channel_type": "im", "user": "U1", "channel": "D1",
                "ts": "1.0",
                "text": "Line one of the purpose.\nLine two: *not bold* &lt;b&gt;x&lt;/b&gt; "
                        "[link](<https://evil.example>)\n- item",
            },
        }
    )
    assert on_slack is not None and isinstance(on_slack.event, Text)
    in_web_chat = web.said({"as": "anna", "text": lines})
    html = (
        "<p>Line one of the purpose.</p>\n<p>Line two: *not bold* &lt;b&gt;x&lt;/b&gt; "
        "[link](https://evil.example)</p>\n<p>- item</p>"
    )
    assert on_slack.event.text == in_web_chat.text == lines
    assert typed(lines) == typed(html, "xml") == Text(SENDER, lines)


def _typed(text: str) -> Event | None:
    """What a message `text` reads as (its sender as SENDER)."""
    from bot.teams.translate import translate

    event = translate(
        {
            "type": "message", "id": "3", "text": text,
            "from": {"id": "29:x", "name": "Björn", "aadObjectId": "aad-1"},
            "conversation": {"id": "a:1", "conversationType": "channel"},
        }
    ).event
    return None if event is None else dataclasses.replace(event, sender=SENDER)


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("<at>kontobot</at> duty", Command(SENDER, "duty", "")),
        ('<at id="0">Kontobot Bot</at>\u00a0away', Command(SENDER, "away", "")),
        ("<AT>kontobot</AT > question", Command(SENDER, "question", "")),
        ("Ask <at>kontobot</at> and <at>Eva Ek</at> now", Text(SENDER, "Ask and now")),
        # Unclosed, or not a mention: left as typed.
        ("<at>kontobot duty", Text(SENDER, "<at>kontobot duty")),
        ("a <atom> b </at>", Text(SENDER, "a <atom> b </at>")),
    ],
)
def test_mentions_of_the_bot_are_not_what_was_typed(typed: str, read: Event) -> None:
    assert _typed(typed) == read


def test_many_unclosed_mentions_are_left_as_typed() -> None:
    """(The mention pattern crosses no `<`: one that searched on for a closing tag from each
    `<at>` read this text once per `<at>`, seconds of the event loop; bench-free, so only
    its result is checked here.)"""
    from bot.teams.translate import MAX_TEXT

    typed = "<at>" * 20_000 + "x"
    assert _typed(typed) == Text(SENDER, typed[:MAX_TEXT])
