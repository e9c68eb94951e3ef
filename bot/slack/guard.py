"""What `POST /slack/events` checks before slack-bolt sees a request.

bolt answered 500, with a traceback in the log, to a timestamp that is not a number or a
`payload=` that is not JSON, and logged bodies it refused in full. Here every request is
checked first, with answers that are never 500: no signature 401, a malformed timestamp 400,
a stale one or a wrong signature 401, a body over MAX_BODY 413, a signed body that is not
what Slack sends (not UTF-8, `payload=` or a JSON body that does not parse to an object, a
form field given twice) 400. A refusal is logged with its reason and size only: a body we
did not accept is not ours to keep, and may carry anything.

What is taken is read here, once, and bolt is handed that reading (`bolt_request`): bolt's
own takes any form whose text contains "payload" (a slash command's text, a channel's name)
for an interaction, finds no `payload=` field and reads nothing, so the command was answered
and lost.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.request.async_request import AsyncBoltRequest

log = logging.getLogger(__name__)

# Slack's largest payloads (a click: the message's blocks and their state) are far below
# this; the app reads no more.
MAX_BODY = 256 * 1024
# Slack's own rule: a signature is good for five minutes either way.
MAX_AGE_SECONDS = 5 * 60
# What no text Slack sends holds, and no database stores: a lone surrogate (JSON can escape
# one; UTF-8 cannot hold it) and NUL (PostgreSQL's text cannot).
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Taken:
    """A request Slack signed: its body as it came, and what it says."""

    text: str
    body: dict[str, Any]


async def check(
    request: web.Request, signing_secret: str, clock: Callable[[], float] = time.time
) -> Taken | web.Response:
    """The request read, when it is Slack's, signed and well formed; else the answer to give."""
    try:
        return await _check(request, signing_secret, clock)
    except Refused as refused:
        return refusal(request, refused.status, refused.reason)


def refusal(request: web.Request, status: int, reason: str, why: str = "") -> web.Response:
    """The answer `reason`, logged with `why` (for us, not the sender) and the size."""
    size = request.content_length if request.content_length is not None else "unknown"
    log.warning("Slack: refused a request (%s%s; %s bytes)", reason, f", {why}" if why else "",
                size)
    return web.json_response({"error": reason}, status=status)


def bolt_request(request: web.Request, taken: Taken) -> AsyncBoltRequest:
    """bolt's request for what `check` read (see the module's docstring). bolt takes a body
    already read only in Socket Mode; made so, the request is an HTTP one again, whose
    signature bolt checks once more over the body as it came. Raises on a body whose shape
    bolt cannot take apart (an `authorizations` that is not a list of objects, say)."""
    made = AsyncBoltRequest(
        body=taken.body,
        query=request.query_string,
        headers=request.headers,  # type: ignore[arg-type]
        mode="socket_mode",
    )
    made.mode = "http"
    made.raw_body = taken.text
    return made


async def _check(
    request: web.Request, signing_secret: str, clock: Callable[[], float]
) -> Taken:
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "").strip()
    signature = request.headers.get("X-Slack-Signature", "").strip()
    if not timestamp or not signature:
        raise Refused(401, "not signed")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise Refused(400, "malformed timestamp")
    if abs(clock() - int(timestamp)) > MAX_AGE_SECONDS:
        raise Refused(401, "stale timestamp")
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise Refused(413, "body too large")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise Refused(413, "body too large") from None
    if len(body) > MAX_BODY:
        raise Refused(413, "body too large")
    if not _signed(signing_secret, timestamp, body, signature):
        raise Refused(401, "bad signature")
    return _read(request.content_type, body)


def _signed(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """Slack's v0 signature, over the bytes as they came (slack_sdk's verifier decodes them
    first, and fails on a body that is not UTF-8)."""
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def _read(content_type: str, body: bytes) -> Taken:
    """Signed, yet maybe not something bolt can read: refuse it rather than let it fail.
    JSON as bolt tells it (its content type, or a body that starts with `{`); else a form,
    whose `payload` field, when it has one, is the JSON of an interaction."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "body not UTF-8") from None
    if content_type == "application/json" or text.lstrip().startswith("{"):
        return Taken(text, _object(text, "bad JSON"))
    fields = parse_qsl(text, keep_blank_values=True)
    form = dict(fields)
    if len(form) != len(fields):
        # Slack sends each once; which of two to believe would be a guess (bolt took the
        # last, this guard once checked the first).
        raise Refused(400, "a form field given twice")
    if "payload" in form:
        return Taken(text, _object(form["payload"], "unparsable payload"))
    return Taken(text, _storable(form))


def _object(text: str, reason: str) -> dict[str, Any]:
    try:
        parsed = _storable(json.loads(text))
    except (ValueError, RecursionError):
        # RecursionError: nested deeper than Python parses (or `_storable` walks).
        raise Refused(400, reason) from None
    if not isinstance(parsed, dict):
        raise Refused(400, reason)
    return parsed


def _storable(value: Any) -> Any:
    """`value` with U+FFFD for what no database stores in each string, keys too: the inbox
    stores what is taken, and a store that fails is answered 503 for Slack to send it again
    (bot/slack/bot.py), which for such a request would never end better."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value


def settled(response: web.Response) -> web.Response:
    """bolt's answer, with a 500 (a failure in bolt itself, before or around our listeners,
    which answer 400 or 503 themselves: bot/slack/bot.py) made a 400: a request bolt could
    not take apart will not go better if Slack retries it."""
    if response.status == 500:
        log.warning("Slack: refused a request bolt could not read (%s bytes)",
                    response.content_length if response.content_length is not None else "?")
        return web.json_response({"error": "unreadable payload"}, status=400)
    return response
