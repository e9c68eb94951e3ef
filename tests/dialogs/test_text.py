"""dialogs.text: text normalised where it enters."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from dialogs.events import Action, Command, Sender, Text
from dialogs.text import clean, clean_event, clean_json, has_invalid_code_points

# Every code point, surrogates and noncharacters included.
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=60)


def test_lone_surrogates_are_replaced_and_pairs_joined() -> None:
    assert clean("a\ud800b\udfffc") == "a\ufffdb\ufffdc"
    assert clean("\ud83d\ude00") == "😀"
    assert clean("\ud83d") == "\ufffd"


def test_controls_are_stripped_but_newline_and_tab_kept() -> None:
    assert clean("a\x00b\x07c\x1b[1md\x7fe\x85f") == "abc[1mdef"
    assert clean("one\r\ntwo\rthree\tfour\n") == "one\ntwo\nthree\tfour\n"


def test_text_is_composed_and_noncharacters_replaced() -> None:
    assert clean("Cafe\u0301") == "Café"
    assert clean("x\uffffy\U0010fffe") == "x\ufffdy\ufffd"


def test_invalid_code_points_are_recognised() -> None:
    assert has_invalid_code_points("\ud800")
    assert has_invalid_code_points("ok\ufdd0")
    assert not has_invalid_code_points("Björn 😀 \u200d\t\n")


def test_zero_width_spaces_and_byte_order_marks_are_removed() -> None:
    assert clean("\u200b" * 10) == ""
    assert clean("\ufeffKarolinska\u200bInstitutet\u200b") == "KarolinskaInstitutet"


def test_bidi_controls_left_open_or_closing_nothing_are_removed() -> None:
    # An override left open would reverse whatever is shown after the answer.
    assert clean("\u202e") == ""
    assert clean("abc\u202edef") == "abcdef"
    assert clean("\u2067\u202b") == ""
    # Closing ones with nothing to close.
    assert clean("x\u202c\u2069y") == "xy"
    # A paragraph ends whatever is open; the line break stays.
    assert clean("a\u202e\nb\u202c") == "a\nb"
    # A PDF does not close an embedding from outside an isolate opened after it; a PDI closes
    # its isolate and ends what was left open inside it.
    assert clean("\u202b\u2067x\u202c\u2069") == "\u2067x\u2069"
    assert clean("\u2067\u202ex\u2069") == "\u2067x\u2069"


def test_paired_bidi_controls_and_marks_are_kept() -> None:
    for typed in (
        "Hebrew in an isolate: \u2067שלום\u2069.",
        "An embedding \u202bעברית\u202c and an override \u202dabc\u202c, nested \u2068\u202ax\u202c\u2069.",
        "Marks: \u200fشكرا!\u200e",
    ):
        assert clean(typed) == typed


def test_joiners_between_characters_are_kept_and_stray_ones_removed() -> None:
    kept = "👩\u200d🔬 🧑🏽\u200d💻 🏳️\u200d🌈 می\u200cخواهم क्\u200dष"
    assert clean(kept) == kept
    assert clean("\u200d") == ""
    assert clean("\u200c\u200d a\u200d \u200db\u200d\u200dc\u200d") == " a bc"
    assert clean("Åsa 👍\n\u200drad två") == "Åsa 👍\nrad två"


def _bidi_balanced(text: str) -> bool:
    """Whether every bidi control of `text` is paired within its line, as clean leaves them."""
    # What each closing control closes: PDF an embedding or override, PDI an isolate.
    closes = {"\u202c": "\u202a\u202b\u202d\u202e", "\u2069": "\u2066\u2067\u2068"}
    for line in text.split("\n"):
        stack: list[str] = []
        for c in line:
            if c in "".join(closes.values()):
                stack.append(c)
            elif c in closes and (not stack or stack.pop() not in closes[c]):
                return False
        if stack:
            return False
    return True


BIDI_AND_JOINERS = st.text(
    st.sampled_from("ab 🔬\n\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200c\u200d\ufeff"),
    max_size=30,
)


@given(BIDI_AND_JOINERS)
def test_what_is_left_of_invisible_characters_is_harmless(text: str) -> None:
    out = clean(text)
    assert "\u200b" not in out and "\ufeff" not in out
    assert _bidi_balanced(out)
    for at, c in enumerate(out):
        if c in "\u200c\u200d":
            assert 0 < at < len(out) - 1 and out[at - 1] in "ab🔬" and out[at + 1] in "ab🔬"
    assert clean(out) == out


@given(ANY_TEXT)
def test_whatever_comes_in_goes_out_storable(text: str) -> None:
    out = clean(text)
    out.encode("utf-8")  # never raises
    assert not has_invalid_code_points(out)
    assert unicodedata.is_normalized("NFC", out)
    assert all(c in "\n\t" or unicodedata.category(c) != "Cc" for c in out)
    assert clean(out) == out


@given(ANY_TEXT, ANY_TEXT)
def test_every_string_of_an_event_is_cleaned(one: str, two: str) -> None:
    sender = Sender("slack", one, display_name=two, email=one, locale=two, address={one: [two]})
    for event in (
        Text(sender, one), Command(sender, two, one),
        Action(sender, action=one, value=two, selected=(one, two), text=one),
    ):
        cleaned = clean_event(event)
        assert cleaned.sender == Sender(
            "slack", clean(one), clean(two), clean(one), clean(two), {clean(one): [clean(two)]}
        )
        for value in vars(cleaned).values():
            if isinstance(value, str):
                assert value == clean(value)
    assert clean_json({"a": [one, {"b": two}, 1, None]}) == {
        "a": [clean(one), {"b": clean(two)}, 1, None]
    }
