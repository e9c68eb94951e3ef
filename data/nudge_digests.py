"""Due nudges as outbox rows: one digest per person (or place), kind and day.

A digest is keyed `"{kind}:{recipient}:{day}"` (`"{kind}:@{place}:{day}"` for a place), with
params `{"day": ISO date, "items": [item, ...]}` where each item is
`{"subject", "account_id", "why", "escalation", "period", **details}`. The key makes a second
sweep, or a second process sweeping at once, a no-op; `not_after` (the end of the day's
sending hours) keeps a row from being sent on a later day.

A sweep gathers its digests in a `DigestBook` piece by piece of the register: each item is
encoded as JSON text when it is added (a sweep at 10,000 accounts owes ~28,000 digests, held
as text, not as dicts), and an item of a digest already owed today is skipped before it is
encoded.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time
from types import MappingProxyType
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import outbox
from data.models import Outbox

# A nudge without details: shared, so read-only.
_NO_DETAILS: Mapping[str, Any] = MappingProxyType({})


class Nudge(NamedTuple):
    """One reminder item for one recipient (a person, or a place such as "comms").

    A named tuple: immutable as a frozen dataclass is, and made several times faster (a sweep
    makes one for every item of every digest: ~63,000 at 10,000 accounts). Its `details` are
    not changed once it is made (a team's items share them: scheduler.nudge_rules)."""

    # The outbox kind: one of scheduler.nudge_rules.KINDS.
    kind: str
    # What it is about: "account:12" or "request:5".
    subject: str
    account_id: int | None
    recipient_id: int | None
    place: str | None
    # Which occurrence: the local day, or the nominal day a shifted reminder belongs to.
    period: str
    # Why it is due (a code the notice composer words): see scheduler.nudge_rules.
    why: str
    escalation: bool
    details: Mapping[str, Any] = _NO_DETAILS

    def item(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "account_id": self.account_id,
            "why": self.why,
            "escalation": self.escalation,
            "period": self.period,
            **self.details,
        }


def digest_key(kind: str, recipient_id: int | None, place: str | None, day: date) -> str:
    who = str(recipient_id) if recipient_id is not None else f"@{place}"
    return f"{kind}:{who}:{day.isoformat()}"


def digests(nudges: Iterable[Nudge], day: date) -> dict[str, tuple[Nudge, list[dict[str, Any]]]]:
    """Nudges grouped into one digest per (kind, recipient or place) for `day`, by key: the
    first nudge of each (for kind and recipient) and all their items, in order (an item
    repeated, same digest, subject and why, is kept once)."""
    grouped: dict[str, tuple[Nudge, list[dict[str, Any]]]] = {}
    seen: set[tuple[str, str, str]] = set()
    suffix = day.isoformat()
    for nudge in nudges:
        who = str(nudge.recipient_id) if nudge.recipient_id is not None else f"@{nudge.place}"
        key = f"{nudge.kind}:{who}:{suffix}"  # digest_key, without a call per nudge
        mark = (key, nudge.subject, nudge.why)
        if mark in seen:
            continue
        seen.add(mark)
        if key not in grouped:
            grouped[key] = (nudge, [])
        grouped[key][1].append(nudge.item())
    return grouped


# The JSON text the params column stores (its type encodes with json.dumps' defaults): a
# digest's params are put together from its items' text, byte for byte what
# json.dumps({"day": ..., "items": [...]}) makes.
_encoder = json.JSONEncoder()
_encode = _encoder.encode


def _item_encoder() -> Callable[[dict[str, Any]], str]:
    """`_encode` for the items, with json's C encoder made once rather than per call (a sweep
    encodes tens of thousands), without the check for circular references (an item is a
    tree of plain values; a cycle would fail to encode either way, as a RecursionError
    instead of a ValueError); `_encode` itself where the C encoder is missing."""
    c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if c_make_encoder is None:
        return _encode
    made = c_make_encoder(
        None, _encoder.default, json.encoder.encode_basestring_ascii, None, ": ", ", ", False,
        False, True,
    )

    def encode(item: dict[str, Any]) -> str:
        return "".join(made(item, 0))

    return encode


_encode_item = _item_encoder()


class DigestBook:
    """The digests a sweep owes for `day`, gathered piece by piece: `add` the nudges of a
    piece of the register (a whole account's in one call), then write `rows()`.

    Items go into each digest in the order added: pieces in account order give the order
    `digests` gives for the whole register at once. An item repeated within one `add` (same
    digest, subject and why) is kept once; an item is about one account or one request, so
    it cannot repeat across pieces of the register. Digests whose keys are in `owed` (already
    owed today) are skipped before anything is encoded.

    What it holds is a sweep's peak memory (208,730 digests at 50,000 accounts), so each
    digest is its key and its items' text alone: a digest of one item (most are) holds the
    text itself rather than a list of it, and whom a digest goes to is read back from its
    key when the rows are made."""

    def __init__(
        self, day: date, owed: Iterable[str] = (), already: Iterable[ItemMark] = ()
    ) -> None:
        self.day = day
        self.owed = frozenset(owed)
        # Items owed on an earlier day in a digest of their own day (owed_items): a reminder
        # due once that a sweep owed, though the rule's day was not recorded after (it
        # failed), is not owed again.
        self.already = frozenset(already)
        self._suffix = day.isoformat()
        self._items: dict[str, str | list[str]] = {}

    def add(self, nudges: Iterable[Nudge]) -> None:
        seen: set[tuple[str, str, str]] = set()
        # An item's text by what makes it: the same details (one dict, shared by a team's
        # items: scheduler.nudge_rules) about the same subject, why, escalation and period is
        # encoded once. By the dict's id, valid while the nudges are alive: within this call.
        encoded: dict[tuple[int, str, int | None, str, bool, str], str] = {}
        owed, items, suffix, already = self.owed, self._items, self._suffix, self.already
        for nudge in nudges:
            who = str(nudge.recipient_id) if nudge.recipient_id is not None else f"@{nudge.place}"
            key = f"{nudge.kind}:{who}:{suffix}"  # digest_key, without a call per nudge
            if key in owed:
                continue
            if already and (nudge.kind, who, nudge.subject, nudge.why, nudge.period) in already:
                continue
            mark = (key, nudge.subject, nudge.why)
            if mark in seen:
                continue
            seen.add(mark)
            made = (id(nudge.details), nudge.subject, nudge.account_id, nudge.why,
                    nudge.escalation, nudge.period)
            text = encoded.get(made)
            if text is None:
                text = encoded[made] = _encode_item(nudge.item())
            found = items.get(key)
            if found is None:
                items[key] = text
            elif isinstance(found, str):
                items[key] = [found, text]
            else:
                found.append(text)

    def __len__(self) -> int:
        return len(self._items)

    def rows(self, not_after: datetime) -> Iterator[outbox.Encoded]:
        """The digests as outbox rows, in key order; each is let go of as it is handed out
        (the book is empty afterwards), so the rows being written are all it holds twice."""
        head = '{"day": ' + _encode(self._suffix) + ', "items": ['
        end = -len(self._suffix) - 1
        for key in sorted(self._items):
            found = self._items.pop(key)
            items = found if isinstance(found, str) else ", ".join(found)
            # digest_key's "{kind}:{recipient}:{day}", or "{kind}:@{place}:{day}".
            kind, _, who = key[:end].rpartition(":")
            recipient_id, place = (None, who[1:]) if who.startswith("@") else (int(who), None)
            yield outbox.Encoded(key, kind, recipient_id, place, head + items + "]}", not_after)


def not_after_of(day: date, zone: ZoneInfo, sending_ends: time) -> datetime:
    """When a digest of `day` expires unsent: the end of that day's sending hours."""
    return datetime.combine(day, sending_ends, tzinfo=zone)


async def write_nudges(
    session: AsyncSession,
    nudges: Sequence[Nudge],
    *,
    now: datetime,
    zone: ZoneInfo,
    sending_ends: time = time(18, 0),
) -> list[str]:
    """Owe each digest of `nudges` in the outbox; returns the keys newly written (a digest
    already owed for that kind, recipient and day is left as it is)."""
    day = now.astimezone(zone).date()
    not_after = not_after_of(day, zone, sending_ends)
    book = DigestBook(day, await owed_today(session, day=day, not_after=not_after))
    book.add(nudges)
    return await outbox.enqueue_encoded(session, book.rows(not_after), now=now)


# An item as owed_items tells it: kind, recipient ("12") or place ("@comms"), subject, why,
# period.
ItemMark = tuple[str, str, str, str, str]


async def owed_items(
    session: AsyncSession, *, kinds: Iterable[str], days: Iterable[date], zone: ZoneInfo,
    sending_ends: time,
) -> set[ItemMark]:
    """The items of the digests of `kinds` owed for `days` (each day's digests expire at the
    end of its sending hours, an indexed column)."""
    wanted_kinds = list(kinds)
    not_afters = [not_after_of(day, zone, sending_ends) for day in days]
    if not wanted_kinds or not not_afters:
        return set()
    rows = await session.exec(
        select(Outbox.key, Outbox.kind, Outbox.params).where(
            col(Outbox.kind).in_(wanted_kinds), col(Outbox.not_after).in_(not_afters)
        )
    )
    found: set[ItemMark] = set()
    for key, kind, params in rows:
        who = key.split(":")[1]
        for item in params.get("items", []):
            found.add((kind, who, str(item.get("subject")), str(item.get("why")),
                       str(item.get("period"))))
    return found


async def owed_today(session: AsyncSession, *, day: date, not_after: datetime) -> set[str]:
    """The keys of the digests already owed for `day` (every one of them expires at the same
    `not_after`, an indexed column)."""
    suffix = f":{day.isoformat()}"
    rows = await session.exec(select(Outbox.key).where(col(Outbox.not_after) == not_after))
    return {key for key in rows if key.endswith(suffix)}
