"""Neutral events as JSON, the way the inbox keeps them between receipt and the turn."""

from __future__ import annotations

from typing import Any

from dialogs.events import Action, Command, Event, Sender, Text, Visit


def _sender(sender: Sender) -> dict[str, Any]:
    return {
        "platform": sender.platform,
        "external_id": sender.external_id,
        "display_name": sender.display_name,
        "email": sender.email,
        "locale": sender.locale,
        "address": dict(sender.address),
    }


def event_to_dict(event: Event) -> dict[str, Any]:
    sender = _sender(event.sender)
    if isinstance(event, Command):
        return {"type": "command", "sender": sender, "name": event.name, "args": event.args}
    if isinstance(event, Text):
        return {"type": "text", "sender": sender, "text": event.text}
    if isinstance(event, Visit):
        return {"type": "visit", "sender": sender}
    return {
        "type": "action",
        "sender": sender,
        "action": event.action,
        "value": event.value,
        "selected": list(event.selected),
        "text": event.text,
        "values": [list(pair) for pair in event.values],
    }


def event_from_dict(raw: dict[str, Any]) -> Event:
    s = raw["sender"]
    sender = Sender(
        platform=str(s["platform"]),
        external_id=str(s["external_id"]),
        display_name=s.get("display_name"),
        email=s.get("email"),
        locale=s.get("locale"),
        address=dict(s.get("address") or {}),
    )
    kind = raw["type"]
    if kind == "command":
        return Command(sender, str(raw["name"]), str(raw.get("args", "")))
    if kind == "text":
        return Text(sender, str(raw["text"]))
    if kind == "visit":
        return Visit(sender)
    if kind == "action":
        return Action(
            sender,
            action=str(raw["action"]),
            value=str(raw.get("value", "")),
            selected=tuple(str(v) for v in raw.get("selected") or ()),
            text=str(raw.get("text", "")),
            values=tuple((str(k), str(v)) for k, v in raw.get("values") or ()),
        )
    raise ValueError(f"not an event: {kind!r}")
