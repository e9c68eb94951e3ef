"""The comms office dashboard: server-rendered pages under /dashboard on the bot's own server.

Jinja2 templates (autoescaped) through aiohttp-jinja2, a stylesheet of our own and charts drawn
as SVG on the server: no script, nothing fetched from elsewhere. Mounted on every server,
whatever the host; without a session every page answers 401 with the help page.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot import scheduling
from bot.keys import SETTINGS
from bot.web import headers
from bot.web.dashboard import auth, pages, translation
from bot.web.dashboard.app_keys import NUDGE_CONFIG, TEMPLATES
from bot.web.dashboard.render import PREFIX

HERE = Path(__file__).parent
# No script at all; styles and images only from here; forms only post here.
POLICY = headers.content_security_policy(
    "default-src 'self'", "script-src 'none'", "object-src 'none'", "base-uri 'none'",
    "form-action 'self'",
)


def setup(app: web.Application) -> None:
    env = aiohttp_jinja2.setup(
        app,
        app_key=TEMPLATES,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        default_helpers=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    translation.install(env)
    app[NUDGE_CONFIG] = scheduling.nudge_config(app[SETTINGS])
    router = app.router
    router.add_get(PREFIX, pages.register_page)
    router.add_get(f"{PREFIX}/accounts/{{number}}", pages.account_page)
    router.add_get(f"{PREFIX}/compliance", pages.compliance_page)
    router.add_get(f"{PREFIX}/export", pages.export)
    router.add_get(f"{PREFIX}/sign-in", auth.sign_in_page)
    router.add_post(f"{PREFIX}/sign-in", auth.sign_in)
    router.add_post(f"{PREFIX}/sign-out", auth.sign_out)
    router.add_get(f"{PREFIX}/signed-out", auth.signed_out_page)
    router.add_get(f"{PREFIX}/language", auth.choose_language)
    router.add_get(f"{PREFIX}/help", auth.help_page)
    router.add_static(f"{PREFIX}/static/", HERE / "static", name="dashboard_static")
    headers.protect(app, _policy)


def _policy(request: web.Request) -> str | None:
    if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
        return POLICY
    return None
