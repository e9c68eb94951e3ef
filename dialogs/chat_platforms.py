"""The chat platforms this server speaks on, as their adapters describe themselves.

Nothing in the core lists the platforms: each adapter registers with the hub, which records
here what conversations need to know of it (what to call it in a sentence, whether its pages
come from this very server). A platform that never registered is named by its id.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.i18n import Translator


@dataclass(frozen=True)
class Described:
    name: str
    # What a sentence calls it ("Slack"; a msgid, translated when shown).
    label: str
    # Its pages are served by this server (the web chat): a link may be a path.
    same_origin: bool = False


_KNOWN: dict[str, Described] = {}


def describe(name: str, label: str, *, same_origin: bool = False) -> None:
    _KNOWN[name] = Described(name, label, same_origin)


def label(tr: Translator, name: str | None) -> str:
    known = _KNOWN.get(name or "")
    return tr(known.label) if known is not None else (name or "?")


def same_origin(name: str) -> bool:
    known = _KNOWN.get(name)
    return known is not None and known.same_origin
