"""data.export: CSV cells neutralised against formulas, JSON with audit details as objects, and
each account's public documents (questions, moderation log, case marks, purges)."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest

from data import export
from data.db import Store
from data.models import Account
from tests.helpers import T0, Cast
from tests.helpers.accounts import (
    FORMULA_PREFIXES,
    add_records,
    formula,
    id_of,
    register,
    register_formulas,
)

LATER = T0 + timedelta(hours=2)  # when add_records records all but the question


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
def test_a_cell_that_starts_like_a_formula_is_written_as_text(prefix: str) -> None:
    assert export.neutralise(formula(prefix)) == "'" + formula(prefix)
    assert export.neutralise("Department of Neuroscience") == "Department of Neuroscience"
    assert export.neutralise(7) == 7


@pytest.mark.parametrize(
    "typed",
    [
        "When is the open day?;=HYPERLINK(A1);",
        "Visitor; +1+1",
        "a;\u00a0@SUM(A1)",
        'Note;"=HYPERLINK(A1)"',
        "tab\t=1+1",
        "  =1+1",
        "\u00a0@cmd",
    ],
)
def test_no_cell_a_spreadsheet_splits_off_starts_like_a_formula(typed: str) -> None:
    """Excel in Swedish reads a CSV file at its `;`s, quotes or not; some importers split at
    tabs or read a quoted cell a line at a time; spaces before a formula are skipped. However
    the file is split, no cell it makes starts like a formula, and the text is all there."""
    text = export.as_csv([{"unit": typed, "handle": "ki_x"}], ("unit", "handle"))
    for separator in (";", "\t"):
        for cell in text.replace("\r\n", "\n").split(separator):
            assert not cell.strip(' "\u00a0').startswith(FORMULA_PREFIXES), (typed, cell)
    [row] = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    assert row["unit"].replace("'", "") == typed.replace("\r", "\n")


def test_text_without_a_formula_is_written_as_typed() -> None:
    for typed in ("Nice, -5 degrees", "2027-01-01; 2027-02-01", "hello, @kontobot", "a-b;c",
                  "Goals:\n- reach students\n- answer questions"):
        assert export.neutralise(typed) == typed


def test_a_carriage_return_in_a_cell_cannot_split_its_row() -> None:
    """Text with a carriage return (none enters through the chat, which makes it a new line,
    but one written in the database otherwise) stays in its cell when the file is read."""
    rows = [{"unit": "\rCR unit", "handle": "a\r\nb\rc"}, {"unit": "next", "handle": "row"}]
    text = export.as_csv(rows, ("unit", "handle"))
    read = list(csv.DictReader(io.StringIO(text, newline=""), strict=True))
    assert [(row["unit"], row["handle"]) for row in read] == [
        ("'\nCR unit", "a\nb\nc"), ("next", "row")
    ]


def check_csv(text: str) -> None:
    """Every formula registered by register_formulas is in `text` only as text."""
    register_part = text.split("\n\n")[0]
    rows = list(csv.DictReader(io.StringIO(register_part, newline=""), strict=True))
    units = {row["unit"] for row in rows}
    managers = {row["manager"] for row in rows}
    for prefix in FORMULA_PREFIXES:
        # The unit is typed text (stripped, so tab and CR never lead it); the manager's name
        # is the person's name as their platform gave it. A CR is written as the new line it
        # stands for (test_a_carriage_return_in_a_cell_cannot_split_its_row).
        written = ("'" + formula(prefix)).replace("\r", "\n")
        if prefix.strip():
            assert written in units
        assert written in managers
    for row in csv.reader(io.StringIO(text, newline=""), strict=True):
        for cell in row:
            assert not cell.startswith(FORMULA_PREFIXES), cell


async def test_the_register_csv_holds_no_formula(store: Store, cast: Cast) -> None:
    await register_formulas(store, cast.requester, cast.colleague, T0)
    async with store.transaction() as session:
        check_csv(await export.export(session, "csv", "all"))
        data = json.loads(await export.export(session, "json", "all"))
    # JSON is not a spreadsheet: what was typed is there as typed.
    assert {formula(p) for p in FORMULA_PREFIXES} <= {row["manager"] for row in data["register"]}


async def test_json_carries_audit_details_as_objects(store: Store, cast: Cast) -> None:
    await register_formulas(store, cast.requester, cast.colleague, T0)
    async with store.transaction() as session:
        data = json.loads(await export.export(session, "json", "audit"))
        text = await export.export(session, "csv", "audit")
    registered = [e for e in data["audit"] if e["action"] == "account.registered"]
    assert registered and all(isinstance(e["details"], dict) for e in registered)
    assert registered[0]["details"]["number"].startswith("SOME-2027-")
    # In CSV the details are the same object as JSON text.
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [json.loads(r["details"]) for r in rows] == [e["details"] for e in data["audit"]]


async def account_with_records(store: Store, cast: Cast, handle: str, typed: str) -> int:
    account = id_of(await register(store, requester=cast.requester, team=(cast.colleague,),
                                   manager=cast.manager, now=T0, handle=handle))
    await add_records(store, account, cast.requester, cast.colleague, typed, T0)
    return account


RECORD_PARTS = {
    "questions": export.QUESTION_COLUMNS, "moderation": export.MODERATION_COLUMNS,
    "case_marks": export.CASE_MARK_COLUMNS, "purges": export.PURGE_COLUMNS,
    "consents": export.CONSENT_COLUMNS, "accessibility": export.ACCESSIBILITY_COLUMNS,
}


async def test_the_public_documents_of_an_account_are_exported(store: Store, cast: Cast) -> None:
    typed = formula("=")
    await account_with_records(store, cast, "ki_neuroscience", typed)
    async with store.transaction() as session:
        data = json.loads(await export.export(session, "json", "records"))
        text = await export.export(session, "csv", "records")
    assert list(data) == list(RECORD_PARTS)
    [question] = data["questions"]
    assert (question["account"], question["text"], question["asked_by"], question["logged_by"]) \
        == ("SOME-2027-0001", typed, typed, "Anna Berg")
    [removed] = data["moderation"]
    assert (removed["category"], removed["reason"], removed["evidence"], removed["removed_by"]) \
        == ("defamation", typed, typed, "Bo Ek")
    [mark] = data["case_marks"]
    assert (mark["kind"], mark["question_id"], mark["note"], mark["registry_number"]) == (
        "case_management", question["id"], typed, ""
    )
    [purge] = data["purges"]
    assert (purge["rule"], purge["purged_by"], purge["purged_on"]) == (
        typed, "Anna Berg", LATER.date().isoformat()
    )
    [consented] = data["consents"]
    assert (consented["people"], consented["creator"], consented["creator_credited"],
            consented["recorded_by"]) == (typed, typed, True, "Anna Berg")
    [checked] = data["accessibility"]
    assert (checked["post"], checked["alt_text"], checked["emoji"], checked["checked_by"],
            checked["checked_at"]) == (typed, "ok", "to_fix", "Anna Berg", LATER.isoformat())
    # CSV: each part a table (a blank line between), the same rows, no cell a formula.
    tables = text.split("\n\n")
    assert len(tables) == len(RECORD_PARTS)
    for table, (name, columns) in zip(tables, RECORD_PARTS.items(), strict=True):
        rows = list(csv.DictReader(io.StringIO(table)))
        assert tuple(rows[0]) == columns
        assert [r["id"] for r in rows] == [str(r["id"]) for r in data[name]]
        assert "'" + typed in rows[0].values()
    for row in csv.reader(io.StringIO(text, newline=""), strict=True):
        for cell in row:
            assert not cell.startswith(FORMULA_PREFIXES), cell


async def test_an_account_filter_keeps_other_accounts_records_out(
    store: Store, cast: Cast
) -> None:
    mine = await account_with_records(store, cast, "ki_neuroscience", "Mine")
    await account_with_records(store, cast, "ki_other", "Theirs")
    async with store.transaction() as session:
        account = await session.get(Account, mine)
        assert account is not None
        data = json.loads(await export.export(session, "json", "all", accounts=[account]))
        everything = json.loads(await export.export(session, "json", "all"))
    for name in RECORD_PARTS:
        assert {r["account"] for r in data[name]} == {"SOME-2027-0001"}, name
        assert {r["account"] for r in everything[name]} == {"SOME-2027-0001", "SOME-2027-0002"}
    # Ordered by account, then as recorded.
    assert [r["account"] for r in everything["questions"]] == ["SOME-2027-0001", "SOME-2027-0002"]
