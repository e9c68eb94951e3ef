"""The web chat page's requests as neutral events (bot/web/translate.py)."""

from __future__ import annotations

import pytest

from bot.web import translate
from dialogs.events import Text

LONG = "x" * 4500 + " END"


def test_long_text_is_passed_on_whole() -> None:
    """A step that takes at most 4,000 characters refuses this; cut here, it would take the
    first 4,000 for the whole answer."""
    said = translate.said({"as": "anna", "text": LONG})
    assert said == Text(translate.sender({"as": "anna"}), LONG)
    assert translate.acted({"as": "anna", "action": "a", "text": LONG}).text == LONG


@pytest.mark.parametrize("text", [12, 1.5, True, None, ["hello"], {"text": "hello"}])
def test_a_message_whose_text_is_not_a_string_is_no_event(text: object) -> None:
    """Not turned into its repr ("['hello']", "None") and said as if typed."""
    with pytest.raises(translate.NotAnEvent, match="text must be a string"):
        translate.said({"as": "anna", "text": text})


@pytest.mark.parametrize(
    ("field", "given", "problem"),
    [
        ("text", ["W:/archive"], "text must be a string"),
        ("action", 7, "action must be a string"),
        ("value", None, "value must be a string"),
        ("selected", ["bjorn", 7], "selected must be a list of strings"),
        ("values", {"handle": ["ki"]}, "values must be strings"),
    ],
)
def test_a_click_whose_fields_are_not_strings_is_no_event(
    field: str, given: object, problem: str
) -> None:
    with pytest.raises(translate.NotAnEvent, match=problem):
        translate.acted({"as": "anna", "action": "a", field: given})


def test_absent_fields_are_empty() -> None:
    assert translate.said({"as": "anna"}).text == ""
    clicked = translate.acted({"as": "anna"})
    assert (clicked.action, clicked.value, clicked.text, clicked.selected, clicked.values) == (
        "", "", "", (), ()
    )
