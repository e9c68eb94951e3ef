"""Text people typed, normalised once where it enters: every adapter passes what it receives
through `clean` (or `clean_event` / `clean_json`) before anything else sees it.

Chat platforms deliver whatever a client sent: a lone surrogate (`\\ud800`, which no UTF-8
encoder accepts, so storing or showing it raised), NUL (which PostgreSQL refuses in text),
other control characters (invisible, or able to break a line in a log or a CSV cell), and the
same letter composed or decomposed. After `clean` a text encodes as UTF-8, holds no control
character but newline and tab, and is in Unicode normalisation form C, so that equal-looking
names compare equal. The question webhook refuses invalid code points instead of replacing
them (`has_invalid_code_points`): the other tool can be told, and fix what it sends.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from typing import Any, TypeVar

from dialogs.events import Action, Command, Event, Sender, Text, Visit

# The most of what a person typed that an adapter passes on: Slack's own limit for a message.
# Below it nothing is cut, so that a step taking fewer characters refuses a longer answer
# (dialogs/engine.py) instead of taking its first part for the whole.
MAX_TYPED = 40_000

REPLACEMENT = "\ufffd"
# Surrogates are not characters: in a str they are debris of broken UTF-16.
_SURROGATE = re.compile("[\ud800-\udfff]")
# Noncharacters: valid code points that must never be interchanged.
_NONCHARACTER = re.compile(
    "[\ufdd0-\ufdef\ufffe\uffff"
    + "".join(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(1, 17))
    + "]"
)
# C0 and C1 controls and DEL, except tab and newline (carriage returns become newlines first).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_NEWLINES = re.compile("\r\n?")

T = TypeVar("T")


def has_invalid_code_points(text: str) -> bool:
    """True when `text` holds a surrogate or a noncharacter."""
    return bool(_SURROGATE.search(text) or _NONCHARACTER.search(text))


def clean(text: str) -> str:
    """`text` made safe to store, show and export (see the module's docstring)."""
    if _SURROGATE.search(text):
        # A high and a low surrogate in a row are one character written in UTF-16: join them;
        # whatever is left alone becomes U+FFFD.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    text = _NONCHARACTER.sub(REPLACEMENT, text)
    text = _NEWLINES.sub("\n", text)
    text = _CONTROL.sub("", text)
    return unicodedata.normalize("NFC", text)


def clean_json(value: T) -> T:
    """Every string (keys included) of a parsed JSON document cleaned."""
    return _clean_any(value)  # type: ignore[no-any-return]


def _clean_any(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {_clean_any(k): _clean_any(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_any(v) for v in value]
    return value


def clean_sender(sender: Sender) -> Sender:
    return Sender(
        sender.platform,
        clean(sender.external_id),
        None if sender.display_name is None else clean(sender.display_name),
        None if sender.email is None else clean(sender.email),
        None if sender.locale is None else clean(sender.locale),
        clean_json(sender.address),
    )


def clean_event(event: Event) -> Event:
    """The event with every string in it (its sender's too) cleaned."""
    sender = clean_sender(event.sender)
    if isinstance(event, Command):
        return dataclasses.replace(event, sender=sender, name=clean(event.name),
                                   args=clean(event.args))
    if isinstance(event, Text):
        return dataclasses.replace(event, sender=sender, text=clean(event.text))
    if isinstance(event, Visit):
        return Visit(sender)
    assert isinstance(event, Action)
    return dataclasses.replace(
        event, sender=sender, action=clean(event.action), value=clean(event.value),
        selected=tuple(clean(s) for s in event.selected), text=clean(event.text),
        values=tuple((clean(k), clean(v)) for k, v in event.values),
    )
