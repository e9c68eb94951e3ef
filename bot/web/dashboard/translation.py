"""The dashboard's words: a gettext domain of its own ("dashboard"), apart from the chat's.

Source strings are English and are their own msgid; `locale/sv/LC_MESSAGES/dashboard.po` holds
the Swedish. The `.po` files are compiled when first needed (Babel's read_po and write_mo), so
no `.mo` file is kept in the tree. Templates use `_()`, `ngettext()` and `{% trans %}` (Jinja's
i18n extension, new-style: `%(name)s` placeholders, filled and escaped after translation);
Python code marks strings with `L_()` and translates them with `Words.gettext`.

After changing a string, refresh the template and the catalogues (from the repository root):

    pybabel extract -F bot/web/dashboard/babel.cfg --no-default-keywords -k _ -k gettext \
        -k ngettext:1,2 -k L_ --add-comments=Translators: --sort-output --no-wrap \
        --project=kontobot-dashboard -o bot/web/dashboard/locale/dashboard.pot bot/web/dashboard
    for l in sv en; do pybabel update -i bot/web/dashboard/locale/dashboard.pot \
        -d bot/web/dashboard/locale -D dashboard -l $l --no-fuzzy-matching --ignore-obsolete \
        --no-wrap; done

then translate the new Swedish entries. tests/bot/web/test_i18n.py fails until that is done.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_percent
from babel.support import Translations
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from dialogs.i18n import Translator, normalise

DOMAIN = "dashboard"
LANGUAGES = ("sv", "en")
LOCALE_DIR = Path(__file__).parent / "locale"
# Each language's name in itself, for the language switch.
LANGUAGE_NAMES = {"sv": "Svenska", "en": "English"}


def L_(msgid: str) -> str:
    """Marks a string for the catalogue; it is translated where it is shown."""
    return msgid


def language(value: str | None, default: str) -> str:
    """One of LANGUAGES for a cookie's or a person's locale (`sv-SE` -> `sv`)."""
    return normalise(value, normalise(default, "sv"))


@cache
def translations(lang: str) -> Translations:
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


class Words:
    """One language's translations, and dates and numbers as its readers write them."""

    def __init__(self, lang: str, zone: ZoneInfo) -> None:
        self.lang = lang
        self.zone = zone
        self._translations = translations(lang)

    def gettext(self, msgid: str, **params: object) -> str:
        text = self._translations.gettext(msgid)
        return text % params if params else text

    def ngettext(self, singular: str, plural: str, n: int, **params: object) -> str:
        text = self._translations.ngettext(singular, plural, n)
        return text % {"num": n, **params}

    def when(self, moment: datetime | None) -> str:
        """A moment as a local date and time in the configured zone."""
        if moment is None:
            return ""
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    def day(self, moment: date | datetime | None) -> str:
        if moment is None:
            return ""
        if isinstance(moment, datetime):
            moment = moment.astimezone(self.zone).date()
        return moment.isoformat()

    def term(self, msgid: str) -> str:
        """A term of dialogs.glossary in the chat's words: the dashboard names things as the
        chat does."""
        return Translator(self.lang)(msgid)

    def month(self, first: date) -> str:
        """A month's short name as the language writes it alone ("Mar", "mars")."""
        return format_date(first, "LLL", locale=self.lang)

    def percent(self, share: float | None) -> str:
        if share is None:
            return "–"
        return format_percent(share, locale=self.lang)


def _words(context: Context) -> Words:
    words = context.get("words")
    assert isinstance(words, Words), "every page is rendered with `words`"
    return words


@pass_context
def _gettext(context: Context, message: str) -> str:
    return _words(context)._translations.gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return _words(context)._translations.ngettext(singular, plural, n)


# A date is kept on one line: a narrow column (a phone) would otherwise break it after a hyphen.
ONE_LINE = Markup('<span class="date">{}</span>')


@pass_context
def _when(context: Context, moment: datetime | None) -> str:
    shown = _words(context).when(moment)
    day, _, clock = shown.partition(" ")
    return ONE_LINE.format(day) + Markup(" ") + clock if shown else ""


@pass_context
def _day(context: Context, moment: date | datetime | None) -> str:
    shown = _words(context).day(moment)
    return ONE_LINE.format(shown) if shown else ""


@pass_context
def _percent(context: Context, share: float | None) -> str:
    return _words(context).percent(share)


def install(env: Environment) -> None:
    """Jinja's i18n extension on `env`, translating into the page's `words` language."""
    env.add_extension("jinja2.ext.i18n")
    # As babel.cfg extracts them: whitespace in {% trans %} blocks collapsed.
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext, ngettext=_ngettext, newstyle=True
    )
    env.filters.update(when=_when, day=_day, percent=_percent)
