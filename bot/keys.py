"""Typed keys for what the aiohttp application holds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiohttp import web

from bot.settings import Settings
from data.db import Store
from dialogs.channel import Channel
from dialogs.router import Brain
from hub.delivery import Deliverer
from hub.identities import Identities
from hub.turns import Hub
from scheduler.jobs import NudgeScheduler

SETTINGS = web.AppKey("settings", Settings)
CLOCK: web.AppKey[Callable[[], datetime]] = web.AppKey("clock")
STORE = web.AppKey("store", Store)
BRAIN = web.AppKey("brain", Brain)
CHANNELS = web.AppKey("channels", dict[str, Channel])
DELIVERER = web.AppKey("deliverer", Deliverer)
HUB = web.AppKey("hub", Hub)
IDENTITIES = web.AppKey("identities", Identities)
NUDGES = web.AppKey("nudges", NudgeScheduler)
# The secret key (bot/secret_key.py), loaded when the server starts.
SECRET_KEY = web.AppKey("secret_key", bytes)
