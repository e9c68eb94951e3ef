"""Settings from the environment or `.env`, named as in DESIGN.md section 6."""

from __future__ import annotations

import ipaddress
from datetime import date
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from data.languages import LANGUAGES, language

CommaList = Annotated[list[str], NoDecode]


def _env(name: str) -> AliasChoices:
    # Accept the environment name and the field name, so tests can pass either.
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(
        "sqlite:///var/kontobot.db", validation_alias=_env("KONTOBOT_DATABASE_URL")
    )
    timezone: str = Field("Europe/Stockholm", validation_alias=_env("KONTOBOT_TIMEZONE"))
    default_locale: str = Field("sv", validation_alias=_env("KONTOBOT_DEFAULT_LOCALE"))
    # Days the university is closed besides weekends and holidays (ISO dates, comma-separated):
    # not working days for the nudges (nor for the rota when holiday_duty is off).
    closure_days: CommaList = Field(
        default_factory=list, validation_alias=_env("KONTOBOT_CLOSURE_DAYS")
    )
    # The guidelines ask for monitoring on weekdays, year-round: "on" puts someone on duty on
    # weekday holidays, eves and closure days too; "off" (a university's own decision) runs
    # the rota on working days only.
    holiday_duty: Literal["on", "off"] = Field(
        "on", validation_alias=_env("KONTOBOT_HOLIDAY_DUTY")
    )
    # The nudge scheduler (rota, questions, archiving, inactivity, approval reminders).
    scheduler: Literal["on", "off"] = Field("on", validation_alias=_env("KONTOBOT_SCHEDULER"))
    # Days the delivered replies and nudges, the events processed or parked, the web chat's
    # messages and the conversations left unfinished are kept before the scheduler deletes
    # them (data.retention); 0 keeps them forever.
    retention_days: int = Field(
        90, ge=0, le=3650, validation_alias=_env("KONTOBOT_RETENTION_DAYS")
    )
    # On SIGTERM, how long the turns in progress may take to finish; the rest stay in the inbox.
    shutdown_grace: float = Field(
        20.0, ge=0, le=600, validation_alias=_env("KONTOBOT_SHUTDOWN_GRACE")
    )
    # Processes that `serve` starts to run the turns, the outbox and the nudges, so that its
    # own event loop only stores and acknowledges (bot/turn_processes.py); 0: it runs them.
    turn_processes: int = Field(
        1, ge=0, le=16, validation_alias=_env("KONTOBOT_TURN_PROCESSES")
    )
    # The web chat lets whoever reaches it act as anyone: "auto" puts it on only on a
    # developer's machine (loopback, no chat platform, no public URL); see web_chat_decision.
    web_chat: Literal["auto", "on", "off"] = Field(
        "auto", validation_alias=_env("KONTOBOT_WEB_CHAT")
    )
    # Teams without an app id (for the Bot Framework Emulator) checks no token: only when
    # asked for, and only on loopback (bot/teams/server.py).
    teams_emulator: Literal["on", "off"] = Field(
        "off", validation_alias=_env("KONTOBOT_TEAMS_EMULATOR")
    )

    # The address people reach this server at (https://kontobot.example.ki.se): sign-in links
    # to the dashboard sent on Slack and Teams start with it. The web chat's are relative.
    public_url: str | None = Field(None, validation_alias=_env("KONTOBOT_PUBLIC_URL"))
    # Set only behind an authenticating reverse proxy that always sets (and strips from
    # clients) this header: the dashboard then trusts it to name the signed-in person by email.
    trusted_user_header: str | None = Field(
        None, validation_alias=_env("KONTOBOT_TRUSTED_USER_HEADER")
    )
    # The proxies whose headers are believed (addresses or networks): the user header above
    # and X-Forwarded-Proto. From any other client they are ignored, so that someone who
    # reaches this server past the proxy cannot name themselves anyone. Loopback by default:
    # a proxy on the same machine.
    trusted_proxies: CommaList = Field(
        ["127.0.0.1", "::1"], validation_alias=_env("KONTOBOT_TRUSTED_PROXIES")
    )

    # The key that signs dashboard sign-in links and CSRF tokens (bot/secret_key.py): kept
    # outside the database, so that a copy of the database signs nobody in. Given here, or
    # read from (and on first start written to, mode 0600) the key file.
    secret_key: SecretStr | None = Field(None, validation_alias=_env("KONTOBOT_SECRET_KEY"))
    secret_key_file: str = Field(
        "var/secret.key", validation_alias=_env("KONTOBOT_SECRET_KEY_FILE")
    )

    slack_bot_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=_env("SLACK_SIGNING_SECRET")
    )
    slack_app_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_APP_TOKEN"))
    slack_api_url: str = Field(
        "https://slack.com/api/", validation_alias=_env("KONTOBOT_SLACK_API_URL")
    )
    director_slack_id: str | None = Field(None, validation_alias=_env("KONTOBOT_DIRECTOR_SLACK_ID"))
    # A second holder of the director role, who may decide (and be handed the decision) at
    # the director stage.
    deputy_director_slack_id: str | None = Field(
        None, validation_alias=_env("KONTOBOT_DEPUTY_DIRECTOR_SLACK_ID")
    )
    comms_slack_channel: str | None = Field(
        None, validation_alias=_env("KONTOBOT_COMMS_SLACK_CHANNEL")
    )
    registry_slack_channel: str | None = Field(
        None, validation_alias=_env("KONTOBOT_REGISTRY_SLACK_CHANNEL")
    )
    comms_slack_members: CommaList = Field(
        default_factory=list, validation_alias=_env("KONTOBOT_COMMS_SLACK_MEMBERS")
    )

    microsoft_app_id: str | None = Field(None, validation_alias=_env("MICROSOFT_APP_ID"))
    microsoft_app_password: SecretStr | None = Field(
        None, validation_alias=_env("MICROSOFT_APP_PASSWORD")
    )
    microsoft_app_tenant_id: str | None = Field(
        None, validation_alias=_env("MICROSOFT_APP_TENANT_ID")
    )
    director_teams_id: str | None = Field(None, validation_alias=_env("KONTOBOT_DIRECTOR_TEAMS_ID"))
    deputy_director_teams_id: str | None = Field(
        None, validation_alias=_env("KONTOBOT_DEPUTY_DIRECTOR_TEAMS_ID")
    )
    comms_teams_conversation: str | None = Field(
        None, validation_alias=_env("KONTOBOT_COMMS_TEAMS_CONVERSATION")
    )
    registry_teams_conversation: str | None = Field(
        None, validation_alias=_env("KONTOBOT_REGISTRY_TEAMS_CONVERSATION")
    )
    comms_teams_members: CommaList = Field(
        default_factory=list, validation_alias=_env("KONTOBOT_COMMS_TEAMS_MEMBERS")
    )

    # Microsoft Graph as the staff directory (an app registration with User.Read.All,
    # application permission, admin-consented). Off unless all three are set.
    graph_tenant_id: str | None = Field(None, validation_alias=_env("KONTOBOT_GRAPH_TENANT_ID"))
    graph_client_id: str | None = Field(None, validation_alias=_env("KONTOBOT_GRAPH_CLIENT_ID"))
    graph_client_secret: SecretStr | None = Field(
        None, validation_alias=_env("KONTOBOT_GRAPH_CLIENT_SECRET")
    )
    # Other clouds (or, in tests, a fake): the Graph API base and the identity platform.
    graph_url: str = Field(
        "https://graph.microsoft.com/v1.0/", validation_alias=_env("KONTOBOT_GRAPH_URL")
    )
    graph_authority: str = Field(
        "https://login.microsoftonline.com/", validation_alias=_env("KONTOBOT_GRAPH_AUTHORITY")
    )

    @property
    def graph_configured(self) -> bool:
        given = [self.graph_tenant_id, self.graph_client_id, self.graph_client_secret]
        if any(given) and not all(given):
            # A RuntimeError, as a half-configured Slack: `serve` refuses to start with it.
            raise RuntimeError(
                "set all of KONTOBOT_GRAPH_TENANT_ID, KONTOBOT_GRAPH_CLIENT_ID and "
                "KONTOBOT_GRAPH_CLIENT_SECRET, or none"
            )
        return all(given)

    @field_validator(
        "comms_slack_members", "comms_teams_members", "closure_days", "trusted_proxies",
        mode="before",
    )
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("public_url")
    @classmethod
    def _absolute_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("https://", "http://")):
            raise ValueError("KONTOBOT_PUBLIC_URL must start with https:// (or http://)")
        return value

    @field_validator("default_locale")
    @classmethod
    def _our_language(cls, value: str) -> str:
        # One of the catalogues (data.languages), as a person's is: another would be English
        # without a word said.
        found = language(value)
        if found is None:
            raise ValueError(
                f"KONTOBOT_DEFAULT_LOCALE must be one of {', '.join(LANGUAGES)}, not {value!r}"
            )
        return found

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for part in value:
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(
                    f"KONTOBOT_TRUSTED_PROXIES: {part!r} is not an address or a network"
                ) from None
        return value

    def trusted_proxy(self, remote: str | None) -> bool:
        """Whether a request from `remote` (the peer's address) came through a trusted proxy."""
        if not remote:
            return False
        try:
            address = ipaddress.ip_address(remote)
        except ValueError:
            return False
        # An IPv4 peer on a dual-stack socket is seen as ::ffff:a.b.c.d.
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(
            address in ipaddress.ip_network(part, strict=False) for part in self.trusted_proxies
        )

    @field_validator("closure_days")
    @classmethod
    def _iso_dates(cls, value: list[str]) -> list[str]:
        for part in value:
            date.fromisoformat(part)
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            # Not a ValueError of its own (a KeyError): said as one, so that pydantic names it.
            raise ValueError(f"no time zone named {value!r} (such as Europe/Stockholm)") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def closure_dates(self) -> frozenset[date]:
        return frozenset(date.fromisoformat(part) for part in self.closure_days)

    def slack_configured(self) -> bool:
        return any(
            s is not None and s.get_secret_value()
            for s in (self.slack_bot_token, self.slack_signing_secret, self.slack_app_token)
        )

    def teams_configured(self) -> bool:
        """Any Teams setting given (the emulator switch aside)."""
        return any(
            (
                self.microsoft_app_id,
                self.microsoft_app_password,
                self.microsoft_app_tenant_id,
                self.director_teams_id,
                self.deputy_director_teams_id,
                self.comms_teams_conversation,
                self.registry_teams_conversation,
                self.comms_teams_members,
            )
        )

    def web_chat_decision(self, host: str) -> tuple[bool, str]:
        """Whether the web chat is on when listening on `host`, and why (for the log)."""
        if self.web_chat != "auto":
            return self.web_chat == "on", f"KONTOBOT_WEB_CHAT={self.web_chat}"
        platforms = [
            name
            for name, configured in (
                ("Slack", self.slack_configured()),
                ("Teams", self.teams_configured()),
            )
            if configured
        ]
        if platforms:
            return False, f"KONTOBOT_WEB_CHAT=auto and {' and '.join(platforms)} configured"
        if self.public_url:
            return False, "KONTOBOT_WEB_CHAT=auto and KONTOBOT_PUBLIC_URL set"
        if self.trusted_user_header:
            # An authenticating proxy in front: a deployment, reached by more than one person.
            return False, "KONTOBOT_WEB_CHAT=auto and KONTOBOT_TRUSTED_USER_HEADER set"
        if not is_loopback(host):
            return False, f"KONTOBOT_WEB_CHAT=auto and {host} is not a loopback address"
        return True, (
            f"KONTOBOT_WEB_CHAT=auto, no chat platform, no KONTOBOT_PUBLIC_URL, loopback {host}"
        )

    def web_chat_enabled(self, host: str) -> bool:
        return self.web_chat_decision(host)[0]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
