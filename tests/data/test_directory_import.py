"""`data.directory.import_csv` at scale and against truncated exports: a file without rows or
one removing many people is refused, and a file of any size is imported in statements that
stay within the databases' parameter limits. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from data import directory
from data.chunks import IN_CHUNK
from data.db import Store
from data.errors import Invalid
from data.models import StaffEntry
from tests.helpers import T0, count

HEADER = "email,name,unit,manager_email\n"
# More than PostgreSQL's 32,767 parameters a statement (and SQLite's 32,766).
BEYOND_THE_LIMIT = 35_000


def staff_of(people: range, manager: str = "") -> str:
    return HEADER + "".join(f"p{n}@ki.se,P{n},U,{manager}\n" for n in people)


async def run_import(store: Store, text: str, *, allow_shrink: bool = False) -> directory.ImportReport:
    async with store.transaction() as session:
        return await directory.import_csv(
            session, text, now=T0, source_name="staff.csv", allow_shrink=allow_shrink
        )


async def refused(store: Store, text: str, **kwargs: bool) -> Invalid:
    with pytest.raises(Invalid) as error:
        await run_import(store, text, **kwargs)
    return error.value


@contextmanager
def statements(store: Store) -> Iterator[list[tuple[str, int]]]:
    """The statements run on `store` meanwhile, each with its number of parameters (an
    executemany counts once, with those of one row)."""
    seen: list[tuple[str, int]] = []

    def record(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        one = parameters[0] if many and parameters else parameters
        seen.append((statement.lstrip().split(None, 1)[0].upper(), len(one or ())))

    event.listen(store.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(store.engine.sync_engine, "before_cursor_execute", record)


@pytest.mark.parametrize("text", ["", "\n\n", HEADER, HEADER + "\n \n\n", "email;name;unit;manager_email\n"])
async def test_a_file_without_rows_is_refused(store: Store, text: str) -> None:
    await run_import(store, staff_of(range(3)))
    assert (await refused(store, text)).code == "directory_empty"
    assert await count(store, StaffEntry) == 3


async def test_removing_many_is_refused_unless_allowed(store: Store) -> None:
    await run_import(store, staff_of(range(1000)))
    # 100 of 1,000 leave: not more than 10 %, so it passes.
    assert (await run_import(store, staff_of(range(900)))).removed == 100
    # 91 of the 900 imported leave: more than 10 % and more than 50 people.
    error = await refused(store, staff_of(range(809)))
    assert (error.code, error.params) == ("directory_shrink", {"removed": 91, "entries": 900})
    assert await count(store, StaffEntry) == 900
    assert (await run_import(store, staff_of(range(809)), allow_shrink=True)).removed == 91
    assert await count(store, StaffEntry) == 809


async def test_a_small_directory_may_lose_up_to_fifty_people(store: Store) -> None:
    await run_import(store, staff_of(range(60)))
    # 50 of 60 is far more than 10 %, but not more than 50 people.
    assert (await run_import(store, staff_of(range(10)))).removed == 50
    await run_import(store, staff_of(range(70)), allow_shrink=True)
    error = await refused(store, staff_of(range(19)))
    assert (error.code, error.params) == ("directory_shrink", {"removed": 51, "entries": 70})


async def test_a_file_beyond_the_parameter_limit_is_imported(store: Store) -> None:
    people = range(BEYOND_THE_LIMIT)
    # Every manager unknown: each looked up (in pieces) before the file is refused.
    unknown = await refused(store, staff_of(people, manager="nobody@ki.se"))
    assert unknown.code == "directory_rows"
    assert len(unknown.params["problems"]) == BEYOND_THE_LIMIT
    report = await run_import(store, staff_of(people))
    assert (report.added, report.removed) == (BEYOND_THE_LIMIT, 0)
    # Everyone leaves at once: removed in pieces.
    gone = await run_import(store, staff_of(range(BEYOND_THE_LIMIT, BEYOND_THE_LIMIT + 1)),
                            allow_shrink=True)
    assert (gone.added, gone.removed) == (1, BEYOND_THE_LIMIT)
    assert await count(store, StaffEntry) == 1


async def test_statements_grow_with_the_file_linearly_in_pieces(store: Store) -> None:
    """No statement per row, and each IN list at most IN_CHUNK long."""

    async def statements_for(people: int) -> list[tuple[str, int]]:
        # Each from a directory of one other person: everyone in the file is added, the
        # one removed.
        await run_import(store, HEADER + "x@ki.se,X,U,\n", allow_shrink=True)
        with statements(store) as seen:
            await run_import(store, staff_of(range(people)), allow_shrink=True)
        return seen

    small, large = await statements_for(2 * IN_CHUNK), await statements_for(8 * IN_CHUNK)
    # Four times the rows: a few more pieces (look-ups, insert batches), not a statement a
    # row, let alone more.
    assert len(large) - len(small) <= 24, (len(small), len(large))
    # The inserts are batched by SQLAlchemy within the limits; every other statement's list
    # is a piece.
    assert max(n for kind, n in large if kind != "INSERT") <= IN_CHUNK + 1
