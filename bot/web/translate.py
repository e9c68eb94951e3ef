"""The web chat page's requests as neutral events: the one place that knows what the page
sends. Each request carries the page's own id for it, so a request sent twice is one event."""

from __future__ import annotations

import uuid
from typing import Any

from dialogs.events import Action, Sender, Text
from dialogs.text import MAX_TYPED

PLATFORM = "web"
MAX_TEXT = MAX_TYPED
MAX_FIELD = 200
MAX_SELECTED = 50
MAX_VALUES = 30


class NotAnEvent(ValueError):
    """The body does not describe what a person did."""


def sender(body: dict[str, Any]) -> Sender:
    return Sender(PLATFORM, str(body["as"]))


def key(body: dict[str, Any]) -> str:
    """The inbox key: the page's request id, else one of our own (nothing to recognise)."""
    given = str(body.get("id") or "")[:100]
    return f"web:{body['as']}:{given}" if given else f"web:once:{uuid.uuid4().hex}"


def _string(body: dict[str, Any], name: str, limit: int) -> str:
    """The body's field `name`, "" when it is absent; NotAnEvent when it is anything but a
    string (a number, a list, null), rather than its repr passed on as if typed."""
    given = body.get(name, "")
    if not isinstance(given, str):
        raise NotAnEvent(f"{name} must be a string")
    return given[:limit]


def said(body: dict[str, Any]) -> Text:
    # A blank message is said too: it gets an answer rather than silence.
    return Text(sender(body), _string(body, "text", MAX_TEXT))


def clicked(body: dict[str, Any]) -> int | None:
    """The id of the message whose button was clicked, as the page said (None: not said)."""
    raw = str(body.get("message") or "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None


def acted(body: dict[str, Any]) -> Action:
    selected = body.get("selected") or []
    if not isinstance(selected, list):
        raise NotAnEvent("selected must be a list")
    if not all(isinstance(s, str) for s in selected):
        raise NotAnEvent("selected must be a list of strings")
    values = body.get("values") or {}
    if not isinstance(values, dict):
        raise NotAnEvent("values must be an object")
    if not all(isinstance(v, str) for v in values.values()):
        raise NotAnEvent("values must be strings")
    return Action(
        sender(body),
        action=_string(body, "action", MAX_FIELD),
        value=_string(body, "value", MAX_FIELD),
        selected=tuple(s[:MAX_FIELD] for s in selected[:MAX_SELECTED]),
        text=_string(body, "text", MAX_TEXT),
        values=tuple(
            (str(name)[:MAX_FIELD], value[:MAX_TEXT])
            for name, value in list(values.items())[:MAX_VALUES]
        ),
    )
