"""The web chat page's requests as neutral events (bot/web/translate.py)."""

from __future__ import annotations

from bot.web import translate
from dialogs.events import Text

LONG = "x" * 4500 + " END"


def test_long_text_is_passed_on_whole() -> None:
    """A step that takes at most 4,000 characters refuses this; cut here, it would take the
    first 4,000 for the whole answer."""
    said = translate.said({"as": "anna", "text": LONG})
    assert said == Text(translate.sender({"as": "anna"}), LONG)
    assert translate.acted({"as": "anna", "action": "a", "text": LONG}).text == LONG
