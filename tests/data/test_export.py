"""data.export: CSV cells neutralised against formulas, JSON with audit details as objects."""

from __future__ import annotations

import csv
import io
import json

import pytest

from data import export
from data.db import Store
from tests.helpers import T0, Cast
from tests.helpers.accounts import FORMULA_PREFIXES, formula, register_formulas


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
def test_a_cell_that_starts_like_a_formula_is_written_as_text(prefix: str) -> None:
    assert export.neutralise(formula(prefix)) == "'" + formula(prefix)
    assert export.neutralise("Department of Neuroscience") == "Department of Neuroscience"
    assert export.neutralise(7) == 7


def check_csv(text: str) -> None:
    """Every formula registered by register_formulas is in `text` only as text."""
    register_part = text.split("\n\n")[0]
    rows = list(csv.DictReader(io.StringIO(register_part)))
    units = {row["unit"] for row in rows}
    managers = {row["manager"] for row in rows}
    for prefix in FORMULA_PREFIXES:
        # The unit is typed text (stripped, so tab and CR never lead it); the manager's name
        # is the person's name as their platform gave it.
        if prefix.strip():
            assert "'" + formula(prefix) in units
        assert "'" + formula(prefix) in managers
    for row in csv.reader(io.StringIO(text)):
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
