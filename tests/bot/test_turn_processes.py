"""`kontobot serve` with turn processes: the serving process stores and acknowledges, a
process of its own runs the turns; one that dies is started again, and one whose server died
stops by itself and leaves what it had not finished in the inbox."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.turn_processes import INBOX, OUTBOX, Wake, dispatch
from data.models import InboxStatus
from tests.helpers.fake_slack import FakeSlack
from tests.helpers.server import Server, killed, stop
from tests.helpers.slack_server import (
    command,
    fake_slack,
    inbox_rows,
    post,
    spooled,
    start,
    user_id,
)

PEOPLE = 4
STARTED = re.compile(r"turn process (\d+) started \(pid (\d+)\)")


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with fake_slack(PEOPLE) as slack:
        yield slack


def turn_pids(server: Server) -> list[int]:
    return [int(pid) for _slot, pid in STARTED.findall(server.output())]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A child that exited but was not reaped yet is a zombie: gone, for this purpose.
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


async def ended(pid: int, within: float, what: str) -> None:
    """Until process `pid` (the server's child, not ours) has ended: its pidfd turns readable
    when it does, whoever reaps it."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    loop = asyncio.get_running_loop()
    gone: asyncio.Future[None] = loop.create_future()
    loop.add_reader(fd, lambda: gone.done() or gone.set_result(None))
    try:
        await asyncio.wait_for(gone, within)
    except TimeoutError:
        raise AssertionError(f"not within {within}s: {what}") from None
    finally:
        loop.remove_reader(fd)
        os.close(fd)


async def ask(fake: FakeSlack, server: Server, n: int, trigger: str) -> None:
    async with aiohttp.ClientSession() as http:
        await post(http, server, command(user_id(n), "open-account", trigger))


async def test_a_turn_process_runs_the_turns_and_is_started_again_when_it_dies(
    fake: FakeSlack, database_url: str, tmp_path: Path
) -> None:
    server = await start(fake, database_url, tmp_path, KONTOBOT_TURN_PROCESSES="1")
    try:
        [first] = turn_pids(server)
        await ask(fake, server, 0, "t.0")
        await fake.wait_for(lambda: fake.dm(user_id(0)), 30, "the first question")
        # The turn process ran it, not the serving process.
        [row] = await inbox_rows(database_url)
        assert row.claimed_by is not None
        assert row.claimed_by.endswith(f":{first}")

        os.kill(first, 9)
        await asyncio.to_thread(
            server.wait_for_output, lambda said: len(STARTED.findall(said)) == 2, 30,
            "a new turn process",
        )
        second = turn_pids(server)[1]
        assert second != first
        await ask(fake, server, 1, "t.1")
        await fake.wait_for(lambda: fake.dm(user_id(1)), 30, "the second person's question")
        rows = {r.key: r for r in await inbox_rows(database_url)}
        assert str(rows["slack:command:t.1"].claimed_by).endswith(f":{second}")
        # The serving process counts the turns its turn processes ran.
        async with aiohttp.ClientSession() as http, http.get(f"{server.url}/metrics") as got:
            metrics = await got.text()
        assert "\nkontobot_turns_done_total 2\n" in metrics
    finally:
        assert await asyncio.to_thread(stop, server, 30) == 0
    # SIGTERM stopped the turn process too.
    assert not alive(second)
    assert "Traceback" not in server.output()


async def test_without_turn_processes_the_server_runs_the_turns_itself(
    fake: FakeSlack, database_url: str, tmp_path: Path
) -> None:
    server = await start(fake, database_url, tmp_path, KONTOBOT_TURN_PROCESSES="0")
    try:
        await ask(fake, server, 0, "t.0")
        await fake.wait_for(lambda: fake.dm(user_id(0)), 30, "the first question")
    finally:
        assert await asyncio.to_thread(stop, server, 30) == 0
    assert turn_pids(server) == []
    [row] = await inbox_rows(database_url)
    assert row.claimed_by is not None
    assert row.claimed_by.endswith(f":{server.process.pid}")


async def test_a_turn_process_whose_server_was_killed_stops_and_leaves_the_rest(
    fake: FakeSlack, database_url: str, tmp_path: Path
) -> None:
    # Every turn waits for Slack's users.info: none finishes before the server is killed.
    gate = fake.hold("users.info")
    server = await start(fake, database_url, tmp_path, KONTOBOT_TURN_PROCESSES="1")
    [turns] = turn_pids(server)
    for n in range(PEOPLE):
        await ask(fake, server, n, f"t.{n}")
    await asyncio.to_thread(killed, server)
    # The turn process notices and stops by itself (its grace is a second).
    await ended(turns, 30, "the turn process to stop")
    rows = await inbox_rows(database_url)
    # Each on disk: in the inbox, or on SQLite still in the spool (moved at the next start).
    assert len({r.key for r in rows} | await spooled(database_url)) == PEOPLE
    assert {r.status for r in rows} <= {InboxStatus.PENDING.value}
    assert not any(fake.dm(user_id(n)) for n in range(PEOPLE))
    gate.set()


def test_a_wake_up_says_whether_an_event_was_stored_or_a_message_owed() -> None:
    """A turn process wakes a worker for each event stored and delivery once for messages
    owed, neither for the other's bytes: each wake of delivery costs a read of the outbox,
    and every event stored once woke it too (7 of a turn's 26 statements on SQLite)."""
    read_end, write_end = os.pipe()
    try:
        wake = Wake()
        wake.fds = [write_end]
        wake()
        wake.outbox()
        wake()
        assert os.read(read_end, 16) == INBOX + OUTBOX + INBOX
    finally:
        os.close(read_end)
        os.close(write_end)
    for data, workers, kicks in (
        (INBOX * 3, [3], 0),
        (INBOX + OUTBOX + INBOX + OUTBOX, [2], 1),
        (OUTBOX, [], 1),
    ):
        woken: list[int] = []
        kicked: list[None] = []
        dispatch(data, woken.append, lambda kicked=kicked: kicked.append(None))
        assert (woken, len(kicked)) == (workers, kicks), data
