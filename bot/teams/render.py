"""Neutral messages as Adaptive Cards, the way Teams shows them.

Every button is an `Action.Execute` (Universal Actions) whose verb is the neutral action and
whose data says how to read the card's inputs back (see `bot.teams.translate`); a link is an
`Action.OpenUrl`, which Teams opens itself. Text shown in a TextBlock or FactSet is Adaptive
Card markdown, so everything people typed is escaped: it can never turn into a link, a list,
emphasis or a mention.

Teams' limits are kept the way `bot.slack.render` keeps Slack's, by splitting or by cutting
visibly (with "…"), never by failing: at most six actions in a set (more are split into sets of
six), and a card small enough for Teams' 28 KB a message (the longest text or list is halved
until it fits). A card declares the lowest schema version that has everything it uses: 1.5,
which every Teams client shows, or 1.6 for the people picker's `choices.data`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from dialogs.messages import (
    Actions,
    Block,
    Button,
    Choice,
    Context,
    Fields,
    Form,
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
# `Input.ChoiceSet`'s `choices.data` (the people picker's search) came with Adaptive Cards 1.6.
DATA_QUERY_VERSION = "1.6"
# Where a people picker searches: Teams' Graph people search, or the bot's own.
GRAPH_DATASET = "graph.microsoft.com/users"
PEOPLE_DATASET = "kontobot.people"
DATASET_SEPARATOR, EXCLUDE_SEPARATOR = ":", ","
SEARCH_RESPONSE = "application/vnd.microsoft.search.searchResponse"
MORE = "…"
# Teams refuses a message over 28 KB (413 MessageSizeTooBig). The card may take what the
# activity around it leaves (the summary of at most SUMMARY_TEXT characters and the ids),
# counted as JSON with every non-ASCII character escaped: the most any serializer writes.
MESSAGE_BYTES = 28 * 1024
CARD_BYTES = 24 * 1024
SUMMARY_TEXT = 300
# Teams shows at most six actions in a set.
MAX_ACTIONS = 6
# What `bot.teams.translate` reads of an action's value or choice: more would be cut there.
DATA_TEXT = 200
REFRESH_VERB = "refresh"
# Keys of an action's data; inputs are named `input_<n>` so they never collide with these.
ACTION, VALUE, CHOICE, INPUT, TEXT, PEOPLE = "action", "value", "choice", "input", "text", "people"
# A form's button names its fields under this key; each field's input is FIELD_PREFIX + name.
FIELDS, FIELD_PREFIX = "fields", "field_"
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
        "version": version(body),
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
    return fit(content)


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


def text_only(message: Message) -> bool:
    """Whether `message` is text alone (no button, link or input): what an invoke's response
    can say beside a card (message_response) without losing any of it."""
    return all(isinstance(block, (Paragraph, Context)) for block in message.blocks)


def message_response(text: str) -> dict[str, Any]:
    """The body of an invoke response that leaves the card as it is and shows `text`.

    Built as a plain dict: botbuilder's serializer cannot write a bare string value.
    """
    return {"statusCode": 200, "type": MESSAGE_TYPE, "value": text}


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": md(text), "wrap": True, **style}


def _data(action: str, value: str, text_input: str | None, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {ACTION: action, VALUE: value[:DATA_TEXT], **extra}
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
        return _action_sets([_button(b, text_input) for b in block.buttons])
    if isinstance(block, Choice):
        return _choice(block, input_id, text_input)
    if isinstance(block, PersonPicker):
        # Teams' own Graph search cannot leave anyone out: a picker that must asks the bot
        # (`application/search`), and whom to leave out rides in the dataset's name.
        dataset = (
            PEOPLE_DATASET + DATASET_SEPARATOR + EXCLUDE_SEPARATOR.join(block.exclude)
            if block.searched and block.exclude
            else GRAPH_DATASET
        )
        picker = {
            "type": "Input.ChoiceSet",
            "id": input_id,
            "choices": [],
            "choices.data": {"type": "Data.Query", "dataset": dataset},
            "isMultiSelect": block.multi,
            "placeholder": block.placeholder,
            "label": block.placeholder,
        }
        if block.selected:
            # Picked before: preselected, and named, since the search has not run yet.
            picker["choices"] = [
                {"title": o.label, "value": o.value[:DATA_TEXT]} for o in block.selected
            ]
            picker["value"] = ",".join(o.value[:DATA_TEXT] for o in block.selected)
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
    if isinstance(block, Form):
        return _form(block, text_input)
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


def _form(form: Form, text_input: str | None) -> list[dict[str, Any]]:
    """One input a field (its hint and any refusal below it) and one Action.Execute, whose
    data names the fields: Teams adds each input's value to it under the input's id."""
    body: list[dict[str, Any]] = []
    for field in form.fields:
        input_id = f"{FIELD_PREFIX}{field.name}"
        element: dict[str, Any]
        if field.options:
            element = {
                "type": "Input.ChoiceSet",
                "style": "compact",
                "choices": [{"title": o.label, "value": o.value[:DATA_TEXT]} for o in field.options],
                "value": field.value,
            }
        else:
            element = {
                "type": "Input.Text",
                "isMultiline": field.multiline,
                "maxLength": field.max_length,
                "value": field.value,
            }
        body.append({**element, "id": input_id, "label": field.label})
        if field.hint:
            body.append(_text(field.hint, isSubtle=True, size="Small", spacing="None"))
        if field.error:
            body.append(_text(field.error, color="Attention", weight="Bolder", spacing="None"))
    names = [field.name for field in form.fields]
    data = _data(form.action, form.value, text_input, **{FIELDS: names})
    return [*body, _submit(form.submit_label, data)]


def _choice(block: Choice, input_id: str, text_input: str | None) -> list[dict[str, Any]]:
    if not block.multi and not block.filtered and len(block.options) <= MAX_CHOICE_BUTTONS:
        actions = [
            _execute(
                option.label,
                _data(block.action, block.value, text_input, **{CHOICE: option.value[:DATA_TEXT]}),
                "positive" if option.value in block.selected else None,
            )
            for option in block.options
        ]
        return _action_sets(actions)
    choices = {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "style": "expanded" if block.multi else "filtered" if block.filtered else "compact",
        "isMultiSelect": block.multi,
        "choices": [{"title": o.label, "value": o.value[:DATA_TEXT]} for o in block.options],
        "value": ",".join(block.selected),
    }
    data = _data(block.action, block.value, text_input, **{INPUT: input_id})
    return [choices, _submit(block.submit_label, data)]


def _action_sets(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Actions in sets of at most MAX_ACTIONS, in order."""
    return [
        {"type": "ActionSet", "actions": actions[start : start + MAX_ACTIONS]}
        for start in range(0, len(actions), MAX_ACTIONS)
    ]


def _elements(body: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every element of `body`, with those of the cards its actions show."""
    found: list[dict[str, Any]] = []
    for element in body:
        found.append(element)
        for action in element.get("actions", ()):
            if action.get("type") == "Action.ShowCard":
                found.extend(_elements(action["card"]["body"]))
    return found


def excluded(dataset: str) -> tuple[str, ...] | None:
    """Whom the bot's people search `dataset` leaves out; None when it is not the bot's."""
    name, _, exclude = dataset.partition(DATASET_SEPARATOR)
    if name != PEOPLE_DATASET:
        return None
    return tuple(e for e in exclude.split(EXCLUDE_SEPARATOR) if e)


def search_response(found: list[tuple[str, str]]) -> dict[str, Any]:
    """The body of the answer to an `application/search` invoke."""
    results = [{"title": label, "value": value[:DATA_TEXT]} for value, label in found]
    return {"type": SEARCH_RESPONSE, "value": {"results": results}}


def version(body: list[dict[str, Any]]) -> str:
    """The lowest schema version with everything `body` uses."""
    if any("choices.data" in element for element in _elements(body)):
        return DATA_QUERY_VERSION
    return VERSION


def size(content: dict[str, Any]) -> int:
    """The bytes `content` takes as JSON at most (every non-ASCII character escaped)."""
    return len(json.dumps(content, ensure_ascii=True, separators=(",", ":")))


def cut_md(escaped: str, limit: int) -> str:
    """Escaped markdown in `limit` characters and "…", never ending inside an escape."""
    head = escaped[:limit].rstrip()
    trailing = len(head) - len(head.rstrip("\\"))
    if trailing % 2:
        head = head[:-1]
    return head + MORE


_MORE_FACT = {"title": MORE, "value": MORE}
# Texts longer than this are shortened before any item of a list is left out...
_TEXT_FLOOR = 200
# ...and shorter ones only after; below this a text is not worth cutting at all.
_SMALLEST = 8


def _texts(element: dict[str, Any], inputs: bool) -> list[tuple[dict[str, Any], str]]:
    """Where `element` holds text that may be cut: (the dict, its key)."""
    kind = element.get("type")
    if kind == "TextBlock":
        return [(element, "text")]
    if kind == "FactSet":
        return [(fact, "value") for fact in element["facts"] if fact is not _MORE_FACT]
    if kind == "Input.Text" and inputs and element.get("value"):
        return [(element, "value")]
    return []


def _cut_texts(elements: list[dict[str, Any]], total: int, floor: int, inputs: bool) -> int:
    """Halve the longest text (not below `floor`) until the card fits; its size after."""
    while total > CARD_BYTES:
        spots = [
            spot
            for element in elements
            for spot in _texts(element, inputs)
            if len(spot[0][spot[1]]) > floor + 1
        ]
        if not spots:
            break
        holder, key = max(spots, key=lambda spot: len(spot[0][spot[1]]))
        before = size(holder)
        text = holder[key]
        keep = max(floor, len(text) // 2)
        # A value in a field is sent back as typed: it is shortened without a mark.
        holder[key] = text[:keep] if holder.get("type") == "Input.Text" else cut_md(text, keep)
        total -= before - size(holder)
    return total


def _listed(facts: list[dict[str, str]]) -> list[dict[str, str]]:
    """The facts without the "…" that says the list was cut."""
    return facts[:-1] if facts and facts[-1] == _MORE_FACT else facts


def _cut_lists(elements: list[dict[str, Any]], total: int) -> int:
    """Leave out the second half of the biggest list until the card fits; its size after."""
    while total > CARD_BYTES:
        spots = [
            e
            for e in elements
            if (e.get("type") == "FactSet" and len(_listed(e["facts"])) > 1)
            or (e.get("type") == "Input.ChoiceSet" and len(e["choices"]) > 1)
        ]
        if not spots:
            break
        element = max(spots, key=size)
        before = size(element)
        if element["type"] == "FactSet":
            facts = _listed(element["facts"])
            # The first half stays; a last fact says the list goes on.
            element["facts"] = [*facts[: len(facts) // 2], _MORE_FACT]
        else:
            choices = element["choices"]
            picked = set(str(element.get("value") or "").split(","))
            half = choices[: len(choices) // 2]
            # What was chosen stays choosable where that still shortens the list.
            kept = [*half, *(c for c in choices[len(half) :] if c["value"] in picked)]
            element["choices"] = kept if len(kept) < len(choices) else half
        total -= before - size(element)
    return total


def fit(content: dict[str, Any]) -> dict[str, Any]:
    """`content` within CARD_BYTES, cut visibly ("…"): long texts are shortened first, then
    the longest lists lose their ends, then every text is shortened; should that not do (a
    great many small blocks), the body is cut from the end."""
    total = size(content)
    if total <= CARD_BYTES:
        return content
    elements = _elements(content["body"])
    total = _cut_texts(elements, total, _TEXT_FLOOR, inputs=False)
    total = _cut_lists(elements, total)
    total = _cut_texts(elements, total, _SMALLEST, inputs=True)
    body = content["body"]
    if total > CARD_BYTES:
        more = _text(MORE)
        room = CARD_BYTES - size(more) - 1
        while body and size(content) > room:
            body.pop()
        body.append(more)
    return content
