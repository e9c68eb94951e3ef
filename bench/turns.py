"""People walking /open-account at once: each turn's reply time, turns/s, and the ack under load.

    .venv/bin/python bench/turns.py [--people 1,10] [--database sqlite|postgresql|both]
    .venv/bin/python bench/turns.py --people 1,10,50 --database both      # issue 10's figures

Starts, each in a process of its own on 127.0.0.1: a fake Slack Web API
(tests/helpers/fake_slack.py) that stamps every chat.postMessage with the time it arrived
(CLOCK_MONOTONIC, which every process on the machine shares) and streams it to this driver
over a WebSocket; kontobot's server (`bot.app.create_app`) pointed at it, on a SQLite file in
a temporary directory or on a scratch PostgreSQL database (`--db-prefix` + a random suffix,
created on KONTOBOT_BENCH_POSTGRES_URL or the local server, and dropped afterwards); and a bare
slack-bolt `AsyncApp` whose only listener acknowledges (`process_before_response=True`, as
kontobot runs it).

For each count of people N, N people (Slack users of their own) run `/open-account` at the
same moment through signed requests: the slash command, then each of the 14 answers of
tests/helpers/journey.py as a person gives it (a block_actions click built from the question
the bot posted, the way tests/bot/slack/rig.py clicks, or a `message.im` event for typed
text), then Submit. Each person answers their next question as soon as the fake Slack has it.

Measured, per database and N:
- `turn_p50/p95/p99`: from a request being sent to its reply arriving at the fake Slack.
- `turns_per_second`: the people's turns over the time from the first request to the last
  reply.
- `ack_p50/p95/p99` of kontobot and of the bare bolt app, both measured under the same load,
  at the same moments: while the people walk, a steady trickle of identical signed `/accounts`
  commands (`--ping-rate` a second) goes to each server at once. kontobot stores each in its
  inbox before acknowledging (and then runs it: a small extra load); bare bolt only acks.
  `walk_ack_*` is kontobot's acknowledgement of the people's own requests, for comparison.
  A round of 10 people lasts a few seconds: some 40 pings, whose p99 is their slowest one.
  `--repeat R` runs each count of people R times and adds a row (`pooled`: true in the JSON,
  `xR` after the count in the table) of all R rounds' times together, whose p99 is one.

Output: one JSON object per measurement on stdout, and a table on stderr. Not a test: nothing
is asserted, but a walk that goes wrong (an error status, a reply that never comes within
`--timeout`) stops the run. Traffic goes only to 127.0.0.1; every process and scratch database
it starts is gone when it ends, also after an error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from uuid import uuid4

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.bot.slack.rig import SECRET, TOKEN, SlackRig, find_element  # noqa: E402
from tests.helpers.fake_slack import FakeSlack, Posted, dm_channel, sign  # noqa: E402
from tests.helpers.journey import SUBMIT, Answer, open_account_answers  # noqa: E402

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
# The people the requests name: everyone exists at the fake Slack (`everyone=True`).
TEAM_MEMBER = "UBENCHTEAM"
MANAGER = "UBENCHMANAGER"
DIRECTOR = "UBENCHDIRECTOR"
PINGER = "UBENCHPING"
QUANTILES = (("p50", 0.50), ("p95", 0.95), ("p99", 0.99))


# --- the servers, each run as `turns.py serve KIND ...` ---------------------------------------


class TimedSlack(FakeSlack):
    """The fake Slack, telling its listeners of every message posted and when it arrived."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.listeners: list[asyncio.Queue[dict[str, Any]]] = []

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        arrived = time.monotonic()
        answer = super()._answer(method, args)
        if method == "chat.postMessage" and answer.get("ok"):
            posted = {
                "channel": answer["channel"],
                "ts": answer["ts"],
                "text": str(args.get("text", "")),
                "blocks": list(args.get("blocks", [])),
                "at": arrived,
            }
            for listener in self.listeners:
                listener.put_nowait(posted)
        return answer


async def _serve_fake() -> None:
    from aiohttp import web

    fake = TimedSlack(token=TOKEN, everyone=True)
    await fake.start()

    async def stream(request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        listener: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        fake.listeners.append(listener)
        try:
            while not socket.closed:
                await socket.send_str(json.dumps(await listener.get()))
        except ConnectionResetError:
            pass  # the driver has gone: this round is over
        finally:
            fake.listeners.remove(listener)
        return socket

    app = web.Application()
    app.router.add_get("/stream", stream)
    port = await _listen(app)
    print(json.dumps({"api": fake.url, "port": port}), flush=True)
    await asyncio.Event().wait()


def _bench_settings(database_url: str, api_url: str) -> Any:
    from bot.settings import Settings

    return Settings(
        _env_file=None,
        database_url=database_url,
        slack_bot_token=TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=api_url,
        director_slack_id=DIRECTOR,
        comms_slack_channel="CBENCHCOMMS",
        registry_slack_channel="CBENCHREGISTRY",
    )


async def _serve_kontobot(database_url: str, api_url: str, processes: str) -> None:
    """kontobot as `kontobot serve` runs it: with `processes` turn processes (bot/turn_processes.py,
    each `turns.py serve kontobot-turns`), or with none (everything in this process)."""
    from aiohttp import web

    from bot import turn_processes
    from bot.app import create_app

    settings = _bench_settings(database_url, api_url)
    count = int(processes)
    app = create_app(settings, web_chat_enabled=False, role="front" if count else "whole")
    if os.environ.get("KONTOBOT_BENCH_TRACE"):
        import ack_trace

        ack_trace.install(app, os.environ["KONTOBOT_BENCH_TRACE"])
    # The turn processes tell where they answer for their counts in this directory.
    directory = Path(tempfile.mkdtemp(prefix="kontobot-bench-turns-"))
    if count:
        command = [sys.executable, __file__, "serve", "kontobot-turns", database_url, api_url]
        command += [str(directory)]
        turn_processes.attach(app, command, count, settings.shutdown_grace)
    counts = _count_sql()

    async def sql(request: web.Request) -> web.Response:
        # This process's counts and its turn processes', summed; their pids for their CPU.
        total = dict(counts)
        pids = [os.getpid()]
        async with aiohttp.ClientSession() as session:
            for where in await asyncio.to_thread(_turn_processes, directory):
                async with session.get(f"http://127.0.0.1:{where['port']}/") as response:
                    for name, value in (await response.json()).items():
                        total[name] = total.get(name, 0) + int(value)
                pids.append(int(where["pid"]))
        return web.json_response({"counts": total, "pids": pids})

    # Not kontobot's: how many transactions and statements its turns cost, for the driver.
    app.router.add_get("/bench/sql", sql)
    # Stopped by SIGTERM as `serve` is: the turn processes stop with it.
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        server: Any = site._server
        print(json.dumps({"port": int(server.sockets[0].getsockname()[1])}), flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()
        shutil.rmtree(directory, ignore_errors=True)


def _turn_processes(directory: Path) -> list[dict[str, int]]:
    """The running turn processes' pids and counting ports, as they wrote them."""
    found = [json.loads(path.read_text()) for path in sorted(directory.glob("*.json"))]
    return [where for where in found if Path(f"/proc/{where['pid']}").exists()]


async def _serve_kontobot_turns(
    database_url: str, api_url: str, directory: str, _flag: str, wake_fd: str
) -> None:
    """A turn process of the benchmark's kontobot, answering for its SQL counts on a port of
    its own (written into `directory`)."""
    from aiohttp import web

    from bot.app import create_app
    from bot.turn_processes import run_turns

    app = create_app(_bench_settings(database_url, api_url), web_chat_enabled=False, role="turns")
    if os.environ.get("KONTOBOT_BENCH_TRACE"):
        import ack_trace

        ack_trace.install_gate(f"{os.environ['KONTOBOT_BENCH_TRACE']}.{os.getpid()}.gate")
    counts = _count_sql()

    async def sql(request: web.Request) -> web.Response:
        return web.json_response(counts)

    counter = web.Application()
    counter.router.add_get("/", sql)
    port = await _listen(counter)
    (Path(directory) / f"{os.getpid()}.json").write_text(
        json.dumps({"pid": os.getpid(), "port": port})
    )
    await run_turns(app, int(wake_fd))


def _count_sql() -> dict[str, int]:
    """Counts, as they happen in this process, the transactions that write and those that only
    read (Store.transaction / Store.read), and the SQL statements."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    counts = {"writing": 0, "reading": 0, "statements": 0}

    def begun(connection: Any) -> None:
        options = connection.get_execution_options()
        reads = options.get("kontobot_read") or options.get("postgresql_readonly")
        counts["reading" if reads else "writing"] += 1

    def executed(*_args: Any) -> None:
        counts["statements"] += 1

    event.listen(Engine, "begin", begun)
    event.listen(Engine, "before_cursor_execute", executed)
    return counts


async def _serve_bare(api_url: str) -> None:
    from aiohttp import web
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncAck, AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    bolt = AsyncApp(
        client=AsyncWebClient(token=TOKEN, base_url=api_url),
        signing_secret=SECRET,
        process_before_response=True,
    )

    @bolt.command("/accounts")
    async def only_ack(ack: AsyncAck) -> None:
        await ack()

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", events)
    port = await _listen(app)
    print(json.dumps({"port": port}), flush=True)
    await asyncio.Event().wait()


async def _listen(app: Any) -> int:
    from aiohttp import web

    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server: Any = site._server
    return int(server.sockets[0].getsockname()[1])


@contextlib.contextmanager
def _process(*args: str) -> Iterator[dict[str, Any]]:
    """This script serving `args` in a process of its own; what it printed when it listened."""
    process = subprocess.Popen(  # noqa: S603 - this very script, with fixed arguments
        [sys.executable, __file__, "serve", *args],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {args[0]} server did not start")
        yield {**json.loads(line), "pid": process.pid}
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def _profiling(directory: Path | None, server: dict[str, Any], database: str) -> Iterator[None]:
    """py-spy samples the kontobot server meanwhile (every thread, without stopping it), into
    `directory`/kontobot-`database`.txt as collapsed stacks (flamegraph.pl or speedscope)."""
    if directory is None:
        yield
        return
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"kontobot-{database}.txt"
    recorder = subprocess.Popen(  # noqa: S603 - py-spy, with fixed arguments
        [
            spy,
            "record",
            "--pid",
            str(server["pid"]),
            "--threads",
            "--subprocesses",
            "--nonblocking",
            "--rate",
            "50",
            "--format",
            "raw",
            "--output",
            str(target),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        recorder.send_signal(signal.SIGINT)
        try:
            recorder.wait(30)
        except subprocess.TimeoutExpired:
            recorder.kill()
            recorder.wait()
        print(f"profile of kontobot on {database}: {target}", file=sys.stderr)


# --- scratch databases --------------------------------------------------------------------


async def _admin(server: str, statement: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    from data.db import async_url

    engine = create_async_engine(
        async_url(server),
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
        connect_args={"timeout": 5},
    )
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@asynccontextmanager
async def _database(kind: str, prefix: str) -> AsyncIterator[str]:
    """The URL of a new, empty database of `kind`, removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="kontobot-bench-") as directory:
            yield f"sqlite:///{directory}/bench.db"
        return
    from sqlalchemy.engine import make_url

    server = os.environ.get("KONTOBOT_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    if make_url(server).host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"the PostgreSQL server must be on this machine, not {server!r}")
    name = f"{prefix}{uuid4().hex[:12]}"
    await _admin(server, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the people -------------------------------------------------------------------------------


@dataclass
class Reply:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    at: float

    def posted(self) -> Posted:
        return Posted(self.channel, self.ts, self.text, self.blocks)


class Feed:
    """What the fake Slack posted, by conversation, as it arrives."""

    def __init__(self) -> None:
        self._queues: dict[str, asyncio.Queue[Reply]] = defaultdict(asyncio.Queue)

    def of(self, channel: str) -> asyncio.Queue[Reply]:
        return self._queues[channel]

    async def follow(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        async for frame in socket:
            if frame.type == aiohttp.WSMsgType.TEXT:
                reply = Reply(**json.loads(frame.data))
                self._queues[reply.channel].put_nowait(reply)


@dataclass
class Measured:
    turns: list[float] = field(default_factory=list)
    walk_acks: list[float] = field(default_factory=list)
    first_sent: float = float("inf")
    last_reply: float = 0.0
    extra_posts: int = 0


# Builds the requests as the Slack test rig does (signed by `_post`, not by the rig).
_RIG = SlackRig(cast(Any, None), cast(Any, None), cast(Any, None))


def _message_body(user: str, text: str) -> str:
    ts = f"{time.time():.6f}"
    event = {
        "type": "message",
        "channel": dm_channel(user),
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "im",
    }
    return _RIG.event_body(event, f"Ev{uuid4().hex}")


def _click_body(user: str, prompt: Posted, answer: Answer) -> str:
    """Clicks `answer` in the question `prompt`, as tests/bot/slack/rig.py `_choose` does."""
    inputs = [
        b["element"]["type"]
        for b in prompt.blocks
        if b.get("type") == "input" and b["element"]["action_id"] == answer.action
    ]
    kind = inputs[0] if inputs else find_element(prompt.blocks, answer.action)[1]["type"]
    if kind == "static_select":
        return _RIG.action_body(user, prompt, answer.action, option=answer.selected[0])
    if kind in ("checkboxes", "multi_static_select"):
        return _RIG.action_body(user, prompt, answer.action, options=list(answer.selected))
    if kind in ("users_select", "multi_users_select"):
        return _RIG.action_body(user, prompt, answer.action, users=list(answer.selected))
    return _RIG.action_body(user, prompt, answer.action)


def _has(posted: Posted, action: str) -> bool:
    try:
        find_element(posted.blocks, action)
    except AssertionError:
        return False
    return True


async def _post(session: aiohttp.ClientSession, url: str, body: str, form: bool) -> float:
    """Sends a signed request; the time its acknowledgement arrived."""
    kind = "application/x-www-form-urlencoded" if form else "application/json"
    headers = {"Content-Type": kind, **sign(body, SECRET)}
    async with session.post(url, data=body.encode(), headers=headers) as response:
        await response.read()
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status} to {body[:200]}")
    return time.monotonic()


async def _walk(
    session: aiohttp.ClientSession,
    url: str,
    user: str,
    feed: Feed,
    measured: Measured,
    patience: float,
) -> None:
    """`user` runs /open-account to the end, answering each question as soon as it is posted."""
    replies = feed.of(dm_channel(user))
    answers: list[Answer | None] = [
        None,
        *open_account_answers(team=(TEAM_MEMBER,), manager=MANAGER),
        SUBMIT,
    ]
    prompt: Posted | None = None
    for answer in answers:
        if answer is None:
            body, form = _RIG.command_body(user, "open-account", trigger=uuid4().hex), True
        elif answer.text is not None:
            body, form = _message_body(user, answer.text), False
        else:
            # The question may follow another message of the same turn: wait for it.
            while prompt is None or not _has(prompt, answer.action):
                prompt = (await asyncio.wait_for(replies.get(), patience)).posted()
                measured.extra_posts += 1
            body, form = _click_body(user, prompt, answer), True
        # A second message of the previous turn, already here, is not this turn's reply.
        while not replies.empty():
            prompt = replies.get_nowait().posted()
            measured.extra_posts += 1
        sent = time.monotonic()
        measured.first_sent = min(measured.first_sent, sent)
        acknowledged = await _post(session, url, body, form)
        measured.walk_acks.append(acknowledged - sent)
        try:
            reply = await asyncio.wait_for(replies.get(), patience)
        except TimeoutError:
            step = "the command" if answer is None else answer.step
            raise RuntimeError(f"{user}: no reply to {step} within {patience} s") from None
        if reply.at <= sent:
            raise RuntimeError("the fake Slack's clock is not the driver's: no turn times")
        measured.turns.append(reply.at - sent)
        measured.last_reply = max(measured.last_reply, reply.at)
        prompt = reply.posted()


def _accounts_body() -> str:
    return _RIG.command_body(PINGER, "accounts", trigger=uuid4().hex)


async def _pings(
    session: aiohttp.ClientSession,
    urls: dict[str, str],
    rate: float,
    acks: dict[str, list[float]],
    stop: asyncio.Event,
) -> None:
    """The same signed `/accounts` to each server at the same moment, `rate` times a second."""

    async def one(name: str, body: str) -> None:
        sent = time.monotonic()
        acks[name].append(await _post(session, urls[name], body, True) - sent)

    # Steady: a slow acknowledgement does not hold the next ping back.
    sent: list[asyncio.Future[list[None]]] = []
    while not stop.is_set():
        body = _accounts_body()
        sent.append(asyncio.gather(*(one(name, body) for name in urls)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1 / rate)
    await asyncio.gather(*sent)


# --- a round --------------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    """The CPU time (user + system, every thread) process `pid` has used; 0 off Linux."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    # utime and stime are the 14th and 15th fields; the split starts at the 3rd.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _quantile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@dataclass
class Round:
    database: str
    people: int
    measured: Measured
    acks: dict[str, list[float]]
    cpu_seconds: float
    # kontobot's transactions and statements over the round: writing, reading, statements.
    sql: dict[str, int]
    # Rounds whose times this one holds together (`pooled`); 1 for a round as it ran.
    rounds: int = 1
    # The rounds' time, summed (pooled only: their first request to last reply each).
    summed_seconds: float | None = None

    @property
    def seconds(self) -> float:
        if self.summed_seconds is not None:
            return self.summed_seconds
        return self.measured.last_reply - self.measured.first_sent

    @classmethod
    def pooled(cls, rounds: list[Round]) -> Round:
        """The times of `rounds` (one database, one count of people) together."""
        measured = Measured(
            turns=[t for r in rounds for t in r.measured.turns],
            walk_acks=[t for r in rounds for t in r.measured.walk_acks],
            extra_posts=sum(r.measured.extra_posts for r in rounds),
        )
        return cls(
            rounds[0].database,
            rounds[0].people,
            measured,
            {name: [t for r in rounds for t in r.acks[name]] for name in rounds[0].acks},
            sum(r.cpu_seconds for r in rounds),
            {name: sum(r.sql[name] for r in rounds) for name in rounds[0].sql},
            rounds=len(rounds),
            summed_seconds=sum(r.seconds for r in rounds),
        )

    @property
    def cpu_per_turn(self) -> float:
        return self.cpu_seconds / len(self.measured.turns)

    @property
    def rate(self) -> float:
        return len(self.measured.turns) / self.seconds

    def lines(self) -> list[dict[str, Any]]:
        base: dict[str, Any] = {"bench": "turns", "database": self.database, "people": self.people}
        if self.rounds > 1:
            base |= {"pooled": True, "rounds": self.rounds}
        found: list[dict[str, Any]] = []
        for name, values in (
            ("turn", self.measured.turns),
            ("ack_kontobot", self.acks["kontobot"]),
            ("ack_bare_bolt", self.acks["bare"]),
            ("walk_ack_kontobot", self.measured.walk_acks),
        ):
            for label, fraction in QUANTILES:
                found.append(
                    {
                        **base,
                        "what": f"{name}_{label}",
                        "seconds": round(_quantile(values, fraction), 6),
                        "n": len(values),
                    }
                )
        found.append({**base, "what": "turns_per_second", "value": round(self.rate, 2)})
        found.append({**base, "what": "wall_seconds", "seconds": round(self.seconds, 3)})
        # Messages to the people beyond one per turn (0 when each turn posts one reply).
        found.append({**base, "what": "extra_posts", "value": self.measured.extra_posts})
        # kontobot's CPU time over the round (pings' turns included) per person's turn.
        found.append({**base, "what": "cpu_per_turn", "seconds": round(self.cpu_per_turn, 6)})
        for name, value in self.sql.items():
            per_turn = value / len(self.measured.turns)
            found.append({**base, "what": f"sql_{name}_per_turn", "value": round(per_turn, 2)})
        return found


async def _round(
    database: str,
    people: int,
    urls: dict[str, str],
    feed: Feed,
    args: argparse.Namespace,
    tag: str,
    sql_url: str,
) -> Round:
    measured = Measured()
    acks: dict[str, list[float]] = {"kontobot": [], "bare": []}
    stop = asyncio.Event()
    sql, pids = await _sql(sql_url)
    cpu = sum(_cpu_seconds(pid) for pid in pids)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        pings = asyncio.create_task(_pings(session, urls, args.ping_rate, acks, stop))
        try:
            await asyncio.wait_for(
                asyncio.gather(
                    *(
                        _walk(
                            session,
                            urls["kontobot"],
                            f"U{tag}{i:04d}",
                            feed,
                            measured,
                            args.timeout,
                        )
                        for i in range(people)
                    )
                ),
                args.timeout * 20,
            )
        finally:
            stop.set()
            await pings
    cpu = sum(_cpu_seconds(pid) for pid in pids) - cpu
    after, _ = await _sql(sql_url)
    return Round(
        database, people, measured, acks, cpu, {k: after[k] - sql[k] for k in sorted(after)}
    )


async def _sql(url: str) -> tuple[dict[str, int], list[int]]:
    """kontobot's SQL counts (its turn processes' included), and the pids of its processes."""
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        found = await response.json()
    return {str(k): int(v) for k, v in found["counts"].items()}, [int(p) for p in found["pids"]]


async def _on(database: str, args: argparse.Namespace, fake: dict[str, Any]) -> list[Round]:
    rounds: list[Round] = []
    async with _database(database, args.db_prefix) as url:
        with (
            _process("kontobot", url, fake["api"], str(args.turn_processes)) as kontobot,
            _process("bare", fake["api"]) as bare,
        ):
            urls = {
                "kontobot": f"http://127.0.0.1:{kontobot['port']}/slack/events",
                "bare": f"http://127.0.0.1:{bare['port']}/slack/events",
            }
            sql_url = f"http://127.0.0.1:{kontobot['port']}/bench/sql"
            feed = Feed()
            async with (
                aiohttp.ClientSession() as session,
                session.ws_connect(f"http://127.0.0.1:{fake['port']}/stream") as socket,
            ):
                following = asyncio.create_task(feed.follow(socket))
                try:
                    # One person first, unmeasured: imports, caches and connections warm up.
                    await _round(database, 1, urls, feed, args, "WARM", sql_url)
                    for n, people in enumerate(args.people):
                        these: list[Round] = []
                        for again in range(args.repeat):
                            last = n == len(args.people) - 1 and again == args.repeat - 1
                            profiled = args.profile is not None and last
                            with _profiling(
                                args.profile if profiled else None, kontobot, database
                            ):
                                found = await _round(
                                    database,
                                    people,
                                    urls,
                                    feed,
                                    args,
                                    f"R{n}A{again}X",
                                    sql_url,
                                )
                            these.append(found)
                            _report(found)
                        rounds.extend(these)
                        if len(these) > 1:
                            _report(Round.pooled(these))
                finally:
                    following.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await following
    return rounds


def _report(found: Round) -> None:
    for line in found.lines():
        print(json.dumps(line), flush=True)
    _row(found)


def _ms(values: list[float], fraction: float) -> str:
    return f"{_quantile(values, fraction) * 1000:.0f}"


def _row(found: Round) -> None:
    m, acks = found.measured, found.acks
    cells = [
        found.database,
        f"{found.people} x{found.rounds}" if found.rounds > 1 else str(found.people),
        str(len(m.turns)),
        *(_ms(m.turns, f) for _, f in QUANTILES),
        f"{found.rate:.1f}",
        *(_ms(acks["kontobot"], f) for _, f in QUANTILES),
        *(_ms(acks["bare"], f) for _, f in QUANTILES),
        f"{_quantile(acks['kontobot'], 0.99) / _quantile(acks['bare'], 0.99):.2f}",
        _ms(m.walk_acks, 0.99),
        f"{found.cpu_per_turn * 1000:.0f}",
        f"{found.sql['writing'] / len(m.turns):.1f}",
        f"{found.sql['statements'] / len(m.turns):.0f}",
    ]
    print("| " + " | ".join(cells) + " |", file=sys.stderr, flush=True)


HEADER = (
    "| database | people | turns | turn p50 | p95 | p99 | turns/s "
    "| ack kontobot p50 | p95 | p99 | ack bare bolt p50 | p95 | p99 | p99 ratio "
    "| walk ack p99 | CPU ms/turn | write txns/turn | SQL/turn |\n|" + " --- |" * 2 + " ---: |" * 16
)


async def _bench(args: argparse.Namespace) -> None:
    databases = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    print(
        f"{', '.join(map(str, args.people))} people walking /open-account (16 turns each); "
        f"pings {args.ping_rate}/s to each server; times in ms",
        file=sys.stderr,
    )
    print(HEADER, file=sys.stderr, flush=True)
    with _process("fake") as fake:
        for database in databases:
            await _on(database, args, fake)


def _people(text: str) -> list[int]:
    counts = [int(part) for part in text.split(",") if part.strip()]
    if not counts or any(not 1 <= n <= 200 for n in counts):
        raise argparse.ArgumentTypeError("1 to 200 people per round, e.g. 1,10,50")
    return counts


def _prefix(text: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,40}", text):
        raise argparse.ArgumentTypeError("lower-case letters, digits and _ only")
    return text


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        import logging

        logging.basicConfig(level=logging.ERROR)
        kind, rest = sys.argv[2], sys.argv[3:]
        if kind == "fake":
            asyncio.run(_serve_fake())
        elif kind == "kontobot":
            asyncio.run(_serve_kontobot(*rest))
        elif kind == "kontobot-turns":
            asyncio.run(_serve_kontobot_turns(*rest))
        else:
            asyncio.run(_serve_bare(*rest))
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--people", type=_people, default=[1, 10], help="default 1,10")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--db-prefix", type=_prefix, default="kontobot_bench_")
    parser.add_argument("--ping-rate", type=float, default=5.0, help="pings a second (5)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds a reply may take (30)")
    parser.add_argument(
        "--repeat",
        type=int,
        choices=range(1, 101),
        default=1,
        metavar="R",
        help="rounds of each count of people, and a row of them pooled (1)",
    )
    parser.add_argument(
        "--turn-processes",
        type=int,
        choices=range(5),
        default=1,
        metavar="N",
        help="kontobot's turn processes, as KONTOBOT_TURN_PROCESSES (1; 0: none, one process)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="sample kontobot with py-spy (pip install py-spy) during the last round, into DIR",
    )
    asyncio.run(_bench(parser.parse_args()))


if __name__ == "__main__":
    main()
