"""The dashboard's catalogue (its own gettext domain): complete in Swedish, faithful to the
placeholders, and in step with the templates and code it is extracted from.

Strings are extracted at test time the way translation.py's docstring tells (its babel.cfg, the
keywords `_`, `gettext`, `ngettext` and `L_`), so a string added without a Swedish translation
fails here rather than reaching a Swedish-speaking reader in English.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from bot.web.dashboard import translation
from bot.web.dashboard.translation import DOMAIN, LANGUAGES, LOCALE_DIR, Words, language

PACKAGE = LOCALE_DIR.parent
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "L_": None}
FIX = "refresh the catalogues as bot/web/dashboard/translation.py's docstring says, then translate"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _po(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def source_strings() -> dict[str | tuple[str, ...], str]:
    with (PACKAGE / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, "babel.cfg")
    found: dict[str | tuple[str, ...], str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        PACKAGE, method_map=method_map, options_map=options_map, keywords=KEYWORDS
    ):
        found.setdefault(message, f"{filename}:{lineno}")
    return found


@cache
def catalogue(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def msgids(catalog: Catalog) -> set[str | tuple[str, ...]]:
    return {m.id for m in catalog if m.id}


def test_templates_and_code_have_strings_to_translate() -> None:
    strings = source_strings()
    assert "Skip to main content" in strings  # a template
    assert "Monitoring coverage per week" in strings  # code, through L_
    assert ("%(num)s day", "%(num)s days") in strings  # a plural
    assert len(strings) > 100


def test_every_string_has_a_swedish_translation() -> None:
    swedish = catalogue(_po("sv"))
    problems = []
    for msgid, place in sorted(source_strings().items(), key=str):
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        message = swedish.get(key)
        strings = (
            [] if message is None
            else list(message.string) if isinstance(message.string, tuple | list)
            else [message.string]
        )
        if message is None or not all(strings):
            problems.append(f"untranslated: {msgid!r} ({place})")
        elif message.fuzzy:
            problems.append(f"fuzzy, so ignored: {msgid!r} ({place})")
    assert not problems, f"{_po('sv')}: {FIX}\n" + "\n".join(problems)


def test_the_template_matches_the_source() -> None:
    extracted, template = set(source_strings()), msgids(catalogue(TEMPLATE))
    assert extracted == template, (
        f"{TEMPLATE} is out of date: {FIX}.\n"
        f"only in the source: {sorted(extracted - template, key=str)}\n"
        f"only in the template: {sorted(template - extracted, key=str)}"
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_catalogues_follow_the_template(lang: str) -> None:
    assert msgids(catalogue(_po(lang))) == msgids(catalogue(TEMPLATE)), FIX


def test_swedish_keeps_the_placeholders() -> None:
    problems = []
    for message in catalogue(_po("sv")):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set().union(*(PLACEHOLDER.findall(i) for i in ids))
        for string in strings:
            got = set(PLACEHOLDER.findall(string))
            # A plural's singular may spell the number out instead of using it.
            if got != wanted and not (isinstance(message.id, tuple) and got <= wanted):
                problems.append(f"{message.id!r} -> {string!r}")
            # A lone % would break new-style formatting at run time.
            if "%" in PLACEHOLDER.sub("", string).replace("%%", ""):
                problems.append(f"stray %: {string!r}")
    assert not problems, "\n".join(problems)


def test_lookups_translate_at_run_time_from_the_po_files() -> None:
    zone = ZoneInfo("Europe/Stockholm")
    sv, en = Words("sv", zone), Words("en", zone)
    assert sv.gettext("Sign out") == "Logga ut"
    assert en.gettext("Sign out") == "Sign out"
    assert sv.gettext("Signed in as %(name)s", name="Anna") == "Inloggad som Anna"
    assert sv.ngettext("%(num)s day", "%(num)s days", 1) == "1 dag"
    assert sv.ngettext("%(num)s day", "%(num)s days", 3) == "3 dagar"
    assert en.ngettext("%(num)s day", "%(num)s days", 3) == "3 days"
    # Compiled once per language, not per page.
    assert translation.translations("sv") is translation.translations("sv")


def test_numbers_as_each_language_writes_them() -> None:
    zone = ZoneInfo("Europe/Stockholm")
    assert Words("en", zone).percent(0.5) == "50%"
    assert Words("sv", zone).percent(0.5).replace("\xa0", " ") == "50 %"
    assert Words("sv", zone).percent(None) == "–"


def test_months_as_each_language_names_them_alone() -> None:
    zone = ZoneInfo("Europe/Stockholm")
    months = [date(2027, m, 1) for m in (1, 3, 5, 9)]
    assert [Words("en", zone).month(m) for m in months] == ["Jan", "Mar", "May", "Sep"]
    assert [Words("sv", zone).month(m) for m in months] == ["jan.", "mars", "maj", "sep."]


def test_glossary_terms_are_the_chats_words() -> None:
    zone = ZoneInfo("Europe/Stockholm")
    assert Words("sv", zone).term("Operational benefit") == "Verksamhetsnytta"
    assert Words("sv", zone).term("University-wide") == "Universitetsgemensamt"
    assert Words("en", zone).term("Cover during holidays") == "Cover during holidays"


@pytest.mark.parametrize(
    ("given", "default", "expected"),
    [("sv-SE", "en", "sv"), ("en", "sv", "en"), (None, "sv", "sv"), ("de", "en", "en"),
     ("de", "de", "sv"), ("", "en", "en")],
)
def test_language(given: str | None, default: str, expected: str) -> None:
    assert language(given, default) == expected
