"""A fake Microsoft identity platform, on 127.0.0.1 at a random port, over HTTPS.

What botbuilder asks of Microsoft when the bot has an app id: the Bot Framework's OpenID
metadata and its signing keys (JWKS), to check the token on each activity Teams posts; and,
through MSAL, the bot's own access token for calling the Bot Connector (OpenID discovery of
the login authority, then its token endpoint, grant `client_credentials`). The keys are RSA
keys the test makes with `cryptography`; `channel_token` signs an activity's token as the Bot
Framework would. The JWKS endorses each key for every channel, as Microsoft's does: a token is
as valid on a Web Chat or Direct Line activity as on a Teams one.

botbuilder also takes tokens of its Bot Framework Emulator path, checked against Azure AD's
keys (metadata at `emulator_metadata_url`, the same keys without endorsements, as Azure AD
publishes them): `emulator_token` mints one, the way Azure AD issues any token to an app id.

botbuilder and MSAL fetch all of this synchronously (with `requests`), blocking the event loop
that calls them, so this server runs an event loop of its own in a thread. MSAL accepts only
https authorities: the server has a self-signed certificate for 127.0.0.1, which `requests`
is told to trust through REQUESTS_CA_BUNDLE (`ca_bundle`). MSAL also asks
login.microsoftonline.com whether an authority it does not know is real ("instance
discovery"), which botbuilder gives no way to switch off; an authority whose path has the
shape of an Azure AD B2C policy (`/<tenant>/b2c_<policy>`) is one MSAL trusts as configured,
so `login_url` has that shape. Nothing here reaches the internet.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jwt
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://api.botframework.test"
OAUTH_SCOPE = "https://api.botframework.test"
LOGIN_TENANT = "botframework.test"
LOGIN_POLICY = "b2c_1_kontobot"
# The Bot Framework's Azure AD tenant, as issuer of v1 tokens: botbuilder takes a token it issued
# as the Emulator's (the name is fixed in botbuilder, whatever the configuration).
EMULATOR_ISSUER = "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/"
# Channel ids Microsoft's signing keys are endorsed for (some of them).
EVERY_CHANNEL = ("msteams", "webchat", "directline", "emulator", "slack", "skype", "email")


@web.middleware
async def _one_request_per_connection(
    request: web.Request, handler: Any
) -> web.StreamResponse:
    # The clients keep no connection open to a server that stops between tests.
    response: web.StreamResponse = await handler(request)
    response.force_close()
    return response


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass(frozen=True)
class TokenRequest:
    """What the bot sent to the token endpoint."""

    grant_type: str
    client_id: str
    client_secret: str
    scope: str
    access_token: str


@dataclass
class FakeIdentity:
    directory: Path
    # Key id -> key: the keys the JWKS publishes, endorsed for `endorsements`.
    keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)
    endorsements: tuple[str, ...] = EVERY_CHANNEL
    token_requests: list[TokenRequest] = field(default_factory=list)
    url: str = ""

    def __post_init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._issued = 0
        self.ca_bundle = self.directory / "fake-identity-ca.pem"

    # --- what the bot is configured with -------------------------------------------------

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/v1/.well-known/openidconfiguration"

    @property
    def emulator_metadata_url(self) -> str:
        return f"{self.url}/aad/v2.0/.well-known/openid-configuration"

    @property
    def login_url(self) -> str:
        return f"{self.url}/{LOGIN_TENANT}/{LOGIN_POLICY}"

    def auth_config(self) -> dict[str, str]:
        """botbuilder's configuration names (bot.teams.AUTH_CONFIG) pointing here."""
        return {
            "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": self.metadata_url,
            "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": ISSUER,
            "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL": self.emulator_metadata_url,
            "TO_CHANNEL_FROM_BOT_LOGIN_URL": self.login_url,
            "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE": OAUTH_SCOPE,
        }

    def channel_token(
        self, kid: str, *, audience: str, service_url: str, key: rsa.RSAPrivateKey | None = None,
        issuer: str = ISSUER, lifetime: int = 3600, **claims: Any,
    ) -> str:
        """A token as the Bot Framework puts on an activity (signed with `keys[kid]` unless
        another key is given)."""
        now = int(time.time())
        payload = {"iss": issuer, "aud": audience, "serviceurl": service_url,
                   "nbf": now - 60, "exp": now + lifetime, **claims}
        signer = key if key is not None else self.keys[kid]
        return jwt.encode(payload, signer, algorithm="RS256", headers={"kid": kid})

    def emulator_token(
        self, kid: str, *, app_id: str, audience: str, version: str = "1.0", **claims: Any
    ) -> str:
        """A token Azure AD issued to `app_id` (the `appid` of v1, the `azp` of v2), as
        botbuilder's Emulator path takes: no service URL in it."""
        now = int(time.time())
        party = {"appid": app_id} if version == "1.0" else {"azp": app_id}
        payload = {"iss": EMULATOR_ISSUER, "aud": audience, "ver": version,
                   "nbf": now - 60, "exp": now + 3600, **party, **claims}
        return jwt.encode(payload, self.keys[kid], algorithm="RS256", headers={"kid": kid})

    # --- life cycle --------------------------------------------------------------------

    def start(self) -> None:
        context = self._tls()
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            loop.run_until_complete(self._serve(context))
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._stop())
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-identity", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise AssertionError("the fake identity platform did not start")

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    async def _serve(self, context: ssl.SSLContext) -> None:
        app = web.Application(middlewares=[_one_request_per_connection])
        app.router.add_get("/v1/.well-known/openidconfiguration", self._channel_metadata)
        app.router.add_get("/keys", self._jwks)
        app.router.add_get("/aad/v2.0/.well-known/openid-configuration", self._aad_metadata)
        app.router.add_get("/aad/keys", self._aad_jwks)
        authority = f"/{LOGIN_TENANT}/{LOGIN_POLICY}"
        app.router.add_get(f"{authority}/v2.0/.well-known/openid-configuration", self._login)
        app.router.add_post(f"{authority}/oauth2/v2.0/token", self._token)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"https://127.0.0.1:{port}"

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        # Let the closed connections' transports finish closing before the loop does.
        for _ in range(3):
            await asyncio.sleep(0)

    def _tls(self) -> ssl.SSLContext:
        """A self-signed certificate for 127.0.0.1, written where REQUESTS_CA_BUNDLE can
        name it."""
        key = new_key()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        pem = certificate.public_bytes(serialization.Encoding.PEM)
        self.ca_bundle.write_bytes(pem)
        key_file = self.directory / "fake-identity-key.pem"
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.ca_bundle, key_file)
        return context

    # --- the routes --------------------------------------------------------------------

    async def _channel_metadata(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"issuer": ISSUER, "jwks_uri": f"{self.url}/keys",
             "id_token_signing_alg_values_supported": ["RS256"]}
        )

    async def _jwks(self, request: web.Request) -> web.Response:
        return web.json_response({"keys": self._published(list(self.endorsements))})

    async def _aad_metadata(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"issuer": EMULATOR_ISSUER, "jwks_uri": f"{self.url}/aad/keys",
             "id_token_signing_alg_values_supported": ["RS256"]}
        )

    async def _aad_jwks(self, request: web.Request) -> web.Response:
        return web.json_response({"keys": self._published(None)})

    def _published(self, endorsements: list[str] | None) -> list[dict[str, Any]]:
        keys = []
        for kid, key in self.keys.items():
            public: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
            public.update(kid=kid, use="sig")
            if endorsements is not None:
                public["endorsements"] = endorsements
            keys.append(public)
        return keys

    async def _login(self, request: web.Request) -> web.Response:
        base = f"{self.url}/{LOGIN_TENANT}/{LOGIN_POLICY}"
        return web.json_response(
            {"issuer": f"{base}/v2.0", "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
             "token_endpoint": f"{base}/oauth2/v2.0/token"}
        )

    async def _token(self, request: web.Request) -> web.Response:
        form = parse_qs((await request.read()).decode())
        self._issued += 1
        access_token = f"fake-access-token-{self._issued}"
        self.token_requests.append(
            TokenRequest(
                grant_type=form.get("grant_type", [""])[0],
                client_id=form.get("client_id", [""])[0],
                client_secret=form.get("client_secret", [""])[0],
                scope=form.get("scope", [""])[0],
                access_token=access_token,
            )
        )
        return web.json_response(
            {"token_type": "Bearer", "expires_in": 3600, "ext_expires_in": 3600,
             "access_token": access_token}
        )
