"""Pages from templates, with what every page needs: the language, the signed-in person, the
navigation and the sign-out form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.keys import SECRET_KEY, SETTINGS
from bot.web.dashboard.app_keys import TEMPLATES
from bot.web.dashboard.translation import LANGUAGE_NAMES, LANGUAGES, Words, language
from data import signin
from data.dashboard import Viewer
from data.models import DashboardSession

PREFIX = "/dashboard"
LANG_COOKIE = "kontobot_lang"


@dataclass(frozen=True)
class Visit:
    """Who is looking, as the data layer knows them, and how they signed in."""

    viewer: Viewer
    # The browser session, or None for a person named by the trusted proxy header (who signs
    # out at the proxy, so has no sign-out form here).
    session: DashboardSession | None


def words_for(request: web.Request, visit: Visit | None) -> Words:
    """The language the person picked with the switch (a cookie), else the one the bot knows
    them by, else the configured default."""
    settings = request.app[SETTINGS]
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen not in LANGUAGES:
        chosen = visit.viewer.person.locale if visit is not None else None
    return Words(language(chosen, settings.default_locale), settings.zone)


def page(
    request: web.Request,
    template: str,
    context: Mapping[str, Any],
    *,
    visit: Visit | None,
    status: int = 200,
    words: Words | None = None,
) -> web.Response:
    words = words or words_for(request, visit)
    base = {
        "words": words,
        "lang": words.lang,
        "languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        # Where the language links come back to: the page itself, unless a form's POST made
        # it (a link can't repeat a POST); then the page on how to sign in.
        "here": request.path_qs if request.method in ("GET", "HEAD") else "/dashboard/help",
        # The navigation entry to mark as the current page, if any.
        "nav": "",
        "visit": visit,
        "csrf": (
            signin.session_csrf(request.app[SECRET_KEY], visit.session)
            if visit is not None and visit.session is not None
            else None
        ),
    }
    response = aiohttp_jinja2.render_template(
        template, request, {**base, **context}, app_key=TEMPLATES, status=status
    )
    # Pages name people and their accounts: not for shared caches, nor the back button of a
    # browser someone else uses after sign-out.
    response.headers["Cache-Control"] = "no-store"
    return response
