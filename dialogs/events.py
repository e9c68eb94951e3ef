"""The neutral language of incoming events: what a person did, on whichever platform."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Sender:
    platform: str
    external_id: str
    display_name: str | None = None
    email: str | None = None
    locale: str | None = None
    # What the platform needs to reach this person later (Teams service URL, tenant, ...).
    address: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Command:
    """`/open-account` and friends; `name` has no slash."""

    sender: Sender
    name: str
    args: str = ""


@dataclass(frozen=True)
class Text:
    sender: Sender
    text: str


@dataclass(frozen=True)
class Action:
    """A click, a pick from a menu or person picker, or a submitted text field.

    `selected` holds chosen option values or the platform ids of picked people; `text` holds
    what was typed in the message's text field, if it had one; `values` holds a submitted
    form's answers, (field name, value) in the form's order.
    """

    sender: Sender
    action: str
    value: str = ""
    selected: tuple[str, ...] = ()
    text: str = ""
    values: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Visit:
    """The person opened a view of the bot (Slack's Home tab): nothing to answer, but who they
    are is refreshed, and the platform shows them the view afterwards."""

    sender: Sender


Event = Command | Text | Action | Visit
