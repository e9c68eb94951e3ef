"""Who is signed in, and signing in and out.

A person signs in with a single-use link from chat (data.signin): GET shows a button, so a
link previewer that fetches the URL does not use the link up (or, for a link that cannot work,
says why at once, using nothing up); the POST redeems it and sets
the session cookie, which lasts until the end of the local day. Behind an authenticating
reverse proxy (settings.trusted_user_header) the header names the person by e-mail instead.
Signing out is a form carrying the session's CSRF token. POSTs from another site's page are
refused by their Origin, so nobody can sign a visitor in as someone else.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import urlsplit

from aiohttp import web

from bot.keys import CLOCK, SECRET_KEY, SETTINGS, STORE
from bot.web.dashboard.render import LANG_COOKIE, PREFIX, Visit, page
from bot.web.dashboard.translation import LANGUAGES
from data import dashboard, signin
from data.errors import NotAllowed, NotFound

SESSION_COOKIE = "kontobot_session"
# The sign-in page's proof that a form posted came from it (`_proved`), for as long as a link
# lasts.
PROOF_COOKIE = "kontobot_sign_in"
# Over HTTPS the cookie is a `__Host-` one: no other host of the domain (a sibling site
# under ki.se) can set it in a visitor's browser, with a proof it got from our page, to make
# a forged post pass. Such a cookie must say `Path=/`.
HOST_PROOF_COOKIE = "__Host-" + PROOF_COOKIE
SIGN_IN_PATH = "/dashboard/sign-in"
PROOF_MAX_AGE = int(signin.LINK_LIFETIME.total_seconds())
# A proof as secrets.token_urlsafe(24) makes it.
_PROOF = re.compile(r"[A-Za-z0-9_-]{32}")


def _proof_cookie(request: web.Request) -> tuple[str, str]:
    """The proof cookie's name and path for this request."""
    return (HOST_PROOF_COOKIE, "/") if is_https(request) else (PROOF_COOKIE, SIGN_IN_PATH)
LANG_MAX_AGE = 365 * 24 * 3600
# Where the language switch may send the browser back to: a dashboard path, nothing else.
_BACK = re.compile(r"/dashboard(?:[/?][^\s\\]*)?")

Handler = Callable[[web.Request, Visit], Awaitable[web.StreamResponse]]


async def visit_of(request: web.Request) -> Visit | None:
    settings = request.app[SETTINGS]
    header = settings.trusted_user_header
    # The header is the proxy's word only when the proxy sent the request: from anyone else
    # it is ignored (such a client is not signed in by it, whatever it names).
    if header and not settings.trusted_proxy(request.remote):
        header = None
    # Only looked up: no write lock is taken for it (on SQLite every dashboard request,
    # signed in or not, would otherwise queue with the turns for the one writer).
    async with request.app[STORE].read() as session:
        if header and (email := request.headers.get(header, "").strip()):
            person = await dashboard.person_by_email(session, email)
            if person is None or person.id is None:
                return None
            return Visit(await dashboard.viewer(session, person.id), None)
        token = request.cookies.get(SESSION_COOKIE, "")
        if not token:
            return None
        row = await signin.session_for(session, token=token, now=request.app[CLOCK]())
        if row is None:
            return None
        try:
            return Visit(await dashboard.viewer(session, row.person_id), row)
        except NotFound:
            return None


def not_signed_in(request: web.Request) -> web.Response:
    """401 with the page that tells how to get a sign-in link."""
    response = page(request, "help.html", {"needed": True}, visit=None, status=401)
    # HTTP asks a 401 to name how to authenticate: a link from chat, no HTTP scheme a
    # browser knows (so it shows our page rather than a password prompt).
    response.headers["WWW-Authenticate"] = 'KontobotLink realm="kontobot dashboard"'
    return response


def signed_in(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        visit = await visit_of(request)
        if visit is None:
            return not_signed_in(request)
        return await handler(request, visit)

    return wrapped


def from_here(request: web.Request) -> bool:
    """False for a POST another site's page made. Browsers say where a request comes from in
    Sec-Fetch-Site; under our Referrer-Policy (no-referrer) they send `Origin: null` even from
    our own pages, so the Origin is only asked when Sec-Fetch-Site is missing, and clients
    that tell neither (curl, tests, old browsers) are let through."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return True
    public_url = request.app[SETTINGS].public_url
    return urlsplit(origin).netloc == request.host or (
        public_url is not None and origin.rstrip("/") == public_url
    )


def is_https(request: web.Request) -> bool:
    """Whether the browser reached us over HTTPS: directly, by the public URL's word, or by
    the X-Forwarded-Proto of a trusted proxy that ended TLS (never a client's own say-so)."""
    settings = request.app[SETTINGS]
    # Proxies in a chain each add theirs: the first is the one the browser reached.
    first = request.headers.get("X-Forwarded-Proto", "").split(",")[0]
    forwarded = settings.trusted_proxy(request.remote) and first.strip().lower() == "https"
    return (
        request.scheme == "https" or forwarded or (settings.public_url or "").startswith("https://")
    )


async def help_page(request: web.Request) -> web.Response:
    return page(request, "help.html", {"needed": False}, visit=await visit_of(request))


async def sign_in_page(request: web.Request) -> web.Response:
    token = request.query.get("token", "")
    if not token:
        return refused(request, "link_invalid", status=400)
    try:
        # Only looked at, not used up: a link previewer's GET must leave it for the person.
        async with request.app[STORE].read() as session:
            await signin.check_link(
                session, key=request.app[SECRET_KEY], token=token, now=request.app[CLOCK]()
            )
    except (NotAllowed, NotFound) as error:
        return refused(request, _refusal(error), status=403)
    name, path = _proof_cookie(request)
    # The proof this browser has, if any: two links opened in two tabs share it, so that the
    # first tab's button still works once the second has loaded.
    kept = request.cookies.get(name, "")
    proof = kept if _PROOF.fullmatch(kept) else secrets.token_urlsafe(24)
    response = page(request, "sign_in.html", {"token": token, "proof": proof}, visit=None)
    response.set_cookie(
        name, proof, path=path, max_age=PROOF_MAX_AGE, httponly=True, samesite="Strict",
        secure=is_https(request),
    )
    return response


def _proved(request: web.Request, form: Mapping[str, object]) -> bool:
    """Whether the sign-in form was posted from our own sign-in page. A browser that says so
    (Sec-Fetch-Site) is believed, as from_here does. One that does not (older browsers) sends
    `Origin: null` from our pages under our Referrer-Policy, as a page elsewhere may: then
    the form must carry the proof our page put in it, equal to the cookie set with the page
    (SameSite=Strict, so not sent with another site's post; unreadable to another site's
    script), so that nobody can sign a visitor in as themselves (login CSRF)."""
    if request.headers.get("Sec-Fetch-Site") in ("same-origin", "none"):
        return True
    given, kept = form.get("proof"), request.cookies.get(_proof_cookie(request)[0], "")
    return isinstance(given, str) and bool(kept) and hmac.compare_digest(
        given.encode(), kept.encode()
    )


def _refusal(error: NotAllowed | NotFound) -> str:
    """What the page says of a link that cannot sign anyone in (its token is never said)."""
    return error.code if error.code in ("link_expired", "link_used") else "link_invalid"


async def sign_in(request: web.Request) -> web.StreamResponse:
    if not from_here(request):
        return refused(request, "link_invalid", status=403)
    form = await request.post()
    if not _proved(request, form):
        return refused(request, "link_invalid", status=403)
    token = form.get("token")
    if not isinstance(token, str) or not token:
        return refused(request, "link_invalid", status=400)
    now = request.app[CLOCK]()
    try:
        async with request.app[STORE].transaction() as session:
            cookie, row = await signin.redeem_link(
                session, key=request.app[SECRET_KEY], token=token, now=now,
                zone=request.app[SETTINGS].zone,
            )
    except (NotAllowed, NotFound) as error:
        return refused(request, _refusal(error), status=403)
    response = see_other(PREFIX)
    name, path = _proof_cookie(request)
    # Secure as it was set: a browser ignores a __Host- cookie's removal otherwise.
    response.del_cookie(name, path=path, secure=is_https(request))
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        path=PREFIX,
        max_age=max(0, int((row.expires_at - now).total_seconds())),
        httponly=True,
        samesite="Lax",
        secure=is_https(request),
    )
    return response


def see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def refused(request: web.Request, code: str, *, status: int) -> web.Response:
    return page(request, "refused.html", {"code": code}, visit=None, status=status)


async def sign_out(request: web.Request) -> web.StreamResponse:
    visit = await visit_of(request)
    if visit is None:
        return not_signed_in(request)
    form = await request.post()
    given = form.get("csrf")
    if (
        visit.session is None
        or not from_here(request)
        or not isinstance(given, str)
        or not hmac.compare_digest(
            given.encode(), signin.session_csrf(request.app[SECRET_KEY], visit.session).encode()
        )
    ):
        return page(request, "error.html", {"problem": "csrf"}, visit=visit, status=403)
    async with request.app[STORE].transaction() as session:
        await signin.sign_out(
            session, token=request.cookies.get(SESSION_COOKIE, ""), now=request.app[CLOCK]()
        )
    response = signed_out(request)
    response.del_cookie(SESSION_COOKIE, path=PREFIX)
    return response


def signed_out(request: web.Request) -> web.Response:
    """Also its own address, for the language links of the page the sign-out showed."""
    return page(request, "signed_out.html", {"here": f"{PREFIX}/signed-out"}, visit=None)


async def signed_out_page(request: web.Request) -> web.Response:
    return signed_out(request)


async def choose_language(request: web.Request) -> web.StreamResponse:
    back = request.query.get("next", PREFIX)
    if not _BACK.fullmatch(back):
        back = PREFIX
    response = see_other(back)
    lang = request.query.get("lang", "")
    if lang in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE, lang, path=PREFIX, max_age=LANG_MAX_AGE, httponly=True,
            samesite="Lax", secure=is_https(request),
        )
    return response
