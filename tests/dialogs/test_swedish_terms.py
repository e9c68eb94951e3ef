"""The Swedish of both catalogues (chat and dashboard) uses one word for one thing: what the
chat calls "Registrera en fråga" the dashboard doesn't call "Fråga loggad", and KI's offices are
written the one way mid-sentence."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = (
    ROOT / "dialogs/locale/sv/LC_MESSAGES/kontobot.po",
    ROOT / "bot/web/dashboard/locale/sv/LC_MESSAGES/dashboard.po",
)
# Words a translation from English brings in, and what KI's Swedish says instead.
AVOID = {
    r"\blogg(ad|at|ade|ades)\b(?! (in|ut)\b)": "registrera (as the chat's Registrera en fråga)",
    r"(?<=[a-zåäö,] )Kommunikationsavdelningen": "kommunikationsavdelningen mid-sentence",
    r"(?<=[a-zåäö,] )Registraturen": "registraturen mid-sentence",
    r"\bhör av mig\b": "får besked (höra av sig is what the sender does)",
    r"\bomdirigerad\b": "skickad till någon annan",
}


def _swedish() -> list[tuple[str, str]]:
    found = []
    for path in CATALOGUES:
        with path.open("rb") as handle:
            for message in read_po(handle):
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                found.extend((str(message.id), text) for text in strings if message.id and text)
    return found


@pytest.mark.parametrize("pattern", sorted(AVOID))
def test_the_swedish_avoids(pattern: str) -> None:
    offending = [(msgid, text) for msgid, text in _swedish() if re.search(pattern, text)]
    assert not offending, f"write {AVOID[pattern]}: {offending}"
