"""Neutral messages as Adaptive Cards 1.5, the way Teams shows them.

Every button is an `Action.Execute` (Universal Actions) whose verb is the neutral action and
whose data says how to read the card's inputs back (see `bot.teams.translate`); a link is an
`Action.OpenUrl`, which Teams opens itself. Text shown in a TextBlock or FactSet is Adaptive
Card markdown, so everything people typed is escaped: it can never turn into a link, a list,
emphasis or a mention.
"""

from __future__ import annotations

import re
from typing import Any

from dialogs.messages import (
    Actions,
    Block,
    Button,
    Choice,
    Context,
    Fields,
    Link,
    Message,
    Paragraph,
    PersonPicker,
    TextInput,
    safe_url,
)

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
MESSAGE_TYPE = "application/vnd.microsoft.activity.message"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
REFRESH_VERB = "refresh"
# Keys of an action's data; inputs are named `input_<n>` so they never collide with these.
ACTION, VALUE, CHOICE, INPUT, TEXT, PEOPLE = "action", "value", "choice", "input", "text", "people"
# One button per option up to this many; a dropdown beyond.
MAX_CHOICE_BUTTONS = 5
# Verbs that make a card worth refreshing for its one live viewer.
LIVE_PREFIX = "approval:"

# Markdown that Adaptive Cards (and Teams on top of them) act on anywhere in a line...
_INLINE = re.compile(r"([\\`*_~\[\]<>#|])")
# ...and at the start of a line: list items, quotes, heading underlines, numbered lists.
_LINE_START = re.compile(r"^(\s*)([-+=])", re.MULTILINE)
_NUMBERED = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)


def md(text: str) -> str:
    """`text` as Adaptive Card markdown that shows exactly `text`."""
    escaped = _INLINE.sub(r"\\\1", text)
    escaped = _LINE_START.sub(r"\1\\\2", escaped)
    escaped = _NUMBERED.sub(r"\1\\\2", escaped)
    # `{{DATE(...)}}` and `{{TIME(...)}}` are functions in a TextBlock.
    return escaped.replace("{{", "{\u200b{")


def card(message: Message, *, live_for: str | None = None) -> dict[str, Any]:
    """The Adaptive Card for `message`.

    `live_for` is the Teams user id (`29:...`) of the one person the card's live buttons are
    meant for: a card with approval buttons then asks Teams to refresh it when that person
    looks at it, so they always see the current state.
    """
    body: list[dict[str, Any]] = []
    if message.title:
        body.append(_text(message.title, weight="Bolder", size="Medium"))
    blocks = message.blocks or (Paragraph(message.text),)
    text_input = next(
        (f"input_{i}" for i, b in enumerate(blocks) if isinstance(b, TextInput)), None
    )
    for index, block in enumerate(blocks):
        body.extend(_block(block, f"input_{index}", text_input))
    content: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "body": body,
        "msteams": {"width": "Full"},
    }
    live = live_value(message)
    if live is not None and live_for:
        content["refresh"] = {
            "action": {
                "type": "Action.Execute",
                "verb": REFRESH_VERB,
                "data": {ACTION: REFRESH_VERB, VALUE: live},
            },
            "userIds": [live_for],
        }
    return content


def attachment(message: Message, *, live_for: str | None = None) -> dict[str, Any]:
    return {"contentType": CARD_TYPE, "content": card(message, live_for=live_for)}


def live_value(message: Message) -> str | None:
    """The card value of a message with live approval buttons, else None."""
    for block in message.blocks:
        if isinstance(block, Actions):
            for button in block.buttons:
                if button.action.startswith(LIVE_PREFIX) and button.value:
                    return button.value
    return None


def card_response(message: Message, *, live_for: str | None = None) -> dict[str, Any]:
    """The body of an invoke response that replaces the clicked card with `message`."""
    return {"statusCode": 200, "type": CARD_TYPE, "value": card(message, live_for=live_for)}


def message_response(text: str) -> dict[str, Any]:
    """The body of an invoke response that leaves the card as it is and shows `text`.

    Built as a plain dict: botbuilder's serializer cannot write a bare string value.
    """
    return {"statusCode": 200, "type": MESSAGE_TYPE, "value": text}


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": md(text), "wrap": True, **style}


def _data(action: str, value: str, text_input: str | None, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {ACTION: action, VALUE: value, **extra}
    if text_input is not None:
        data[TEXT] = text_input
    return data


def _execute(
    title: str, data: dict[str, Any], style: str | None = None
) -> dict[str, Any]:
    action: dict[str, Any] = {
        "type": "Action.Execute",
        "title": title,
        "verb": data[ACTION],
        "data": data,
    }
    if style:
        action["style"] = style
    return action


def _button(button: Button, text_input: str | None) -> dict[str, Any]:
    style = {"primary": "positive", "danger": "destructive"}.get(button.style or "")
    execute = _execute(button.label, _data(button.action, button.value, text_input), style)
    if button.confirm is None:
        return execute
    # Adaptive Cards have no confirmation dialog: the button opens a small card that asks.
    confirm = button.confirm
    execute["title"] = confirm.yes
    return {
        "type": "Action.ShowCard",
        "title": button.label,
        "card": {
            "type": "AdaptiveCard",
            "version": VERSION,
            "body": [_text(confirm.title, weight="Bolder"), _text(confirm.text)],
            "actions": [execute],
        },
    }


def _submit(label: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": "ActionSet", "actions": [_execute(label or "OK", data, "positive")]}


def _block(block: Block, input_id: str, text_input: str | None) -> list[dict[str, Any]]:
    if isinstance(block, Paragraph):
        return [_text(block.text)]
    if isinstance(block, Context):
        return [_text(block.text, isSubtle=True, size="Small")]
    if isinstance(block, Fields):
        facts = [{"title": md(label), "value": md(value)} for label, value in block.items]
        return [{"type": "FactSet", "facts": facts}]
    if isinstance(block, Actions):
        return [{"type": "ActionSet", "actions": [_button(b, text_input) for b in block.buttons]}]
    if isinstance(block, Choice):
        return _choice(block, input_id, text_input)
    if isinstance(block, PersonPicker):
        picker = {
            "type": "Input.ChoiceSet",
            "id": input_id,
            "choices": [],
            "choices.data": {"type": "Data.Query", "dataset": "graph.microsoft.com/users"},
            "isMultiSelect": block.multi,
            "placeholder": block.placeholder,
            "label": block.placeholder,
        }
        data = _data(block.action, block.value, text_input, **{INPUT: input_id, PEOPLE: True})
        return [picker, _submit(block.submit_label, data)]
    if isinstance(block, Link):
        if not (safe_url(block.url) and block.url.startswith(("https://", "http://"))):
            # Teams opens only absolute links: a relative one is shown as its label alone.
            return [_text(block.label)]
        # Opened by Teams in the browser: no invoke reaches the bot.
        open_url = {
            "type": "Action.OpenUrl",
            "title": block.label,
            "url": block.url,
            "style": "positive",
        }
        return [{"type": "ActionSet", "actions": [open_url]}]
    if isinstance(block, TextInput):
        field = {
            "type": "Input.Text",
            "id": input_id,
            "label": block.label,
            "isMultiline": block.multiline,
            "maxLength": block.max_length,
            "value": block.value,
        }
        if not block.submit_label:
            return [field]
        return [field, _submit(block.submit_label, _data(block.action, block.value, input_id))]
    raise TypeError(f"unknown block {block!r}")


def _choice(block: Choice, input_id: str, text_input: str | None) -> list[dict[str, Any]]:
    if not block.multi and not block.filtered and len(block.options) <= MAX_CHOICE_BUTTONS:
        actions = [
            _execute(
                option.label,
                _data(block.action, block.value, text_input, **{CHOICE: option.value}),
                "positive" if option.value in block.selected else None,
            )
            for option in block.options
        ]
        return [{"type": "ActionSet", "actions": actions}]
    choices = {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "style": "expanded" if block.multi else "filtered" if block.filtered else "compact",
        "isMultiSelect": block.multi,
        "choices": [{"title": o.label, "value": o.value} for o in block.options],
        "value": ",".join(block.selected),
    }
    data = _data(block.action, block.value, text_input, **{INPUT: input_id})
    return [choices, _submit(block.submit_label, data)]
