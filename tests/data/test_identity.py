"""One person per human: chat identities linked by their verified work e-mail, and two people
found to be one merged into one (data.identity, data.people.ensure_person). Every rule then
works on the person. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import column, func, select, table

from data import dashboard, identity, people, requests
from data.db import Store
from data.errors import Invalid, NotAllowed
from data.models import (
    Absence,
    AccessibilityCheck,
    Account,
    AccountMember,
    AccountRequest,
    ActivityEntry,
    ApprovalDecision,
    ArchiveRecord,
    AuditEvent,
    CaseMark,
    ChatIdentity,
    ClosureRecord,
    ConsentRecord,
    DashboardSession,
    DialogState,
    ManagerHandover,
    ModerationEntry,
    MonitoringCheckIn,
    Outbox,
    Person,
    Purge,
    Question,
    QuestionReferral,
    RoleAssignment,
    RotaSetting,
    UsedSignInLink,
    WebhookToken,
    WebMessage,
)
from hub.delivery import Deliverer
from tests.helpers import T0, Cast, count, decide, id_of, load, make_person, make_roles, submit
from tests.helpers.accounts import register
from tests.helpers.channels import RecordingChannel

LATER = T0 + timedelta(hours=1)
EMAIL = "anna.berg@ki.se"


async def slack_and_teams(store: Store) -> tuple[int, int]:
    """Anna on Slack (her profile gives her e-mail), then on Teams: (slack, teams) persons."""
    async with store.transaction() as session:
        on_slack = await people.ensure_person(
            session, now=T0, platform="slack", external_id="UANNA", display_name="Anna Berg",
            email=EMAIL,
        )
        on_teams = await people.ensure_person(
            session, now=LATER, platform="teams", external_id="aad-anna",
            display_name="Anna Berg (KI)", email="  Anna.Berg@KI.SE ",
        )
    return id_of(on_slack), id_of(on_teams)


async def test_two_identities_with_one_email_are_one_person(store: Store) -> None:
    on_slack, on_teams = await slack_and_teams(store)
    assert on_slack == on_teams
    [person] = await load(store, Person)
    assert (person.email, person.last_platform) == (EMAIL, "teams")
    assert sorted((i.platform, i.external_id, i.person_id) for i in await load(
        store, ChatIdentity
    )) == [("slack", "UANNA", on_slack), ("teams", "aad-anna", on_slack)]
    actions = [e.action for e in await load(store, AuditEvent)]
    assert actions == ["person.created", "person.identity_linked"]
    async with store.transaction() as session:
        again = await people.find_by_identity(session, "teams", "aad-anna")
    assert again is not None and again.id == on_slack


async def test_the_web_chat_is_never_linked_by_email(store: Store) -> None:
    # Anyone can act as anyone on the web chat: an address given there proves nothing.
    async with store.transaction() as session:
        on_slack = await make_person(session, T0, "Anna Berg", platform="slack", email=EMAIL)
        on_web = await make_person(session, T0, "Anna Berg", platform="web", email=EMAIL)
        again = await make_person(
            session, LATER, "Anna Berg", platform="teams", ext="aad-anna", email=EMAIL
        )
    assert on_web.id != on_slack.id
    assert again.id == on_slack.id


async def test_an_identity_whose_email_becomes_known_merges_its_person(store: Store) -> None:
    async with store.transaction() as session:
        anna = id_of(await make_person(session, T0, "Anna Berg", platform="slack", email=EMAIL))
        # Teams first knows her by her id only (a person picked in a picker, say).
        other = id_of(await people.ensure_person(
            session, now=T0, platform="teams", external_id="aad-anna"
        ))
        await make_roles(session, T0, platform="teams", director={other})
        await make_roles(session, T0, platform="slack", comms={anna})
    assert other != anna
    async with store.transaction() as session:
        merged = await people.ensure_person(
            session, now=LATER, platform="teams", external_id="aad-anna", email=EMAIL,
            display_name="Anna Berg",
        )
        assert merged.id == anna
        assert merged.last_platform == "teams"
        assert await people.has_role(session, anna, "director")
        assert await people.has_role(session, anna, "comms")
    assert [p.id for p in await load(store, Person)] == [anna]
    [event] = await load(store, AuditEvent, AuditEvent.action == "person.merged")
    assert (event.subject, event.details["merged_id"], event.details["reason"]) == (
        f"person:{anna}", other, "same_email"
    )
    assert event.details["moved"]["chat_identity.person_id"] == 1


# --- every rule works on the person ----------------------------------------------------------


async def test_a_linked_identity_is_the_requester_to_every_rule(
    store: Store, cast: Cast
) -> None:
    anna, anna_on_teams = await slack_and_teams(store)
    assert anna == anna_on_teams

    as_anna = Cast(anna, cast.colleague, cast.second_colleague, cast.manager, cast.director,
                   cast.outsider)

    # Her Teams identity named as the second responsible person, or as her manager: refused.
    with pytest.raises(Invalid) as team:
        await submit(store, as_anna, team_ids=(anna_on_teams,))
    assert team.value.code == "team_includes_requester"
    with pytest.raises(Invalid) as manager:
        await submit(store, as_anna, manager_id=anna_on_teams)
    assert manager.value.code == "requester_as_manager"

    # Nor can her Teams identity approve her request, handed to it or not.
    request = await submit(store, as_anna)
    assert request.id is not None
    async with store.transaction() as session:
        with pytest.raises(Invalid) as handed:
            await requests.hand_over(
                session, request_id=request.id, actor_id=cast.manager,
                to_person_id=anna_on_teams, now=LATER,
            )
    assert handed.value.code == "requester_as_approver"
    with pytest.raises(NotAllowed) as own:
        await decide(store, request.id, anna_on_teams)
    assert own.value.code == "own_request"
    assert await count(store, Account) == 0


async def test_the_dashboard_shows_the_same_accounts_from_either_identity(
    store: Store, cast: Cast
) -> None:
    anna, _ = await slack_and_teams(store)
    await register(store, requester=anna, team=(cast.colleague,), manager=cast.manager, now=T0)
    await register(store, requester=cast.colleague, team=(cast.second_colleague,),
                   manager=cast.manager, now=T0, handle="ki_other")
    async with store.transaction() as session:
        seen = {}
        for platform, external_id in (("slack", "UANNA"), ("teams", "aad-anna")):
            person = await people.find_by_identity(session, platform, external_id)
            assert person is not None
            viewer = await dashboard.viewer(session, id_of(person))
            seen[platform] = [a.number for a in await dashboard.visible_accounts(session, viewer)]
    assert seen == {"slack": ["SOME-2027-0001"], "teams": ["SOME-2027-0001"]}


async def test_one_notice_per_person_on_the_platform_last_used(
    store: Store, cast: Cast
) -> None:
    anna, _ = await slack_and_teams(store)
    await register(store, requester=anna, team=(cast.colleague,), manager=cast.manager, now=T0)
    slack, teams = RecordingChannel("slack"), RecordingChannel("teams")
    web = RecordingChannel("web", places={"comms"})
    deliverer = Deliverer(store, {"slack": slack, "teams": teams, "web": web})
    # One welcome (and one word of the decision) for her, not one per identity.
    owed = await load(store, Outbox, Outbox.recipient_id == anna)
    assert sorted(o.kind for o in owed) == ["request_decided", "welcome"]
    while await deliverer.deliver_due(LATER):
        pass
    # She last wrote on Teams: each goes there, once.
    assert [c.target for c in teams.sent] == ["aad-anna", "aad-anna"]
    assert slack.sent == []

    # Writing on Slack again moves her notices there.
    async with store.transaction() as session:
        person = await people.ensure_person(
            session, now=LATER, platform="slack", external_id="UANNA", email=EMAIL
        )
        assert person.last_platform == "slack"
    await register(store, requester=anna, team=(cast.colleague,), manager=cast.manager,
                   now=LATER, handle="ki_second")
    while await deliverer.deliver_due(LATER):
        pass
    assert [c.target for c in slack.sent] == ["UANNA", "UANNA"]
    assert len(teams.sent) == 2


async def test_each_platform_s_settings_keep_the_roles_they_give(store: Store) -> None:
    # Anna is in the Communications Office by Slack's settings; Teams' settings name nobody:
    # she is one person on both, and keeps the role.
    anna, _ = await slack_and_teams(store)
    async with store.transaction() as session:
        await make_roles(session, T0, platform="slack", comms={anna})
        await make_roles(session, LATER, platform="teams", comms=set())
        assert await people.has_role(session, anna, "comms")
        await make_roles(session, LATER, platform="teams", comms={anna})
        await make_roles(session, LATER, platform="slack", comms=set())
        assert await people.has_role(session, anna, "comms")
        assert [id_of(p) for p in await people.people_with_role(session, "comms")] == [anna]
        await make_roles(session, LATER, platform="teams", comms=set())
        assert not await people.has_role(session, anna, "comms")


async def test_being_picked_elsewhere_is_not_speaking_there(store: Store) -> None:
    # Anna last wrote on Teams; someone picks her in Slack's people picker: her notices still
    # go to Teams, where she last spoke.
    anna, _ = await slack_and_teams(store)
    async with store.transaction() as session:
        picked = await people.ensure_person(
            session, now=LATER, platform="slack", external_id="UANNA", email=EMAIL, spoke=False
        )
        assert (picked.id, picked.last_platform) == (anna, "teams")
        new = await people.ensure_person(
            session, now=LATER, platform="slack", external_id="UBO", spoke=False
        )
        assert new.last_platform == "slack"


# --- merging -------------------------------------------------------------------------------


async def test_merging_moves_every_row_that_names_the_person(store: Store, cast: Cast) -> None:
    """Every column with a foreign key to person.id gets a row naming the merged person
    (where both people have one under the same key, the survivor's is kept)."""
    survivor, merged = cast.colleague, cast.second_colleague
    day = date(2027, 3, 1)
    account = await register(
        store, requester=merged, team=(survivor,), manager=cast.manager, now=T0
    )
    account_id = account.id
    assert account_id is not None
    pending = await submit(store, cast, team_ids=(merged, survivor), handle="ki_pending")
    assert pending.id is not None
    async with store.transaction() as session:
        await requests.hand_over(
            session, request_id=pending.id, actor_id=cast.manager, to_person_id=cast.outsider,
            now=T0,
        )
    other = await register(
        store, requester=cast.requester, team=(cast.outsider,), manager=merged, now=T0,
        handle="ki_managed",
    )
    assert other.id is not None
    async with store.transaction() as session:
        await make_roles(session, T0, director={cast.director, merged, survivor})
        session.add_all([
            DialogState(person_id=merged, dialog="d", step="merged", updated_at=T0),
            DialogState(person_id=survivor, dialog="d", step="survivor", updated_at=T0),
            RotaSetting(account_id=account_id, rotation="day", anchor=day, updated_at=T0,
                        updated_by=merged),
            Absence(person_id=merged, first_day=day, last_day=day, created_at=T0),
            MonitoringCheckIn(account_id=account_id, person_id=merged, day=day,
                              kind="monitored", at=T0),
            MonitoringCheckIn(account_id=account_id, person_id=survivor, day=day,
                              kind="cannot", at=T0),
            ActivityEntry(account_id=account_id, person_id=merged, at=T0, note="post"),
            Question(account_id=account_id, source="chat", text="?", received_at=T0,
                     logged_by=merged, answered_at=T0, answered_by=merged),
            ArchiveRecord(account_id=account_id, reason="scheduled", due=day, done_at=T0,
                          done_by=merged, created_at=T0, created_by=merged),
            ClosureRecord(account_id=other.id, closed_by=merged, reason="r",
                          final_archive_location="l", closed_at=T0),
            WebhookToken(account_id=account_id, token_hash="a" * 64, created_at=T0,
                         created_by=merged),
            UsedSignInLink(nonce="n" * 20, person_id=merged, used_at=T0, expires_at=T0),
            DashboardSession(token_hash="b" * 64, person_id=merged, created_at=T0,
                             expires_at=T0, csrf="c"),
            WebMessage(conversation="c", sender_id=merged, payload={}, created_at=T0,
                       updated_at=T0),
            ManagerHandover(account_id=other.id, from_manager_id=merged, to_person_id=merged,
                            proposed_by=merged, status="pending", proposed_at=T0),
        ])
    async with store.transaction() as session:
        question = Question(account_id=account_id, source="chat", text="?", received_at=T0,
                            logged_by=survivor)
        session.add(question)
        await session.flush()
        assert question.id is not None
        # Issue 14's records: a colleague asked, a removal, a mark, a purge, a consent, a check.
        session.add_all([
            QuestionReferral(question_id=question.id, account_id=account_id, category="expert",
                             expert_id=merged, referred_by=merged, referred_at=T0, due_at=T0,
                             status="asked"),
            ModerationEntry(account_id=account_id, content="c", category="other", reason="r",
                            removed_at=T0, removed_by=merged, evidence="e", recorded_at=T0),
            CaseMark(account_id=account_id, kind="case_management", post="p", marked_by=merged,
                     marked_at=T0, registry_number="1", registered_by=merged, registered_at=T0),
            Purge(account_id=account_id, what="w", rule="r", purged_by=merged, purged_on=day,
                  recorded_at=T0),
            ConsentRecord(account_id=account_id, post="p", people="p", method="written",
                          kept_at="k", creator="c", creator_credited=True,
                          creator_consented=True, recorded_by=merged, recorded_at=T0),
            AccessibilityCheck(account_id=account_id, post="p", alt_text="ok", captions="ok",
                               plain_language="ok", link_text="ok", hashtags="ok", emoji="ok",
                               checked_by=merged, checked_at=T0),
        ])
    await decide(store, pending.id, cast.outsider, now=LATER)

    columns = identity.person_columns_of()
    names = {(c.table, c.column) for c in columns}

    async def naming(person_id: int) -> dict[tuple[str, str], int]:
        found = {}
        async with store.transaction() as session:
            for table_name, column_name in sorted(names):
                rows = table(table_name, column(column_name))
                found[(table_name, column_name)] = await session.scalar(
                    select(func.count()).select_from(rows).where(rows.c[column_name] == person_id)
                ) or 0
        return found

    before = await naming(merged)
    # Some row names the merged person in every column that can name a person (a table added
    # later must be added here too, so that its merge is tested).
    assert [where for where, n in before.items() if n == 0] == [
        ("account_request", "approver_id"),  # decided: nobody is asked any longer
    ]

    async with store.transaction() as session:
        await identity.merge_people(
            session, survivor_id=survivor, merged_id=merged, now=LATER, reason="test"
        )
    assert set((await naming(merged)).values()) == {0}
    assert await count(store, Person, Person.id == merged) == 0
    # Kept where both had one under one key: the survivor's dialog, check-in, team place.
    [state] = await load(store, DialogState, DialogState.person_id == survivor)
    assert state.step == "survivor"
    [check_in] = await load(store, MonitoringCheckIn)
    assert (check_in.person_id, check_in.kind) == (survivor, "cannot")
    members = await load(store, AccountMember, AccountMember.account_id == account_id)
    assert [m.person_id for m in members] == [survivor]
    assert await count(store, RoleAssignment, RoleAssignment.person_id == survivor) == 1
    # The merged requester's request, and a team naming both, now name the survivor once.
    requests_ = {r.handle: r for r in await load(store, AccountRequest)}
    assert requests_["ki_neuroscience"].requester_id == survivor
    assert requests_["ki_neuroscience"].team_ids == []
    assert requests_["ki_pending"].team_ids == [survivor]
    assert (await load(store, Account, Account.id == other.id))[0].manager_id == survivor
    [decision] = await load(store, ApprovalDecision, ApprovalDecision.decider_id == survivor)
    assert decision.stage == "manager"
    [event] = await load(store, AuditEvent, AuditEvent.action == "person.merged")
    assert event.details["merged_id"] == merged


def test_every_column_naming_a_person_is_found() -> None:
    assert {(c.table, c.column) for c in identity.person_columns_of()} == {
        ("chat_identity", "person_id"), ("role_assignment", "person_id"),
        ("account_request", "requester_id"), ("account_request", "manager_id"),
        ("account_request", "approver_id"), ("approval_decision", "decider_id"),
        ("account", "manager_id"), ("account_member", "person_id"),
        ("audit_event", "actor_id"), ("dialog_state", "person_id"),
        ("outbox", "recipient_id"), ("web_message", "sender_id"),
        ("rota_setting", "updated_by"), ("absence", "person_id"),
        ("monitoring_check_in", "person_id"), ("activity_entry", "person_id"),
        ("question", "logged_by"), ("question", "answered_by"),
        ("archive_record", "done_by"), ("archive_record", "created_by"),
        ("closure_record", "closed_by"), ("webhook_token", "created_by"),
        ("used_sign_in_link", "person_id"), ("dashboard_session", "person_id"),
        ("manager_handover", "from_manager_id"), ("manager_handover", "to_person_id"),
        ("manager_handover", "proposed_by"),
        ("question_referral", "expert_id"), ("question_referral", "referred_by"),
        ("moderation_entry", "removed_by"), ("case_mark", "marked_by"),
        ("case_mark", "registered_by"), ("purge", "purged_by"),
        ("consent_record", "recorded_by"), ("accessibility_check", "checked_by"),
    }
    keys = {(c.table, c.column): c.keys for c in identity.person_columns_of()}
    assert keys[("role_assignment", "person_id")] == (("role", "source"),)
    assert keys[("account_member", "person_id")] == (("account_id",),)
    assert keys[("dialog_state", "person_id")] == ((),)
    assert keys[("monitoring_check_in", "person_id")] == (("account_id", "day"),)


def test_email_is_compared_normalised() -> None:
    assert identity.normalise_email("  Anna.Berg@KI.SE ") == EMAIL
    assert identity.normalise_email("ａｎｎａ@ki.se") == "anna@ki.se"
    assert identity.normalise_email("not an address") is None
    assert identity.normalise_email(None) is None
