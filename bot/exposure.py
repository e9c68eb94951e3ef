"""What a server exposes, and why: the lines `kontobot serve` logs at start, one per route,
then one per feature that settings switch on or off.

Nothing unauthenticated runs unless an operator asked for it (the web chat, Teams' emulator
mode); these lines let whoever starts the server see what it answers, and on what grounds,
before anyone else does.
"""

from __future__ import annotations

from aiohttp import web

from bot.keys import SETTINGS
from bot.settings import Settings
from bot.slack import MODE as SLACK_MODE
from bot.teams import MODE as TEAMS_MODE
from bot.teams import ROUTE as TEAMS_ROUTE
from bot.webhooks import ROUTE as WEBHOOK_ROUTE


def report(app: web.Application, host: str, *, web_chat: tuple[bool, str]) -> list[str]:
    """One line per route (or group of routes): mounted or not, and why."""
    settings = app[SETTINGS]
    lines = []
    chat_on, chat_why = web_chat
    lines.append(
        ("mounted, UNAUTHENTICATED (anyone who reaches it acts as anyone)" if chat_on else
         "not mounted") + f": GET /, /web/api/* (web chat) -- {chat_why}"
    )
    slack = app.get(SLACK_MODE, "off")
    lines.append(
        {
            "http": "mounted: POST /slack/events (Slack) -- every request's signature is checked "
            "with SLACK_SIGNING_SECRET",
            "socket": "not mounted: POST /slack/events (Slack) -- Socket Mode (SLACK_APP_TOKEN)",
            "off": "not mounted: POST /slack/events (Slack) -- Slack is not configured",
        }[slack]
    )
    teams = app.get(TEAMS_MODE, "off")
    lines.append(
        {
            "authenticated": f"mounted: POST {TEAMS_ROUTE} (Teams) -- MICROSOFT_APP_ID set: every "
            "activity's token is checked"
            + (f", tenant {settings.microsoft_app_tenant_id} only"
               if settings.microsoft_app_tenant_id else ""),
            "emulator": f"mounted, UNAUTHENTICATED: POST {TEAMS_ROUTE} (Teams emulator) -- "
            f"KONTOBOT_TEAMS_EMULATOR=on and loopback {host}",
            "off": f"not mounted: POST {TEAMS_ROUTE} (Teams) -- no MICROSOFT_APP_ID and "
            "KONTOBOT_TEAMS_EMULATOR off",
        }[teams]
    )
    lines.append(
        f"mounted: POST {WEBHOOK_ROUTE} (question webhook) -- each account's bearer token"
    )
    header = settings.trusted_user_header
    lines.append(
        "mounted: /dashboard -- sign-in links from chat"
        + (f", and the {header} header of the authenticating proxy at "
           f"{', '.join(settings.trusted_proxies)}" if header else "")
    )
    lines.append("mounted: GET /healthz, GET /metrics -- unauthenticated, no personal data")
    return lines


def features(settings: Settings) -> list[str]:
    """One line per feature settings switch on or off, and how."""
    return [
        (f"on: reminders on their schedules, times in {settings.timezone} -- "
         "KONTOBOT_SCHEDULER=on") if settings.scheduler == "on" else
        ("off: reminders -- KONTOBOT_SCHEDULER=off: run `kontobot nudges run` from cron"),
        "on: staff directory from Microsoft Graph -- KONTOBOT_GRAPH_* set"
        if settings.graph_configured else
        "off: staff directory from Microsoft Graph -- not configured: "
        "`kontobot directory import` loads HR's list",
        f"on: dashboard links on Slack and Teams -- KONTOBOT_PUBLIC_URL={settings.public_url}"
        if settings.public_url else
        "off: dashboard links on Slack and Teams -- KONTOBOT_PUBLIC_URL unset",
    ]
