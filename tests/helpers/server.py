"""The `kontobot` command as a user runs it: a subprocess with its settings in the environment."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[2]
# The console script the package installs next to the interpreter running the tests.
KONTOBOT = Path(sys.executable).with_name("kontobot")
# Settings a developer may have exported; the tests set what they need themselves.
_FOREIGN = ("KONTOBOT_", "SLACK_", "MICROSOFT_")
# What `kontobot serve` logs once it listens (bot/cli.py).
READY = b"ready: Running on"


def cli_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_FOREIGN)}
    env["KONTOBOT_DATABASE_URL"] = database_url
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    # Copies the server's output into `log` (see _copy).
    copier: threading.Thread
    # Notified by the copier after each line it writes, and at the end of the output.
    said: threading.Condition = field(default_factory=threading.Condition)

    def output(self) -> str:
        if self.process.poll() is not None:
            # Exited: everything it said is in the log once the copier reaches the end.
            self.copier.join(timeout=10)
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for_output(self, wanted: Callable[[str], bool], within: float, what: str) -> None:
        """Until what the server has said so far is `wanted` (blocking: from async code, call
        it through asyncio.to_thread); woken by each line, not polling."""

        def said_so_far() -> bool:
            return wanted(self.log.read_text(encoding="utf-8", errors="replace"))

        with self.said:
            if not self.said.wait_for(said_so_far, timeout=within):
                raise AssertionError(f"not within {within}s: {what}\n{self.output()}")


def _wait_until_ready(server: Server, ready: threading.Event, within: float) -> None:
    """Until the server says it listens (or exits), then one health check."""
    if not ready.wait(within):
        raise AssertionError(f"kontobot serve not ready within {within}s:\n{server.output()}")
    if server.process.poll() is not None:
        raise AssertionError(
            f"kontobot serve exited with {server.process.wait()}:\n{server.output()}"
        )
    with urllib.request.urlopen(f"{server.url}/healthz", timeout=5) as response:  # noqa: S310
        assert response.status == 200, server.output()


def _copy(
    source: IO[bytes], log: Path, ready: threading.Event, said: threading.Condition
) -> None:
    """The server's output into `log`, line by line, notifying `said` after each; `ready`
    once it says it listens, or once it has exited (end of output)."""
    with source, log.open("wb") as sink:
        for line in source:
            sink.write(line)
            sink.flush()
            with said:
                said.notify_all()
            if READY in line:
                ready.set()
    ready.set()
    with said:
        said.notify_all()


def stop(server: Server, within: float = 10.0) -> int:
    """SIGTERM, as a service manager stops it; the exit code."""
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=within)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
            raise AssertionError(
                f"kontobot serve did not stop within {within}s of SIGTERM"
            ) from None
    return server.process.returncode


def launch(
    database_url: str, workdir: Path, *, within: float = 30.0, name: str = "serve", **env: str
) -> Server:
    """`kontobot serve --port <free>` on loopback with `env` added to its settings, once it is
    healthy (blocking: from async code, call it through asyncio.to_thread). Its output goes to
    `workdir/<name>.log`."""
    port = free_port()
    log = workdir / f"{name}.log"
    process = subprocess.Popen(  # noqa: S603
        [str(KONTOBOT), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=cli_env(database_url, **env),
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert process.stdout is not None
    ready = threading.Event()
    said = threading.Condition()
    copier = threading.Thread(
        target=_copy, args=(process.stdout, log, ready, said), daemon=True
    )
    copier.start()
    server = Server(f"http://127.0.0.1:{port}", process, log, copier, said)
    try:
        _wait_until_ready(server, ready, within)
    except BaseException:
        process.kill()
        process.wait()
        raise
    return server


def killed(server: Server) -> None:
    """SIGKILL: the process ends at once, wherever it was."""
    server.process.kill()
    server.process.wait()
    server.copier.join(timeout=10)


@contextmanager
def serving(
    database_url: str, workdir: Path, *, within: float = 30.0, **env: str
) -> Iterator[Server]:
    """`kontobot serve --port <free>` on loopback (so the web chat is on, unless `env`
    configures a chat platform), healthy, then stopped.

    Runs in `workdir`, so no `.env` of the developer's applies; its output goes to
    `workdir/serve.log`. `env` adds settings (KONTOBOT_WEB_CHAT="on", SLACK_BOT_TOKEN=...).
    """
    server = launch(database_url, workdir, within=within, **env)
    try:
        yield server
    finally:
        process = server.process
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        server.copier.join(timeout=10)
