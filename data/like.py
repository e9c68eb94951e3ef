"""Text matched literally in a LIKE pattern: its wildcards ("%", "_") and the escape character
itself escaped by a backslash, PostgreSQL's default escape (SQLite needs ESCAPE '\\' said)."""

from __future__ import annotations


def literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
