"""The one aiohttp application, built by `create_app` with whatever is configured."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Literal

from aiohttp import web
from sqlalchemy import literal
from sqlmodel import select

from bot import scheduling, secret_key, webhooks
from bot.graph import graph_directory
from bot.keys import (
    BRAIN,
    CHANNELS,
    CLOCK,
    DELIVERER,
    HUB,
    IDENTITIES,
    SECRET_KEY,
    SETTINGS,
    STORE,
)
from bot.metrics import metrics
from bot.settings import Settings
from bot.slack import setup as setup_slack
from bot.teams import setup as setup_teams
from bot.web import dashboard, demo
from bot.web import routes as web_chat
from data.db import Store
from data.migrate import ensure_current
from dialogs.router import Brain
from hub.delivery import Deliverer
from hub.identities import Identities
from hub.turns import Hub

log = logging.getLogger(__name__)

# What a process of the server does (bot/turn_processes.py): "whole" everything; "front"
# listens, stores and acknowledges, while "turns" processes run the turns, the outbox and the
# nudges, without listening.
Role = Literal["whole", "front", "turns"]


def wall_clock() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings,
    *,
    web_chat_enabled: bool,
    clock: Callable[[], datetime] = wall_clock,
    host: str | None = None,
    role: Role = "whole",
) -> web.Application:
    """`host` is the address the server listens on: unauthenticated Teams (emulator mode, no
    app id) is mounted only when it is a loopback address. `role`: see `Role`."""
    app = web.Application(client_max_size=256 * 1024)
    app[SETTINGS] = settings
    app[CLOCK] = clock
    app[CHANNELS] = {}
    app.cleanup_ctx.append(_database)
    if role != "turns":
        # Where events are received (a turn process leaves the spool to the front).
        app.cleanup_ctx.append(_intake)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    webhooks.setup(app)
    # The comms office dashboard: on every server, whatever the host (it has its own sign-in).
    dashboard.setup(app)
    if web_chat_enabled:
        if role != "turns":
            app.cleanup_ctx.append(_demo_people)
        web_chat.setup(app, host=host)
    # Slack when configured; raises SlackSettingsError (a RuntimeError) when half configured.
    # A turn process takes no events (in Socket Mode, only the front connects).
    setup_slack(app, settings, listen=role != "turns")
    # Teams when configured; raises TeamsSettingsError (a RuntimeError) when it would run
    # unauthenticated on a non-loopback address.
    setup_teams(app, settings, host=host)
    # Last, so that every platform has registered its channel before delivery and the turn
    # workers start, and both stop before the database closes.
    # A front leaves these to its turn processes.
    if role != "front":
        app.cleanup_ctx.append(_delivery)
        app.cleanup_ctx.append(_turns)
    # On SIGTERM: take no more work, let the turns in progress finish; the rest stays in the
    # inbox for the next start. After each platform's own shutdown step (added in setup).
    app.on_shutdown.append(_quiesce)
    if role != "front":
        app.cleanup_ctx.append(scheduling.scheduler_ctx)
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    app[SECRET_KEY] = secret_key.load(settings)
    store = Store.from_url(settings.database_url)
    await ensure_current(store.engine)
    app[STORE] = store
    async with graph_directory(settings) as staff_directory:
        brain = Brain(
            store,
            default_locale=settings.default_locale,
            timezone=settings.zone,
            nudges=scheduling.nudge_config(settings),
            public_url=settings.public_url,
            directory=staff_directory,
            signing_key=app[SECRET_KEY],
        )
        app[BRAIN] = brain
        # Delivery reaches whichever channels the platforms register as they start.
        deliverer = Deliverer(
            store, app[CHANNELS], default_locale=settings.default_locale, timezone=settings.zone,
            signing_key=app[SECRET_KEY],
        )
        app[DELIVERER] = deliverer
        app[HUB] = Hub(
            store, brain, deliverer, app[CLOCK], drain_seconds=settings.shutdown_grace
        )
        app[IDENTITIES] = Identities(store, app[CLOCK])
        yield
    await store.close()


async def _intake(app: web.Application) -> AsyncIterator[None]:
    # Events that a stopped process acknowledged and spooled but had not moved into the inbox
    # yet (hub/intake.py, SQLite), moved before anything else starts; at the end the move under
    # way finishes before the database closes.
    hub = app[HUB]
    await hub.intake.settle()
    yield
    await hub.intake.close()


async def _demo_people(app: web.Application) -> AsyncIterator[None]:
    await demo.seed(app[IDENTITIES])
    yield


async def _delivery(app: web.Application) -> AsyncIterator[None]:
    # Every platform has registered its channel: say which office has no place, and owe anew
    # what waited for a place configured since.
    await app[DELIVERER].start(app[CLOCK]())
    task = asyncio.create_task(app[DELIVERER].run(app[CLOCK]))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _turns(app: web.Application) -> AsyncIterator[None]:
    hub = app[HUB]
    await hub.start()
    yield
    await hub.quiesce()


async def _quiesce(app: web.Application) -> None:
    await app[HUB].quiesce()


async def healthz(request: web.Request) -> web.Response:
    try:
        async with request.app[STORE].read() as session:
            await session.exec(select(literal(1)))
    except Exception:
        log.exception("health check: database unreachable")
        return web.json_response({"status": "error", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})
