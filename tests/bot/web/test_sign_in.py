"""Signing in to the dashboard and out again, and what a visitor without a session gets.

The clock is fixed at T0 (Monday 1 March 2027, 10:00 in Stockholm): a session opened then ends
at midnight local time, 14 hours later.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient, TestServer

from data.models import AuditEvent
from tests.bot.web.conftest import (
    SESSION,
    Browser,
    World,
    link_for,
    running,
    sign_in,
    text_of,
)
from tests.helpers import T0, Clock, count, id_of, make_person, make_roles
from tests.helpers.web import MODERN, PROOF, through_the_page

PAGES = [
    "/dashboard",
    "/dashboard/accounts/SOME-2027-0001",
    "/dashboard/compliance",
    "/dashboard/export",
    "/dashboard/export?format=csv&what=register",
    "/dashboard/export?format=json&what=all",
]
UNTIL_MIDNIGHT = 14 * 3600


def set_cookie(response: Any, name: str) -> str:
    [header] = [h for h in response.headers.getall("Set-Cookie", []) if h.startswith(f"{name}=")]
    return str(header)


async def signed_in_events(world: World) -> int:
    return await count(world.store, AuditEvent, AuditEvent.action == "dashboard_signed_in")


@pytest.mark.parametrize("path", PAGES)
async def test_without_a_session_pages_answer_401_with_how_to_sign_in(
    client: TestClient[Any, Any], world: World, path: str
) -> None:
    response = await Browser(client).get(path)
    body = await response.text()
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == 'KontobotLink realm="kontobot dashboard"'
    assert response.content_type == "text/html"
    assert "/dashboard" in text_of(body) and "How to sign in to the dashboard" in body
    # Nothing of the register leaks.
    assert "ki_neuroscience" not in body and "SOME-2027-0001," not in body


async def test_a_session_cookie_that_opens_nothing_is_no_session(
    client: TestClient[Any, Any]
) -> None:
    response = await Browser(client, {SESSION: "made-up"}).get("/dashboard")
    assert response.status == 401


async def test_the_help_page_needs_no_session(client: TestClient[Any, Any]) -> None:
    body = await Browser(client).page("/dashboard/help")
    assert "How to sign in to the dashboard" in body
    assert "You need to sign in" not in body


async def test_opening_the_link_shows_a_button_and_does_not_use_the_link_up(
    client: TestClient[Any, Any], world: World
) -> None:
    token = await link_for(world, world.eva)
    browser = Browser(client)
    # A link previewer, or the person, fetching the link any number of times.
    for _ in range(2):
        body = await browser.page(f"/dashboard/sign-in?token={token}")
        assert '<form method="post" action="/dashboard/sign-in">' in body
        assert f'name="token" value="{token}"' in body
        assert '<button type="submit" class="primary">Sign in</button>' in body
    assert await signed_in_events(world) == 0
    response = await browser.post("/dashboard/sign-in", {"token": token})
    assert response.status == 303


async def test_posting_the_link_signs_in_with_a_cookie_until_midnight(
    client: TestClient[Any, Any], world: World
) -> None:
    token = await link_for(world, world.eva)
    response = await Browser(client).post("/dashboard/sign-in", {"token": token})
    assert response.status == 303
    assert response.headers["Location"] == "/dashboard"
    cookie = set_cookie(response, SESSION)
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")}
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "samesite=lax"
    assert attributes["path"] == "Path=/dashboard"
    assert attributes["max-age"] == f"Max-Age={UNTIL_MIDNIGHT}"
    # Served over plain HTTP with no https public address: a Secure cookie would be dropped.
    assert "secure" not in attributes
    assert await signed_in_events(world) == 1
    browser = Browser(client, {SESSION: response.cookies[SESSION].value})
    body = await browser.page("/dashboard")
    assert "Signed in as Eva Strand" in body


async def test_the_cookie_is_secure_when_the_public_address_is_https(world: World) -> None:
    async with running(world, public_url="https://kontobot.example.ki.se") as client:
        token = await link_for(world, world.eva)
        response = await Browser(client).post("/dashboard/sign-in", {"token": token})
        assert response.status == 303
        cookie = set_cookie(response, SESSION)
        assert "secure" in [part.strip().lower() for part in cookie.split(";")]


async def test_the_cookie_is_secure_when_a_trusted_proxy_ended_tls(world: World) -> None:
    """X-Forwarded-Proto is the word of the proxy in front (loopback here, the default trusted
    proxy); from a client the proxy does not front, it is not believed."""
    for proxies, proto, secure in (("127.0.0.1", "https", True), ("10.1.2.3", "https", False),
                                   ("127.0.0.1", "https, http", True),
                                   ("127.0.0.1", "http, https", False)):
        async with running(world, trusted_proxies=proxies) as client:
            token = await link_for(world, world.eva)
            response = await Browser(client, headers={"X-Forwarded-Proto": proto}).post(
                "/dashboard/sign-in", {"token": token}
            )
            assert response.status == 303
            cookie = set_cookie(response, SESSION)
            assert ("secure" in [part.strip().lower() for part in cookie.split(";")]) is secure


async def test_the_session_ends_at_midnight(world: World) -> None:
    clock = Clock()
    async with running(world, clock) as client:
        browser = await sign_in(client, world, world.eva)
        clock.advance(timedelta(seconds=UNTIL_MIDNIGHT - 1))
        await browser.page("/dashboard")
        clock.advance(timedelta(seconds=1))
        await browser.page("/dashboard", expect=401)


async def test_a_used_link_is_refused_with_how_to_get_a_new_one(
    client: TestClient[Any, Any], world: World
) -> None:
    token = await link_for(world, world.eva)
    browser = Browser(client)
    assert (await browser.post("/dashboard/sign-in", {"token": token})).status == 303
    again = await browser.post("/dashboard/sign-in", {"token": token})
    body = await again.text()
    assert again.status == 403
    assert SESSION not in again.cookies
    assert "This sign-in link cannot be used" in body
    assert "already been used" in body
    assert "Type /dashboard" in text_of(body)
    # Opened again, the link says so at once rather than offering a button that cannot work.
    opened = await browser.get(f"/dashboard/sign-in?token={token}")
    body = await opened.text()
    assert opened.status == 403 and "already been used" in body
    assert '<form method="post" action="/dashboard/sign-in">' not in body


async def test_an_expired_link_is_refused(world: World) -> None:
    clock = Clock()
    async with running(world, clock) as client:
        token = await link_for(world, world.eva)
        clock.advance(timedelta(minutes=10, seconds=1))
        response = await Browser(client).post("/dashboard/sign-in", {"token": token})
        body = await response.text()
        assert response.status == 403
        assert SESSION not in response.cookies
        assert "The link has expired" in body and "Type /dashboard" in text_of(body)
        opened = await Browser(client).get(f"/dashboard/sign-in?token={token}")
        body = await opened.text()
        assert opened.status == 403 and "The link has expired" in body
        assert '<form method="post" action="/dashboard/sign-in">' not in body
    assert await signed_in_events(world) == 0


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # the signature
        lambda t: t.replace(t.split(".")[1], str(int(t.split(".")[1]) + 1), 1),  # the person
        lambda t: "v1.1.2.nonsense",
        lambda t: "",
    ],
)
async def test_a_tampered_link_is_refused(
    client: TestClient[Any, Any], world: World, tamper: Any
) -> None:
    token = tamper(await link_for(world, world.eva))
    response = await Browser(client).post("/dashboard/sign-in", {"token": token})
    body = await response.text()
    assert response.status in (400, 403)
    assert SESSION not in response.cookies
    assert "This sign-in link cannot be used" in body and "Type /dashboard" in text_of(body)
    opened = await Browser(client).get(f"/dashboard/sign-in?token={quote(token)}")
    assert opened.status in (400, 403)
    assert "This sign-in link cannot be used" in await opened.text()
    assert await signed_in_events(world) == 0


async def test_a_sign_in_page_without_a_token_is_refused(client: TestClient[Any, Any]) -> None:
    response = await Browser(client).get("/dashboard/sign-in")
    assert response.status == 400
    assert "This sign-in link cannot be used" in await response.text()


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "null"},
        {"Sec-Fetch-Site": "same-site", "Origin": "https://other.ki.example"},
    ],
)
async def test_a_sign_in_posted_from_another_site_is_refused(
    client: TestClient[Any, Any], world: World, headers: dict[str, str]
) -> None:
    # Someone else's page signing the visitor in as its author.
    token = await link_for(world, world.anna)
    response = await Browser(client, modern=False).post(
        "/dashboard/sign-in", {"token": token}, headers=headers
    )
    assert response.status == 403
    assert SESSION not in response.cookies
    assert await signed_in_events(world) == 0


@pytest.mark.parametrize("origin", [None, "null"])
async def test_an_older_browser_signs_in_only_from_our_page(
    client: TestClient[Any, Any], world: World, origin: str | None
) -> None:
    """A browser that does not say where it posts from (no Sec-Fetch-Site) sends `Origin:
    null` from our page under its Referrer-Policy, as a sandboxed page elsewhere can: the form
    must carry the proof our sign-in page put in it, with the cookie set with that page (login
    CSRF: someone else's page posting its author's own link signs the visitor in as them)."""
    headers = {} if origin is None else {"Origin": origin}
    old = Browser(client, modern=False)
    token = await link_for(world, world.anna)
    form, cookie = await through_the_page(client, token)
    # Another site's page: the link's token, but no proof, or a proof without its cookie.
    for forged, sent in (({"token": token}, {}), (form, {}), ({"token": token}, cookie),
                         ({**form, "proof": form["proof"][:-1] + "x"}, cookie)):
        response = await old.post("/dashboard/sign-in", forged, headers={**headers, **sent})
        assert response.status == 403, (forged, sent)
        assert SESSION not in response.cookies
    assert await signed_in_events(world) == 0
    # Our own page's form, with its cookie: signed in, and the proof's cookie let go of.
    response = await old.post("/dashboard/sign-in", form, headers={**headers, **cookie})
    assert response.status == 303
    assert SESSION in response.cookies
    assert response.cookies[PROOF].value == ""
    assert await signed_in_events(world) == 1


async def test_two_links_in_two_tabs_share_the_proof(
    client: TestClient[Any, Any], world: World
) -> None:
    """An older browser opens two sign-in links, one per tab: the second page keeps the proof
    the first set, so the first tab's button still signs in."""
    first, second = await link_for(world, world.anna), await link_for(world, world.bo)
    form, cookie = await through_the_page(client, first)
    page = await Browser(client, headers=cookie, modern=False).get(
        "/dashboard/sign-in", params={"token": second}
    )
    assert f'name="proof" value="{form["proof"]}"' in await page.text()
    # The browser keeps the cookie the second page set, and the first tab's form is posted.
    now_kept = {"Cookie": f"{PROOF}={page.cookies[PROOF].value}"}
    response = await Browser(client, modern=False).post("/dashboard/sign-in", form,
                                                        headers=now_kept)
    assert response.status == 303


async def test_over_https_the_proof_is_a_host_only_cookie(world: World) -> None:
    """`__Host-`: no sibling host of the domain can plant one with a proof of its own."""
    async with running(world, public_url="https://kontobot.example.ki.se") as client:
        token = await link_for(world, world.anna)
        response = await Browser(client).get("/dashboard/sign-in", params={"token": token})
        cookie = set_cookie(response, "__Host-" + PROOF)
        parts = [part.strip().lower() for part in cookie.split(";")]
        assert "secure" in parts and "path=/" in parts
        assert not any(part.startswith("domain") for part in parts)
        [proof] = re.findall(r'name="proof" value="([^"]+)"', await response.text())
        # A plain-named cookie (what another host could set) is not the proof.
        forged = await Browser(client, modern=False).post(
            "/dashboard/sign-in", {"token": token, "proof": proof},
            headers={"Cookie": f"{PROOF}={proof}"},
        )
        assert forged.status == 403
        signed = await Browser(client, modern=False).post(
            "/dashboard/sign-in", {"token": token, "proof": proof},
            headers={"Cookie": f"__Host-{PROOF}={proof}"},
        )
        assert signed.status == 303


async def test_the_sign_in_page_sets_its_proof_for_the_links_lifetime(
    client: TestClient[Any, Any], world: World
) -> None:
    token = await link_for(world, world.anna)
    response = await Browser(client).get("/dashboard/sign-in", params={"token": token})
    cookie = set_cookie(response, PROOF)
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")}
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "samesite=strict"
    assert attributes["path"] == "Path=/dashboard/sign-in"
    assert attributes["max-age"] == "Max-Age=600"


async def test_a_sign_in_posted_from_our_own_page_is_accepted(
    client: TestClient[Any, Any], world: World
) -> None:
    # What Chromium sends from the sign-in page: under Referrer-Policy no-referrer its Origin
    # is "null", and Sec-Fetch-Site tells where the request came from.
    token = await link_for(world, world.anna)
    host = f"{client.host}:{client.port}"
    for headers in ({"Sec-Fetch-Site": "same-origin", "Origin": "null"},
                    {"Origin": f"http://{host}"}):
        response = await Browser(client).post("/dashboard/sign-in", {"token": token},
                                              headers=headers)
        assert response.status == 303, headers
        token = await link_for(world, world.anna)


async def test_signing_out_needs_the_forms_csrf_token(
    client: TestClient[Any, Any], world: World
) -> None:
    browser = await sign_in(client, world, world.eva)
    page = await browser.page("/dashboard")
    [csrf] = re.findall(r'name="csrf" value="([^"]+)"', page)
    for form in ({}, {"csrf": "wrong"}, {"csrf": csrf[:-1]}):
        response = await browser.post("/dashboard/sign-out", form)
        assert response.status == 403, form
        assert SESSION not in response.cookies
        await browser.page("/dashboard")  # still signed in
    response = await browser.post("/dashboard/sign-out", {"csrf": csrf})
    body = await response.text()
    assert response.status == 200
    assert "You are signed out" in body
    assert response.cookies[SESSION].value == ""
    assert await count(world.store, AuditEvent, AuditEvent.action == "dashboard_signed_out") == 1
    # The cookie no longer opens anything, even if the browser kept it.
    await browser.page("/dashboard", expect=401)
    # The page's language links lead back to it (a link can't repeat the POST that made it).
    [swedish] = re.findall(r'href="(/dashboard/language\?lang=sv[^"]*)"', body)
    chosen = await browser.get(html.unescape(swedish))
    assert chosen.status == 303 and chosen.headers["Location"] == "/dashboard/signed-out"
    assert "You are signed out" in await browser.page("/dashboard/signed-out")


async def test_signing_out_from_another_site_is_refused(
    client: TestClient[Any, Any], world: World
) -> None:
    browser = await sign_in(client, world, world.eva)
    page = await browser.page("/dashboard")
    [csrf] = re.findall(r'name="csrf" value="([^"]+)"', page)
    response = await browser.post(
        "/dashboard/sign-out", {"csrf": csrf}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status == 403
    await browser.page("/dashboard")


async def test_the_trusted_header_names_the_person_by_email(world: World) -> None:
    """The header names a person by the work e-mail Slack or Teams vouched for; the world's
    people are known on the web chat, where anyone may claim any address, so they become known
    on Slack too (each address is then that Slack person's; Eva's role is given there)."""
    async with world.store.transaction() as session:
        eva = id_of(await make_person(session, T0, "Eva Strand", platform="slack", ext="UEVA",
                                      email="eva@ki.example"))
        await make_person(session, T0, "Anna Berg", platform="slack", ext="UANNA",
                          email="anna@ki.example")
        await make_roles(session, T0, platform="slack", comms={eva})
    async with running(world, trusted_user_header="X-Remote-User") as client:
        body = await Browser(client, headers={"X-Remote-User": "EVA@ki.example"}).page("/dashboard")
        assert "Signed in as Eva Strand" in body
        # Signed in at the proxy, so signed out there too: no sign-out form here.
        assert "/dashboard/sign-out" not in body
        anna = await Browser(client, headers={"X-Remote-User": "anna@ki.example"}).page(
            "/dashboard"
        )
        assert "Signed in as Anna Berg" in anna
        # Bo and Cia are known only through the web chat: whoever claims their address at the
        # proxy is not them.
        for nobody in ("nobody@ki.example", "bo@ki.example", "cia@ki.example"):
            refused = await Browser(client, headers={"X-Remote-User": nobody}).get("/dashboard")
            assert refused.status == 401, nobody


async def test_the_header_is_ignored_from_a_client_the_proxy_does_not_front(
    world: World,
) -> None:
    """Someone who reaches the server past the proxy (its address not among the trusted
    proxies) names whoever they like in the header: they are not signed in by it."""
    async with world.store.transaction() as session:
        eva = id_of(await make_person(session, T0, "Eva Strand", platform="slack", ext="UEVA",
                                      email="eva@ki.example"))
        await make_roles(session, T0, platform="slack", comms={eva})
    async with running(
        world, trusted_user_header="X-Remote-User", trusted_proxies="10.0.0.0/8,fd00::/8"
    ) as client:
        response = await Browser(client, headers={"X-Remote-User": "eva@ki.example"}).get(
            "/dashboard"
        )
        assert response.status == 401
    async with running(world, trusted_user_header="X-Remote-User") as client:
        body = await Browser(client, headers={"X-Remote-User": "eva@ki.example"}).page(
            "/dashboard"
        )
        assert "Signed in as Eva Strand" in body


async def test_the_header_is_ignored_unless_configured(
    client: TestClient[Any, Any]
) -> None:
    response = await Browser(client, headers={"X-Remote-User": "eva@ki.example"}).get(
        "/dashboard"
    )
    assert response.status == 401


# The key lives outside the database.


def _signed(key: bytes, person_id: int, expires: int) -> str:
    """A link token exactly as data.signin makes one, signed with `key`."""
    import base64
    import hashlib
    import hmac

    payload = f"v1.{person_id}.{expires}.{'n' * 32}"
    mac = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


async def test_a_copy_of_the_database_signs_no_one_in(sqlite_url: str) -> None:
    """A database made before keys left it (revision 0003 kept the key in signing_key): the
    key someone copied with it mints links the server refuses; links signed with the server's
    own key (from outside the database) work."""
    from alembic import command
    from sqlalchemy import bindparam, inspect, text
    from sqlmodel import UTCDateTime

    from bot.app import create_app
    from bot.settings import Settings
    from data import migrate
    from data.db import Store
    from tests.helpers import KEY, T0

    store = Store.from_url(sqlite_url)
    old_key = "ab" * 32
    try:
        async with store.engine.begin() as connection:
            await connection.run_sync(
                lambda sync: command.upgrade(migrate.config(sync), "0003_dashboard")
            )
            await connection.execute(
                text("INSERT INTO signing_key (name, secret) VALUES ('dashboard', :secret)"),
                {"secret": old_key},
            )
            # As that revision's tables hold a person (the models are today's).
            eva = (await connection.execute(
                text("INSERT INTO person (display_name, created_at, updated_at)"
                     " VALUES ('Eva Strand', :at, :at) RETURNING id")
                .bindparams(bindparam("at", type_=UTCDateTime())),
                {"at": T0},
            )).scalar_one()
        await migrate.upgrade(store.engine)
        async with store.engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        assert "signing_key" not in tables
    finally:
        await store.close()
    app = create_app(
        Settings(database_url=sqlite_url, _env_file=None), web_chat_enabled=False,
        clock=Clock(T0),
    )
    expires = int(T0.timestamp()) + 300
    async with TestClient(TestServer(app)) as client:
        stolen = _signed(bytes.fromhex(old_key), eva, expires)
        response = await client.post(
            "/dashboard/sign-in", data={"token": stolen}, headers=MODERN, allow_redirects=False
        )
        assert response.status == 403
        assert SESSION not in response.cookies
        own = _signed(KEY, eva, expires)
        response = await client.post("/dashboard/sign-in", data={"token": own},
                                     headers=MODERN, allow_redirects=False)
        assert response.status == 303
        assert SESSION in response.cookies
