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
