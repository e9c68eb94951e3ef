"""`kontobot nudges run` and `kontobot tokens`, run as operators run them."""

from __future__ import annotations

import hashlib
from pathlib import Path

from data import migrate, outbox
from data.db import Store
from data.models import Outbox, WebhookToken
from scheduler.nudge_rules import KINDS
from tests.bot.test_cli import kontobot, sqlite_in
from tests.helpers import T0, load, make_cast
from tests.helpers.accounts import register


async def registered(tmp_path: Path) -> str:
    """A database with one account (SOME-2027-0001) registered on Monday 1 March 2027."""
    url = sqlite_in(tmp_path)
    store = Store.from_url(url)
    try:
        await migrate.upgrade(store.engine)
        cast = await make_cast(store)
        await register(store, requester=cast.requester, team=(cast.colleague,),
                       manager=cast.manager, now=T0.replace(hour=6))
    finally:
        await store.close()
    return url


async def nudge_rows(url: str) -> list[Outbox]:
    store = Store.from_url(url)
    try:
        return [r for r in await load(store, Outbox) if r.kind in KINDS]
    finally:
        await store.close()


async def test_a_dry_run_prints_the_table_and_writes_nothing(tmp_path: Path) -> None:
    url = await registered(tmp_path)
    run = await kontobot(url, tmp_path, "nudges", "run", "--as-of", "2027-03-01T14:30",
                         "--dry-run")
    assert run.code == 0, run.err
    assert [line.split() for line in run.out.splitlines()] == [
        ["RECIPIENT", "KIND", "ACCOUNT", "WHY"],
        ["Anna", "Berg", "(#1)", "nudge_rota", "SOME-2027-0001", "on_duty"],
        ["Bo", "Ek", "(#2)", "nudge_rota_unmarked", "SOME-2027-0001", "not_marked",
         "(escalation)"],
    ]
    assert "dry run as of 2027-03-01T13:30:00+00:00: 2 nudge(s), nothing written" in run.err
    assert await nudge_rows(url) == []


async def test_a_run_owes_the_nudges_once(tmp_path: Path) -> None:
    url = await registered(tmp_path)
    for _ in range(2):
        run = await kontobot(url, tmp_path, "nudges", "run", "--as-of",
                             "2027-03-01T08:30:00+01:00")
        assert run.code == 0, run.err
    assert "1 nudge(s), 0 new outbox message(s)" in run.err
    [row] = await nudge_rows(url)
    assert (row.key, row.kind) == ("nudge_rota:1:2027-03-01", "nudge_rota")


async def test_outside_the_sending_hours_nothing_is_due(tmp_path: Path) -> None:
    url = await registered(tmp_path)
    run = await kontobot(url, tmp_path, "nudges", "run", "--as-of", "2027-03-01T06:00",
                         "--dry-run")
    assert run.code == 0, run.err
    assert run.out.split() == ["RECIPIENT", "KIND", "ACCOUNT", "WHY"]


async def test_a_bad_time_is_refused(tmp_path: Path) -> None:
    run = await kontobot(sqlite_in(tmp_path), tmp_path, "nudges", "run", "--as-of", "tomorrow")
    assert run.code == 2
    assert "not an ISO 8601 time: 'tomorrow'" in run.err


async def test_tokens_are_printed_once_and_stored_as_hashes(tmp_path: Path) -> None:
    url = await registered(tmp_path)
    created = await kontobot(url, tmp_path, "tokens", "create", "some-2027-0001")
    assert created.code == 0, created.err
    token = created.out.strip()
    assert token.startswith("kbq_") and token not in created.err
    again = await kontobot(url, tmp_path, "tokens", "create", "SOME-2027-0001")
    assert again.code == 1 and again.out == ""
    assert "already has a token: use `kontobot tokens rotate`" in again.err
    rotated = await kontobot(url, tmp_path, "tokens", "rotate", "SOME-2027-0001")
    assert rotated.code == 0, rotated.err
    new = rotated.out.strip()
    assert new != token
    store = Store.from_url(url)
    try:
        [row] = await load(store, WebhookToken)
    finally:
        await store.close()
    assert row.token_hash == hashlib.sha256(new.encode()).hexdigest()
    unknown = await kontobot(url, tmp_path, "tokens", "create", "SOME-2027-0999")
    assert unknown.code == 1 and "no account numbered SOME-2027-0999" in unknown.err


async def test_prune_deletes_what_is_older_than_the_retention(tmp_path: Path) -> None:
    url = await registered(tmp_path)
    run = await kontobot(url, tmp_path, "nudges", "run", "--as-of", "2027-03-01T08:30:00+01:00")
    assert run.code == 0, run.err
    store = Store.from_url(url)
    try:
        async with store.transaction() as session:
            row = await outbox.by_key(session, "nudge_rota:1:2027-03-01")
            assert row is not None and row.id is not None
            await outbox.mark_sent(session, row_id=row.id, now=T0, delivered={"slack": "1.2"})
    finally:
        await store.close()
    # Sent on 1 March: kept 30 days, so still there on 31 March, gone on 1 April.
    kept = await kontobot(url, tmp_path, "prune", "--as-of", "2027-03-31T08:00", "--days", "30")
    assert kept.code == 0, kept.err
    assert ("deleted 0 outbox message(s), 0 inbox event(s), 0 web chat message(s) and 0 "
            "unfinished conversation(s) from before 2027-03-01T06:00:00+00:00") in kept.err
    assert len(await nudge_rows(url)) == 1
    gone = await kontobot(url, tmp_path, "prune", "--as-of", "2027-04-01T08:00", "--days", "30")
    assert gone.code == 0, gone.err
    assert "deleted 1 outbox message(s)" in gone.err
    assert await nudge_rows(url) == []
    never = await kontobot(url, tmp_path, "prune", "--days", "0")
    assert never.code == 2
    assert "nothing is deleted" in never.err
