"""A real `kontobot serve` answering Slack: a fake Slack Web API with numbered people, the
server started against it, and signed commands and direct messages posted to it (the restart
and turn-process tests)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

from data.db import Store
from data.models import InboxEvent
from tests.bot.slack.rig import SECRET
from tests.helpers import load
from tests.helpers.fake_slack import FakeSlack, sign
from tests.helpers.server import Server, launch


def user_id(n: int) -> str:
    return f"UPERSON{n:03d}"


@asynccontextmanager
async def fake_slack(people: int) -> AsyncIterator[FakeSlack]:
    """A fake Slack that knows `people` people, `user_id(0)` onwards."""
    slack = FakeSlack()
    await slack.start()
    for n in range(people):
        slack.add_user(user_id(n), f"Person {n}", email=f"person{n}@ki.se")
    try:
        yield slack
    finally:
        await slack.stop()


async def start(
    fake: FakeSlack, database_url: str, workdir: Path, *, name: str = "serve", **extra: str
) -> Server:
    """`kontobot serve` talking to `fake` over HTTP, with `extra` settings."""
    env = {
        "SLACK_BOT_TOKEN": fake.token,
        "SLACK_SIGNING_SECRET": SECRET,
        "KONTOBOT_SLACK_API_URL": fake.url,
        "KONTOBOT_SHUTDOWN_GRACE": "1",
        "KONTOBOT_WEB_CHAT": "off",
        **extra,
    }
    return await asyncio.to_thread(launch, database_url, workdir, name=name, within=60, **env)


def command(user: str, name: str, trigger: str) -> str:
    return urlencode(
        {
            "team_id": "TKI",
            "channel_id": "CGENERAL",
            "user_id": user,
            "command": f"/{name}",
            "text": "",
            "api_app_id": "AKONTOBOT",
            "trigger_id": trigger,
        }
    )


def direct_message(user: str, text: str, event_id: str) -> str:
    return json.dumps(
        {
            "team_id": "TKI",
            "api_app_id": "AKONTOBOT",
            "type": "event_callback",
            "event_id": event_id,
            "event": {
                "type": "message",
                "channel_type": "im",
                "channel": f"D{user}",
                "user": user,
                "text": text,
                "ts": event_id.removeprefix("Ev") + ".000100",
            },
        }
    )


async def post(http: aiohttp.ClientSession, server: Server, body: str) -> None:
    kind = "application/json" if body.startswith("{") else "application/x-www-form-urlencoded"
    headers = {"Content-Type": kind, **sign(body, SECRET)}
    async with http.post(f"{server.url}/slack/events", data=body, headers=headers) as response:
        assert (response.status, await response.text()) == (200, "")


async def inbox_rows(database_url: str) -> list[InboxEvent]:
    store = Store.from_url(database_url)
    try:
        return await load(store, InboxEvent)
    finally:
        await store.close()


async def spooled(database_url: str) -> set[str]:
    """The keys of the events waiting in the spool (data/spool.py) of the SQLite file at
    `database_url` (none on PostgreSQL, which has no spool). A server killed between a move's
    two commits leaves an event both there and in the inbox."""
    store = Store.from_url(database_url)
    try:
        if store.spool is None:
            return set()
        return {event.key for _, event in await store.spool.take(1_000_000)}
    finally:
        await store.close()
