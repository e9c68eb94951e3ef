"""The languages the bot speaks, and which of them a platform's locale names.

In data/ because a person's stored language is one of these (data.people keeps it so), and
the layers above reach it from here: the dialogs' catalogues (dialogs.i18n) are these
languages, and the chat adapters read their clients' locales with it through dialogs.i18n.
"""

from __future__ import annotations

# One catalogue each under dialogs/locale (English is the source strings).
LANGUAGES = ("en", "sv")


def language(locale: str | None) -> str | None:
    """`sv-SE`, `sv_FI`, `SV` -> `sv`; None for no locale or one we have no catalogue for, so
    that a client in German (`de-DE`) or sending junk leaves the language already known."""
    if not locale:
        return None
    first = locale.replace("_", "-").split("-")[0].lower()
    return first if first in LANGUAGES else None
