"""`kontobot directory import`: HR's staff list in, a report of what changed out; a file with
bad rows is refused whole, naming each line."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from data.db import Store
from data.models import StaffEntry
from tests.bot.test_cli import kontobot, sqlite_in
from tests.helpers import load

FIRST = (
    "email,name,unit,manager_email\r\n"
    "cecilia.carlsson@ki.se,Cecilia Carlsson,Department of Neuroscience,\r\n"
    "anna.andersson@ki.se,Anna Andersson,Department of Neuroscience,cecilia.carlsson@ki.se\r\n"
    "bjorn.berg@ki.se,Björn Berg,Department of Neuroscience,cecilia.carlsson@ki.se\r\n"
)
SECOND = (
    "email,name,unit,manager_email\r\n"
    "cecilia.carlsson@ki.se,Cecilia Carlsson,Department of Neuroscience,\r\n"
    "anna.andersson@ki.se,Anna Andersson,Communications Office,cecilia.carlsson@ki.se\r\n"
    "eva.ek@ki.se,Eva Ek,Communications Office,cecilia.carlsson@ki.se\r\n"
)
BAD = (
    "email,name,unit,manager_email\r\n"
    "eva.ek@ki.se,Eva Ek,Communications Office,\r\n"
    "eva.ek@ki.se,Eva Ek,Communications Office,\r\n"
    "filip.fors@ki.se,Filip Fors,Communications Office,nobody@ki.se\r\n"
)


async def emails(url: str) -> set[str]:
    store = Store.from_url(url)
    try:
        return {e.email for e in await load(store, StaffEntry)}
    finally:
        await store.close()


async def test_import_reports_changes_and_refuses_bad_files_whole(tmp_path: Path) -> None:
    url = sqlite_in(tmp_path)
    assert (await kontobot(url, tmp_path, "migrate")).code == 0
    staff = tmp_path / "staff.csv"
    # Excel's "CSV UTF-8" starts with a byte-order mark.
    staff.write_bytes(b"\xef\xbb\xbf" + FIRST.encode())
    first = await kontobot(url, tmp_path, "directory", "import", str(staff))
    assert first.code == 0, first.err
    assert first.out == "added 3, updated 0, removed (left) 0, unchanged 0; 1 unit(s)\n"

    staff.write_text(SECOND, encoding="utf-8")
    second = await kontobot(url, tmp_path, "directory", "import", str(staff))
    assert second.out == "added 1, updated 1, removed (left) 1, unchanged 1; 2 unit(s)\n"
    assert await emails(url) == {
        "cecilia.carlsson@ki.se", "anna.andersson@ki.se", "eva.ek@ki.se",
    }

    staff.write_text(BAD, encoding="utf-8")
    bad = await kontobot(url, tmp_path, "directory", "import", str(staff))
    assert bad.code == 1
    assert bad.out == ""
    assert "staff.csv:3: eva.ek@ki.se (line 2) is listed twice\n" in bad.err
    assert (
        "staff.csv:4: the manager nobody@ki.se is nobody in the file and not otherwise known\n"
        in bad.err
    )
    assert "nothing was imported: 2 row problem(s) in staff.csv" in bad.err
    assert await emails(url) == {
        "cecilia.carlsson@ki.se", "anna.andersson@ki.se", "eva.ek@ki.se",
    }

    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("email,name,unit,manager_email\nb@ki.se,Björn,U,\n".encode("latin-1"))
    refused = await kontobot(url, tmp_path, "directory", "import", str(latin1))
    assert refused.code == 1 and "is not UTF-8 text" in refused.err


HEADER = "email,name,unit,manager_email\n"


def staff_of(count: int, start: int = 0) -> str:
    return HEADER + "".join(f"p{n}@ki.se,Person {n},Unit,\n" for n in range(start, start + count))


async def test_a_file_without_rows_is_refused_and_removes_nobody(tmp_path: Path) -> None:
    # A truncated HR export (empty, or its header alone) must not empty the directory.
    url = sqlite_in(tmp_path)
    assert (await kontobot(url, tmp_path, "migrate")).code == 0
    staff = tmp_path / "staff.csv"
    staff.write_text(FIRST, encoding="utf-8")
    assert (await kontobot(url, tmp_path, "directory", "import", str(staff))).code == 0
    for text in ("", HEADER, HEADER + "\n\n  \n", "\ufeff"):
        staff.write_text(text, encoding="utf-8")
        run = await kontobot(url, tmp_path, "directory", "import", str(staff))
        assert run.code == 1, (text, run.err)
        assert run.out == ""
        [line] = run.err.splitlines()
        assert "nothing was imported: staff.csv has no rows" in line
        assert await emails(url) == {
            "cecilia.carlsson@ki.se", "anna.andersson@ki.se", "bjorn.berg@ki.se",
        }


async def test_an_import_removing_many_needs_allow_shrink(tmp_path: Path) -> None:
    url = sqlite_in(tmp_path)
    assert (await kontobot(url, tmp_path, "migrate")).code == 0
    staff = tmp_path / "staff.csv"
    staff.write_text(staff_of(200), encoding="utf-8")
    assert (await kontobot(url, tmp_path, "directory", "import", str(staff))).code == 0
    # 50 leave: not more than the threshold's 50 people, so no flag is needed.
    staff.write_text(staff_of(150), encoding="utf-8")
    few = await kontobot(url, tmp_path, "directory", "import", str(staff))
    assert few.code == 0, few.err
    assert few.out.startswith("added 0, updated 0, removed (left) 50,")
    # 140 of the 150 would leave: refused whole, the flag named.
    staff.write_text(staff_of(10) + staff_of(5, 300).removeprefix(HEADER), encoding="utf-8")
    refused = await kontobot(url, tmp_path, "directory", "import", str(staff))
    assert refused.code == 1, refused.err
    assert refused.out == ""
    [line] = refused.err.splitlines()
    assert (
        "nothing was imported: staff.csv would remove 140 of the 150 imported entries "
        "(a truncated export?); give --allow-shrink if they really left"
    ) in line
    assert len(await emails(url)) == 150
    allowed = await kontobot(url, tmp_path, "directory", "import", "--allow-shrink", str(staff))
    assert allowed.code == 0, allowed.err
    assert allowed.out.startswith("added 5, updated 0, removed (left) 140,")
    assert len(await emails(url)) == 15


async def test_a_database_error_is_one_line_without_the_statements_values(
    tmp_path: Path,
) -> None:
    url = sqlite_in(tmp_path)
    assert (await kontobot(url, tmp_path, "migrate")).code == 0
    # The database itself refuses the rows, as a constraint or a server limit would.
    with closing(sqlite3.connect(tmp_path / "kontobot.db")) as db:
        db.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON directory_entry "
            "BEGIN SELECT RAISE(ABORT, 'refused by the database'); END"
        )
        db.commit()
    staff = tmp_path / "staff.csv"
    staff.write_text(FIRST, encoding="utf-8")
    run = await kontobot(url, tmp_path, "directory", "import", str(staff))
    assert run.code == 1, run.err
    assert run.out == ""
    [line] = run.err.splitlines()
    assert "ERROR kontobot: database error: refused by the database" in line
    assert "@ki.se" not in run.err and "Traceback" not in run.err
