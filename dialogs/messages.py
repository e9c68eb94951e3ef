"""The neutral language of outgoing messages.

Every string here is plain text: nothing in it is markup. Each renderer (Block Kit, Adaptive
Cards, HTML) escapes all of it for its platform, so text a person typed can never turn into a
mention, a link or a tag when it is shown to someone else.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Style = Literal["primary", "danger"] | None


@dataclass(frozen=True)
class Confirm:
    title: str
    text: str
    yes: str
    no: str


@dataclass(frozen=True)
class Button:
    action: str
    label: str
    value: str = ""
    style: Style = None
    confirm: Confirm | None = None


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Paragraph:
    text: str
    kind: Literal["paragraph"] = "paragraph"


@dataclass(frozen=True)
class Fields:
    items: tuple[tuple[str, str], ...]
    kind: Literal["fields"] = "fields"


@dataclass(frozen=True)
class Actions:
    buttons: tuple[Button, ...]
    kind: Literal["actions"] = "actions"


@dataclass(frozen=True)
class Choice:
    """Pick one (buttons or a menu) or several (checkboxes) of fixed options."""

    action: str
    options: tuple[Option, ...]
    value: str = ""
    multi: bool = False
    submit_label: str = ""
    selected: tuple[str, ...] = ()
    # A long list to search in (a unit among many): a menu with type-ahead filtering, never
    # one button per option. Renderers keep within their platform's limits on options.
    filtered: bool = False
    kind: Literal["choice"] = "choice"


@dataclass(frozen=True)
class PersonPicker:
    action: str
    value: str = ""
    multi: bool = False
    placeholder: str = ""
    submit_label: str = ""
    # The platform's ids of people not to offer (where the platform's picker can leave
    # people out; the domain refuses them anyway).
    exclude: tuple[str, ...] = ()
    # Offer people from the bot's own search, where the platform's picker lists everyone and
    # cannot leave `exclude` out (Slack, Teams): for a choice where offering the excluded
    # would mislead (the hand-over). The bot's search reaches only the people it knows and
    # the directory, so other pickers keep the platform's, and the domain refuses the excluded.
    searched: bool = False
    # People picked before (Back, Edit a field), preselected: their platform ids and names.
    selected: tuple[Option, ...] = ()
    kind: Literal["person_picker"] = "person_picker"


@dataclass(frozen=True)
class TextInput:
    action: str
    label: str
    value: str = ""
    multiline: bool = False
    max_length: int = 1000
    submit_label: str = ""
    kind: Literal["text_input"] = "text_input"


@dataclass(frozen=True)
class FormField:
    """One answer of a `Form`: typed text, or one of `options` (a menu) when it has any.

    `hint` says what a valid answer is (its length); `error` why the last one was refused.
    """

    name: str
    label: str
    value: str = ""
    hint: str = ""
    error: str = ""
    multiline: bool = False
    max_length: int = 1000
    options: tuple[Option, ...] = ()


@dataclass(frozen=True)
class Form:
    """Several answers sent together with one button: the `Action` it sends carries each
    field's value under the field's name (`Action.values`)."""

    action: str
    fields: tuple[FormField, ...]
    submit_label: str
    value: str = ""
    kind: Literal["form"] = "form"


@dataclass(frozen=True)
class Context:
    """Small print under a message: who decided, when, what is next."""

    text: str
    kind: Literal["context"] = "context"


@dataclass(frozen=True)
class Link:
    """A link that opens `url` in the browser (a button where the platform has them).

    `url` is either absolute http(s) or a path on this server starting with "/dashboard/";
    renderers refuse anything else rather than send a `javascript:` or `data:` link.

    `unsigned`: `url` is a dashboard sign-in link whose token still lacks its signature,
    which the hub adds as the message leaves for the person (hub/sign_in_links.py), so that
    the copy in the outbox signs nobody in.
    """

    url: str
    label: str
    kind: Literal["link"] = "link"
    unsigned: bool = False


Block = (
    Paragraph | Fields | Actions | Choice | PersonPicker | TextInput | Form | Context | Link
)


@dataclass(frozen=True)
class Message:
    """`text` is the whole message in one line, for notifications and screen readers."""

    text: str
    title: str = ""
    blocks: tuple[Block, ...] = field(default_factory=tuple)


def safe_url(url: str) -> bool:
    """Whether `url` may be shown as a link: http(s) with a host, or one of our own pages."""
    if any(c.isspace() or not c.isprintable() for c in url):
        return False
    if url.startswith("/dashboard/"):
        return True
    scheme, sep, rest = url.partition("://")
    return bool(sep) and scheme.lower() in ("http", "https") and bool(rest.split("/")[0])


def to_dict(message: Message) -> dict[str, Any]:
    return asdict(message)


def from_dict(raw: dict[str, Any]) -> Message:
    blocks: list[Block] = []
    for block in raw.get("blocks", ()):
        kind = block["kind"]
        if kind == "paragraph":
            blocks.append(Paragraph(block["text"]))
        elif kind == "context":
            blocks.append(Context(block["text"]))
        elif kind == "fields":
            blocks.append(Fields(tuple((k, v) for k, v in block["items"])))
        elif kind == "actions":
            blocks.append(Actions(tuple(_button(b) for b in block["buttons"])))
        elif kind == "choice":
            blocks.append(
                Choice(
                    action=block["action"],
                    options=tuple(Option(o["value"], o["label"]) for o in block["options"]),
                    value=block.get("value", ""),
                    multi=block.get("multi", False),
                    submit_label=block.get("submit_label", ""),
                    selected=tuple(block.get("selected", ())),
                    filtered=block.get("filtered", False),
                )
            )
        elif kind == "person_picker":
            blocks.append(
                PersonPicker(
                    action=block["action"],
                    value=block.get("value", ""),
                    multi=block.get("multi", False),
                    placeholder=block.get("placeholder", ""),
                    submit_label=block.get("submit_label", ""),
                    exclude=tuple(block.get("exclude", ())),
                    searched=block.get("searched", False),
                    selected=tuple(
                        Option(o["value"], o["label"]) for o in block.get("selected", ())
                    ),
                )
            )
        elif kind == "text_input":
            blocks.append(
                TextInput(
                    action=block["action"],
                    label=block["label"],
                    value=block.get("value", ""),
                    multiline=block.get("multiline", False),
                    max_length=block.get("max_length", 1000),
                    submit_label=block.get("submit_label", ""),
                )
            )
        elif kind == "form":
            blocks.append(
                Form(
                    action=block["action"],
                    fields=tuple(_form_field(f) for f in block["fields"]),
                    submit_label=block["submit_label"],
                    value=block.get("value", ""),
                )
            )
        elif kind == "link":
            blocks.append(
                Link(url=block["url"], label=block["label"], unsigned=block.get("unsigned", False))
            )
        else:
            raise ValueError(f"unknown block kind {kind!r}")
    return Message(text=raw["text"], title=raw.get("title", ""), blocks=tuple(blocks))


def _button(raw: dict[str, Any]) -> Button:
    confirm = raw.get("confirm")
    return Button(
        action=raw["action"],
        label=raw["label"],
        value=raw.get("value", ""),
        style=raw.get("style"),
        confirm=Confirm(**confirm) if confirm else None,
    )


def _form_field(raw: dict[str, Any]) -> FormField:
    return FormField(
        name=raw["name"],
        label=raw["label"],
        value=raw.get("value", ""),
        hint=raw.get("hint", ""),
        error=raw.get("error", ""),
        multiline=raw.get("multiline", False),
        max_length=raw.get("max_length", 1000),
        options=tuple(Option(o["value"], o["label"]) for o in raw.get("options", ())),
    )
