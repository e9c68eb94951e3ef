"""`POST /api/messages`: where the Bot Connector delivers Teams activities.

The route is ours, not `CloudAdapter.process()`: that one answers 500 to every
`Action.Execute` because it serialises the invoke response twice. Here the token is checked
first (botbuilder's JWT validation, then what bot.teams.trust asks of it) and a request that
fails it gets 401 before anything runs; an activity of another channel than Teams, or of
another tenant, gets 403; then the activity goes to the hub's inbox (bot/teams/bot.py), and an
invoke's response body is written by us, as a plain dict.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

from aiohttp import web
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity
from botframework.connector.auth import AuthenticationConstants, GovernmentConstants

from bot.keys import BRAIN, CHANNELS, CLOCK, HUB, IDENTITIES, SETTINGS
from bot.settings import Settings, is_loopback
from bot.teams.bot import TeamsBot
from bot.teams.channel import TeamsChannel
from bot.teams.credentials import KeptCredentials
from bot.teams.shape import well_formed
from bot.teams.tenant import from_our_tenant
from bot.teams.translate import PLATFORM
from bot.teams.trust import channel_token, from_teams
from hub.identities import COMMS, DIRECTOR

log = logging.getLogger(__name__)

ROUTE = "/api/messages"
Mode = Literal["authenticated", "emulator", "off"]


class TeamsSettingsError(RuntimeError):
    pass


@dataclass
class Teams:
    adapter: CloudAdapter
    bot: TeamsBot
    channel: TeamsChannel
    authenticated: bool
    # Who issues the channel service's tokens (bot.teams.trust); empty in emulator mode.
    issuer: str = ""


MODE: web.AppKey[Mode] = web.AppKey("teams_mode")
# botbuilder configuration names (TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
# TO_BOT_FROM_CHANNEL_TOKEN_ISSUER, ...) for a cloud other than the public one; may be set
# between `setup` and the server's start.
AUTH_CONFIG: web.AppKey[dict[str, str]] = web.AppKey("teams_auth_config")
TEAMS = web.AppKey("teams", Teams)


def mode(settings: Settings, host: str | None) -> Mode:
    """How Teams runs: with tokens checked, as an emulator on loopback, or not at all.

    Without an app id there is nothing to check tokens against: Teams traffic is then taken
    only when KONTOBOT_TEAMS_EMULATOR=on asks for it and the server listens on loopback.
    Teams settings without an app id, or the emulator on another address, are a mistake that
    could let anyone act as anyone: the server refuses to start. So is an app id without KI's
    tenant: a valid token proves only that Teams sent the activity, from any organisation's
    Teams, and a person there is taken as the KI colleague with their e-mail address
    (data.identity), an address their own organisation's administrators set.
    """
    if settings.microsoft_app_id:
        if not settings.microsoft_app_password:
            raise TeamsSettingsError(
                "MICROSOFT_APP_ID is set but MICROSOFT_APP_PASSWORD is not: the bot could not "
                "answer in Teams"
            )
        if not settings.microsoft_app_tenant_id:
            raise TeamsSettingsError(
                "MICROSOFT_APP_ID is set but MICROSOFT_APP_TENANT_ID is not: refusing to take "
                "Teams activities from any organisation. Set it to KI's Microsoft Entra tenant "
                "id."
            )
        return "authenticated"
    where = f" on {host}" if host else ""
    if settings.teams_emulator == "on":
        if host is not None and is_loopback(host):
            return "emulator"
        raise TeamsSettingsError(
            f"KONTOBOT_TEAMS_EMULATOR=on: refusing to accept unauthenticated Teams traffic"
            f"{where}. The emulator mode is for a loopback address (127.0.0.1) only."
        )
    if settings.teams_configured():
        raise TeamsSettingsError(
            f"Teams is configured without MICROSOFT_APP_ID: refusing to accept unauthenticated "
            f"Teams traffic{where}. Set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD, or, to try "
            f"the bot with the Bot Framework Emulator, KONTOBOT_TEAMS_EMULATOR=on and a loopback "
            f"address."
        )
    return "off"


def setup(app: web.Application, settings: Settings, *, host: str | None = None) -> None:
    """Mount Teams on `app` as the settings and the listening address allow."""
    chosen = mode(settings, host)
    app[MODE] = chosen
    if chosen == "off":
        return
    app[AUTH_CONFIG] = {}
    if chosen == "emulator":
        log.warning(
            "Teams runs in emulator mode (KONTOBOT_TEAMS_EMULATOR=on, no MICROSOFT_APP_ID): "
            "activities are not authenticated, accepted only because the server listens on "
            "loopback"
        )

    async def teams_ctx(app: web.Application) -> AsyncIterator[None]:
        authenticated = chosen == "authenticated"
        config = _BotConfig(settings, app[AUTH_CONFIG])
        adapter = CloudAdapter(
            ConfigurationBotFrameworkAuthentication(
                config, credentials_factory=KeptCredentials(config)
            )
        )
        channel = TeamsChannel(
            adapter,
            app[IDENTITIES],
            app[CLOCK],
            app_id=settings.microsoft_app_id,
            tenant_id=settings.microsoft_app_tenant_id,
            places={
                "comms": settings.comms_teams_conversation or "",
                "registry": settings.registry_teams_conversation or "",
            },
        )
        bot = TeamsBot(app[HUB], app[BRAIN], app[IDENTITIES], channel, app[CLOCK])
        issuer = channel_issuer(app[AUTH_CONFIG]) if authenticated else ""
        app[TEAMS] = Teams(adapter, bot, channel, authenticated, issuer)
        app[CHANNELS][PLATFORM] = channel
        app[HUB].register(bot)
        # The Director of Communications, their deputy and the Communications Office on
        # Teams, as configured.
        directors = (settings.director_teams_id, settings.deputy_director_teams_id)
        await app[IDENTITIES].hold_roles(
            PLATFORM,
            {
                DIRECTOR: [aad for aad in directors if aad],
                COMMS: settings.comms_teams_members,
            },
        )
        yield

    app.cleanup_ctx.append(teams_ctx)
    app.router.add_post(ROUTE, messages)


def channel_issuer(config: dict[str, str]) -> str:
    """The issuer of the channel service's tokens, as botbuilder is configured: the one
    AUTH_CONFIG names, else the US Government cloud's or the public cloud's."""
    if config.get("TO_BOT_FROM_CHANNEL_TOKEN_ISSUER"):
        return config["TO_BOT_FROM_CHANNEL_TOKEN_ISSUER"]
    if config.get("CHANNEL_SERVICE") == GovernmentConstants.CHANNEL_SERVICE:
        return str(GovernmentConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER)
    return str(AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER)


class _BotConfig:
    """The settings the way botbuilder's configuration classes read them."""

    def __init__(self, settings: Settings, extra: dict[str, str]) -> None:
        password = settings.microsoft_app_password
        tenant = settings.microsoft_app_tenant_id or ""
        self.APP_ID = settings.microsoft_app_id or ""
        self.APP_PASSWORD = password.get_secret_value() if password else ""
        self.APP_TYPE = "SingleTenant" if tenant and self.APP_ID else "MultiTenant"
        self.APP_TENANTID = tenant
        for name, value in extra.items():
            setattr(self, name, value)


async def messages(request: web.Request) -> web.StreamResponse:
    teams = request.app[TEAMS]
    header = request.headers.get("Authorization", "")
    if teams.authenticated and not header.startswith("Bearer "):
        log.warning("refused a Teams request without a bearer token")
        raise web.HTTPUnauthorized()
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(text="send JSON")
    try:
        raw = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="not JSON") from None
    if not well_formed(raw):
        raise web.HTTPBadRequest(text="not an activity")
    try:
        activity = Activity().deserialize(raw)
    except Exception:  # msrest's DeserializationError and whatever a malformed field raises
        raise web.HTTPBadRequest(text="not an activity") from None
    auth = teams.adapter.bot_framework_authentication
    try:
        # In emulator mode no header is passed on: there is no app id to check it against.
        result = await auth.authenticate_request(
            activity, header if teams.authenticated else ""
        )
    except Exception as error:  # any failure of the check is a refusal, never a 500
        log.warning("refused a Teams request: %s", type(error).__name__)
        raise web.HTTPUnauthorized() from None
    if teams.authenticated:
        claims = getattr(result.claims_identity, "claims", None) or {}
        if not channel_token(claims, issuer=teams.issuer, service_url=activity.service_url):
            log.warning("refused a Teams request: not the channel service's token")
            raise web.HTTPUnauthorized()
        if not from_teams(raw):
            # Before anything is stored or learnt: another channel's client writes the body.
            log.warning("refused an activity of another channel than Teams")
            raise web.HTTPForbidden()
    if not from_our_tenant(raw, request.app[SETTINGS].microsoft_app_tenant_id):
        log.warning("refused a Teams activity from another tenant")
        raise web.HTTPForbidden()
    try:
        # Stored in the inbox before the Bot Connector hears back (and run at once for an
        # Action.Execute, whose answer is the next card).
        body = await teams.bot.turn(raw)
    except Exception:
        log.exception("a Teams %s activity could not be taken", activity.type)
        raise web.HTTPInternalServerError() from None
    if activity.type == "invoke":
        return web.json_response(body or {}, status=200)
    return web.Response(status=200)
