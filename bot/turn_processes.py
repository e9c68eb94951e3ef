"""`kontobot serve`'s turn processes: the server acknowledges, processes of its own run turns.

A turn costs tens of milliseconds of CPU; run on the event loop that acknowledges, every
acknowledgement waiting behind it waits that long, and Slack's and Teams' requests pile up.
So `serve` starts `KONTOBOT_TURN_PROCESSES` processes (`kontobot turns`, the same app without
an HTTP listener) that run the hub's workers, the outbox delivery and the nudge scheduler,
while the serving process only stores events in the durable inbox and acknowledges (and runs
the turns that must be answered in the request itself: Teams' Action.Execute, the web chat).

The inbox is the hand-over: nothing is passed between the processes but a wake-up. Each turn
process reads one end of a pipe; the serving process writes a byte to it when it stored an
event or owed a message, so a worker claims the row at once rather than at its next look
(which it still takes every second, for rows stored by another server on PostgreSQL). A turn
process whose server died sees the pipe close and stops as on SIGTERM: it finishes the turn in
progress and leaves the rest in the inbox. One that dies is started again; the rows it held
are taken back when the new one starts (hub/turns.py `_reclaim`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from aiohttp import web

from bot.keys import DELIVERER, HUB

log = logging.getLogger(__name__)

# How long a turn process that died waits before it is started again (a process that fails
# at start-up must not be restarted in a tight loop).
RESTART_DELAY = 1.0
# Beyond the shutdown grace the turn processes are given to stop before they are killed.
STOP_MARGIN = 10.0


# What a wake-up byte says: an event was stored (for the turn workers), or a message was owed
# (for delivery). Told apart, so that neither wakes the other for nothing: each wake of
# delivery costs a read of the outbox.
INBOX = b"i"
OUTBOX = b"o"


class Wake:
    """Wakes the turn processes: one byte to one of them, in turn, per call."""

    def __init__(self) -> None:
        self.fds: list[int] = []
        self._next = 0

    def __call__(self, what: bytes = INBOX) -> None:
        if not self.fds:
            return
        self._next = (self._next + 1) % len(self.fds)
        with contextlib.suppress(BlockingIOError, BrokenPipeError, OSError):
            # A full pipe means the process has a backlog of wake-ups already: enough.
            os.write(self.fds[self._next], what)

    def outbox(self) -> None:
        self(OUTBOX)


class TurnProcesses:
    """Starts `count` turn processes (`command` + `--wake-fd N`), starts again one that dies,
    and stops them: SIGTERM, then up to `grace` + STOP_MARGIN seconds to finish."""

    def __init__(self, command: Sequence[str], count: int, grace: float) -> None:
        self.command = list(command)
        self.count = count
        self.grace = grace
        self.wake = Wake()
        self.processes: list[asyncio.subprocess.Process | None] = [None] * count
        self._pipes: list[int] = [-1] * count
        self._watchers: list[asyncio.Task[None]] = []
        self._stopping = False

    async def start(self) -> None:
        self.wake.fds = [-1] * self.count
        for slot in range(self.count):
            await self._spawn(slot)
        self._watchers = [asyncio.create_task(self._watch(slot)) for slot in range(self.count)]

    async def _spawn(self, slot: int) -> None:
        read_end, write_end = os.pipe()
        os.set_blocking(write_end, False)
        try:
            process = await asyncio.create_subprocess_exec(
                *self.command, "--wake-fd", str(read_end), pass_fds=(read_end,)
            )
        finally:
            os.close(read_end)
        if self._pipes[slot] >= 0:
            os.close(self._pipes[slot])
        self._pipes[slot] = self.wake.fds[slot] = write_end
        self.processes[slot] = process
        log.info("turn process %d started (pid %d)", slot + 1, process.pid)
        # Whatever waits in the inbox is for the new process to look at.
        self.wake()

    async def _watch(self, slot: int) -> None:
        while True:
            process = self.processes[slot]
            assert process is not None
            code = await process.wait()
            if self.stopping():
                return
            log.error("turn process %d (pid %d) exited with %s; starting it again",
                      slot + 1, process.pid, code)
            await asyncio.sleep(RESTART_DELAY)
            if self.stopping():
                return
            await self._spawn(slot)

    def stopping(self) -> bool:
        return self._stopping

    def terminate(self) -> None:
        """Ask them to stop (SIGTERM): they finish their turns in progress meanwhile."""
        self._stopping = True
        for process in self.processes:
            if process is not None and process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGTERM)

    async def stop(self) -> None:
        self.terminate()
        for watcher in self._watchers:
            watcher.cancel()
        await asyncio.gather(*self._watchers, return_exceptions=True)
        for slot, process in enumerate(self.processes):
            if process is None:
                continue
            try:
                async with asyncio.timeout(self.grace + STOP_MARGIN):
                    code = await process.wait()
            except TimeoutError:
                log.error("turn process %d did not stop in time: killed", slot + 1)
                process.kill()
                code = await process.wait()
            if code != 0:
                log.warning("turn process %d exited with %s", slot + 1, code)
        for fd in self._pipes:
            if fd >= 0:
                os.close(fd)
        self._pipes = [-1] * self.count
        self.wake.fds = []


def attach(app: web.Application, command: Sequence[str], count: int, grace: float) -> None:
    """Run `app` (built with role "front") with `count` turn processes started by `command`."""
    processes = TurnProcesses(command, count, grace)

    async def running(app: web.Application) -> AsyncIterator[None]:
        # Stored events and owed messages wake the turn processes (hub and delivery here run
        # no workers of their own).
        app[HUB].elsewhere = processes.wake
        app[DELIVERER].elsewhere = processes.wake.outbox
        await processes.start()
        yield
        await processes.stop()

    async def stopping(_app: web.Application) -> None:
        # At once, so that they finish their turns while this process finishes its own.
        processes.terminate()

    # Added last: started once everything else has, stopped before anything else is.
    app.cleanup_ctx.append(running)
    app.on_shutdown.insert(0, stopping)


def dispatch(data: bytes, wake_workers: Callable[[int], None], kick: Callable[[], None]) -> None:
    """Wake-up bytes read by a turn process: a worker for each event stored, and delivery once
    if any message was owed."""
    stored = data.count(INBOX)
    if stored:
        wake_workers(stored)
    if OUTBOX in data:
        kick()


async def run_turns(
    app: web.Application, wake_fd: int, ready: Callable[[], Any] = lambda: None
) -> None:
    """A turn process: `app` (role "turns") started without a listener, woken through
    `wake_fd`, until SIGTERM or SIGINT, or until the serving process is gone."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    os.set_blocking(wake_fd, False)

    def woken() -> None:
        try:
            data = os.read(wake_fd, 4096)
        except BlockingIOError:
            return
        if not data:
            # The serving process is gone (killed, or crashed): stop as on SIGTERM.
            log.warning("the serving process has gone: stopping")
            loop.remove_reader(wake_fd)
            stop.set()
            return
        dispatch(data, app[HUB].wake, app[DELIVERER].kick)

    loop.add_reader(wake_fd, woken)
    ready()
    try:
        await stop.wait()
    finally:
        # A second signal while stopping is ignored: the turns in progress must finish.
        for number in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(number)
            signal.signal(number, signal.SIG_IGN)
        with contextlib.suppress(ValueError, OSError):
            loop.remove_reader(wake_fd)
        await runner.cleanup()
        os.close(wake_fd)
