"""The web chat's HTTP side: the page, and a small JSON API the page drives.

Whoever can reach these routes can act as any demo person, which is why the web chat is on
only on loopback unless switched on explicitly. Writes must be JSON from the same origin, so a
web page elsewhere cannot drive them from a visitor's browser.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from yarl import URL

from bot.keys import CHANNELS, CLOCK, HUB, IDENTITIES, SETTINGS, STORE
from bot.settings import is_loopback
from bot.web import headers, translate
from bot.web.channel import WebChannel, person_conversation, place_conversation
from bot.web.demo import DEMO_PEOPLE
from bot.web.render import render
from dialogs.events import Command, Event
from dialogs.help import GREETING
from dialogs.i18n import LOCALES, N_, Translator
from dialogs.messages import Message, Paragraph, from_dict
from dialogs.text import clean_json
from hub.identities import COMMS
from hub.transcripts import Transcripts
from hub.turns import CARD

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
WEB_CHANNEL = web.AppKey("web_channel", WebChannel)
MAX_BODY = 16 * 1024
LONG_POLL_SECONDS = 20.0
PLACE_NAMES = {"comms": "#comms-office", "registry": "#registry-office"}
# The page loads its script, stylesheet and icon from here and talks to the API here: nothing
# else, and nothing inline (the messages it shows carry no script and no style attribute).
PAGE_POLICY = headers.content_security_policy(
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'",
    "connect-src 'self'", "base-uri 'none'", "form-action 'self'",
)
# The API's JSON and the page's assets are never a page themselves.
NOTHING_POLICY = headers.content_security_policy("default-src 'none'")


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def setup(app: web.Application, *, host: str | None = None) -> None:
    """`host`: the address the server listens on (None: loopback, as in tests)."""
    guard = _loopback_names_only if host is None or is_loopback(host) else _as_is
    app.router.add_get("/", guard(index))
    app.router.add_static("/static/", STATIC, name="static")
    app.router.add_get("/web/api/people", guard(list_people))
    app.router.add_get("/web/api/messages", guard(messages))
    app.router.add_post("/web/api/say", guard(say))
    app.router.add_post("/web/api/act", guard(act))
    app.router.add_post("/web/api/locale", guard(set_locale))
    # Not to be framed by a page elsewhere, which could trick a visitor into clicking.
    headers.protect(app, _policy)
    app.cleanup_ctx.append(_channel_ctx)
    app.on_shutdown.append(_release_pollers)


def _policy(request: web.Request) -> str | None:
    """The web chat's answers (refusals and not-founds too) carry the security headers."""
    if request.path == "/":
        return PAGE_POLICY
    if request.path.startswith(("/web/api/", "/static/")):
        return NOTHING_POLICY
    return None


def _as_is(handler: Handler) -> Handler:
    return handler


# What a reverse proxy adds to a request it passes on: such a request comes from elsewhere.
PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto",
                 "X-Real-IP")


def _loopback_names_only(handler: Handler) -> Handler:
    """On a loopback address, the web chat answers requests for a loopback name only: a web
    page elsewhere whose name an attacker's DNS points at 127.0.0.1 (DNS rebinding) would be
    of the same origin as the chat, and could act as anyone through a developer's browser.

    Nor, unless an operator switched it on (KONTOBOT_WEB_CHAT=on), a request a reverse proxy
    says it passed on: a proxy on the same machine reaches the loopback address, and may well
    name it as the host (nginx's default Host), but its clients are anywhere. A proxy that
    says nothing of itself cannot be told from a local browser (README: set the web chat off
    behind a proxy)."""

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            name = (URL.build(scheme="http", authority=request.host).host or "").lower()
        except ValueError:  # not a host name at all
            name = ""
        if not is_loopback(name):
            raise web.HTTPForbidden(text="the web chat answers on localhost only")
        proxied = [h for h in PROXY_HEADERS if h in request.headers]
        if proxied and request.app[SETTINGS].web_chat != "on":
            log.warning(
                "web chat: refused a request through a proxy (%s); KONTOBOT_WEB_CHAT=on serves "
                "the web chat to everyone the proxy serves", ", ".join(proxied),
            )
            raise web.HTTPForbidden(
                text="the web chat answers this machine's own browser only, not through a proxy"
            )
        return await handler(request)

    return guarded


async def _channel_ctx(app: web.Application) -> Any:
    channel = WebChannel(Transcripts(app[STORE], app[CLOCK]), app[CLOCK])
    app[WEB_CHANNEL] = channel
    app[CHANNELS][channel.platform] = channel
    app[HUB].register(channel)
    yield


async def _release_pollers(app: web.Application) -> None:
    # Runs before the server waits for requests in flight: long polls return at once.
    await app[WEB_CHANNEL].close()


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html")


def _demo(key: str) -> None:
    if key not in {d.key for d in DEMO_PEOPLE}:
        raise web.HTTPNotFound(text="no such demo person")


# The page's own words, in the language of the person acted as.
PAGE_TEXT = {
    "title": N_("kontobot web chat"),
    # The page's heading, after the name kontobot.
    "chat": N_("web chat"),
    "intro": N_("A demo of KI's social-media account assistant. Pick a person, then talk to the bot as them."),
    "nav": N_("People and conversations"),
    "act_as": N_("Act as"),
    "conversations": N_("Conversations"),
    "language": N_("Language"),
    "message": N_("Message"),
    "placeholder": N_("Type /open-account, help, or an answer"),
    "send": N_("Send"),
    # The message box's hint where "placeholder" is cut off (a phone): at most ~25 letters.
    "placeholder_short": N_("Type help or an answer"),
}


async def list_people(request: web.Request) -> web.Response:
    """The demo people, their roles and the page's words in the viewer's (`as`) language."""
    identities = request.app[IDENTITIES]
    result = []
    viewer = await identities.known("web", request.query.get("as", ""))
    tr = Translator(viewer.locale if viewer and viewer.locale else "en")
    for demo in DEMO_PEOPLE:
        person = await identities.known("web", demo.key)
        if person is None:
            continue
        places = ["comms", "registry"] if await identities.has_role("web", demo.key, COMMS) else []
        result.append(
            {
                "key": demo.key,
                "name": person.display_name,
                "role": tr(demo.role),
                "locale": Translator(person.locale or "en").locale,
                "conversations": [
                    {"id": person_conversation(demo.key), "name": "kontobot"},
                    *({"id": place_conversation(p), "name": PLACE_NAMES[p]} for p in places),
                ],
            }
        )
    page = {key: tr(text) for key, text in PAGE_TEXT.items()}
    return web.json_response({"people": result, "locales": list(LOCALES), "page": page})


async def messages(request: web.Request) -> web.Response:
    """A conversation as HTML fragments; with `after`, waits until something changes."""
    key = request.query.get("as", "")
    conversation = request.query.get("conversation", person_conversation(key))
    _demo(key)
    await _may_read(request, key, conversation)
    after = request.query.get("after", "")
    channel = request.app[WEB_CHANNEL]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LONG_POLL_SECONDS
    # Read the write counter before rendering: a write while rendering then ends the wait.
    generation = channel.generation
    rendered = await _render_conversation(request, conversation)
    if not rendered["messages"] and conversation == person_conversation(key):
        # The first time the chat opens it greets (once: the inbox knows the key).
        await request.app[HUB].run_now(
            f"web:{key}:greeting", Command(translate.sender({"as": key}), GREETING)
        )
        rendered = await _render_conversation(request, conversation)
    while after == rendered["version"] and (remaining := deadline - loop.time()) > 0:
        if not await channel.wait_for_change(generation, remaining):
            break
        # Something was written, maybe elsewhere: answer only when this conversation changed.
        generation = channel.generation
        rendered = await _render_conversation(request, conversation)
    return web.json_response(rendered)


async def _may_read(request: web.Request, key: str, conversation: str) -> None:
    if conversation == person_conversation(key):
        return
    if conversation.startswith("place:") and await request.app[IDENTITIES].has_role(
        "web", key, COMMS
    ):
        return
    raise web.HTTPForbidden(text="not your conversation")


async def _render_conversation(request: web.Request, conversation: str) -> dict[str, Any]:
    identities = request.app[IDENTITIES]
    rows = await request.app[WEB_CHANNEL].transcripts.history(conversation)
    directory = await identities.everyone("web")
    senders = await identities.names(r.sender_id for r in rows if r.sender_id)
    items = []
    for row in rows:
        sender = senders.get(row.sender_id) if row.sender_id is not None else None
        items.append(
            {
                "id": row.id,
                "html": render(
                    from_dict(row.payload), message_id=row.id, directory=directory, sender=sender
                ),
            }
        )
    # What the page shows, digested: any new or rewritten message changes it, and it is the same
    # in every server process (unlike hash(), which is salted per process).
    shown = json.dumps([[item["id"], item["html"]] for item in items], ensure_ascii=False)
    # surrogatepass: a message stored before text was normalised must not make this fail.
    version = hashlib.sha256(shown.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return {"conversation": conversation, "messages": items, "version": version}


async def _json(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(text="send JSON")
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"{request.scheme}://{request.host}":
        raise web.HTTPForbidden(text="cross-origin request refused")
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=request.content_length)
    # A chunked body has no Content-Length: count what arrives (the app caps reading it at
    # client_max_size), so the limit holds however the body is sent.
    raw = await request.read()
    if len(raw) > MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=len(raw))
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python reads
        raise web.HTTPBadRequest(text="the body is not JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    body = clean_json(body)  # text normalised where it enters (dialogs.text)
    key = str(body.get("as", ""))
    _demo(key)
    return body


async def say(request: web.Request) -> web.Response:
    body = await _json(request)
    try:
        event = translate.said(body)
    except translate.NotAnEvent as error:
        raise web.HTTPBadRequest(text=str(error)) from None
    known = await request.app[IDENTITIES].known(translate.PLATFORM, event.sender.external_id)
    assert known is not None
    await request.app[WEB_CHANNEL].append(
        person_conversation(event.sender.external_id),
        known.person_id,
        Message(text=event.text, blocks=(Paragraph(event.text),)),
    )
    await _turn(request, event, body)
    return web.json_response({"ok": True})


async def act(request: web.Request) -> web.Response:
    body = await _json(request)
    try:
        event = translate.acted(body)
    except translate.NotAnEvent as error:
        raise web.HTTPBadRequest(text=str(error)) from None
    context: dict[str, Any] = {}
    clicked = translate.clicked(body)
    # Only a message of the person's own conversation is theirs to have rewritten.
    said = await request.app[WEB_CHANNEL].transcripts.history(
        person_conversation(event.sender.external_id)
    )
    if clicked is not None and clicked in {s.id for s in said if s.sender_id is None}:
        context[CARD] = str(clicked)
    await _turn(request, event, body, context)
    return web.json_response({"ok": True})


async def set_locale(request: web.Request) -> web.Response:
    body = await _json(request)
    locale = str(body.get("locale", ""))
    if locale not in LOCALES:
        raise web.HTTPBadRequest(text="unknown language")
    await request.app[IDENTITIES].set_locale(translate.PLATFORM, str(body["as"]), locale)
    return web.json_response({"ok": True})


async def _turn(
    request: web.Request, event: Event, body: dict[str, Any], context: dict[str, Any] | None = None
) -> None:
    """Store the event in the hub's inbox and run it at once: the page gets its answer when
    the replies are in the conversation. Under the page's request id, a resent request is
    stored and run once."""
    await request.app[HUB].run_now(translate.key(body), event, context)
