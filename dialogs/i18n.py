"""Message catalogues: gettext `.po` files per language, read with Babel.

Source strings are English and are their own msgid; `locale/sv/LC_MESSAGES/kontobot.po` holds
the Swedish. Placeholders are `{name}` (python-brace-format), filled after translation, so no
sentence is ever glued together from pieces in different languages.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.pofile import read_po

# The one list, and the one rule for which of them a client's locale is, live in data/: it
# stores a person's language and may not import from here. The adapters take both from here.
from data.languages import LANGUAGES
from data.languages import language as language

LOCALES = LANGUAGES
DOMAIN = "kontobot"
CATALOGUE_DIR = Path(__file__).parent / "locale"


def N_(msgid: str) -> str:
    """Marks a string for the catalogue without translating it yet."""
    return msgid


def normalise(locale: str | None, default: str = "en") -> str:
    """`sv-SE`, `sv_FI`, `SV` -> `sv`; anything we have no catalogue for -> `default`."""
    return language(locale) or (default if default in LOCALES else "en")


@cache
def _catalogue(locale: str) -> dict[str, str]:
    path = CATALOGUE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    return {
        str(m.id): str(m.string)
        for m in catalog
        if m.id and m.string and not m.fuzzy and isinstance(m.id, str)
    }


class Translator:
    def __init__(self, locale: str, timezone: ZoneInfo | None = None) -> None:
        self.locale = normalise(locale)
        self.timezone = timezone or ZoneInfo("Europe/Stockholm")
        self._strings = _catalogue(self.locale)

    def __call__(self, msgid: str, **params: object) -> str:
        text = self._strings.get(msgid, msgid)
        return text.format(**params) if params else text

    def when(self, moment: datetime) -> str:
        """A date and time as people here read it, in the configured time zone."""
        return moment.astimezone(self.timezone).strftime("%Y-%m-%d %H:%M")
