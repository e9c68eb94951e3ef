"""Where an acknowledgement's time goes in kontobot's serving process (bench/turns.py --trace).

Installed into the benchmark's kontobot server (never into kontobot itself), it records per
Slack request, in ms: the whole request in the server (`server`: from aiohttp handing it to
the app to the response), the inbox write (`receive`: `Hub.receive`), and inside it the wait
for a connection and the write gate (`connect`: pool checkout, pre-ping, SQLite's flock),
the INSERT (`insert`) and the COMMIT (`commit`); what is left of `server` is bolt's own work
(signature, parsing, dispatch). On SQLite the intake writes to its spool (data/spool.py):
`insert` is then the spool's INSERT and COMMIT together (in its thread), `connect` is 0, and
`commit` what the answer took after; the spool's moves into the inbox are not a request's. Beside them: new database connections opened and closed by the
pool (overflow churn), the event loop's lateness (a 5 ms ticker: how long a ready callback
waited for the loop), and the callbacks that held the loop longest. Written as JSON to the
file named by KONTOBOT_BENCH_TRACE when the server stops.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import event

TICK = 0.005


def install(app: web.Application, target: str) -> None:
    from bot.keys import HUB
    from data import inbox
    from data.spool import Spool
    from data.upsert import dialect_of
    from hub import turns

    found: dict[str, Any] = {
        "requests": [],
        "batches": [],
        "connects": [],
        "closes": 0,
        "lateness": [],
        "slow_callbacks": [],
    }
    _current: dict[int, dict[str, Any]] = {}
    # Each event's batch: when its transaction began, had its connection, had inserted.
    _batch_of: dict[int, dict[str, float]] = {}
    receive = turns.Hub.receive
    receive_many = inbox.receive_many

    incoming = turns.Hub._incoming
    _event_of: dict[int, int] = {}

    def timed_incoming(self: Any, *args: Any) -> Any:
        made = incoming(self, *args)
        _event_of[id(asyncio.current_task())] = id(made)
        return made

    async def timed_receive(self: Any, key: str, event_: Any, context: Any = None) -> bool:
        t0 = time.perf_counter()
        new = await receive(self, key, event_, context)
        t3 = time.perf_counter()
        phases = _current.get(id(asyncio.current_task()))
        batch = _batch_of.pop(_event_of.pop(id(asyncio.current_task()), 0), None)
        if phases is not None:
            phases["receive"] = t3 - t0
            if batch is not None:
                phases.update(
                    queued=batch["begun"] - t0,
                    connect=batch["connected"] - batch["begun"],
                    insert=batch["inserted"] - batch["connected"],
                    commit=t3 - batch["inserted"],
                    batch=batch["size"],
                )
        return bool(new)

    def _batched(events: Any, batch: dict[str, float]) -> None:
        for event_ in events:
            _batch_of[id(event_)] = batch
        found["batches"].append(batch)

    async def timed_receive_many(session: Any, events: Any) -> set[str]:
        if dialect_of(session) == "sqlite":
            # A move from the spool (hub/intake.py): no request waits for it.
            return await receive_many(session, events)
        batch = {"begun": time.perf_counter(), "size": len(events)}
        await session.connection()
        batch["connected"] = time.perf_counter()
        new = await receive_many(session, events)
        batch["inserted"] = time.perf_counter()
        _batched(events, batch)
        return new

    put = Spool.put

    async def timed_put(self: Any, events: Any) -> set[str]:
        begun = time.perf_counter()
        new = await put(self, events)
        _batched(events, {"begun": begun, "connected": begun, "inserted": time.perf_counter(),
                          "size": len(events)})
        return new

    # Replaced for the whole process: this server only acknowledges.
    turns.Hub.receive = timed_receive  # type: ignore[method-assign,assignment]
    turns.Hub._incoming = timed_incoming  # type: ignore[method-assign,assignment]
    inbox.receive_many = timed_receive_many
    Spool.put = timed_put  # type: ignore[method-assign]

    @web.middleware
    async def timed(request: web.Request, handler: Any) -> Any:
        if request.path != "/slack/events":
            return await handler(request)
        t0 = time.perf_counter()
        phases: dict[str, Any] = {"ping": b"UBENCHPING" in await request.read()}
        _current[id(asyncio.current_task())] = phases
        try:
            return await handler(request)
        finally:
            del _current[id(asyncio.current_task())]
            phases["server"] = time.perf_counter() - t0
            phases["at"] = t0
            found["requests"].append(phases)

    app.middlewares.append(timed)

    async def started(app: web.Application) -> None:
        store = app[HUB].store
        pool = store.engine.sync_engine

        @event.listens_for(pool, "connect")
        def connected(*_args: Any) -> None:
            found["connects"].append(time.perf_counter())

        @event.listens_for(pool, "close")
        def closed(*_args: Any) -> None:
            found["closes"] += 1

        loop = asyncio.get_running_loop()
        app["ack_trace_ticker"] = asyncio.create_task(_ticker(found["lateness"]))
        # Slow callbacks, as asyncio's debug mode reports them, without its other costs.
        _watch_callbacks(loop, found["slow_callbacks"])

    async def stopped(app: web.Application) -> None:
        app["ack_trace_ticker"].cancel()
        await asyncio.to_thread(Path(target).write_text, json.dumps(found))

    app.on_startup.append(started)
    app.on_shutdown.append(stopped)


async def _ticker(lateness: list[tuple[float, float]]) -> None:
    while True:
        due = time.perf_counter() + TICK
        await asyncio.sleep(TICK)
        lateness.append((due, time.perf_counter() - due))


def _watch_callbacks(
    loop: asyncio.AbstractEventLoop, slow: list[tuple[float, float, float, str]]
) -> None:
    """Time every callback the loop runs (asyncio.Handle._run), keeping those over 5 ms."""
    from asyncio import events

    run = events.Handle._run

    def timed_run(handle: Any) -> None:
        t0, c0 = time.perf_counter(), time.thread_time()
        run(handle)
        spent = time.perf_counter() - t0
        if spent > TICK:
            # With the CPU it used: the rest of `spent` the thread waited for a core.
            slow.append((t0, spent, time.thread_time() - c0, repr(handle)[:300]))

    events.Handle._run = timed_run  # type: ignore[method-assign,assignment]
    del loop


def summary(path: str, since: float = 0.0, pings: bool = False) -> dict[str, Any]:
    """Quantiles of each phase (ms) of the requests after `since` (perf_counter)."""
    found = json.loads(Path(path).read_text())
    requests = [r for r in found["requests"] if r["at"] >= since and "receive" in r]
    if pings:
        requests = [r for r in requests if r["ping"]]
    out: dict[str, Any] = {"requests": len(requests)}
    for name in ("server", "receive", "queued", "connect", "insert", "commit", "bolt", "batch"):
        values = sorted(
            (r["server"] - r["receive"]) if name == "bolt" else r[name]
            for r in requests
            if name == "bolt" or name in r
        )
        if values:
            scale = 1 if name == "batch" else 1000
            out[name] = {
                q: round(values[min(len(values) - 1, round(f * (len(values) - 1)))] * scale, 1)
                for q, f in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("max", 1.0))
            }
    late = sorted(v for _, v in found["lateness"])
    if late:
        out["loop_lateness_ms"] = {
            q: round(late[min(len(late) - 1, round(f * (len(late) - 1)))] * 1000, 1)
            for q, f in (("p50", 0.5), ("p99", 0.99), ("max", 1.0))
        }
    out["batches"] = len(found["batches"])
    out["connects"] = len(found["connects"])
    out["closes"] = found["closes"]
    out["slow_callbacks"] = len(found["slow_callbacks"])
    out["slowest"] = sorted(found["slow_callbacks"], key=lambda s: -s[1])[:5]
    return out


if __name__ == "__main__":
    import sys

    print(json.dumps(summary(sys.argv[1]), indent=1))
    print(json.dumps(summary(sys.argv[1], pings=True), indent=1))


def install_gate(target: str) -> None:
    """In a turn process: how long each of its writing transactions held SQLite's write gate
    (what an acknowledgement waits for at most), written to `target` at exit."""
    import atexit

    from data import db

    holds: list[float] = []
    enter, let_go = db.GateTurn.enter, db.GateTurn.let_go
    entered: dict[int, float] = {}

    async def timed_enter(self: Any) -> None:
        await enter(self)
        entered.setdefault(id(self), time.perf_counter())

    def timed_let_go(self: Any) -> None:
        began = entered.pop(id(self), None)
        if began is not None:
            holds.append(time.perf_counter() - began)
        let_go(self)

    db.GateTurn.enter = timed_enter  # type: ignore[method-assign]
    db.GateTurn.let_go = timed_let_go  # type: ignore[method-assign]
    atexit.register(lambda: Path(target).write_text(json.dumps(holds)))
