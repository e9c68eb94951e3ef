"""Words a person can type at any step, in every language we speak."""

from __future__ import annotations

WORDS: dict[str, frozenset[str]] = {
    "back": frozenset({"back", "tillbaka", "bakåt"}),
    "cancel": frozenset({"cancel", "avbryt", "stop", "sluta"}),
    "help": frozenset({"help", "hjälp", "?"}),
    "submit": frozenset({"submit", "skicka"}),
}


def command_word(text: str) -> str | None:
    """The shared meaning of `text` if it is one of the words above, else None."""
    token = text.strip().lower().lstrip("/")
    for meaning, spellings in WORDS.items():
        if token in spellings:
            return meaning
    return None
