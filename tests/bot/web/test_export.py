"""Downloads from the dashboard: for the comms office exactly what `kontobot export` writes,
for anyone else the same format limited to their own accounts."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from data import export, moderation, questions
from tests.bot.web.conftest import EVIL_QUESTION, Browser, World, id_of_account, sign_in
from tests.helpers import T0

CONTENT_TYPES = {"csv": "text/csv", "json": "application/json"}


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("what", export.WHATS)
async def test_the_comms_office_gets_what_kontobot_export_writes(
    client: TestClient[Any, Any], world: World, fmt: str, what: str
) -> None:
    comms = await sign_in(client, world, world.eva)
    response = await comms.get("/dashboard/export", params={"format": fmt, "what": what})
    body = await response.text()
    assert response.status == 200, body
    assert response.content_type == CONTENT_TYPES[fmt]
    assert response.charset == "utf-8"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="kontobot-{what}-2027-03-01.{fmt}"'
    )
    async with world.store.transaction() as session:
        assert body == await export.export(session, fmt, what)


async def test_a_team_member_gets_only_their_accounts(
    client: TestClient[Any, Any], world: World
) -> None:
    anna = await sign_in(client, world, world.anna)
    response = await anna.get("/dashboard/export", params={"format": "csv", "what": "register"})
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert [row["number"] for row in rows] == ["SOME-2027-0001"]
    assert rows[0]["team"] == "Anna Berg; Bo Ek"

    response = await anna.get("/dashboard/export", params={"format": "json", "what": "all"})
    data = json.loads(await response.text())
    assert [row["number"] for row in data["register"]] == ["SOME-2027-0001"]
    subjects = {event["subject"] for event in data["audit"]}
    assert subjects == {f"account:{world.neuro.id}", f"request:{world.neuro.request_id}"}


async def test_the_export_page_offers_every_download(
    client: TestClient[Any, Any], world: World
) -> None:
    comms = await sign_in(client, world, world.eva)
    body = await comms.page("/dashboard/export")
    for what in export.WHATS:
        for fmt in ("csv", "json"):
            assert f'href="/dashboard/export?format={fmt}&amp;what={what}"' in body


async def test_a_team_member_gets_only_their_accounts_public_documents(
    client: TestClient[Any, Any], world: World
) -> None:
    async with world.store.transaction() as session:
        await questions.log_question(session, account_id=id_of_account(world.medicine),
                                     actor_id=world.cia, text="Not Anna's", now=T0)
        await moderation.record_removal(
            session, account_id=id_of_account(world.medicine), actor_id=world.cia,
            content="A post", category="copyright", reason="A photo used without leave",
            evidence="Shared drive", now=T0,
        )
    anna = await sign_in(client, world, world.anna)
    response = await anna.get("/dashboard/export", params={"format": "json", "what": "records"})
    data = json.loads(await response.text())
    assert list(data) == list(export.RECORD_PARTS)
    assert [(q["account"], q["text"]) for q in data["questions"]] == [
        ("SOME-2027-0001", EVIL_QUESTION)
    ]
    assert data["moderation"] == []
    # The Communications Office sees every account's.
    comms = await sign_in(client, world, world.eva)
    response = await comms.get("/dashboard/export", params={"format": "csv", "what": "moderation"})
    [row] = list(csv.DictReader(io.StringIO(await response.text())))
    assert (row["account"], row["category"], row["removed_by"]) == (
        world.medicine.number, "copyright", "Cia Lund"
    )


@pytest.mark.parametrize(
    "query", [{"format": "xml"}, {"format": "csv", "what": "people"}, {"format": ""}]
)
async def test_unknown_exports_are_refused(
    client: TestClient[Any, Any], world: World, query: dict[str, str]
) -> None:
    comms = await sign_in(client, world, world.eva)
    response = await comms.get("/dashboard/export", params=query)
    assert response.status == 400
    assert "Content-Disposition" not in response.headers
    assert "No such export" in await response.text()


async def test_without_a_session_nothing_is_exported(client: TestClient[Any, Any]) -> None:
    response = await Browser(client).get(
        "/dashboard/export", params={"format": "csv", "what": "all"}
    )
    assert response.status == 401
    assert "Content-Disposition" not in response.headers
    assert response.content_type == "text/html"


async def test_the_dashboard_export_writes_no_formula(
    client: TestClient[Any, Any], world: World
) -> None:
    from tests.data.test_export import check_csv
    from tests.helpers import T0
    from tests.helpers.accounts import register_formulas

    await register_formulas(world.store, world.anna, world.bo, T0)
    for person in (world.eva, world.anna):
        browser = await sign_in(client, world, person)
        response = await browser.get("/dashboard/export", params={"format": "csv", "what": "all"})
        assert response.status == 200
        check_csv(await response.text())
