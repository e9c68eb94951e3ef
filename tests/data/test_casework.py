"""Case management and purging: a question or a post marked for case management tells the
Registry Office and waits for its registry number; a purge is recorded, and refused for
anything marked for case management or research value. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from data import casework, closure, questions
from data.db import Store
from data.errors import Invalid, MovedOn, NotAllowed, NotFound
from data.models import AuditEvent, CaseMark, Outbox, Purge
from tests.helpers import T0, Cast, load, make_person, make_roles
from tests.helpers.accounts import id_of, register

LATER = T0 + timedelta(hours=2)
POST = "https://instagram.com/p/abc123"


async def account_with_question(store: Store, cast: Cast) -> tuple[int, int]:
    account = id_of(await register(store, requester=cast.requester, team=(cast.colleague,),
                                   manager=cast.manager, now=T0))
    async with store.transaction() as session:
        question = await questions.log_question(
            session, account_id=account, actor_id=cast.requester,
            text="Why did KI publish my name?", now=T0,
        )
    assert question.id is not None
    return account, question.id


async def test_a_question_marked_for_case_management_tells_the_registry_office(
    store: Store, cast: Cast
) -> None:
    account, question = await account_with_question(store, cast)
    async with store.transaction() as session:
        mark = await casework.mark(
            session, account_id=account, actor_id=cast.colleague, kind="case_management",
            question_id=question, note=" Complaint about personal data ", now=LATER,
        )
        # A second click marks nothing new and tells nobody again.
        again = await casework.mark(
            session, account_id=account, actor_id=cast.requester, kind="case_management",
            question_id=question, now=LATER,
        )
    assert again.id == mark.id
    assert (mark.kind, mark.question_id, mark.note, mark.marked_by, mark.registry_number) == (
        "case_management", question, "Complaint about personal data", cast.colleague, None
    )
    [told] = await load(store, Outbox, Outbox.kind == "case_registration_needed")
    assert (told.place, told.params) == ("registry", {"account_id": account, "mark_id": mark.id})
    [event] = await load(store, AuditEvent, AuditEvent.action == "case.marked")
    assert event.actor_id == cast.colleague
    async with store.read() as session:
        assert [m.id for m in await casework.unregistered(session, [account])] == [mark.id]


async def test_the_registry_number_is_recorded_once(store: Store, cast: Cast) -> None:
    account, _ = await account_with_question(store, cast)
    async with store.transaction() as session:
        mark = await casework.mark(session, account_id=account, actor_id=cast.requester,
                                   kind="case_management", post=POST, now=T0)
        comms = id_of(await make_person(session, T0, "Eva Registrar", ext="eva.r"))
        await make_roles(session, T0, comms={comms})
    assert mark.id is not None
    async with store.transaction() as session:
        # Someone outside the account may not; the Communications Office may.
        with pytest.raises(NotAllowed):
            await casework.record_registry_number(session, mark_id=mark.id,
                                                  actor_id=cast.outsider,
                                                  registry_number="1-234/2027", now=LATER)
        done = await casework.record_registry_number(session, mark_id=mark.id, actor_id=comms,
                                                     registry_number=" 1-234/2027 ", now=LATER)
        assert (done.registry_number, done.registered_by, done.registered_at) == (
            "1-234/2027", comms, LATER
        )
        same = await casework.record_registry_number(
            session, mark_id=mark.id, actor_id=cast.requester, registry_number="1-234/2027",
            now=LATER)
        assert same.registered_by == comms
        with pytest.raises(MovedOn) as moved:
            await casework.record_registry_number(
                session, mark_id=mark.id, actor_id=cast.requester,
                registry_number="1-999/2027", now=LATER)
        assert moved.value.code == "already_registered"
        assert await casework.unregistered(session, [account]) == []
    [event] = await load(store, AuditEvent, AuditEvent.action == "case.registered")
    assert event.details["registry_number"] == "1-234/2027"


async def test_a_purge_is_recorded_with_its_rule(store: Store, cast: Cast) -> None:
    account, question = await account_with_question(store, cast)
    async with store.transaction() as session:
        purge = await casework.record_purge(
            session, account_id=account, actor_id=cast.manager, post=f"  {POST} ",
            rule="Disposal decision 3.2: comments of no lasting value", now=LATER,
            purged_on=date(2027, 2, 26),
        )
        by_question = await casework.record_purge(
            session, account_id=account, actor_id=cast.colleague, question_id=question,
            rule="3.2", now=LATER,
        )
    assert (purge.what, purge.rule, purge.purged_by, purge.purged_on, purge.recorded_at) == (
        POST, "Disposal decision 3.2: comments of no lasting value", cast.manager,
        date(2027, 2, 26), LATER,
    )
    assert (by_question.question_id, by_question.purged_on) == (question, date(2027, 3, 1))
    events = await load(store, AuditEvent, AuditEvent.action == "purge.recorded")
    assert [e.actor_id for e in events] == [cast.manager, cast.colleague]


@pytest.mark.parametrize(
    ("kind", "code"),
    [("case_management", "marked_for_case_management"),
     ("research_value", "marked_research_value")],
)
async def test_a_purge_of_marked_content_is_refused(
    store: Store, cast: Cast, kind: str, code: str
) -> None:
    account, question = await account_with_question(store, cast)
    async with store.transaction() as session:
        await casework.mark(session, account_id=account, actor_id=cast.requester, kind=kind,
                            question_id=question, now=T0)
        await casework.mark(session, account_id=account, actor_id=cast.requester, kind=kind,
                            post=POST, now=T0)
    for target in ({"question_id": question}, {"post": POST.upper() + "  "}):
        async with store.transaction() as session:
            with pytest.raises(NotAllowed) as refused:
                await casework.record_purge(session, account_id=account,
                                            actor_id=cast.requester, rule="3.2", now=LATER,
                                            **target)  # type: ignore[arg-type]
        assert refused.value.code == code
    assert await load(store, Purge) == []
    # Registered or not, a case stays unpurgeable (the public's right of access).
    if kind == "case_management":
        [mark, _] = await load(store, CaseMark)
        assert mark.id is not None
        async with store.transaction() as session:
            await casework.record_registry_number(session, mark_id=mark.id,
                                                  actor_id=cast.requester,
                                                  registry_number="1-1/2027", now=LATER)
            with pytest.raises(NotAllowed):
                await casework.record_purge(session, account_id=account,
                                            actor_id=cast.requester, rule="3.2", now=LATER,
                                            question_id=question)


async def test_who_may_and_what_is_checked(store: Store, cast: Cast) -> None:
    account, question = await account_with_question(store, cast)
    other = id_of(await register(store, requester=cast.second_colleague,
                                 team=(cast.director,), manager=cast.manager, now=T0,
                                 handle="ki_other"))
    async with store.transaction() as session:
        with pytest.raises(NotAllowed):
            await casework.mark(session, account_id=account, actor_id=cast.outsider,
                                kind="research_value", post=POST, now=T0)
        with pytest.raises(NotAllowed):
            await casework.record_purge(session, account_id=account, actor_id=cast.outsider,
                                        rule="3.2", post=POST, now=T0)
        with pytest.raises(Invalid) as unknown:
            await casework.mark(session, account_id=account, actor_id=cast.requester,
                                kind="nice", post=POST, now=T0)
        assert unknown.value.code == "unknown_mark"
        for both_or_none in ({}, {"question_id": question, "post": POST}, {"post": "  "}):
            with pytest.raises(Invalid) as neither:
                await casework.mark(session, account_id=account, actor_id=cast.requester,
                                    kind="research_value", now=T0,
                                    **both_or_none)  # type: ignore[arg-type]
            assert neither.value.code == "question_or_post"
        # Another account's question is not this account's.
        with pytest.raises(NotFound):
            await casework.mark(session, account_id=other, actor_id=cast.second_colleague,
                                kind="case_management", question_id=question, now=T0)
        with pytest.raises(Invalid) as future:
            await casework.record_purge(session, account_id=account, actor_id=cast.requester,
                                        rule="3.2", post=POST, now=T0,
                                        purged_on=date(2027, 3, 2))
        assert future.value.code == "in_the_future"
    # Closed: no new marks, but a purge may still be recorded.
    async with store.transaction() as session:
        await closure.close_account(session, account_id=account, actor_id=cast.requester,
                                    reason="Merged", final_archive_location="S:/x", now=T0)
    async with store.transaction() as session:
        with pytest.raises(MovedOn):
            await casework.mark(session, account_id=account, actor_id=cast.requester,
                                kind="research_value", post=POST, now=LATER)
        await casework.record_purge(session, account_id=account, actor_id=cast.requester,
                                    rule="3.2", post=POST, now=LATER)
    assert len(await load(store, Purge)) == 1



# More account ids than one statement may bind (PostgreSQL: 32,767 parameters).
MANY = list(range(100_000, 140_000))


async def test_marks_and_purges_of_more_accounts_than_an_in_list_holds(
    store: Store, cast: Cast
) -> None:
    account, question = await account_with_question(store, cast)
    async with store.transaction() as session:
        first = await casework.mark(session, account_id=account, actor_id=cast.requester,
                                    kind="case_management", post=POST, now=T0)
        second = await casework.mark(session, account_id=account, actor_id=cast.requester,
                                     kind="research_value", question_id=question, now=T0)
        purge = await casework.record_purge(session, account_id=account,
                                            actor_id=cast.requester, rule="3.2", now=LATER,
                                            post="https://instagram.com/p/other")
    async with store.read() as session:
        ids = [*MANY, account]
        assert [m.id for m in await casework.marks_of(session, ids)] == [first.id, second.id]
        assert [p.id for p in await casework.purges_of(session, ids)] == [purge.id]
        assert [m.id for m in await casework.unregistered(session, ids)] == [first.id]
