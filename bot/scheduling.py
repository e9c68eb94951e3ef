"""The nudge scheduler in the running bot: started after delivery, stopped before it."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from bot.keys import CLOCK, DELIVERER, NUDGES, SETTINGS, STORE
from bot.settings import Settings
from data.policy import NudgeConfig
from data.workdays import Calendar
from scheduler.jobs import NudgeScheduler


def nudge_config(settings: Settings) -> NudgeConfig:
    """The nudge rules' configuration: the zone, the working-day calendar and whether the rota
    runs on weekday holidays from settings, every other default from DESIGN.md section 4."""
    return NudgeConfig(
        zone=settings.zone,
        calendar=Calendar(settings.closure_dates),
        holiday_duty=settings.holiday_duty == "on",
    )


async def scheduler_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: runs the nudge rules on their schedules, and the nightly pruning of old
    messages and events (KONTOBOT_SCHEDULER=off: neither)."""
    settings = app[SETTINGS]
    if settings.scheduler == "off":
        yield
        return
    nudges = NudgeScheduler(
        app[STORE], nudge_config(settings), app[CLOCK], on_written=app[DELIVERER].kick,
        retention_days=settings.retention_days,
    )
    app[NUDGES] = nudges
    nudges.start()
    yield
    await nudges.stop()
