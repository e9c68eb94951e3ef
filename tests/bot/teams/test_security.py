"""Who may talk to the bot as Teams: token checks, and where unauthenticated Teams may run.

With `MICROSOFT_APP_ID` set, botbuilder validates each activity's JWT against the signing keys
its OpenID metadata names. Here that metadata and the keys are served by a small HTTP server of
the test's own on 127.0.0.1 (in a thread: botbuilder fetches them synchronously), and the
app is told to trust it the way botbuilder is configured for other clouds.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from bot.app import create_app
from bot.keys import STORE
from bot.teams import MODE, TeamsSettingsError, mode
from data import people
from data.models import ChatIdentity, InboxEvent, Person
from tests.bot.teams.authenticated import nothing_ran
from tests.bot.teams.rig import (
    ANNA,
    DAVID,
    FILIP,
    TENANT,
    TeamsRig,
    running_teams,
    teams_settings,
)
from tests.helpers import count

APP_ID = "11111111-2222-3333-4444-555555555555"
ISSUER = "https://api.botframework.test"


@contextmanager
def openid_server(keys: list[dict[str, Any]]) -> Iterator[str]:
    """OpenID metadata and a JWKS on 127.0.0.1; yields the metadata URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            if self.path == "/openid":
                body = {"issuer": ISSUER, "jwks_uri": f"{base}/keys"}
            elif self.path == "/keys":
                body = {"keys": keys}
            else:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/openid"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    public: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    return {**public, "kid": kid, "use": "sig", "endorsements": ["msteams"]}


def token(key: rsa.RSAPrivateKey, kid: str, service_url: str, **claims: Any) -> str:
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "aud": APP_ID,
        "serviceurl": service_url,
        "nbf": now - 60,
        "exp": now + 3600,
        **claims,
    }
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})


TRUSTED = new_key()
FORGED = new_key()


@pytest.fixture
async def guarded(sqlite_url: str) -> Any:
    """Teams with an app id: every activity must carry a token signed by TRUSTED."""
    with openid_server([jwk(TRUSTED, "trusted")]) as metadata:
        async with running_teams(
            sqlite_url,
            auth_config={
                "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": metadata,
                "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": ISSUER,
            },
            microsoft_app_id=APP_ID,
            microsoft_app_password="not-a-real-secret",
            microsoft_app_tenant_id=TENANT,
            director_teams_id=None,
            comms_teams_members=[],
        ) as rig:
            assert rig.app[MODE] == "authenticated"
            yield rig



@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="no-token"),
        pytest.param("Bearer not-a-jwt", id="garbage"),
        pytest.param("forged", id="signed-by-an-untrusted-key"),
        pytest.param("unknown-kid", id="unknown-key-id"),
        pytest.param("wrong-audience", id="for-another-bot"),
        pytest.param("expired", id="expired"),
    ],
)
async def test_activities_without_a_valid_token_are_refused(
    guarded: TeamsRig, authorization: str | None
) -> None:
    rig = guarded
    url = rig.fake.url
    headers = {
        None: {},
        "Bearer not-a-jwt": {"Authorization": "Bearer not-a-jwt"},
        "forged": {"Authorization": f"Bearer {token(FORGED, 'trusted', url)}"},
        "unknown-kid": {"Authorization": f"Bearer {token(FORGED, 'other', url)}"},
        "wrong-audience": {"Authorization": f"Bearer {token(TRUSTED, 'trusted', url, aud='x')}"},
        "expired": {
            "Authorization": f"Bearer {token(TRUSTED, 'trusted', url, exp=int(time.time()) - 3600)}"
        },
    }[authorization]
    for activity in (
        rig.activity(ANNA, "message", text="open account"),
        rig.activity(ANNA, "invoke", name="adaptiveCard/action", value={"action": {}}),
    ):
        await rig.send(activity, expect=401, headers=headers)
    await nothing_ran(rig)


async def test_a_token_for_another_service_url_is_refused(guarded: TeamsRig) -> None:
    rig = guarded
    stolen = token(TRUSTED, "trusted", "https://smba.example.invalid/")
    await rig.send(
        rig.activity(ANNA, "message", text="help"),
        expect=401,
        headers={"Authorization": f"Bearer {stolen}"},
    )
    await nothing_ran(rig)


async def test_a_valid_token_is_accepted(guarded: TeamsRig) -> None:
    rig = guarded
    signed = token(TRUSTED, "trusted", rig.fake.url)
    await rig.send(rig.activity(ANNA, "typing"), headers={"Authorization": f"Bearer {signed}"})
    assert await count(rig.store, ChatIdentity, ChatIdentity.external_id == ANNA.aad) == 1


def test_teams_runs_where_it_is_safe(sqlite_url: str) -> None:
    configured = teams_settings(sqlite_url)
    not_asked = teams_settings(sqlite_url, teams_emulator="off")
    bare = teams_settings(
        sqlite_url,
        director_teams_id=None,
        comms_teams_conversation=None,
        registry_teams_conversation=None,
        comms_teams_members=[],
        teams_emulator="off",
    )
    with_app = teams_settings(
        sqlite_url, microsoft_app_id=APP_ID, microsoft_app_password="not-a-real-secret",
        microsoft_app_tenant_id=TENANT, teams_emulator="off",
    )
    assert mode(with_app, "192.0.2.10") == "authenticated"
    # The emulator mode: asked for, and on loopback.
    assert mode(configured, "127.0.0.1") == "emulator"
    assert mode(configured, "::1") == "emulator"
    assert mode(bare, "192.0.2.10") == "off"
    assert mode(bare, "127.0.0.1") == "off"
    with pytest.raises(TeamsSettingsError, match="refusing to accept unauthenticated"):
        mode(configured, "192.0.2.10")
    with pytest.raises(TeamsSettingsError, match="refusing to accept unauthenticated"):
        mode(configured, None)
    # Teams settings without an app id, the emulator not asked for: even on loopback.
    for host in ("127.0.0.1", "192.0.2.10", None):
        with pytest.raises(TeamsSettingsError, match="KONTOBOT_TEAMS_EMULATOR=on"):
            mode(not_asked, host)
    with pytest.raises(TeamsSettingsError, match="MICROSOFT_APP_PASSWORD"):
        mode(teams_settings(sqlite_url, microsoft_app_id=APP_ID), "127.0.0.1")
    # An app id without KI's tenant would take any organisation's Teams users, each as the KI
    # colleague with their e-mail address: refused, on loopback too.
    for host in ("127.0.0.1", "192.0.2.10", None):
        with pytest.raises(TeamsSettingsError, match="MICROSOFT_APP_TENANT_ID is not"):
            mode(with_app.model_copy(update={"microsoft_app_tenant_id": None}), host)


def test_serve_refuses_unauthenticated_teams_on_another_address(sqlite_url: str) -> None:
    with pytest.raises(TeamsSettingsError):
        create_app(teams_settings(sqlite_url), web_chat_enabled=False, host="10.1.2.3")
    # A deputy director alone is Teams configured too.
    only_deputy = teams_settings(
        sqlite_url, comms_teams_conversation=None, director_teams_id=None,
        registry_teams_conversation=None, comms_teams_members=[],
        deputy_director_teams_id=FILIP.aad,
    )
    with pytest.raises(TeamsSettingsError):
        create_app(only_deputy, web_chat_enabled=False, host="10.1.2.3")
    bare = {
        "comms_teams_conversation": None, "director_teams_id": None,
        "registry_teams_conversation": None, "comms_teams_members": [],
    }
    for settings, host in (
        (teams_settings(sqlite_url, **bare, teams_emulator="off"), "127.0.0.1"),
        (teams_settings(sqlite_url, **bare, teams_emulator="off"), "10.1.2.3"),
    ):
        app = create_app(settings, web_chat_enabled=False, host=host)
        assert app[MODE] == "off"
        # Not configured, not asked for: POST /api/messages does not exist.
        assert not [
            r for r in app.router.routes()
            if r.resource and r.resource.canonical == "/api/messages"
        ]


def test_cli_serve_refuses_too(monkeypatch: pytest.MonkeyPatch, tmp_path: Any, caplog: Any) -> None:
    from bot.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KONTOBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'k.db'}")
    monkeypatch.setenv("KONTOBOT_COMMS_TEAMS_CONVERSATION", "19:comms@thread.tacv2")
    monkeypatch.delenv("MICROSOFT_APP_ID", raising=False)
    # An address of the documentation range: were the refusal missing, binding would fail
    # rather than serve.
    assert main(["serve", "--host", "192.0.2.10", "--port", "3978"]) == 1
    assert "refusing to accept unauthenticated Teams traffic on 192.0.2.10" in caplog.text


async def test_the_deputy_director_holds_the_director_role_on_teams_too(sqlite_url: str) -> None:
    async with running_teams(
        sqlite_url, deputy_director_teams_id=FILIP.aad
    ) as rig, rig.app[STORE].transaction() as session:
        directors = await people.people_with_role(session, "director")
        ids = {i.external_id for p in directors for i in await people.identities(session, p.id or 0)}
        assert ids == {DAVID.aad, FILIP.aad}


def test_cli_serve_refuses_the_emulator_away_from_loopback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, caplog: Any
) -> None:
    from bot.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KONTOBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'k.db'}")
    monkeypatch.setenv("KONTOBOT_TEAMS_EMULATOR", "on")
    monkeypatch.delenv("MICROSOFT_APP_ID", raising=False)
    assert main(["serve", "--host", "192.0.2.10", "--port", "3978"]) == 1
    assert "KONTOBOT_TEAMS_EMULATOR=on: refusing to accept unauthenticated" in caplog.text


@pytest.mark.parametrize(
    "change",
    ["no conversation", "conversation without id", "no service url", "odd service url",
     "membersAdded not a list"],
)
async def test_a_malformed_activity_gets_400_before_anything_runs(
    teams: TeamsRig, change: str
) -> None:
    """Found by tests/bot/test_http_properties.py: these failed halfway through a turn (500)."""
    activity = teams.activity(ANNA, "message", text="help")
    if change == "no conversation":
        del activity["conversation"]
    elif change == "conversation without id":
        activity["conversation"] = {"conversationType": "personal"}
    elif change == "no service url":
        del activity["serviceUrl"]
    elif change == "odd service url":
        activity["serviceUrl"] = "ftp://example"
    else:
        activity["membersAdded"] = False
    before = [await count(teams.store, table) for table in (Person, ChatIdentity, InboxEvent)]
    await teams.send(activity, expect=400)
    after = [await count(teams.store, table) for table in (Person, ChatIdentity, InboxEvent)]
    assert after == before
    assert teams.fake.calls == []
