"""What an activity must have before anything runs: a type, a conversation with an id, and a
service URL to answer at. The Bot Connector always sends them; a request without them is
refused with 400 rather than failing halfway through a turn."""

from __future__ import annotations

from typing import Any


def well_formed(raw: object) -> bool:
    if not isinstance(raw, dict) or not _text(raw.get("type")):
        return False
    conversation = raw.get("conversation")
    if not isinstance(conversation, dict) or not _text(conversation.get("id")):
        return False
    service_url = raw.get("serviceUrl")
    return _text(service_url) and str(service_url).startswith(("https://", "http://"))


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())
