"""Slack payloads as neutral events: the one place that knows what Slack sends us.

Each function takes a payload as bolt parsed it and returns a `Turn`: the neutral event (its
sender carries only the Slack user id; the caller fills in the profile), where an ephemeral
answer belongs, and the key that recognises a retry or a repeated click.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.slack.render import (
    FIELD_PREFIX,
    LINK_ACTION,
    block_group,
    block_value,
    button_action,
    excluded,
    is_user_id,
)
from dialogs.events import Action, Command, Event, Sender, Text
from dialogs.text import MAX_TYPED, clean_event

PLATFORM = "slack"
MAX_TEXT = MAX_TYPED
MAX_VALUE = 2000
MAX_SELECTED = 100
# A name or an e-mail address being typed into a people search.
MAX_QUERY = 100

_ENTITY = re.compile(r"<([^<>]*)>")
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


@dataclass(frozen=True)
class Turn:
    event: Event
    # Where the person acted, for answers only they may see (None: their direct chat).
    channel: str | None = None
    # Recognises the same delivery or the same click again (None: nothing to recognise).
    key: str | None = None
    # Slack user ids picked in a person picker: their profiles are looked up before the turn.
    picked: tuple[str, ...] = ()
    # The action came from the App Home tab, which is published again afterwards.
    from_home: bool = False
    # The message clicked (`<channel>:<ts>`, as `SlackChannel.update` takes it), when it is
    # one chat.update can rewrite: not the Home tab, not an ephemeral message.
    card: str | None = None

    def __post_init__(self) -> None:
        # Every Slack event enters through a Turn: its text is normalised here, once.
        object.__setattr__(self, "event", clean_event(self.event))


def sender(user_id: str) -> Sender:
    return Sender(PLATFORM, user_id)


def _digest(*parts: object) -> str:
    raw = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    # surrogatepass: the payload is normalised after this, in Turn.
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:32]


# --- text ---------------------------------------------------------------------------------


def mentioned_users(text: str) -> list[str]:
    """The user ids `<@U…>` mentions in Slack-formatted text."""
    found = []
    for inner in _ENTITY.findall(text):
        if inner.startswith("@"):
            user = inner[1:].partition("|")[0]
            if is_user_id(user) and user not in found:
                found.append(user)
    return found


def emails(text: str) -> list[str]:
    """E-mail addresses in plain text."""
    return _EMAIL.findall(text)


def _entity(inner: str, names: Mapping[str, str]) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        user = target[1:]
        return names.get(user) or f"@{label or user}"
    if target.startswith("#"):
        return f"#{label or target[1:]}"
    if target.startswith("!"):
        special = target[1:]
        if special.startswith(("subteam^", "date^")):
            return label or special.partition("^")[0]
        return f"@{label or special}"
    if target.startswith("mailto:"):
        return label or target[len("mailto:") :]
    if label and label != target:
        return f"{label} ({target})"
    return target


def plain_text(text: str, names: Mapping[str, str] | None = None) -> str:
    """Slack's formatted message text as the plain text the person typed.

    Mentions become the person's name (or e-mail address, from `names`), links show their
    address, and Slack's `&amp;`, `&lt;`, `&gt;` become the characters again: the renderers
    escape all of it once more wherever it is shown.
    """
    names = names or {}
    converted = _ENTITY.sub(lambda match: _entity(match.group(1), names), text)
    return converted.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# --- payloads -----------------------------------------------------------------------------


def command(body: Mapping[str, Any]) -> Turn:
    """A slash command (`/open-account …`)."""
    name = str(body.get("command", "")).lstrip("/").lower()
    args = plain_text(str(body.get("text", "")))[:MAX_TEXT].strip()
    user = str(body["user_id"])
    trigger = body.get("trigger_id")
    key = f"slack:command:{trigger}" if trigger else f"slack:command:{_digest(dict(body))}"
    channel = str(body["channel_id"]) if body.get("channel_id") else None
    return Turn(Command(sender(user), name, args), channel=channel, key=key)


def is_person_message(event: Mapping[str, Any]) -> bool:
    """A person wrote in their direct chat with the bot (not an edit, a bot or a join)."""
    return (
        event.get("type") == "message"
        and event.get("channel_type") == "im"
        and not event.get("subtype")
        and not event.get("bot_id")
        and bool(event.get("user"))
        # A blank message counts too: it gets an answer rather than silence.
        and "text" in event
    )


def message(body: Mapping[str, Any], names: Mapping[str, str] | None = None) -> Turn | None:
    """A direct message to the bot, or None for any other kind of `message` event."""
    event = body.get("event") or {}
    if not is_person_message(event):
        return None
    text = plain_text(str(event["text"]), names)[:MAX_TEXT]
    event_id = body.get("event_id")
    key = (
        f"slack:event:{event_id}"
        if event_id
        else f"slack:message:{event.get('channel')}:{event.get('ts')}"
    )
    return Turn(Text(sender(str(event["user"])), text), channel=event.get("channel"), key=key)


def _state_entries(state: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
    values = state.get("values") or {}
    entries = []
    for block_id, actions in values.items():
        for action_id, entry in (actions or {}).items():
            if isinstance(entry, Mapping):
                entries.append((str(block_id), str(action_id), entry))
    return entries


def _picked(entry: Mapping[str, Any]) -> tuple[list[str], bool]:
    """What a stateful element holds: the values picked, and whether they are people."""
    kind = entry.get("type")
    if kind == "users_select":
        return ([entry["selected_user"]] if entry.get("selected_user") else []), True
    if kind == "multi_users_select":
        return list(entry.get("selected_users") or []), True
    if kind == "external_select":
        # The bot's own people search (`bot.slack.bot`): its values are people too.
        option = entry.get("selected_option")
        return ([option["value"]] if option else []), True
    if kind == "multi_external_select":
        return [o["value"] for o in entry.get("selected_options") or []], True
    if kind == "static_select":
        option = entry.get("selected_option")
        return ([option["value"]] if option else []), False
    if kind in ("multi_static_select", "checkboxes"):
        return [o["value"] for o in entry.get("selected_options") or []], False
    return [], False


def _collect(
    state: Mapping[str, Any], action: str, group: str | None
) -> tuple[tuple[str, ...], str, bool]:
    """From the state of a message or view: the picks made for `action` and the typed text.

    Only elements of the same message count (`group`; None: any), so that in the App Home
    one request's reason is never sent with another request's button.
    """
    selected: list[str] = []
    people = False
    text = ""
    for block_id, action_id, entry in _state_entries(state):
        if group is not None and block_group(block_id) != group:
            continue
        if entry.get("type") == "plain_text_input":
            if not text and entry.get("value"):
                text = str(entry["value"])
            continue
        if button_action(action_id) == action:
            values, are_people = _picked(entry)
            selected += values
            people = people or are_people
    return tuple(str(s)[:MAX_VALUE] for s in selected[:MAX_SELECTED]), text[:MAX_TEXT], people


def form_values(state: Mapping[str, Any], group: str | None) -> tuple[tuple[str, str], ...]:
    """What a form's fields hold (`bot.slack.render._form`), by field name, in the order
    Slack lists them; only the fields of the same message count (`group`)."""
    found: list[tuple[str, str]] = []
    for block_id, action_id, entry in _state_entries(state):
        if not action_id.startswith(FIELD_PREFIX):
            continue
        if group is not None and block_group(block_id) != group:
            continue
        if entry.get("type") == "plain_text_input":
            value = str(entry.get("value") or "")
        else:
            picked, _ = _picked(entry)
            value = str(picked[0]) if picked else ""
        found.append((action_id[len(FIELD_PREFIX) :][:MAX_VALUE], value[:MAX_TEXT]))
    return tuple(found[:MAX_SELECTED])


# Clicks of one button (with the same inputs) this many seconds apart, by Slack's own clock,
# can be one double click.
#
# Why a window at all, and why this short: the key is all the inbox compares (it keeps keys
# for the retention, 90 days), so without Slack's click time in it every later click of the
# same button was taken for a repeat and dropped without a word. With the exact `action_ts`
# in it, a double click would be two turns: nothing would be done twice (an approval is
# refused by its round and stage, a dialog meets a stale click by asking its question
# again), but each turn answers, so the approver would be told "already moved on" and a
# dialog would ask twice, which a double click must not do. So the key holds the
# DOUBLE_CLICK-second slot `action_ts` falls in:
# - Slack's redelivery of a request carries the same `action_ts`: same slot, same key;
# - a double click (its clicks a fraction of a second apart) almost always falls in one
#   slot; one that straddles the edge of a slot (a chance of its gap in DOUBLE_CLICK
#   seconds) is received twice and answered as above, never done twice;
# - the same click again DOUBLE_CLICK seconds or more later is always in another slot, and
#   is taken. Reading an answer and acting on it (typing `cancel`, then Revise again) takes
#   longer than that; a click sooner may share the first's slot and be dropped as a repeat,
#   which is why the window is no longer: a dropped click loses something, a second answer
#   does not.
# Slots are fixed, not measured from the previous click, because the adapter only
# translates: the inbox stores by key and looks nothing up. The time is Slack's (from the
# payload), never the wall clock's, so that a redelivery, however late, has the first's key.
DOUBLE_CLICK = 5
# `action_ts` as Slack sends it: seconds since the epoch, with microseconds.
_ACTION_TS = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,9})?")


def click_slot(action_ts: object) -> str:
    """The DOUBLE_CLICK-second slot of a click's `action_ts`; a value of another shape
    (never one from Slack) as it is, so that its repeats still share a key."""
    raw = str(action_ts) if action_ts is not None else ""
    if not _ACTION_TS.fullmatch(raw):
        return raw
    return str(int(raw.partition(".")[0]) // DOUBLE_CLICK)


def block_action(body: Mapping[str, Any]) -> Turn | None:
    """A click, or a pick from a menu, in a message or in the App Home."""
    actions = body.get("actions") or []
    if not actions:
        return None
    clicked = actions[0]
    kind = clicked.get("type")
    action = button_action(str(clicked.get("action_id", "")))
    block_id = str(clicked.get("block_id", ""))
    group = block_group(block_id)
    state = body.get("state") or {}
    user = str((body.get("user") or {}).get("id", ""))
    if not user or action == LINK_ACTION:
        # A link button: Slack has opened it in the browser, the bot has nothing to do.
        return None
    values: tuple[tuple[str, str], ...] = ()
    if kind == "button":
        value = str(clicked.get("value", ""))
        selected, text, people = _collect(state, action, group)
        values = form_values(state, group)
    elif kind in ("static_select", "users_select", "multi_static_select", "multi_users_select"):
        # A menu in an actions block answers at once; its neutral value is in the block id.
        value = block_value(block_id)
        picked, people = _picked(clicked)
        selected = tuple(str(p)[:MAX_VALUE] for p in picked[:MAX_SELECTED])
        _, text, _ = _collect(state, action, group)
    else:
        # Ticking a box or typing: nothing to do until the button is clicked.
        return None
    container = body.get("container") or {}
    from_home = container.get("type") == "view"
    where = container.get("message_ts") or container.get("view_id") or ""
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    # A retried delivery and a double click carry the same message, action and input, and a
    # time (Slack's `action_ts`) in the same few seconds; a deliberate second answer differs
    # in one of them, if only in the time: the same button clicked again later (Revise after
    # a cancelled revision, Open an account once more) is received like the first click.
    when = click_slot(clicked.get("action_ts"))
    key = (
        "slack:action:"
        f"{_digest(user, channel, where, action, value, selected, text, values, when)}"
    )
    event = Action(
        sender(user),
        action=action[:200],
        value=value[:MAX_VALUE],
        selected=selected,
        text=text,
        values=values,
    )
    editable = container.get("type") == "message" and not container.get("is_ephemeral")
    return Turn(
        event,
        channel=None if from_home else channel,
        key=key,
        picked=selected if people else (),
        from_home=from_home,
        card=f"{channel}:{where}" if editable and channel and where else None,
    )


def suggestion(body: Mapping[str, Any]) -> tuple[str, str, tuple[str, ...]] | None:
    """A `block_suggestion` (someone typing in the bot's people search): who asks, what they
    typed, and whom the block says not to offer; None when it is not one we rendered."""
    user = str((body.get("user") or {}).get("id", ""))
    if not user or body.get("type") != "block_suggestion":
        return None
    typed = plain_text(str(body.get("value") or ""))[:MAX_QUERY]
    return user, typed, excluded(str(body.get("block_id") or ""))


def home_opened(body: Mapping[str, Any]) -> str | None:
    """The user id of someone who opened the bot's Home tab, or None."""
    event = body.get("event") or {}
    if event.get("type") != "app_home_opened" or event.get("tab", "home") != "home":
        return None
    user = event.get("user")
    return str(user) if user else None
