"""Text printed on an operator's terminal (the CLI's tables): what a terminal would act on
(escape sequences, bell, carriage return, a new line inside a cell) shown as "?" instead, one
character for one, so that a table's columns stay aligned and nothing stored can drive the
terminal, whatever reached the database."""

from __future__ import annotations


def printable(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)
