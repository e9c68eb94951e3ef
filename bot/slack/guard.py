"""What `POST /slack/events` checks before slack-bolt sees a request.

bolt answered 500, with a traceback in the log, to a timestamp that is not a number or a
`payload=` that is not JSON, and logged bodies it refused in full. Here every request is
checked first, with answers that are never 500: no signature 401, a malformed timestamp 400,
a stale one or a wrong signature 401, a body over MAX_BODY 413, a signed body that is not
what Slack sends (not UTF-8, `payload=` or a JSON body that does not parse to an object) 400.
A refusal is logged with its reason and size only: a body we did not accept is not ours to
keep, and may carry anything.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from urllib.parse import parse_qs

from aiohttp import web

log = logging.getLogger(__name__)

# Slack's largest payloads (a submitted modal) are far below this; the app reads no more.
MAX_BODY = 256 * 1024
# Slack's own rule: a signature is good for five minutes either way.
MAX_AGE_SECONDS = 5 * 60


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def check(
    request: web.Request, signing_secret: str, clock: Callable[[], float] = time.time
) -> web.Response | None:
    """None when the request is Slack's, signed and well formed; else the answer to give."""
    try:
        await _check(request, signing_secret, clock)
    except Refused as refused:
        size = request.content_length if request.content_length is not None else "unknown"
        log.warning("Slack: refused a request (%s; %s bytes)", refused.reason, size)
        return web.json_response({"error": refused.reason}, status=refused.status)
    return None


async def _check(request: web.Request, signing_secret: str, clock: Callable[[], float]) -> None:
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
    _well_formed(request.content_type, body)


def _signed(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """Slack's v0 signature, over the bytes as they came (slack_sdk's verifier decodes them
    first, and fails on a body that is not UTF-8)."""
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def _well_formed(content_type: str, body: bytes) -> None:
    """Signed, yet maybe not something bolt can read: refuse it rather than let it fail."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "body not UTF-8") from None
    if content_type == "application/json" or text.lstrip().startswith("{"):
        _object(text, "bad JSON")
        return
    form = parse_qs(text, keep_blank_values=True)
    if "payload" in form:
        _object(form["payload"][0], "unparsable payload")


def _object(text: str, reason: str) -> None:
    try:
        parsed = json.loads(text)
    except ValueError:
        raise Refused(400, reason) from None
    if not isinstance(parsed, dict):
        raise Refused(400, reason)


def settled(response: web.Response) -> web.Response:
    """bolt's answer, with its 500 for a signed request it could not take apart (a payload
    of a shape it does not expect, which it has logged) made the 400 it is: such a request
    will not go better if Slack retries it."""
    if response.status >= 500:
        log.warning("Slack: refused a request bolt could not read (%s bytes)",
                    response.content_length if response.content_length is not None else "?")
        return web.json_response({"error": "unreadable payload"}, status=400)
    return response
