"""Each PostgreSQL test's own database, made one test ahead and dropped behind it.

Every database test runs on a new PostgreSQL database copied from a migrated template
(tests/conftest.py). Copying one and dropping it costs 0.3-0.6 s of the server's work on the
2-core machine, and a PostgreSQL test was waiting for it: about a fifth of the suite's time.
So a thread of its own copies the next test's database while this test runs, and drops each
database after its test, while the next one runs. Every test still gets a database nobody
used before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from uuid import uuid4

# Runs one SQL statement on a server (outside any transaction): tests/conftest.py `_execute`.
Execute = Callable[[str, str], Awaitable[None]]


class Databases:
    def __init__(self, execute: Execute) -> None:
        self._execute = execute
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="pg-databases")
        # (server, template) -> the database being made for the next test that asks.
        self._next: dict[tuple[str, str], Future[str]] = {}

    def _run(self, server: str, statement: str) -> None:
        asyncio.run(self._execute(server, statement))

    def _make(self, server: str, template: str) -> str:
        name = f"kontobot_test_{uuid4().hex}"
        copy = f' TEMPLATE "{template}"' if template else ""
        self._run(server, f'CREATE DATABASE "{name}"{copy}')
        return name

    async def take(self, server: str, template: str = "") -> str:
        """A new database on `server` (a copy of `template`; an empty one without), and the
        next one started."""
        key = (server, template)
        made = self._next.pop(key, None) or self._thread.submit(self._make, server, template)
        try:
            name = await asyncio.wrap_future(made)
        except BaseException:
            # The test gave up waiting (cancelled): the database it was to get is dropped.
            made.add_done_callback(lambda done: self._forget(server, done))
            raise
        finally:
            self._next[key] = self._thread.submit(self._make, server, template)
        return name

    def _forget(self, server: str, made: Future[str]) -> None:
        if not made.cancelled() and made.exception() is None:
            self.drop(server, made.result())

    def drop(self, server: str, name: str) -> None:
        """Drop `name` soon (its test is over: nothing may use it any more)."""
        self._thread.submit(self._run, server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        """Drop the databases made ahead, and wait for every drop."""
        for (server, _template), made in self._next.items():
            made.exception()  # (waits for it to be made, or to fail)
            self._forget(server, made)
        self._next.clear()
        self._thread.shutdown(wait=True)
