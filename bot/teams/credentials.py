"""The bot's own credentials for its calls to the Bot Connector, kept.

botbuilder makes new credentials for every outgoing call (each `continue_conversation`), and
new credentials fetch a new access token from Microsoft's identity platform: a token request
per message sent. These are made once per app id, scope and login endpoint and kept, so the
token in them (msal's cache) is reused until it is about to expire.
"""

from __future__ import annotations

from typing import Any

from botbuilder.integration.aiohttp import ConfigurationServiceClientCredentialFactory
from botframework.connector.auth import ServiceClientCredentialsFactory


class KeptCredentials(ServiceClientCredentialsFactory):  # type: ignore[misc]
    def __init__(self, configuration: Any) -> None:
        self._inner = ConfigurationServiceClientCredentialFactory(configuration)
        self._made: dict[tuple[str, str, str, bool], Any] = {}

    async def is_valid_app_id(self, app_id: str) -> bool:
        return bool(await self._inner.is_valid_app_id(app_id))

    async def is_authentication_disabled(self) -> bool:
        return bool(await self._inner.is_authentication_disabled())

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> Any:
        key = (app_id, oauth_scope, login_endpoint, validate_authority)
        if key not in self._made:
            self._made[key] = await self._inner.create_credentials(
                app_id, oauth_scope, login_endpoint, validate_authority
            )
        return self._made[key]
