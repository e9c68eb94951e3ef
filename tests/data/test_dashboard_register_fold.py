"""The register's case folding on SQLite (data.dashboard_register.fold): SQLite's own lower()
for ASCII text, the Python kb_fold for the rest, together exactly str.casefold, and a search
matches exactly the text whose case-folded form contains the case-folded query."""

from __future__ import annotations

import asyncio
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import literal
from sqlmodel import select

from data.dashboard_register import _like, fold
from data.db import Store

# ASCII with LIKE's wildcards and escape, and characters whose case folding is not lower():
# the sharp s, the Kelvin sign, dotted capital I, a ligature, final sigma, a titlecase digraph.
TEXT = st.text(alphabet="aZk_ %\\-1ÅåÖéßKİﬁΣςǅ", max_size=12)


async def folded(values: list[str], query: str) -> list[tuple[str, bool]]:
    with TemporaryDirectory() as folder:
        store = Store.from_url(f"sqlite:///{Path(folder) / 'fold.db'}")
        try:
            found = []
            async with store.transaction() as session:
                for value in values:
                    text = fold(session, literal(value))
                    found.append((await session.exec(
                        select(text, text.like(_like(query.casefold()), escape="\\"))
                    )).one())
            return [(f, bool(m)) for f, m in found]
        finally:
            await store.close()


@settings(max_examples=60, deadline=None)
@given(values=st.lists(TEXT, min_size=1, max_size=6), query=TEXT)
def test_sqlite_folds_and_matches_as_python_does(values: list[str], query: str) -> None:
    expected = [(v.casefold(), query.casefold() in v.casefold()) for v in values]
    assert asyncio.run(folded(values, query)) == expected


def test_a_query_finds_text_folded_outside_ascii() -> None:
    # "STRASSE" in "Straße" only once folded; the Kelvin sign is a k; Å is å.
    assert asyncio.run(folded(["Straße", "\u212aI", "ÅSA", "plain"], "strasse")) == [
        ("strasse", True), ("ki", False), ("åsa", False), ("plain", False),
    ]
