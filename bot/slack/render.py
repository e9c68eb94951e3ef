"""Neutral messages as Block Kit: the one place that knows what Slack's blocks look like.

Every string in a neutral message is plain text. Text that Slack reads as mrkdwn (sections,
fields, context, the notification text) is escaped here (`escape`: `&`, `<`, `>`, and the
markers of bold, italic, strike, code and quotes), so nothing a person typed can become a
mention, `@channel`, a hidden link or formatting; text Slack shows as `plain_text` (buttons,
labels, options, headers) is shown literally by Slack and needs no escaping.

Block Kit's limits are kept by splitting or by truncating visibly (with "…"), never by
failing: 50 blocks a message (100 in a view), 3000 characters a section, 10 fields of 2000
characters a section, 75 characters a button label or an option, 25 elements an actions block,
100 options a menu, 10 check boxes. A link is a button with a `url` (at most 3000 characters):
a link too long for it, or not one we would send, is shown as its label alone rather than cut.
"""

from __future__ import annotations

import re
from typing import Any

from dialogs.messages import (
    Actions,
    Block,
    Button,
    Choice,
    Confirm,
    Context,
    Fields,
    Form,
    Link,
    Message,
    Option,
    Paragraph,
    PersonPicker,
    TextInput,
    safe_url,
)

MORE = "…"
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
SECTION_TEXT = 3000
FIELD_TEXT = 2000
FIELDS_PER_SECTION = 10
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
ACTIONS_ELEMENTS = 25
OPTION_TEXT = 75
OPTION_VALUE = 150
SELECT_OPTIONS = 100
CHECKBOX_OPTIONS = 10
LABEL_TEXT = 2000
PLACEHOLDER_TEXT = 150
INPUT_MAX_LENGTH = 3000
CONFIRM_TITLE = 100
CONFIRM_TEXT = 300
CONFIRM_BUTTON = 30
ACTION_ID = 255
BLOCK_ID = 255
NOTIFICATION_TEXT = 3000
URL_TEXT = 3000
# The action id of a link button: Slack reports its click too, which has nothing to do.
LINK_ACTION = "link"
# A form's fields are inputs whose action ids are this and the field's name: the form's button
# sends what they hold (`bot.slack.translate.form_values`).
FIELD_PREFIX = "field:"
# Between the Slack user ids an external select's block id says not to offer.
EXCLUDE_SEPARATOR = ","
# What a block id holds before its value, even in the Home tab ("m12b34:").
PREFIX_ROOM = 16

Json = dict[str, Any]


# Slack's mrkdwn markers, *bold*, _italic_, ~strike~, `code` and ```preformatted```, in runs.
_MARKER_RUN = re.compile(r"[*_~`]+")
# A date Slack cannot show, so it shows the fallback after `|`, as it is: plain text, never
# formatting (Slack's "date formatting", with a format of no known token).
LITERAL_OPEN = "<!date^00000000^{_}|"
LITERAL_CLOSE = ">"
# Markers in one fallback at most, so that a cut (which never splits one) stays near its
# limit.
LITERAL_RUN = 20
# Invisible; a `>` after it no longer starts a line.
SOFT_HYPHEN = "\u00ad"
# A `>` (escaped as `&gt;`) that starts a line is a block quote in Slack; so would one after
# whitespace be, were the text split there (`split_mrkdwn`).
_QUOTE = re.compile(r"(?<!\S)&gt;")


def _in_word(text: str, start: int, end: int) -> bool:
    """Whether `text[start:end]` has an ASCII letter or digit on each side."""
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    return all(c.isascii() and c.isalnum() for c in (before, after))


def _literal(match: re.Match[str]) -> str:
    """Markers as mrkdwn that shows them and formats nothing.

    Slack has no escape for its markers (a backslash shows as itself). Bold, italic and
    strike open and close only at a word's edge: one marker between two letters or digits
    (`snake_case`, `5*3`, `KONTOBOT_PUBLIC_URL`) is only a character, and is left as it is
    ("letters" as a regex's ASCII `\\w` has them, in case Slack's word is that). Any other
    run of markers, and every backtick (code may be read inside a word), becomes the fallback
    of a date Slack cannot show, which Slack shows as it is: never formatting, and never
    part of markup around it (what libraries that write mrkdwn for Slack do too). An
    invisible character beside a marker is no escape: a zero-width space on each side of a
    marker is how those libraries make Slack format inside a word, so Slack takes it for a
    word's edge; a word joiner (U+2060) is of the same block of punctuation characters.
    """
    run = match.group()
    if len(run) == 1 and run != "`" and _in_word(match.string, match.start(), match.end()):
        return run
    return "".join(
        f"{LITERAL_OPEN}{run[i : i + LITERAL_RUN]}{LITERAL_CLOSE}"
        for i in range(0, len(run), LITERAL_RUN)
    )


def escape(text: str) -> str:
    """Text as mrkdwn that shows exactly these characters and nothing else.

    `&`, `<` and `>` as Slack's entities, so that nothing typed becomes a mention,
    `@channel` or a link; the markers of bold, italic, strike and code as date fallbacks
    (`_literal`), and a `>` that could start a line after a soft hyphen, so that nothing
    typed becomes formatting or a quote. Every `<` in the result opens such a fallback. Our
    own formatting (a field's label in bold) goes around escaped text, never into it.
    """
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = _MARKER_RUN.sub(_literal, escaped)
    return _QUOTE.sub(f"{SOFT_HYPHEN}&gt;", escaped)


def cut(text: str, limit: int) -> str:
    """Plain text of at most `limit` characters; a cut is shown with "…"."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + MORE


def _safe_end(escaped: str, end: int) -> int:
    """Move `end` back so that it does not fall inside an escape: an entity such as `&amp;`,
    a fallback of markers (`_literal`), or a quote's soft hyphen and its `&gt;`."""
    amp = escaped.rfind("&", max(0, end - 4), end)
    if amp != -1 and ";" not in escaped[amp:end]:
        end = amp
    # Every `<` of escaped text opens a fallback (typed ones are `&lt;`).
    opened = escaped.rfind("<", max(0, end - len(LITERAL_OPEN) - LITERAL_RUN), end)
    if opened != -1 and escaped.find(LITERAL_CLOSE, opened) >= end:
        end = opened
    if end and escaped[end - 1] == SOFT_HYPHEN and escaped.startswith("&gt;", end):
        end -= 1
    return end


def cut_mrkdwn(text: str, limit: int) -> str:
    """`text` escaped, in at most `limit` characters; a cut is shown with "…"."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    return escaped[: _safe_end(escaped, limit - 1)].rstrip() + MORE


def split_mrkdwn(text: str, limit: int = SECTION_TEXT) -> list[str]:
    """`text` escaped, in pieces of at most `limit` characters, cut at line breaks or spaces
    where there are any."""
    escaped = escape(text)
    pieces: list[str] = []
    while len(escaped) > limit:
        window = escaped[:limit]
        end = max(window.rfind("\n"), window.rfind(" "))
        if end < limit // 2:
            end = _safe_end(escaped, limit)
        pieces.append(escaped[:end].rstrip())
        escaped = escaped[end:].lstrip()
        if escaped.startswith("&gt;"):
            # It starts a section now: a quote, but for a soft hyphen.
            escaped = SOFT_HYPHEN + escaped
    if escaped or not pieces:
        pieces.append(escaped)
    return pieces


def plain(text: str, limit: int) -> Json:
    return {"type": "plain_text", "text": cut(text, limit) or MORE, "emoji": True}


def mrkdwn(escaped: str) -> Json:
    return {"type": "mrkdwn", "text": escaped or " ", "verbatim": True}


class _Builder:
    """Collects the blocks of one message, numbering their block ids."""

    def __init__(self) -> None:
        self.blocks: list[Json] = []

    def add(self, block: Json, value: str = "") -> None:
        # A select menu has no value of its own: the neutral value rides in the block id.
        block_id = f"b{len(self.blocks)}"
        if value:
            block_id = f"{block_id}:{value}"[:BLOCK_ID]
        self.blocks.append({**block, "block_id": block_id})


def block_value(block_id: str) -> str:
    """The neutral value `_Builder.add` put in a block id ("" when none)."""
    return block_id.partition(":")[2]


def block_group(block_id: str) -> str:
    """Which message of a view a block id belongs to (`home_view` prefixes `m<n>`)."""
    return block_id.partition(":")[0].partition("b")[0]


def _confirm(confirm: Confirm) -> Json:
    return {
        "title": plain(confirm.title, CONFIRM_TITLE),
        "text": plain(confirm.text, CONFIRM_TEXT),
        "confirm": plain(confirm.yes, CONFIRM_BUTTON),
        "deny": plain(confirm.no, CONFIRM_BUTTON),
    }


def _button(button: Button, action_id: str) -> Json:
    element: Json = {
        "type": "button",
        "action_id": action_id[:ACTION_ID],
        "text": plain(button.label, BUTTON_TEXT),
    }
    if button.value:
        element["value"] = button.value[:BUTTON_VALUE]
    if button.style:
        element["style"] = button.style
    if button.confirm is not None:
        element["confirm"] = _confirm(button.confirm)
    return element


def button_action(action_id: str) -> str:
    """The neutral action of a rendered button: without the `#n` that keeps ids unique."""
    return action_id.partition("#")[0]


def _buttons(builder: _Builder, buttons: tuple[Button, ...]) -> None:
    for start in range(0, len(buttons), ACTIONS_ELEMENTS):
        chunk = buttons[start : start + ACTIONS_ELEMENTS]
        seen: dict[str, int] = {}
        elements = []
        for button in chunk:
            # action_id must be unique within a block: repeats get `#n`.
            count = seen.get(button.action, 0)
            seen[button.action] = count + 1
            action_id = button.action if count == 0 else f"{button.action}#{count}"
            elements.append(_button(button, action_id))
        builder.add({"type": "actions", "elements": elements})


def _option(option: Option, *, with_description: bool = False) -> Json:
    """An option; a long label on a check box continues in its description."""
    rendered: Json = {"value": option.value[:OPTION_VALUE]}
    label = option.label
    if with_description and len(label) > OPTION_TEXT:
        head = label[:OPTION_TEXT]
        space = head.rfind(" ")
        if space > OPTION_TEXT // 2:
            head = head[:space]
        rendered["text"] = plain(head, OPTION_TEXT)
        rendered["description"] = plain(label[len(head) :].strip(), OPTION_TEXT)
    else:
        rendered["text"] = plain(label, OPTION_TEXT)
    return rendered


def option(value: str, label: str) -> Json:
    """An option of the bot's own people search (`block_suggestion`)."""
    return _option(Option(value, label))


def _submit(builder: _Builder, action: str, label: str, value: str) -> None:
    _buttons(builder, (Button(action, label or "OK", value, "primary"),))


def _input(
    builder: _Builder, label: str, element: Json, *, optional: bool = False, value: str = ""
) -> None:
    builder.add(
        {
            "type": "input",
            "label": plain(label or MORE, LABEL_TEXT),
            "element": element,
            "optional": optional,
            "dispatch_action": False,
        },
        value,
    )


def _choice(builder: _Builder, choice: Choice, label: str) -> None:
    options = choice.options[:SELECT_OPTIONS]
    selected = [o for o in options if o.value in choice.selected]
    if not choice.multi:
        # A single pick is sent the moment it is made.
        element: Json = {
            "type": "static_select",
            "action_id": choice.action[:ACTION_ID],
            "options": [_option(o) for o in options],
        }
        if label:
            element["placeholder"] = plain(label, PLACEHOLDER_TEXT)
        if selected:
            element["initial_option"] = _option(selected[0])
        builder.add({"type": "actions", "elements": [element]}, choice.value)
        return
    # Several picks are collected in an input and sent with the button below it.
    if len(options) <= CHECKBOX_OPTIONS:
        element = {
            "type": "checkboxes",
            "action_id": choice.action[:ACTION_ID],
            "options": [_option(o, with_description=True) for o in options],
        }
        if selected:
            element["initial_options"] = [_option(o, with_description=True) for o in selected]
    else:
        element = {
            "type": "multi_static_select",
            "action_id": choice.action[:ACTION_ID],
            "options": [_option(o) for o in options],
        }
        if selected:
            element["initial_options"] = [_option(o) for o in selected]
    _input(builder, label, element, optional=True)
    _submit(builder, choice.action, choice.submit_label, choice.value)


_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def is_user_id(value: str) -> bool:
    """Whether `value` has the shape of a Slack user id (U… or W…)."""
    return bool(_USER_ID.match(value))


def excluded(block_id: str) -> tuple[str, ...]:
    """The people an external select's block id says not to offer (`_picker`)."""
    return tuple(u for u in block_value(block_id).split(EXCLUDE_SEPARATOR) if u)


def _picker(builder: _Builder, picker: PersonPicker, label: str) -> None:
    exclude = EXCLUDE_SEPARATOR.join(picker.exclude)
    value = ""
    if picker.searched and picker.exclude and len(exclude) <= BLOCK_ID - PREFIX_ROOM:
        # Slack's own user list cannot leave anyone out: the bot offers the people itself
        # (`block_suggestion`), and whom to leave out rides in the block id, which Slack
        # reports back as we sent it in its signed request.
        element: Json = {
            "type": "multi_external_select" if picker.multi else "external_select",
            "action_id": picker.action[:ACTION_ID],
            "min_query_length": 1,
        }
        value = exclude
    else:
        element = {
            "type": "multi_users_select" if picker.multi else "users_select",
            "action_id": picker.action[:ACTION_ID],
        }
    if picker.placeholder:
        element["placeholder"] = plain(picker.placeholder, PLACEHOLDER_TEXT)
    # Slack user ids only: the ids of another platform would make Slack refuse the message.
    picked = [o for o in picker.selected if is_user_id(o.value)]
    if element["type"].endswith("external_select"):
        # The bot's own search: what was picked before is shown as its options.
        if picked and picker.multi:
            element["initial_options"] = [option(o.value, o.label) for o in picked]
        elif picked:
            element["initial_option"] = option(picked[0].value, picked[0].label)
    elif picked and picker.multi:
        element["initial_users"] = [o.value for o in picked]
    elif picked:
        element["initial_user"] = picked[0].value
    _input(builder, label or picker.placeholder, element, optional=True, value=value)
    _submit(builder, picker.action, picker.submit_label, picker.value)


def _text_input(builder: _Builder, field: TextInput) -> None:
    element: Json = {
        "type": "plain_text_input",
        "action_id": field.action[:ACTION_ID],
        "multiline": field.multiline,
        "max_length": max(1, min(field.max_length, INPUT_MAX_LENGTH)),
    }
    if field.value:
        element["initial_value"] = field.value[:INPUT_MAX_LENGTH]
    _input(builder, field.label, element, optional=True)
    if field.submit_label:
        _submit(builder, field.action, field.submit_label, field.value)


def _form(builder: _Builder, form: Form) -> None:
    """A form in the message itself: one input a field, its hint below it, a refusal under
    it in a line of its own, and one button that sends them all."""
    for field in form.fields:
        action_id = f"{FIELD_PREFIX}{field.name}"[:ACTION_ID]
        if field.options:
            options = field.options[:SELECT_OPTIONS]
            element: Json = {
                "type": "static_select",
                "action_id": action_id,
                "options": [_option(o) for o in options],
            }
            chosen = [o for o in options if o.value == field.value]
            if chosen:
                element["initial_option"] = _option(chosen[0])
        else:
            element = {
                "type": "plain_text_input",
                "action_id": action_id,
                "multiline": field.multiline,
                "max_length": max(1, min(field.max_length, INPUT_MAX_LENGTH)),
            }
            if field.value:
                element["initial_value"] = field.value[:INPUT_MAX_LENGTH]
        block: Json = {
            "type": "input",
            "label": plain(field.label or MORE, LABEL_TEXT),
            "element": element,
            "optional": True,
            "dispatch_action": False,
        }
        if field.hint:
            block["hint"] = plain(field.hint, LABEL_TEXT)
        builder.add(block)
        if field.error:
            builder.add(
                {"type": "context",
                 "elements": [mrkdwn("⚠️ " + cut_mrkdwn(field.error, SECTION_TEXT - 3))]}
            )
    _submit(builder, form.action, form.submit_label, form.value)


def _link(builder: _Builder, link: Link) -> None:
    absolute = link.url.startswith(("https://", "http://"))
    if not (absolute and safe_url(link.url) and len(link.url) <= URL_TEXT):
        # Slack opens only absolute links, and a cut one would lead nowhere: the label alone.
        builder.add({"type": "section", "text": mrkdwn(cut_mrkdwn(link.label, SECTION_TEXT))})
        return
    element: Json = {
        "type": "button",
        "action_id": LINK_ACTION,
        "text": plain(link.label, BUTTON_TEXT),
        "url": link.url,
        "style": "primary",
    }
    builder.add({"type": "actions", "elements": [element]})


def _fields(builder: _Builder, fields: Fields) -> None:
    items = [mrkdwn(cut_mrkdwn_pair(label, value)) for label, value in fields.items]
    for start in range(0, len(items), FIELDS_PER_SECTION):
        builder.add({"type": "section", "fields": items[start : start + FIELDS_PER_SECTION]})


def cut_mrkdwn_pair(label: str, value: str) -> str:
    """A field: its label in bold, its value below, within a field's limit."""
    head = f"*{cut_mrkdwn(label, 200)}*\n"
    return head + cut_mrkdwn(value, FIELD_TEXT - len(head))


def _labels_input(block: Block) -> bool:
    return isinstance(block, PersonPicker) or (isinstance(block, Choice) and block.multi)


def _blocks(message: Message) -> list[Json]:
    builder = _Builder()
    if message.title:
        builder.add({"type": "header", "text": plain(message.title, HEADER_TEXT)})
    blocks = message.blocks or (Paragraph(message.text),)
    skip: set[int] = set()
    for index, block in enumerate(blocks):
        if index in skip:
            continue
        if isinstance(block, Paragraph):
            following = blocks[index + 1] if index + 1 < len(blocks) else None
            # The question right above a picker or check boxes becomes the input's label.
            if following is not None and _labels_input(following) and len(block.text) <= LABEL_TEXT:
                skip.add(index + 1)
                if isinstance(following, PersonPicker):
                    _picker(builder, following, block.text)
                elif isinstance(following, Choice):
                    _choice(builder, following, block.text)
                continue
            for piece in split_mrkdwn(block.text):
                builder.add({"type": "section", "text": mrkdwn(piece)})
        elif isinstance(block, Context):
            builder.add(
                {"type": "context", "elements": [mrkdwn(cut_mrkdwn(block.text, SECTION_TEXT))]}
            )
        elif isinstance(block, Fields):
            _fields(builder, block)
        elif isinstance(block, Actions):
            _buttons(builder, block.buttons)
        elif isinstance(block, Choice):
            _choice(builder, block, "")
        elif isinstance(block, PersonPicker):
            _picker(builder, block, "")
        elif isinstance(block, TextInput):
            _text_input(builder, block)
        elif isinstance(block, Form):
            _form(builder, block)
        elif isinstance(block, Link):
            _link(builder, block)
        else:  # pragma: no cover - the neutral model has no other blocks
            raise TypeError(f"unknown block {block!r}")
    return builder.blocks


def _limit(blocks: list[Json], maximum: int) -> list[Json]:
    if len(blocks) <= maximum:
        return blocks
    kept = blocks[: maximum - 1]
    kept.append({"type": "context", "block_id": f"b{maximum - 1}", "elements": [mrkdwn(MORE)]})
    return kept


def notification_text(message: Message) -> str:
    return cut_mrkdwn(message.text or message.title or MORE, NOTIFICATION_TEXT)


def render(message: Message) -> tuple[str, list[Json]]:
    """A message as `chat.postMessage` wants it: the notification text and the blocks."""
    return notification_text(message), _limit(_blocks(message), MAX_MESSAGE_BLOCKS)


def home_view(messages: list[Message]) -> Json:
    """The App Home tab: several messages one under the other, divided by rules."""
    blocks: list[Json] = []
    for index, message in enumerate(messages):
        if index:
            blocks.append({"type": "divider", "block_id": f"m{index}"})
        for block in _blocks(message):
            blocks.append({**block, "block_id": f"m{index}{block['block_id']}"[:BLOCK_ID]})
    return {"type": "home", "blocks": _limit(blocks, MAX_VIEW_BLOCKS)}
