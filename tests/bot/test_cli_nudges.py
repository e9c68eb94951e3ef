"""`kontobot nudges run` and `kontobot tokens`, run as operators run them."""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from data import migrate, outbox
from data.db import Store
from data.models import Outbox, WebhookToken
from scheduler.nudge_rules import KINDS
from tests.bot.test_cli import kontobot, sqlite_in
from tests.helpers import T0, load, make_cast
from tests.helpers.accounts import register

# Monday 3 March 2025, 10:00 in Stockholm: `prune` takes no --as-of later than the wall clock.
PAST = datetime(2025, 3, 3, 9, tzinfo=UTC)


async def registered(tmp_path: Path, now: datetime = T0) -> str:
    """A database with one account registered at 06:00 UTC on `now`'s day: SOME-2027-0001 on
    Monday 1 March 2027."""
    url = sqlite_in(tmp_path)
    store = Store.from_url(url)
    try:
        await migrate.upgrade(store.engine)
        cast = await make_cast(store, now.replace(hour=5))
        await register(store, requester=cast.requester, team=(cast.colleague,),
                       manager=cast.manager, now=now.replace(hour=6))
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


async def test_the_table_shows_what_a_terminal_would_act_on_as_question_marks(
    tmp_path: Path,
) -> None:
    """A name that reached the database with an escape sequence and a new line in it (not by
    the chat, which drops them) cannot clear the operator's screen or break the table."""
    url = await registered(tmp_path)
    with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as connection, connection:
        connection.execute(
            "UPDATE person SET display_name = ? WHERE id = 1", ("Anna\x1b[2J\nBerg",)
        )
    run = await kontobot(url, tmp_path, "nudges", "run", "--as-of", "2027-03-01T14:30",
                         "--dry-run")
    assert run.code == 0, run.err
    assert "\x1b" not in run.out
    assert run.out.splitlines()[1].split()[:2] == ["Anna?[2J?Berg", "(#1)"]


async def test_a_run_owes_the_nudges_once(tmp_path: Path) -> None:
    url = await registered(tmp_path, PAST)
    for _ in range(2):
        run = await kontobot(url, tmp_path, "nudges", "run", "--as-of",
                             "2025-03-03T08:30:00+01:00")
        assert run.code == 0, run.err
    assert "1 nudge(s), 0 new outbox message(s)" in run.err
    [row] = await nudge_rows(url)
    assert (row.key, row.kind) == ("nudge_rota:1:2025-03-03", "nudge_rota")


async def test_a_run_refuses_an_as_of_later_than_now_unless_dry(tmp_path: Path) -> None:
    # A real run for a future day would owe that day's rows and move the rules' day forward
    # for good; a dry run changes nothing, so it may look ahead.
    url = await registered(tmp_path)
    run = await kontobot(url, tmp_path, "nudges", "run", "--as-of", "2027-03-01T08:30:00+01:00")
    assert run.code == 2, run.err
    assert run.err.startswith("usage: kontobot nudges run ")
    assert "error: argument --as-of: 2027-03-01T08:30:00+01:00 is later than now (" in run.err
    assert await nudge_rows(url) == []
    dry = await kontobot(url, tmp_path, "nudges", "run", "--as-of", "2027-03-01T08:30:00+01:00",
                         "--dry-run")
    assert dry.code == 0, dry.err
    assert "dry run as of" in dry.err and "1 nudge(s), nothing written" in dry.err
    assert await nudge_rows(url) == []


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


async def sent_nudge(tmp_path: Path) -> str:
    """A database with a nudge owed and sent on Monday 3 March 2025 (PAST)."""
    url = await registered(tmp_path, PAST)
    run = await kontobot(url, tmp_path, "nudges", "run", "--as-of", "2025-03-03T08:30:00+01:00")
    assert run.code == 0, run.err
    store = Store.from_url(url)
    try:
        async with store.transaction() as session:
            row = await outbox.by_key(session, "nudge_rota:1:2025-03-03")
            assert row is not None and row.id is not None
            await outbox.mark_sent(session, row_id=row.id, now=PAST, delivered={"slack": "1.2"})
    finally:
        await store.close()
    return url


async def test_prune_deletes_what_is_older_than_the_retention(tmp_path: Path) -> None:
    url = await sent_nudge(tmp_path)
    # Sent on 3 March: kept 30 days, so still there on 2 April, gone on 3 April.
    kept = await kontobot(url, tmp_path, "prune", "--as-of", "2025-04-02T08:00", "--days", "30")
    assert kept.code == 0, kept.err
    assert ("deleted 0 outbox message(s), 0 inbox event(s), 0 web chat message(s) and 0 "
            "unfinished conversation(s) from before 2025-03-03T06:00:00+00:00") in kept.err
    assert len(await nudge_rows(url)) == 1
    gone = await kontobot(url, tmp_path, "prune", "--as-of", "2025-04-03T08:00", "--days", "30")
    assert gone.code == 0, gone.err
    assert "deleted 1 outbox message(s)" in gone.err
    assert await nudge_rows(url) == []
    # 0 keeps everything (KONTOBOT_RETENTION_DAYS=0): a nightly cron job has nothing to do.
    for given in (("--days", "0"), ()):
        never = await kontobot(url, tmp_path, "prune", *given, KONTOBOT_RETENTION_DAYS="0")
        assert never.code == 0, never.err
        assert "everything is kept: nothing is deleted" in never.err
    # As KONTOBOT_RETENTION_DAYS: no cut-off before the calendar's first day.
    for days in ("3651", "999999999", "-1", "x"):
        refused = await kontobot(url, tmp_path, "prune", "--days", days)
        assert refused.code == 2 and "argument --days" in refused.err, refused.err
        assert "Traceback" not in refused.err


@pytest.mark.parametrize(
    "as_of",
    [
        "9999-12-30T09:30",  # the rules would look into year 10000
        "1999-12-30T09:30",  # before the working-day calendar starts
        "1999-12-31T22:59:59+00:00",  # still 1999 in Stockholm
        "0001-01-01T00:00:00+14:00",  # no UTC time at all
        "9999-12-31T23:59:59-14:00",
    ],
)
async def test_an_as_of_off_the_calendar_is_a_usage_error(tmp_path: Path, as_of: str) -> None:
    url = await registered(tmp_path)
    run = await kontobot(url, tmp_path, "nudges", "run", "--as-of", as_of, "--dry-run")
    assert (run.code, run.out) == (2, ""), run.err
    assert "Traceback" not in run.err
    assert run.err.startswith("usage: kontobot nudges run ")
    shown = datetime.fromisoformat(as_of).isoformat()
    assert (f"kontobot nudges run: error: argument --as-of: {shown} is not between 2000-01-01 "
            "and 9998-12-31 in Europe/Stockholm") in run.err


@pytest.mark.parametrize(
    ("as_of", "utc"),
    [
        ("2000-01-01T00:00", "1999-12-31T23:00:00+00:00"),
        ("1999-12-31T23:00:00+00:00", "1999-12-31T23:00:00+00:00"),
        ("2000-01-03T14:30", "2000-01-03T13:30:00+00:00"),  # the first Monday: on duty
        ("9998-12-31T14:30", "9998-12-31T13:30:00+00:00"),  # the rules look into 9999
    ],
)
async def test_the_first_and_last_days_of_the_calendar_run(
    tmp_path: Path, as_of: str, utc: str
) -> None:
    url = await registered(tmp_path)
    run = await kontobot(url, tmp_path, "nudges", "run", "--as-of", as_of, "--dry-run")
    assert run.code == 0, run.err
    assert f"dry run as of {utc}:" in run.err


async def test_prune_refuses_an_as_of_later_than_now(tmp_path: Path) -> None:
    url = await sent_nudge(tmp_path)
    # The CLI reads the wall clock, so the test does too: a moment from now is the future.
    soon = (datetime.now(UTC) + timedelta(minutes=10)).isoformat(timespec="seconds")
    for as_of in ["2999-03-03T08:00", soon]:
        run = await kontobot(url, tmp_path, "prune", "--as-of", as_of, "--days", "30")
        assert run.code == 2, run.err
        assert run.err.startswith("usage: kontobot prune ")
        shown = datetime.fromisoformat(as_of).isoformat()
        assert f"kontobot prune: error: argument --as-of: {shown} is later than now (" in run.err
        assert "deleted" not in run.err
        assert len(await nudge_rows(url)) == 1
    # Without --as-of, now: the nudge sent in 2025 goes.
    now = await kontobot(url, tmp_path, "prune", "--days", "30")
    assert now.code == 0, now.err
    assert "deleted 1 outbox message(s)" in now.err
    assert await nudge_rows(url) == []
