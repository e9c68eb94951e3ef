"""Microsoft Graph as the organisation's directory (data.directory.Directory).

An app-only token (client credentials, `msal`) and two calls per person:
`GET /users/{id}?$select=...` and `GET /users/{id}/manager`. msal is synchronous and may touch
the network (authority discovery, the token endpoint), so every msal call runs in a thread.
A 401 gets one fresh token and one retry; 429 and 503 are retried after `Retry-After`; any
other failure raises DirectoryUnavailable, and the conversation goes on without the directory.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
import msal

from bot.settings import Settings
from data.directory import DirectoryEntry, DirectoryUnavailable

log = logging.getLogger(__name__)

GRAPH_URL = "https://graph.microsoft.com/v1.0/"
AUTHORITY_URL = "https://login.microsoftonline.com/"
USER_FIELDS = "id,displayName,mail,userPrincipalName,department"
# Waits for a throttled Graph: each at most this long, and this many in all per call.
MAX_WAIT_SECONDS = 10.0
RETRIES = 3
RETRY_STATUSES = frozenset({429, 503, 504})
TIMEOUT = aiohttp.ClientTimeout(total=10)

Sleep = Callable[[float], Awaitable[None]]


class GraphDirectory:
    def __init__(
        self,
        http: aiohttp.ClientSession,
        *,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        graph_url: str = GRAPH_URL,
        authority_url: str = AUTHORITY_URL,
        sleep: Sleep = asyncio.sleep,
        identity_http_client: Any = None,
    ) -> None:
        """`identity_http_client` is what msal talks to the identity platform with (a
        `requests.Session`; tests pass one that trusts their fake's certificate)."""
        self._http = http
        self._tenant_id = tenant_id
        self._client_id = client_id
        self._client_secret = client_secret
        self._graph_url = graph_url.rstrip("/") + "/"
        self._authority = f"{authority_url.rstrip('/')}/{quote(tenant_id, safe='')}"
        parts = urlsplit(self._graph_url)
        # The app-only scope is the Graph resource itself, whichever cloud it is in.
        self._scope = f"{parts.scheme}://{parts.netloc}/.default"
        self._sleep = sleep
        self._identity_http_client = identity_http_client
        self._app: msal.ConfidentialClientApplication | None = None

    # --- the token ------------------------------------------------------------------------

    def _build(self) -> msal.ConfidentialClientApplication:
        options: dict[str, Any] = {}
        if self._identity_http_client is not None:
            options["http_client"] = self._identity_http_client
        return msal.ConfidentialClientApplication(
            self._client_id,
            client_credential=self._client_secret,
            authority=self._authority,
            # Sovereign clouds and test hosts are not on Microsoft's list of known instances;
            # the tenant's OpenID configuration is still fetched and checked.
            instance_discovery=False,
            **options,
        )

    def _acquire(self, fresh: bool) -> dict[str, Any]:
        if self._app is None:
            self._app = self._build()
        cache = self._app.token_cache
        if fresh:
            # Graph refused the cached token (expired or revoked early): forget it, so that
            # msal asks the token endpoint instead of handing it out again.
            for token in list(cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
                cache.remove_at(token)
        result: dict[str, Any] = self._app.acquire_token_for_client(scopes=[self._scope])
        return result

    async def _token(self, fresh: bool = False) -> str:
        try:
            result = await asyncio.to_thread(self._acquire, fresh)
        except (ValueError, OSError) as error:
            # msal raises ValueError when the authority's discovery fails, requests OSErrors.
            raise DirectoryUnavailable(f"no Graph token: {type(error).__name__}") from None
        token = result.get("access_token")
        if not isinstance(token, str):
            raise DirectoryUnavailable(f"no Graph token: {result.get('error', 'unknown error')}")
        return token

    async def close(self) -> None:
        """Close msal's connections to the identity platform (the caller owns `http`)."""
        app, self._app = self._app, None
        if app is not None:
            await asyncio.to_thread(app.http_client.close)

    # --- Graph calls ----------------------------------------------------------------------

    async def _get(self, path: str, params: dict[str, str]) -> dict[str, Any] | None:
        """The JSON body of a GET, or None on 404."""
        url = self._graph_url + path
        fresh, retries = False, 0
        while True:
            token = await self._token(fresh)
            try:
                async with self._http.get(
                    url,
                    params=params,
                    headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                    timeout=TIMEOUT,
                ) as response:
                    status = response.status
                    if status == 200:
                        body = await response.json(content_type=None)
                        if not isinstance(body, dict):
                            raise DirectoryUnavailable(f"Graph sent no object for {path}")
                        return body
                    retry_after = response.headers.get("Retry-After")
            except (aiohttp.ClientError, TimeoutError) as error:
                raise DirectoryUnavailable(f"Graph unreachable: {type(error).__name__}") from None
            if status == 404:
                return None
            if status == 401 and not fresh:
                fresh = True
                continue
            if status in RETRY_STATUSES and retries < RETRIES:
                wait = _seconds(retry_after)
                if wait <= MAX_WAIT_SECONDS:
                    retries += 1
                    log.info("Graph answered %s: retrying in %.1f s", status, wait)
                    await self._sleep(wait)
                    continue
            raise DirectoryUnavailable(f"Graph answered {status} for {path.split('/')[0]}")

    async def lookup(self, key: str) -> DirectoryEntry | None:
        """The person with this work e-mail (user principal name) or Azure AD object id."""
        user_path = f"users/{quote(key.strip(), safe='@')}"
        user = await self._get(user_path, {"$select": USER_FIELDS})
        if user is None:
            return None
        manager = await self._get(
            f"{user_path}/manager", {"$select": "displayName,mail,userPrincipalName"}
        )
        email = _text(user.get("mail")) or _text(user.get("userPrincipalName"))
        if not email:
            return None
        return DirectoryEntry(
            email=email,
            name=_text(user.get("displayName")) or email,
            unit=_text(user.get("department")) or None,
            manager_email=(
                _text(manager.get("mail")) or _text(manager.get("userPrincipalName")) or None
            )
            if manager
            else None,
            manager_name=_text(manager.get("displayName")) or None if manager else None,
            aad_id=_text(user.get("id")) or None,
        )


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _seconds(retry_after: str | None) -> float:
    """Retry-After in seconds (Graph sends whole seconds); a missing one waits a little."""
    if retry_after is None:
        return 1.0
    try:
        return max(0.0, float(retry_after))
    except ValueError:
        return MAX_WAIT_SECONDS + 1


@asynccontextmanager
async def graph_directory(settings: Settings) -> AsyncIterator[GraphDirectory | None]:
    """Graph as configured (KONTOBOT_GRAPH_*), open for the server's life; None without it."""
    if not settings.graph_configured:
        yield None
        return
    assert settings.graph_tenant_id and settings.graph_client_id and settings.graph_client_secret
    async with aiohttp.ClientSession() as http:
        directory = GraphDirectory(
            http,
            tenant_id=settings.graph_tenant_id,
            client_id=settings.graph_client_id,
            client_secret=settings.graph_client_secret.get_secret_value(),
            graph_url=settings.graph_url,
            authority_url=settings.graph_authority,
        )
        log.info("staff directory: Microsoft Graph at %s", settings.graph_url)
        try:
            yield directory
        finally:
            await directory.close()
