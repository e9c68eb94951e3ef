"""Which way the bot talks to Slack, decided from the settings alone."""

from __future__ import annotations

from typing import Literal

from bot.settings import Settings

Mode = Literal["off", "http", "socket"]


class SlackSettingsError(RuntimeError):
    """Slack is configured by half: the message says what is missing."""


def _set(value: object) -> bool:
    secret = getattr(value, "get_secret_value", None)
    return bool(secret() if secret is not None else value)


def mode(settings: Settings) -> Mode:
    """How the bot talks to Slack, from the settings; raises when they are incomplete."""
    token = _set(settings.slack_bot_token)
    secret = _set(settings.slack_signing_secret)
    app_token = _set(settings.slack_app_token)
    if not (token or secret or app_token):
        return "off"
    if not token:
        given = " and ".join(
            name
            for name, present in (("SLACK_SIGNING_SECRET", secret), ("SLACK_APP_TOKEN", app_token))
            if present
        )
        raise SlackSettingsError(
            f"Slack is configured by half: {given} is set but SLACK_BOT_TOKEN is missing."
        )
    if app_token:
        assert settings.slack_app_token is not None
        if not settings.slack_app_token.get_secret_value().startswith("xapp-"):
            raise SlackSettingsError(
                "SLACK_APP_TOKEN must be an app-level token (it starts with xapp-) "
                "with the connections:write scope."
            )
        return "socket"
    if not secret:
        raise SlackSettingsError(
            "Slack is configured by half: SLACK_BOT_TOKEN is set but SLACK_SIGNING_SECRET is "
            "missing. Set SLACK_SIGNING_SECRET to receive Slack's requests at POST /slack/events, "
            "or SLACK_APP_TOKEN to use Socket Mode."
        )
    return "http"
