"""Who sees what on the dashboard: the comms office everything; a manager or team member
their own accounts, open or closed; the export follows the same rule."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import timedelta

import pytest

from data import archive, closure, dashboard, export, questions, rota
from data.db import Store
from data.errors import Invalid, NotAllowed, NotFound
from data.models import Account
from tests.helpers import T0, Cast, id_of, make_person, make_roles
from tests.helpers.accounts import id_of as account_id
from tests.helpers.accounts import register

FORMATS = ("csv", "json")
WHATS = ("register", "audit", "all")


@dataclass(frozen=True)
class Register:
    """Three accounts, one registered a year earlier (so its number sorts first though it was
    made last), and a comms office member.

    SOME-2027-0001: team requester, colleague; manager `manager`.
    SOME-2027-0002: team second_colleague, colleague; manager director.
    SOME-2026-0001: team director, second_colleague; manager requester.
    """

    first: Account
    second: Account
    earlier: Account
    comms: int


@pytest.fixture
async def accounts(store: Store, cast: Cast) -> Register:
    return await three_accounts(store, cast)


async def three_accounts(store: Store, cast: Cast) -> Register:
    first = await register(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager, now=T0,
        handle="ki_first",
    )
    second = await register(
        store, requester=cast.second_colleague, team=(cast.colleague,), manager=cast.director,
        now=T0, handle="ki_second",
    )
    earlier = await register(
        store, requester=cast.director, team=(cast.second_colleague,), manager=cast.requester,
        now=T0 - timedelta(days=365), handle="ki_earlier",
    )
    async with store.transaction() as session:
        office = await make_person(session, T0, "Gun Press", email="Gun.Press@ki.se")
        await make_roles(session, T0, comms={id_of(office)})
    return Register(first, second, earlier, id_of(office))


async def viewer(store: Store, person_id: int) -> dashboard.Viewer:
    async with store.transaction() as session:
        return await dashboard.viewer(session, person_id)


async def visible(store: Store, person_id: int) -> list[str]:
    async with store.transaction() as session:
        who = await dashboard.viewer(session, person_id)
        return [a.number for a in await dashboard.visible_accounts(session, who)]


async def detail(store: Store, person_id: int, number: str) -> dashboard.AccountDetail:
    async with store.transaction() as session:
        who = await dashboard.viewer(session, person_id)
        return await dashboard.account_detail(session, who, number)


async def export_as(store: Store, person_id: int, fmt: str, what: str) -> str:
    async with store.transaction() as session:
        who = await dashboard.viewer(session, person_id)
        pieces = await dashboard.export_for(session, who, fmt, what)
        return "".join([piece async for piece in pieces])


async def test_the_comms_office_sees_every_account(
    store: Store, cast: Cast, accounts: Register
) -> None:
    office = await viewer(store, accounts.comms)
    assert office.sees_all and office.person.display_name == "Gun Press"
    assert await visible(store, accounts.comms) == [
        "SOME-2026-0001", "SOME-2027-0001", "SOME-2027-0002",
    ]
    assert not (await viewer(store, cast.director)).sees_all


async def test_others_see_the_accounts_they_manage_or_are_on_the_team_of(
    store: Store, cast: Cast, accounts: Register
) -> None:
    assert await visible(store, cast.manager) == ["SOME-2027-0001"]
    assert await visible(store, cast.colleague) == ["SOME-2027-0001", "SOME-2027-0002"]
    # On one team and the manager of another.
    assert await visible(store, cast.requester) == ["SOME-2026-0001", "SOME-2027-0001"]
    assert await visible(store, cast.outsider) == []


async def test_a_closed_account_stays_visible(
    store: Store, cast: Cast, accounts: Register
) -> None:
    async with store.transaction() as session:
        await closure.close_account(
            session, account_id=account_id(accounts.first), actor_id=cast.manager,
            reason="Done", final_archive_location="S:/final", now=T0 + timedelta(days=1),
        )
    assert await visible(store, cast.manager) == ["SOME-2027-0001"]
    closed = await detail(store, cast.colleague, "SOME-2027-0001")
    assert closed.closure is not None and closed.closure.reason == "Done"
    assert closed.account.status == "closed"


async def test_an_account_shown_to_someone_else_is_refused(
    store: Store, cast: Cast, accounts: Register
) -> None:
    for person, number in [
        (cast.outsider, "SOME-2027-0001"),
        (cast.manager, "SOME-2027-0002"),
        (cast.colleague, "SOME-2026-0001"),
    ]:
        with pytest.raises(NotAllowed) as refused:
            await detail(store, person, number)
        assert refused.value.code == "not_your_account"
    for person in (cast.outsider, accounts.comms):
        with pytest.raises(NotFound) as unknown:
            await detail(store, person, "SOME-2099-9999")
        assert unknown.value.code == "unknown_account"
    # The comms office may open any, and the number's case does not matter.
    assert (await detail(store, accounts.comms, "some-2027-0002")).account.handle == "ki_second"
    assert (await detail(store, cast.requester, "SOME-2026-0001")).account.handle == "ki_earlier"


async def test_one_account_in_full(store: Store, cast: Cast, accounts: Register) -> None:
    acc = account_id(accounts.first)
    async with store.transaction() as session:
        # Done later but dated earlier than what follows: the trail is in time order.
        await rota.set_rota(
            session, account_id=acc, actor_id=cast.requester, now=T0 + timedelta(days=2),
            order=(cast.colleague, cast.requester),
        )
        asked = await questions.log_question(
            session, account_id=acc, actor_id=cast.colleague, text="When is open day?",
            now=T0 + timedelta(hours=3), received_at=T0 + timedelta(hours=2),
        )
        earlier = await questions.log_question(
            session, account_id=acc, actor_id=cast.requester, text="Is the course in English?",
            now=T0 + timedelta(hours=4), received_at=T0 + timedelta(hours=1),
        )
        assert earlier.id is not None
        await questions.answer_question(
            session, question_id=earlier.id, actor_id=cast.colleague,
            now=T0 + timedelta(hours=5),
        )
        await archive.record_archive(
            session, account_id=acc, actor_id=cast.requester, location="S:/arkiv/1",
            now=T0 + timedelta(days=1),
        )
        # Another account's doings are not this one's trail.
        await questions.log_question(
            session, account_id=account_id(accounts.second), actor_id=cast.colleague,
            text="Elsewhere", now=T0 + timedelta(hours=1),
        )
    shown = await detail(store, cast.manager, "SOME-2027-0001")
    assert shown.account.id == acc
    assert shown.manager.id == cast.manager
    assert [p.id for p in shown.team] == [cast.colleague, cast.requester]
    assert shown.rota.order == (cast.colleague, cast.requester)
    assert [q.id for q in shown.questions] == [asked.id, earlier.id]
    assert [(r.location, r.done_by) for r in shown.archive] == [("S:/arkiv/1", cast.requester)]
    assert shown.closure is None

    request = f"request:{accounts.first.request_id}"
    assert [(e.action, e.actor) for e in shown.audit] == [
        ("request.submitted", "Anna Berg"),
        ("request.decided", "Dan Holm"),
        ("account.registered", ""),
        ("question.logged", "Bo Ek"),
        ("question.logged", "Anna Berg"),
        ("question.answered", "Bo Ek"),
        ("archive.done", "Anna Berg"),
        ("rota.changed", "Anna Berg"),
    ], request
    assert [e.at for e in shown.audit] == sorted(e.at for e in shown.audit)
    assert shown.audit[2].details["number"] == "SOME-2027-0001"
    # Person ids in the details are shown as names, under the key without "_id".
    assert shown.audit[0].details["manager"] == "Dan Holm"
    assert "manager_id" not in shown.audit[0].details
    assert shown.audit[2].details["team"] == ["Anna Berg", "Bo Ek"]
    assert shown.audit[-1].details["order"] == ["Bo Ek", "Anna Berg"]
    assert shown.audit[-1].details["rotation"] == shown.rota.rotation
    assert set(shown.people) == {cast.manager, cast.requester, cast.colleague}


async def test_the_trail_holds_only_the_accounts_own_subjects(
    store: Store, cast: Cast, accounts: Register
) -> None:
    shown = await detail(store, accounts.comms, "SOME-2027-0002")
    assert [e.action for e in shown.audit] == [
        "request.submitted", "request.decided", "account.registered",
    ]
    # Not person:N (people created, roles given) nor the other accounts' events.
    assert all(e.action not in ("person.created", "role.assigned") for e in shown.audit)


async def test_the_comms_office_exports_what_kontobot_export_writes(
    store: Store, accounts: Register
) -> None:
    for fmt in FORMATS:
        for what in WHATS:
            async with store.transaction() as session:
                expected = await export.export(session, fmt, what)
            assert await export_as(store, accounts.comms, fmt, what) == expected, (fmt, what)


async def test_a_team_member_exports_only_their_accounts(
    store: Store, cast: Cast, accounts: Register
) -> None:
    async with store.transaction() as session:
        everything = json.loads(await export.export(session, "json", "all"))
    mine = {"SOME-2027-0001", "SOME-2027-0002"}
    subjects = {
        f"{kind}:{n}"
        for a in (accounts.first, accounts.second)
        for kind, n in (("account", a.id), ("request", a.request_id))
    }
    expected = {
        "register": [r for r in everything["register"] if r["number"] in mine],
        "audit": [e for e in everything["audit"] if e["subject"] in subjects],
        **{part: [r for r in everything[part] if r["account"] in mine]
           for part in export.RECORD_PARTS},
    }
    assert {e["subject"] for e in expected["audit"]} == subjects

    got = json.loads(await export_as(store, cast.colleague, "json", "all"))
    assert got == expected
    assert json.loads(await export_as(store, cast.colleague, "json", "register")) == {
        "register": expected["register"],
    }
    assert json.loads(await export_as(store, cast.colleague, "json", "audit")) == {
        "audit": expected["audit"],
    }

    def rows(text: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(text)))

    register_csv = await export_as(store, cast.colleague, "csv", "register")
    assert register_csv.splitlines()[0] == ",".join(export.REGISTER_COLUMNS)
    assert [r["number"] for r in rows(register_csv)] == sorted(mine)
    audit_csv = await export_as(store, cast.colleague, "csv", "audit")
    assert [r["id"] for r in rows(audit_csv)] == [str(e["id"]) for e in expected["audit"]]
    both = await export_as(store, cast.colleague, "csv", "all")
    records_csv = await export_as(store, cast.colleague, "csv", "records")
    assert both == register_csv + "\n" + audit_csv + "\n" + records_csv


async def test_someone_with_no_accounts_exports_only_headers(
    store: Store, cast: Cast, accounts: Register
) -> None:
    assert await export_as(store, cast.outsider, "csv", "all") == "\n".join(
        ",".join(columns) + "\n" for columns in (
            export.REGISTER_COLUMNS, export.AUDIT_COLUMNS, export.QUESTION_COLUMNS,
            export.MODERATION_COLUMNS, export.CASE_MARK_COLUMNS, export.PURGE_COLUMNS,
            export.CONSENT_COLUMNS, export.ACCESSIBILITY_COLUMNS,
        )
    )
    assert json.loads(await export_as(store, cast.outsider, "json", "all")) == {
        part: [] for part in export.PARTS
    }


async def test_an_unknown_format_or_part_is_refused(
    store: Store, cast: Cast, accounts: Register
) -> None:
    for fmt, what, field in [("xml", "all", "format"), ("csv", "people", "what")]:
        with pytest.raises(Invalid) as refused:
            await export_as(store, accounts.comms, fmt, what)
        assert (refused.value.code, refused.value.params) == ("unknown_choice", {"field": field})


async def test_a_person_is_found_by_the_email_a_platform_vouched_for(
    store: Store, cast: Cast, accounts: Register
) -> None:
    async with store.transaction() as session:
        # Gun is known only through the web chat, where anyone may claim any address.
        assert await dashboard.person_by_email(session, "gun.press@ki.se") is None
        gun = await make_person(session, T0, "Gun Press", platform="slack", ext="U1",
                                email="gun.press@ki.se")
        found = await dashboard.person_by_email(session, "  gun.press@KI.se ")
        assert found is not None and found.id == gun.id
        assert await dashboard.person_by_email(session, "nobody@ki.se") is None
        assert await dashboard.person_by_email(session, "") is None
        # Known on Teams too, under the same address: the first, always.
        await make_person(session, T0, "Gun Press", platform="teams", ext="aad-gun",
                          email="gun.press@ki.se")
        again = await dashboard.person_by_email(session, "GUN.PRESS@ki.se")
        assert again is not None and again.id == gun.id


async def test_an_unknown_viewer_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await viewer(store, 999)
