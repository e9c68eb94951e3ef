"""Text people typed, normalised once where it enters: every adapter passes what it receives
through `clean` (or `clean_event` / `clean_json`) before anything else sees it.

Chat platforms deliver whatever a client sent: a lone surrogate (`\\ud800`, which no UTF-8
encoder accepts, so storing or showing it raised), NUL (which PostgreSQL refuses in text),
other control characters (invisible, or able to break a line in a log or a CSV cell), and the
same letter composed or decomposed. After `clean` a text encodes as UTF-8, holds no control
character but newline and tab, and is in Unicode normalisation form C, so that equal-looking
names compare equal. The question webhook refuses invalid code points instead of replacing
them (`has_invalid_code_points`): the other tool can be told, and fix what it sends.

Invisible characters that can only do harm go too: zero-width spaces and byte-order marks;
bidi embeddings, overrides and isolates not closed in their paragraph, and closing ones with
nothing to close (an open override reverses whatever is shown after the text: the next field
of a card, the rest of a log line); and joiners with nothing to join on either side. Joiners
between characters stay (the ZERO WIDTH JOINER of 👩‍🔬, the non-joiner of Persian), as do
paired bidi controls, the direction marks and line breaks. Whether an answer is empty is
judged on what shows (data.rules.check_text), not here.
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
# ZERO WIDTH SPACE and ZERO WIDTH NO-BREAK SPACE (the byte-order mark).
_ZERO_WIDTH = re.compile("[\u200b\ufeff]")
# Bidi controls: embeddings and overrides (LRE, RLE, LRO, RLO) closed by PDF; isolates (LRI,
# RLI, FSI) closed by PDI. A paragraph's end closes whatever is open.
_EMBEDDINGS = frozenset("\u202a\u202b\u202d\u202e")
_PDF = "\u202c"
_ISOLATES = frozenset("\u2066\u2067\u2068")
_PDI = "\u2069"
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_PARAGRAPH_ENDS = frozenset("\n\u2029")
# ZERO WIDTH NON-JOINER and ZERO WIDTH JOINER.
_JOINER = re.compile("[\u200c\u200d]")

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
    text = _ZERO_WIDTH.sub("", text)
    text = _paired_bidi(text)
    text = _joining(text)
    return unicodedata.normalize("NFC", text)


def _paired_bidi(text: str) -> str:
    """`text` without the bidi controls that are not paired within their paragraph (an
    embedding, override or isolate left open; a PDF or PDI with nothing to close), as Unicode's
    bidi algorithm pairs them: a PDF closes the innermost embedding or override when no
    isolate was opened after it, a PDI the innermost isolate and whatever is open inside it."""
    if not _BIDI.search(text):
        return text
    unpaired: set[int] = set()
    open_: list[int] = []
    for at, c in enumerate(text):
        if c in _EMBEDDINGS or c in _ISOLATES:
            open_.append(at)
        elif c == _PDF:
            if open_ and text[open_[-1]] in _EMBEDDINGS:
                open_.pop()
            else:
                unpaired.add(at)
        elif c == _PDI:
            if any(text[i] in _ISOLATES for i in open_):
                while text[open_[-1]] not in _ISOLATES:
                    unpaired.add(open_.pop())
                open_.pop()
            else:
                unpaired.add(at)
        elif c in _PARAGRAPH_ENDS:
            unpaired.update(open_)
            open_.clear()
    unpaired.update(open_)
    return "".join(c for at, c in enumerate(text) if at not in unpaired)


def _joins(c: str) -> bool:
    """Whether a joiner beside `c` may join it to something: not beside a space, a control or
    another invisible format character."""
    return not c.isspace() and unicodedata.category(c) not in ("Cc", "Cf")


def _joining(text: str) -> str:
    """`text` without the joiners that have no character to join on one side or the other."""
    if not _JOINER.search(text):
        return text
    last = len(text) - 1
    return "".join(
        c
        for at, c in enumerate(text)
        if not _JOINER.match(c)
        or (0 < at < last and _joins(text[at - 1]) and _joins(text[at + 1]))
    )


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
