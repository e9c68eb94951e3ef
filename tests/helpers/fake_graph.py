"""A fake Microsoft identity platform and Microsoft Graph, on 127.0.0.1 at random ports.

The identity side speaks HTTPS (msal accepts only https authorities) with a self-signed
certificate made for the run; `identity_client()` is a `requests.Session` that trusts it, for
msal. It serves the tenant's OpenID configuration and the client-credentials token endpoint.
The Graph side (plain HTTP) serves `GET /v1.0/users/{id}` and `/users/{id}/manager` for the
people a test puts in, checks the bearer token, records every call, and answers 429 or 401
when a test asks it to.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

TENANT = "ki-tenant"
CLIENT_ID = "kontobot-app"
CLIENT_SECRET = "s3cret-value"


@dataclass(frozen=True)
class Call:
    path: str
    query: dict[str, str]
    token: str
    status: int


@dataclass
class FakeGraph:
    certificate: Path
    # Graph users by id and by mail/UPN (lower case): {"id", "displayName", "mail", ...}.
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    managers: dict[str, str] = field(default_factory=dict)
    issued: list[str] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    # Answers to give before the real one, first in first out: (status, headers).
    scripted: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)
    identity_url: str = ""
    graph_url: str = ""
    # Set when Graph is first asked; while `held` is an event not set, answers wait for it.
    asked: asyncio.Event = field(default_factory=asyncio.Event)
    held: asyncio.Event | None = None

    def add_user(self, user_id: str, name: str, mail: str, department: str | None = None,
                 manager: str | None = None) -> None:
        self.users[user_id] = {
            "id": user_id, "displayName": name, "mail": mail,
            "userPrincipalName": mail, "department": department,
        }
        if manager is not None:
            self.managers[user_id] = manager

    def identity_client(self) -> requests.Session:
        session = requests.Session()
        session.verify = str(self.certificate)
        session.trust_env = False
        return session

    def _user(self, key: str) -> dict[str, Any] | None:
        if key in self.users:
            return self.users[key]
        for user in self.users.values():
            if key.lower() in (str(user["mail"]).lower(), str(user["userPrincipalName"]).lower()):
                return user
        return None

    # --- identity platform ---------------------------------------------------------------

    async def openid_configuration(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        base = f"{self.identity_url}/{tenant}"
        return web.json_response({
            "issuer": f"{base}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
        })

    async def token(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.token_requests.append(form)
        if (
            request.match_info["tenant"] != TENANT
            or form.get("client_id") != CLIENT_ID
            or form.get("client_secret") != CLIENT_SECRET
            or form.get("grant_type") != "client_credentials"
        ):
            return web.json_response(
                {"error": "invalid_client", "error_description": "bad credentials"}, status=401
            )
        token = f"token-{len(self.issued) + 1}"
        self.issued.append(token)
        return web.json_response(
            {"token_type": "Bearer", "expires_in": 3600, "access_token": token}
        )

    # --- Graph ---------------------------------------------------------------------------

    async def graph(self, request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        path = request.match_info["path"]
        self.asked.set()
        if self.held is not None:
            await self.held.wait()
        status, body, headers = self._answer(token, path)
        self.calls.append(Call(path, dict(request.query), token, status))
        return web.json_response(body, status=status, headers=headers)

    def _answer(self, token: str, path: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        if self.scripted:
            status, headers = self.scripted.pop(0)
            return status, {"error": {"code": str(status)}}, headers
        if token not in self.issued or token in self.revoked:
            return 401, {"error": {"code": "InvalidAuthenticationToken"}}, {}
        parts = path.split("/")
        if parts[0] != "users" or len(parts) not in (2, 3):
            return 400, {"error": {"code": "BadRequest"}}, {}
        user = self._user(parts[1])
        if user is None:
            return 404, {"error": {"code": "Request_ResourceNotFound"}}, {}
        if len(parts) == 3:
            manager = self.managers.get(user["id"])
            if parts[2] != "manager" or manager is None:
                return 404, {"error": {"code": "Request_ResourceNotFound"}}, {}
            return 200, self.users[manager], {}
        return 200, user, {}


def _certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "fake-graph.pem", directory / "fake-graph.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@asynccontextmanager
async def fake_graph(directory: Path) -> AsyncIterator[FakeGraph]:
    cert_path, key_path = _certificate(directory)
    fake = FakeGraph(certificate=cert_path)
    identity = web.Application()
    identity.router.add_get(
        "/{tenant}/v2.0/.well-known/openid-configuration", fake.openid_configuration
    )
    identity.router.add_post("/{tenant}/oauth2/v2.0/token", fake.token)
    graph = web.Application()
    graph.router.add_get("/v1.0/{path:.+}", fake.graph)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert_path, key_path)
    runners = [web.AppRunner(identity), web.AppRunner(graph)]
    for runner in runners:
        await runner.setup()
    identity_site = web.TCPSite(runners[0], "127.0.0.1", 0, ssl_context=tls)
    graph_site = web.TCPSite(runners[1], "127.0.0.1", 0)
    await identity_site.start()
    await graph_site.start()
    fake.identity_url = f"https://127.0.0.1:{_port(identity_site)}"
    fake.graph_url = f"http://127.0.0.1:{_port(graph_site)}/v1.0/"
    try:
        yield fake
    finally:
        for runner in runners:
            await runner.cleanup()


def _port(site: web.TCPSite) -> int:
    server = site._server  # aiohttp keeps the bound socket here; port 0 picked a free one
    assert server is not None
    sockets = getattr(server, "sockets", None)
    assert sockets
    port: int = sockets[0].getsockname()[1]
    return port
