"""How fast kontobot acknowledges Slack, beside a bare slack-bolt app that only acknowledges.

    .venv/bin/python bench/slack_ack.py [-n 500] [-c 10]

Starts, each in a process of its own on 127.0.0.1: a fake Slack Web API
(tests/helpers/fake_slack.py), kontobot's server (`bot.app.create_app`, SQLite in a temporary
directory) pointed at it, and a bare slack-bolt `AsyncApp` whose only listener calls `ack()`
(once with bolt's defaults, once with `process_before_response=True` as kontobot runs it).
Then, for each server in turn, sends signed `/open-account` requests, each from a different
user, and reports the acknowledgement latency (p50, p99) and requests per second: first one
request at a time (`sequential`), then `-c` at a time (`concurrent`). For kontobot it also
reports how long the work after the acknowledgements took to finish (every user's first
question posted to the fake Slack).

Not a test: nothing is asserted. It sends traffic only to 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Made up for the benchmark: the fake Slack and the servers share them.
SECRET = "bench-signing-secret"  # noqa: S105
TOKEN = "xoxb-bench-token"  # noqa: S105


# --- the servers, each run as `slack_ack.py serve KIND` ---------------------------------------


async def _serve(kind: str, api_url: str) -> None:
    from aiohttp import web

    if kind == "fake":
        from tests.helpers.fake_slack import FakeSlack

        fake = FakeSlack(token=TOKEN, everyone=True)
        await fake.start()
        app = web.Application()

        async def posted(request: web.Request) -> web.Response:
            count = len(fake.calls_of("chat.postMessage"))
            return web.json_response({"posted": count})

        app.router.add_get("/posted", posted)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(json.dumps({"api": fake.url, "port": _port(site)}), flush=True)
        await asyncio.Event().wait()

    if kind == "kontobot":
        from bot.app import create_app
        from bot.settings import Settings

        directory = tempfile.mkdtemp(prefix="kontobot-bench-")
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite:///{directory}/bench.db",
            slack_bot_token=TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url=api_url,
        )
        app = create_app(settings, web_chat_enabled=False)
    else:
        from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
        from slack_bolt.async_app import AsyncAck, AsyncApp
        from slack_sdk.web.async_client import AsyncWebClient

        bolt = AsyncApp(
            client=AsyncWebClient(token=TOKEN, base_url=api_url),
            signing_secret=SECRET,
            process_before_response=kind == "bare-inline",
        )

        @bolt.command("/open-account")
        async def only_ack(ack: AsyncAck) -> None:
            await ack()

        async def events(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await bolt.async_dispatch(await to_bolt_request(request))
            )

        app = web.Application()
        app.router.add_post("/slack/events", events)

    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(json.dumps({"port": _port(site)}), flush=True)
    await asyncio.Event().wait()


def _port(site: Any) -> int:
    return int(site._server.sockets[0].getsockname()[1])


# --- the client ---------------------------------------------------------------------------


def _signed(body: str) -> dict[str, str]:
    from tests.helpers.fake_slack import sign

    return {"Content-Type": "application/x-www-form-urlencoded", **sign(body, SECRET)}


def _body(user: str, trigger: str) -> str:
    return urlencode(
        {
            "command": "/open-account",
            "text": "",
            "user_id": user,
            "user_name": user.lower(),
            "channel_id": "CBENCH",
            "team_id": "TKI",
            "api_app_id": "ABENCH",
            "trigger_id": trigger,
            "response_url": "https://hooks.slack.invalid/commands/1",
        }
    )


async def _one(session: aiohttp.ClientSession, url: str, user: str, trigger: str) -> float:
    body = _body(user, trigger)
    started = time.perf_counter()
    async with session.post(url, data=body.encode(), headers=_signed(body)) as response:
        await response.read()
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")
    return time.perf_counter() - started


async def _round(url: str, prefix: str, n: int, concurrency: int) -> tuple[list[float], float]:
    """Latencies of `n` requests with `concurrency` in flight, and the wall time they took."""
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        queue = iter(range(n))

        async def worker() -> None:
            for i in queue:
                latencies.append(await _one(session, url, f"U{prefix}{i:07d}", f"{prefix}.{i}"))

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return latencies, time.perf_counter() - started


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _row(name: str, mode: str, latencies: list[float], seconds: float) -> str:
    p50 = _percentile(latencies, 0.50) * 1000
    p99 = _percentile(latencies, 0.99) * 1000
    mean = statistics.fmean(latencies) * 1000
    rate = len(latencies) / seconds
    return (
        f"| {name} | {mode} | {len(latencies)} | {p50:.1f} | {p99:.1f} | {mean:.1f} | {rate:.0f} |"
    )


async def _posted(fake_port: int) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{fake_port}/posted") as response,
    ):
        return int((await response.json())["posted"])


async def _until_posted(fake_port: int, expected: int) -> None:
    deadline = time.perf_counter() + 300
    while await _posted(fake_port) < expected:
        if time.perf_counter() > deadline:
            raise RuntimeError("the work after the acknowledgements did not finish")
        await asyncio.sleep(0.05)


def _start(*args: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    process = subprocess.Popen(  # noqa: S603 - this very script, with fixed arguments
        [sys.executable, __file__, "serve", *args],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        raise RuntimeError(f"server {args[0]} did not start")
    return process, json.loads(line)


async def _bench(n: int, concurrency: int, warmup: int) -> None:
    processes: list[subprocess.Popen[str]] = []
    try:
        fake, fake_info = _start("fake")
        processes.append(fake)
        rows = []
        work = ""
        for kind, name in (
            ("bare", "bare slack-bolt AsyncApp, ack only (bolt defaults)"),
            ("bare-inline", "bare slack-bolt AsyncApp, ack only (process_before_response)"),
            ("kontobot", "kontobot (ack, then the turn in a task)"),
        ):
            server, info = _start(kind, fake_info["api"])
            processes.append(server)
            url = f"http://127.0.0.1:{info['port']}/slack/events"
            before = await _posted(fake_info["port"])
            await _round(url, f"W{kind[:2].upper()}", warmup, 1)
            if kind == "kontobot":
                await _until_posted(fake_info["port"], before + warmup)
                before += warmup
            started = time.perf_counter()
            sequential = await _round(url, f"S{kind[:2].upper()}", n, 1)
            concurrent = await _round(url, f"C{kind[:2].upper()}", n, concurrency)
            rows.append(_row(name, "sequential", *sequential))
            rows.append(_row(name, f"{concurrency} at a time", *concurrent))
            if kind == "kontobot":
                await _until_posted(fake_info["port"], before + 2 * n)
                done = time.perf_counter() - started
                work = (
                    f"kontobot finished the work after all {2 * n} acknowledgements (a users.info, "
                    f"a dialog turn in SQLite and a chat.postMessage each) {done:.1f} s after the "
                    f"first request: {2 * n / done:.0f} turns/s."
                )
            server.terminate()
            server.wait(10)
        print(f"N = {n} requests per mode, {warmup} warm-up requests first; times in ms.\n")
        print("| server | mode | requests | p50 | p99 | mean | req/s |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
        print("\n".join(rows))
        print()
        print(work)
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve")
    serve.add_argument("kind", choices=("fake", "kontobot", "bare", "bare-inline"))
    serve.add_argument("api_url", nargs="?", default="")
    parser.add_argument("-n", type=int, default=500, help="requests per mode (default 500)")
    parser.add_argument("-c", "--concurrency", type=int, default=10, help="in flight (default 10)")
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    if args.command == "serve":
        import logging

        logging.basicConfig(level=logging.ERROR)
        asyncio.run(_serve(args.kind, args.api_url))
    else:
        asyncio.run(_bench(args.n, args.concurrency, args.warmup))


if __name__ == "__main__":
    main()
