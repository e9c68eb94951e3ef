"""Long lists of ids in pieces a database accepts.

A statement may bind at most 32,767 parameters on PostgreSQL (asyncpg) and 32,766 on SQLite
(999 on builds older than 3.32), so `col IN (...)` over a whole register of tens of thousands
of accounts fails there. Queries that take an id list run once per piece of IN_CHUNK ids and
merge the answers; a query over every account leaves the id list out altogether.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")

# Ids per IN list: far inside both databases' limits, large enough that the round trips are few.
IN_CHUNK = 900


def chunks(values: Iterable[T], size: int = IN_CHUNK) -> Iterator[list[T]]:
    """`values` in lists of at most `size`, in order (nothing for nothing)."""
    assert size >= 1
    it = iter(values)
    while piece := list(islice(it, size)):
        yield piece
