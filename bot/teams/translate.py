"""Teams activities (the JSON the Bot Connector posts) as neutral events.

One function, `translate`, reads every kind of activity the bot gets: a personal `message`
(typed text, a command picked from the bot's command menu, or the values of an
`Action.Submit`), an `invoke` named `adaptiveCard/action` (an `Action.Execute` click, or the
automatic `refresh` of a card), `installationUpdate` and `conversationUpdate`. Every activity
from a person also says how to reach them later; that goes into the sender's address.

A person's Teams identity is their Azure AD object id (`from.aadObjectId`), the id settings
name people by; the `29:` id, the personal conversation, the service URL and the tenant are
the address.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any, Literal

from bot.teams import render
from dialogs.events import Action, Command, Event, Sender, Text
from dialogs.i18n import language
from dialogs.text import MAX_TYPED, clean, clean_json

PLATFORM = "teams"
Kind = Literal["message", "action", "refresh", "search", "install", "other"]

# What a person may type (or pick from the command menu) for each command with a flow.
# `help` stays text: inside a conversation it explains the current question.
COMMAND_WORDS: dict[str, frozenset[str]] = {
    "open-account": frozenset(
        {"open-account", "open account", "open an account", "öppna konto", "öppna ett konto"}
    ),
    "accounts": frozenset({"accounts", "my accounts", "konton", "mina konton"}),
    "duty": frozenset({"duty", "who is on duty", "jour", "vem har jour"}),
    "away": frozenset({"away", "borta", "frånvaro"}),
    "question": frozenset({"question", "log a question", "fråga", "logga en fråga"}),
    "major-change": frozenset({"major-change", "major change", "stor förändring"}),
    "close-account": frozenset(
        {"close-account", "close account", "close an account", "stäng konto", "stäng ett konto"}
    ),
    "team": frozenset({"team", "the team", "change the team", "teamet", "ändra teamet"}),
    "dashboard": frozenset({"dashboard", "the dashboard", "översikt", "översikten"}),
    # Not in the command menu (it holds ten): typed, or the help card's button.
    "removed": frozenset(
        {"removed", "record a removal", "record a removed post", "borttaget",
         "registrera borttaget", "registrera ett borttaget inlägg"}
    ),
    "consent": frozenset(
        {"consent", "record consent", "record consent for a post", "samtycke",
         "registrera samtycke", "registrera samtycke till ett inlägg"}
    ),
    "casework": frozenset(
        {"casework", "case management", "case management and purging", "ärendehantering",
         "ärendehantering och gallring"}
    ),
    "accessible": frozenset(
        {"accessible", "accessibility", "check a post for accessibility", "tillgänglighet",
         "tillgängligt", "kontrollera tillgängligheten"}
    ),
}
# The commands that take words after them when typed without a slash: "away 2027-07-01 …".
_WITH_ARGS = re.compile(
    r"^(away|borta|frånvaro|question|fråga|major-change|close-account|team|removed|borttaget|consent|samtycke|casework|ärendehantering"
    r"|accessible|tillgänglighet)"
    r"\s+(\S.*)$",
    re.IGNORECASE,
)
# A mention: `<at>Name</at>` (the name has no `<`: Teams escapes it). Neither part may cross
# a `<`, so that text of many unclosed `<at>`s is read in one pass, not once per `<at>`.
_MENTION = re.compile(r"<at\b[^<>]*>[^<]*</at\s*>", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
# Space within a line: every white space but the line break.
_LINE_SPACES = re.compile(r"[^\S\n]+")
# The `textFormat` of text that is HTML (the Bot Framework calls it "xml").
_HTML_FORMATS = frozenset({"xml", "html"})
# Teams' HTML: a tag (no `<` or `>` inside it), white space in the source, an emoji's `alt`.
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)([^<>]*)>")
_SOURCE_SPACE = re.compile(r"[ \t\n\r\f]+")
_ALT = re.compile(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_HREF = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
# A link whose words are plain text (no tag inside).
_LINK = re.compile(r"<a\b([^<>]*)>([^<]*)</a\s*>", re.IGNORECASE)
# Elements that begin a line of their own. Marks for where one begins or ends and for a
# `<br>`: clean() has taken these control characters out of what was typed, and
# html.unescape makes neither.
_BLOCKS = frozenset(
    {"p", "div", "li", "ul", "ol", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6",
     "tr", "table"}
)
_BLOCK = "\x00"
_BREAK = "\x01"
MAX_TEXT = MAX_TYPED
MAX_FIELD = 200
MAX_SELECTED = 50
# A name or an e-mail address being typed into a people search.
MAX_QUERY = 100


@dataclass(frozen=True)
class Incoming:
    kind: Kind
    activity_id: str
    conversation_id: str
    personal: bool
    # None when the activity is not from a person we can name (no Azure AD object id).
    sender: Sender | None = None
    event: Event | None = None
    # Azure AD object ids picked in a people picker: they may be people we have never met.
    picked_people: tuple[str, ...] = ()
    # For `refresh`: the card value whose current state the viewer should see.
    value: str = ""
    # For `search`: what was typed in the bot's people search, and whom it leaves out.
    query: str = ""
    exclude: tuple[str, ...] = ()
    # The bot was just added to a personal chat: say hello.
    greet: bool = False
    invoke: bool = False
    # The message whose card was clicked (`replyToId` of an `Action.Execute` or `Action.Submit`).
    reply_to: str = ""


def translate(raw: dict[str, Any]) -> Incoming:
    raw = clean_json(raw)  # text normalised where it enters (dialogs.text)
    kind_of = str(raw.get("type") or "")
    conversation = _dict(raw.get("conversation"))
    personal = conversation.get("conversationType", "personal") == "personal" and not bool(
        conversation.get("isGroup")
    )
    sender = sender_of(raw, personal)

    def incoming(kind: Kind, **more: Any) -> Incoming:
        return Incoming(
            kind,
            activity_id=str(raw.get("id") or ""),
            conversation_id=str(conversation.get("id") or ""),
            personal=personal,
            sender=sender,
            reply_to=str(raw.get("replyToId") or "")[:MAX_FIELD],
            **more,
        )

    if kind_of == "message":
        value = raw.get("value")
        if isinstance(value, dict) and render.ACTION in value and sender is not None:
            event, picked = _action(sender, value, str(value.get(render.ACTION)))
            return incoming("action", event=event, picked_people=picked)
        text = _clean(str(raw.get("text") or ""), as_html=raw.get("textFormat") in _HTML_FORMATS)
        if sender is None:
            return incoming("other")
        # A blank message (a mention alone, a picture) gets an answer, never silence.
        return incoming("message", event=_text_event(sender, text))
    if kind_of == "invoke" and raw.get("name") == "application/search" and sender is not None:
        asked = _dict(raw.get("value"))
        exclude = render.excluded(str(asked.get("dataset") or ""))
        if exclude is None:
            return incoming("other", invoke=True)
        query = str(asked.get("queryText") or "").strip()[:MAX_QUERY]
        return incoming("search", query=query, exclude=exclude[:MAX_SELECTED], invoke=True)
    if kind_of == "invoke":
        if raw.get("name") != "adaptiveCard/action" or sender is None:
            return incoming("other", invoke=True)
        action = _dict(_dict(raw.get("value")).get("action"))
        verb = str(action.get("verb") or "")
        data = _dict(action.get("data"))
        if verb == render.REFRESH_VERB:
            value = str(data.get(render.VALUE) or "")[:MAX_FIELD]
            return incoming("refresh", value=value, invoke=True)
        event, picked = _action(sender, data, verb)
        return incoming("action", event=event, picked_people=picked, invoke=True)
    if kind_of == "installationUpdate":
        added = str(raw.get("action") or "").startswith("add")
        return incoming("install", greet=added and personal)
    if kind_of == "conversationUpdate":
        return incoming("install")
    return incoming("other")


def sender_of(raw: dict[str, Any], personal: bool) -> Sender | None:
    person = _dict(raw.get("from"))
    aad = str(person.get("aadObjectId") or "")
    if not aad:
        return None
    conversation = _dict(raw.get("conversation"))
    tenant = conversation.get("tenantId") or _dict(_dict(raw.get("channelData")).get("tenant")).get(
        "id"
    )
    bot = _dict(raw.get("recipient"))
    address = {
        "user_id": person.get("id"),
        "service_url": raw.get("serviceUrl"),
        "tenant_id": tenant,
        "bot_id": bot.get("id"),
    }
    if personal:
        # Only the personal chat is where this person's messages go; a channel is not.
        address["conversation_id"] = conversation.get("id")
    name = person.get("name")
    return Sender(
        PLATFORM,
        aad[:MAX_FIELD],
        display_name=str(name)[:MAX_FIELD] if name else None,
        # The client's `sv-SE` as `sv`, and one we have no catalogue for (`de-DE`) as None, so
        # that the language already known stays: the rule Slack's profiles are read with.
        locale=language(str(raw.get("locale") or "")),
        address={k: str(v) for k, v in address.items() if v},
    )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _clean(text: str, *, as_html: bool = False) -> str:
    """The words typed, without @mentions of the bot: each line with its runs of spaces made
    one and trimmed, the blank lines before and after dropped. The line breaks stay, as on
    Slack and in the web chat; in HTML (`as_html`) they are its `<br>`s and paragraphs."""
    text = _MENTION.sub(" ", text)
    if as_html:
        text = _html_text(text)
    lines = (_LINE_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(lines).strip("\n")[:MAX_TEXT]


def _html_text(markup: str) -> str:
    """The text of Teams' HTML as it reads: a line break for each `<br>` and where a paragraph
    (or another block) ends or begins, an emoji as its character, a link as its words (and
    its address), other tags gone, entities decoded. White space in the HTML (line breaks,
    &#10; and tabs too) is a space, as in a browser.

    Regular expressions, each scanning no further than the next `<` or `>`: the standard
    library's HTML parser takes quadratic time on some inputs."""

    def tag(found: re.Match[str]) -> str:
        closing, name, attributes = found.group(1), found.group(2).lower(), found.group(3)
        if name == "br":
            return _BREAK
        if name in _BLOCKS:
            return _BLOCK
        if not closing and (name == "emoji" or (name == "img" and "emoji" in attributes.lower())):
            alt = _ALT.search(attributes)
            return (alt.group(1) or alt.group(2) or "") if alt else ""
        return ""

    def link(found: re.Match[str]) -> str:
        # Its words, and where it goes when they do not say it, as on Slack (plain_text).
        href = _HREF.search(found.group(1))
        target = html.unescape((href.group(1) or href.group(2) or "") if href else "").strip()
        words = found.group(2)
        said = html.unescape(words).strip()
        if not target or target in (said, f"mailto:{said}"):
            return words
        return f"{words} ({html.escape(target, quote=False)})"

    text = html.unescape(_TAG.sub(tag, _LINK.sub(link, markup)))
    text = _SOURCE_SPACE.sub(" ", text).replace(_BREAK, "\n")
    # A block breaks the line it is on, once: <p>a</p><p>b</p> is two lines, not a blank
    # between them. &nbsp; (U+00A0) is something on a line, so <p>&nbsp;</p> is a blank line.
    out: list[str] = []
    on_line = False
    for index, part in enumerate(text.split(_BLOCK)):
        if index and on_line:
            out.append("\n")
            on_line = False
        out.append(part)
        _, newline, last = part.rpartition("\n")
        on_line = bool(last.strip(" ")) or (on_line and not newline)
    # Entities may decode to what `clean` takes out or composes (&#127;, &#x301;).
    return clean("".join(out))


def _text_event(sender: Sender, text: str) -> Event:
    # A command is one line: read as before line breaks were kept, with them as spaces.
    line = _SPACES.sub(" ", text).strip()
    words = line.lower().strip(" .!")
    for name, spellings in COMMAND_WORDS.items():
        if words in spellings:
            return Command(sender, name)
    found = _WITH_ARGS.match(line)
    if found is not None and re.match(r"^(\d{4}-\d{2}-\d{2}|SOME-)", found.group(2), re.I):
        word = found.group(1).lower()
        name = next(n for n, spellings in COMMAND_WORDS.items() if word in spellings)
        return Command(sender, name, found.group(2).strip())
    if line.startswith("/"):
        # "/close-account SOME-2027-0001", however broken over lines (dialogs.router).
        return Text(sender, line)
    return Text(sender, text)


def _action(sender: Sender, data: dict[str, Any], verb: str) -> tuple[Action, tuple[str, ...]]:
    """An `Action.Execute` or `Action.Submit` as an Action, and the people it picked.

    The card put the neutral action and value in the data, and said which of its inputs
    (Teams merges their values into the data) hold the selection and the typed text.
    """
    action = str(data.get(render.ACTION) or verb)[:MAX_FIELD]
    value = str(data.get(render.VALUE) or "")[:MAX_FIELD]
    selected: tuple[str, ...] = ()
    if render.CHOICE in data:
        selected = (str(data[render.CHOICE])[:MAX_FIELD],)
    elif render.INPUT in data:
        raw = data.get(str(data[render.INPUT]))
        picked = raw if isinstance(raw, list) else str(raw or "").split(",")
        selected = tuple(str(p).strip()[:MAX_FIELD] for p in picked if str(p).strip())[
            :MAX_SELECTED
        ]
    text = ""
    if render.TEXT in data:
        text = str(data.get(str(data[render.TEXT])) or "")[:MAX_TEXT]
    values: tuple[tuple[str, str], ...] = ()
    names = data.get(render.FIELDS)
    if isinstance(names, list):
        # A form: each field's value is in the data under its input's id.
        values = tuple(
            (str(name)[:MAX_FIELD], str(data.get(f"{render.FIELD_PREFIX}{name}") or "")[:MAX_TEXT])
            for name in names[:MAX_SELECTED]
        )
    people = selected if data.get(render.PEOPLE) is True else ()
    return Action(sender, action, value, selected, text, values), people
