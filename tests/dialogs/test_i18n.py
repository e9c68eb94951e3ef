"""The message catalogues: complete, faithful to their placeholders, and in step with the source.

Strings are extracted from the source tree at test time, the way `make babel-extract` does it
(babel.cfg and the keywords `tr` and `N_`), so a string added without a Swedish translation
fails here rather than reaching a Swedish-speaking user in English.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from string import Formatter

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.util import pathmatch

from dialogs import words
from dialogs.i18n import CATALOGUE_DIR, DOMAIN, LOCALES, Translator, normalise

ROOT = Path(__file__).resolve().parents[2]
# The keywords of `pybabel extract --no-default-keywords -k tr -k N_`: the first argument is
# the msgid. `tr` also matches `ctx.tr(...)` and `self.tr(...)`.
KEYWORDS = {"tr": None, "N_": None}
TEMPLATE = CATALOGUE_DIR / f"{DOMAIN}.pot"
FIX_TEMPLATE = "run `make babel-extract`, then `make babel-update` and translate"
FIX_CATALOGUES = "run `make babel-update`"


def _po(locale: str) -> Path:
    return CATALOGUE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def _method_map() -> list[tuple[str, str]]:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, _options = parse_mapping_cfg(handle, "babel.cfg")
    return method_map


@cache
def source_strings() -> dict[str, tuple[str, ...]]:
    """msgid -> where it occurs, for every string the source hands to `tr` or `N_`."""
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT, method_map=_method_map(), keywords=KEYWORDS
    ):
        assert isinstance(message, str), (filename, lineno, message)
        found.setdefault(message, []).append(f"{filename}:{lineno}")
    return {msgid: tuple(places) for msgid, places in found.items()}


@cache
def catalogue(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def msgids(catalog: Catalog) -> set[str]:
    return {str(m.id) for m in catalog if m.id}


def placeholders(text: str) -> set[str]:
    """`{name}`, `{n:d}`, `{x!r}` fields as written (escaped `{{` `}}` are not fields)."""
    return {
        "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        for _literal, name, spec, conversion in Formatter().parse(text)
        if name is not None
    }


def _python_sources() -> Iterator[Path]:
    patterns = [pattern for pattern, method in _method_map() if method == "python"]
    for folder, dirnames, filenames in os.walk(ROOT):
        # As extract_from_dir does: no hidden or private folders (.venv, __pycache__).
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")))
        for filename in sorted(filenames):
            relative = Path(folder, filename).relative_to(ROOT).as_posix()
            if any(pathmatch(pattern, relative) for pattern in patterns):
                yield Path(folder, filename)


def test_source_has_strings_to_translate() -> None:
    # Guards the tests below against an extraction that silently finds nothing.
    assert "Cancel" in source_strings()
    assert len(source_strings()) > 50


def test_every_source_string_has_a_swedish_translation() -> None:
    swedish = catalogue(_po("sv"))
    problems = []
    for msgid, places in sorted(source_strings().items()):
        message = swedish.get(msgid)
        if message is None or not message.string:
            problems.append(f"untranslated: {msgid!r} ({places[0]})")
        elif message.fuzzy:
            problems.append(f"fuzzy, so ignored at run time: {msgid!r} ({places[0]})")
    assert not problems, f"{_po('sv')}: {FIX_TEMPLATE}\n" + "\n".join(problems)


def test_swedish_translations_keep_the_placeholders() -> None:
    problems = []
    for message in catalogue(_po("sv")):
        if not message.id or not message.string:
            continue
        msgid, msgstr = str(message.id), str(message.string)
        try:
            wanted, got = placeholders(msgid), placeholders(msgstr)
        except ValueError as error:  # a lone brace: str.format would raise at run time
            problems.append(f"{msgid!r} -> {msgstr!r}: {error}")
            continue
        if wanted != got:
            problems.append(
                f"{msgid!r} -> {msgstr!r}: missing {sorted(wanted - got)}, "
                f"unknown {sorted(got - wanted)}"
            )
    assert not problems, "\n".join(problems)


def test_swedish_translations_format_with_the_msgid_parameters() -> None:
    problems = []
    for message in catalogue(_po("sv")):
        if not message.id or not message.string:
            continue
        params = {
            name: 1
            for _literal, name, _spec, _conversion in Formatter().parse(str(message.id))
            if name
        }
        try:
            str(message.string).format(**params)
        except (KeyError, IndexError, ValueError) as error:
            problems.append(f"{message.id!r} -> {message.string!r}: {error!r}")
    assert not problems, "\n".join(problems)


def test_template_matches_the_source() -> None:
    extracted = set(source_strings())
    template = msgids(catalogue(TEMPLATE))
    new = sorted(extracted - template)
    gone = sorted(template - extracted)
    assert not new and not gone, (
        f"{TEMPLATE} is out of date: {FIX_TEMPLATE}.\n"
        f"In the source but not the template: {new}\nIn the template only: {gone}"
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogues_follow_the_template(locale: str) -> None:
    template = msgids(catalogue(TEMPLATE))
    have = msgids(catalogue(_po(locale)))
    assert have == template, (
        f"{_po(locale)} does not follow {TEMPLATE}: {FIX_CATALOGUES}.\n"
        f"missing: {sorted(template - have)}\nstale: {sorted(have - template)}"
    )


def test_every_literal_handed_to_tr_is_extracted() -> None:
    """Catches what Babel's extractor cannot see: f-strings, and literals it skips."""
    extracted = set(source_strings())
    problems = []
    for path in _python_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            function = node.func
            name = (
                function.id
                if isinstance(function, ast.Name)
                else function.attr
                if isinstance(function, ast.Attribute)
                else None
            )
            if name not in KEYWORDS:
                continue
            first = node.args[0]
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if isinstance(first, ast.JoinedStr) and any(
                isinstance(part, ast.FormattedValue) for part in first.values
            ):
                problems.append(f"{where}: f-string; use a {{placeholder}} and a parameter")
            elif (
                isinstance(first, ast.Constant)
                and isinstance(first.value, str)
                and first.value not in extracted
            ):
                problems.append(f"{where}: {first.value!r} is not extracted")
    assert not problems, "\n".join(problems)


def test_lookups_translate() -> None:
    assert Translator("sv")("Cancel") == "Avbryt"
    assert Translator("sv-SE")("Submit") == "Skicka"
    assert Translator("en")("Cancel") == "Cancel"
    # No catalogue for German: the English source text.
    assert Translator("de-DE")("Cancel") == "Cancel"
    # A string the catalogue does not know is shown as it is.
    assert Translator("sv")("Not in any catalogue") == "Not in any catalogue"


@pytest.mark.parametrize(
    ("given", "default", "expected"),
    [
        ("sv-SE", "en", "sv"),
        ("sv_FI", "en", "sv"),
        ("SV", "en", "sv"),
        ("en-GB", "sv", "en"),
        ("de-DE", "sv", "sv"),
        ("de-DE", "en", "en"),
        (None, "en", "en"),
        (None, "sv", "sv"),
        ("", "sv", "sv"),
        ("fr", "de", "en"),
    ],
)
def test_normalise(given: str | None, default: str, expected: str) -> None:
    assert normalise(given, default) == expected


def test_normalise_defaults_to_english() -> None:
    assert normalise("sv-SE") == "sv"
    assert normalise("nb-NO") == "en"


def test_placeholders_are_filled_in_both_languages() -> None:
    for locale, expected in [
        ("en", "Open a social-media account: question 2 of 14"),
        ("sv", "Öppna ett konto i sociala medier: fråga 2 av 14"),
    ]:
        tr = Translator(locale)
        title = tr("Open a social-media account")
        assert tr("{title}: question {number} of {total}", title=title, number=2, total=14) == (
            expected
        )


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    ("label", "meaning"),
    [("Back", "back"), ("Cancel", "cancel"), ("Help", "help"), ("Submit", "submit")],
)
def test_button_labels_work_when_typed(locale: str, label: str, meaning: str) -> None:
    # People type what the buttons say ("Type back ..."): dialogs/words.py must know it.
    assert words.command_word(Translator(locale)(label)) == meaning
