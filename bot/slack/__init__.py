"""Slack: slash commands, direct messages, buttons and menus, the App Home — through slack-bolt.

`setup(app, settings)` is all the rest of the bot knows of it. With a bot token and a signing
secret, Slack reaches the bot at `POST /slack/events` (commands, events and interactivity on
one URL); with a bot token and an app-level token, the bot connects to Slack in Socket Mode
instead. With neither, nothing is set up; with half of a pair, the bot refuses to start and
says what is missing. Slack's types never leave this package: `translate` turns payloads into
neutral events, `render` turns neutral messages into Block Kit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from bot.settings import Settings
from bot.slack.bot import SlackBot
from bot.slack.client import Tuning
from bot.slack.config import Mode, SlackSettingsError, mode

__all__ = ["MODE", "ROUTE", "SLACK", "TUNING", "SlackSettingsError", "mode", "setup"]

ROUTE = "/slack/events"
MODE: web.AppKey[Mode] = web.AppKey("slack_mode")
# How patient to be with Slack; may be changed between `setup` and the server's start.
TUNING = web.AppKey("slack_tuning", Tuning)
# The running front end, from the server's start to its end.
SLACK = web.AppKey("slack", SlackBot)


def setup(app: web.Application, settings: Settings, *, listen: bool = True) -> None:
    """Mount Slack on `app` as the settings say (nothing when Slack is not configured).
    Without `listen` (a turn process) it takes no events: in Socket Mode it does not connect."""
    chosen = mode(settings)
    app[MODE] = chosen
    if chosen == "off":
        return
    app[TUNING] = Tuning()

    async def slack_ctx(app: web.Application) -> AsyncIterator[None]:
        bot = SlackBot(app, settings, chosen, app[TUNING], listen=listen)
        app[SLACK] = bot
        try:
            await bot.start()
            yield
        finally:
            await bot.stop()

    async def quiesce(app: web.Application) -> None:
        await app[SLACK].quiesce()

    app.cleanup_ctx.append(slack_ctx)
    # Shutdown comes before the cleanup contexts unwind, so before outbox delivery stops.
    app.on_shutdown.append(quiesce)
    if chosen == "http":
        app.router.add_post(ROUTE, events)


async def events(request: web.Request) -> web.Response:
    return await request.app[SLACK].handle_http(request)
