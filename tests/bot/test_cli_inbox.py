"""`kontobot inbox parked`, `retry` and `discard`, run as an operator runs them."""

from __future__ import annotations

from pathlib import Path

from data import migrate
from data.db import Store
from data.models import AuditEvent, InboxEvent, InboxStatus
from tests.bot.test_cli import kontobot, sqlite_in
from tests.helpers import load
from tests.helpers.inbox import park, receive

# An error that says what was typed, with a terminal escape and a second line in it.
ERROR = "ValueError: invalid literal for int(): '\x1b[31m²'\nTraceback (most recent call last)"


async def parked_inbox(tmp_path: Path) -> str:
    """A database with three events: two parked (a1, b1), one still to run (c1)."""
    url = sqlite_in(tmp_path)
    store = Store.from_url(url)
    try:
        await migrate.upgrade(store.engine)
        for key, lane in (("slack:event:a1", "slack:A"), ("slack:event:b1", "slack:B"),
                          ("slack:event:c1", "slack:C")):
            await receive(store, key, lane=lane)
        at = await park(store, "slack:event:a1", error=ERROR)
        await park(store, "slack:event:b1", at, error="boom")
    finally:
        await store.close()
    return url


async def statuses(url: str) -> dict[str, str]:
    store = Store.from_url(url)
    try:
        return {row.key: row.status for row in await load(store, InboxEvent)}
    finally:
        await store.close()


async def test_the_parked_events_are_listed_with_their_errors_safe_to_print(
    tmp_path: Path,
) -> None:
    url = await parked_inbox(tmp_path)
    listed = await kontobot(url, tmp_path, "inbox", "parked")
    assert listed.code == 0, listed.err
    lines = listed.out.splitlines()
    assert lines[0].split() == ["KEY", "PLATFORM", "ATTEMPTS", "RECEIVED", "ERROR"]
    assert [line.split()[:3] for line in lines[1:]] == [
        ["slack:event:a1", "slack", "3"], ["slack:event:b1", "slack", "3"]
    ]
    # The first line of the error, its escape shown as "?", not sent to the terminal.
    assert lines[1].endswith("ValueError: invalid literal for int(): '?[31m²'")
    assert "\x1b" not in listed.out and "Traceback" not in listed.out
    assert "2 parked event(s)" in listed.err


async def test_named_parked_events_are_put_back_and_others_said_not_parked(
    tmp_path: Path,
) -> None:
    url = await parked_inbox(tmp_path)
    neither = await kontobot(url, tmp_path, "inbox", "retry")
    assert neither.code == 2 and "or give --all" in neither.err
    both = await kontobot(url, tmp_path, "inbox", "retry", "--all", "slack:event:a1")
    assert both.code == 2
    assert await statuses(url) == {"slack:event:a1": InboxStatus.PARKED.value,
                                   "slack:event:b1": InboxStatus.PARKED.value,
                                   "slack:event:c1": InboxStatus.PENDING.value}

    named = await kontobot(url, tmp_path, "inbox", "retry", "slack:event:a1", "slack:event:c1",
                           "slack:event:zz")
    assert named.code == 1
    assert named.out == "slack:event:a1\n"
    assert "1 event(s) put back to run" in named.err
    assert ("not parked (done, still to run, discarded, or unknown): slack:event:c1, "
            "slack:event:zz") in named.err
    assert (await statuses(url))["slack:event:a1"] == InboxStatus.PENDING.value

    every = await kontobot(url, tmp_path, "inbox", "retry", "--all")
    assert every.code == 0, every.err
    assert every.out == "slack:event:b1\n"
    assert set((await statuses(url)).values()) == {InboxStatus.PENDING.value}
    listed = await kontobot(url, tmp_path, "inbox", "parked")
    assert listed.out.splitlines()[1:] == [] and "0 parked event(s)" in listed.err


async def test_named_parked_events_are_discarded_with_the_reason_on_record(
    tmp_path: Path,
) -> None:
    url = await parked_inbox(tmp_path)
    neither = await kontobot(url, tmp_path, "inbox", "discard", "--reason", "bug")
    assert neither.code == 2 and "or give --all" in neither.err

    # The reason as typed on a terminal: an escape and a second line in it.
    named = await kontobot(url, tmp_path, "inbox", "discard", "slack:event:a1", "slack:event:c1",
                           "--reason", "client bug \x1b[31m#42\nsee ticket")
    assert named.code == 1
    assert named.out == "slack:event:a1\n"
    assert "1 event(s) discarded" in named.err
    assert "not parked (done, still to run, discarded, or unknown): slack:event:c1" in named.err
    assert await statuses(url) == {"slack:event:a1": InboxStatus.DISCARDED.value,
                                   "slack:event:b1": InboxStatus.PARKED.value,
                                   "slack:event:c1": InboxStatus.PENDING.value}
    # Discarded, it can no longer be put back.
    again = await kontobot(url, tmp_path, "inbox", "retry", "slack:event:a1")
    assert again.code == 1 and again.out == ""
    listed = await kontobot(url, tmp_path, "inbox", "parked")
    assert [line.split()[0] for line in listed.out.splitlines()[1:]] == ["slack:event:b1"]

    every = await kontobot(url, tmp_path, "inbox", "discard", "--all")
    assert every.code == 0, every.err
    assert every.out == "slack:event:b1\n"
    store = Store.from_url(url)
    try:
        records = await load(store, AuditEvent, AuditEvent.action == "inbox.discarded")
    finally:
        await store.close()
    assert [(r.subject, r.details["reason"]) for r in records] == [
        ("inbox:slack:event:a1", "client bug [31m#42 see ticket"), ("inbox:slack:event:b1", ""),
    ]
