"""What the application holds for the dashboard, under typed keys of its own."""

from __future__ import annotations

import jinja2
from aiohttp import web

from data.policy import NudgeConfig

TEMPLATES = web.AppKey("dashboard_templates", jinja2.Environment)
NUDGE_CONFIG = web.AppKey("dashboard_nudge_config", NudgeConfig)
