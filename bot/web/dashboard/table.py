"""The register page's choice (filters, search, sort, page) from the query string, and
`choose`: the register's filters and order over rows in memory, the definition that the
database's paged register (data/dashboard_register.py) follows and is tested against.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from data.dashboard_overview import COMPLIANCE_FILTERS
from data.dashboard_register import SORTS, Wanted
from data.dashboard_register import Row as RegisterRow
from dialogs.text import clean

DIRECTIONS = ("asc", "desc")
FILTERS = ("unit", "platform", "status", "compliance", "q")
MAX_QUERY = 200


@dataclass(frozen=True)
class Row(RegisterRow):
    def matches(self, text: str) -> bool:
        wanted = text.casefold()
        a = self.account
        return any(
            wanted in field.casefold()
            for field in (a.number, a.platform, a.handle, a.unit, self.manager, *self.team)
        )


@dataclass(frozen=True)
class Choice:
    unit: str = ""
    platform: str = ""
    status: str = ""
    compliance: str = ""
    q: str = ""
    sort: str = "number"
    direction: str = "asc"
    page: int = 1

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> Choice:
        """What the form asked for; values that are not choices are dropped, not refused."""
        compliance = query.get("compliance", "")
        sort = query.get("sort", "number")
        direction = query.get("dir", "asc")
        def typed(name: str) -> str:
            # Normalised where it enters, as chat text is: "ö" typed as o and a combining
            # diaeresis finds what "ö" finds.
            return clean(query.get(name, ""))

        return cls(
            unit=typed("unit").strip()[:MAX_QUERY],
            platform=typed("platform").strip()[:MAX_QUERY],
            status=typed("status").strip()[:MAX_QUERY],
            compliance=compliance if compliance in COMPLIANCE_FILTERS else "",
            q=" ".join(typed("q").split())[:MAX_QUERY],
            sort=sort if sort in SORTS else "number",
            direction=direction if direction in DIRECTIONS else "asc",
            page=_page(query.get("page", "")),
        )

    def wanted(self) -> Wanted:
        return Wanted(
            unit=self.unit, platform=self.platform, status=self.status,
            compliance=self.compliance, q=self.q, sort=self.sort, direction=self.direction,
            page=self.page,
        )

    @property
    def filtered(self) -> bool:
        return any((self.unit, self.platform, self.status, self.compliance, self.q))

    def query(self, **changes: Any) -> str:
        """The query string of this choice with `changes`, leaving out what is not chosen."""
        chosen = replace(self, **changes)
        pairs = [
            ("unit", chosen.unit), ("platform", chosen.platform), ("status", chosen.status),
            ("compliance", chosen.compliance), ("q", chosen.q),
        ]
        if (chosen.sort, chosen.direction) != ("number", "asc"):
            pairs += [("sort", chosen.sort), ("dir", chosen.direction)]
        if chosen.page > 1:
            pairs.append(("page", str(chosen.page)))
        return urlencode([(k, v) for k, v in pairs if v])

    def page_query(self, page: int) -> str:
        return self.query(page=page)

    def sort_query(self, column: str) -> str:
        """The link a column heading makes: its own sort, reversed when it is already on (from
        the first page)."""
        if self.sort == column:
            return self.query(direction="desc" if self.direction == "asc" else "asc", page=1)
        return self.query(sort=column, direction="asc", page=1)

    def aria_sort(self, column: str) -> str | None:
        if self.sort != column:
            return None
        return "ascending" if self.direction == "asc" else "descending"


def _page(raw: str) -> int:
    """A page number; anything else is the first page (too high a number: the last)."""
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) <= 6 and int(raw) > 0 else 1


def _compliance_key(row: Row) -> tuple[bool, int, tuple[int, ...]]:
    # Ascending runs from OK through more and more flags raised; closed accounts come last.
    order = {name: n for n, name in enumerate(COMPLIANCE_FILTERS)}
    return row.flags == ("closed",), len(row.flags), tuple(order[f] for f in row.flags)


def _text(value: str) -> str:
    return value.casefold()


SORT_KEYS: dict[str, Callable[[Row], Any]] = {
    "number": lambda r: r.account.number,
    "platform": lambda r: _text(r.account.platform),
    "handle": lambda r: _text(r.account.handle),
    "unit": lambda r: _text(r.account.unit),
    "team": lambda r: tuple(_text(name) for name in r.team),
    "manager": lambda r: _text(r.manager),
    "status": lambda r: r.account.status,
    "compliance": _compliance_key,
}


def choose(rows: Sequence[Row], choice: Choice) -> list[Row]:
    def keep(row: Row) -> bool:
        a = row.account
        if choice.unit and a.unit != choice.unit:
            return False
        if choice.platform and a.platform != choice.platform:
            return False
        if choice.status and a.status != choice.status:
            return False
        if choice.compliance == "ok" and row.flags:
            return False
        if choice.compliance not in ("", "ok") and choice.compliance not in row.flags:
            return False
        return not choice.q or row.matches(choice.q)

    key = SORT_KEYS[choice.sort]
    # Ties keep the register's order (by number), whichever way the column runs.
    kept = sorted((r for r in rows if keep(r)), key=lambda r: r.account.number)
    return sorted(kept, key=key, reverse=choice.direction == "desc")
