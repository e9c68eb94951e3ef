"""`POST /api/accounts/{number}/questions`: questions from the public arriving from another
tool, one bearer token per account (made with `kontobot tokens create|rotate`).

The body is JSON (README.md, "Question webhook"):
`{"text": str, "asked_by": str?, "external_ref": str?, "received_at": ISO time?}`.

Answers: 201 the question is stored, 200 it was stored before (the same `external_ref`), 400 the
body is not what is documented (with a message saying why), 401 no token, a wrong token or an
unknown account (the same answer, so nothing tells them apart), 410 the account is closed,
413 a body over MAX_BODY bytes, 415 a body that is not `application/json`, 503 the
database is busy or unreachable (with Retry-After). A body with a key given twice, or nested
too deep to parse, is a 400. The token is checked before any write lock is taken. Text is
normalised (dialogs.text); a text with invalid code points (a lone surrogate) is refused with
400, and so is a `received_at` before 2000 or more than a day ahead of the server's clock (one
less far ahead counts as now). Only a SHA-256 of the token is stored and compared in constant
time, with the same query whether the account exists or not (data.tokens.account_for_token).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, time, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from bot.keys import CLOCK, DELIVERER, STORE
from data import questions, tokens
from data.errors import Invalid, MovedOn, NotFound
from data.workdays import EPOCH
from dialogs.text import clean, has_invalid_code_points

log = logging.getLogger(__name__)

ROUTE = "/api/accounts/{number}/questions"
# The largest body taken: a question of 4000 characters, its metadata and JSON escaping.
MAX_BODY = 16 * 1024
FIELDS = {"text", "asked_by", "external_ref", "received_at"}
# The times a question may say it was received. Not before the working-day calendar starts
# (data.workdays.EPOCH: the reminders count working days from it), a day after it so that its
# date is on the calendar whatever KONTOBOT_TIMEZONE is. Not more than a day ahead of the
# server's clock: a time ahead by less (the other tool's clock is fast) counts as now
# (data.questions.receive_question).
EARLIEST = datetime.combine(EPOCH + timedelta(days=1), time(0), tzinfo=UTC)
AHEAD = timedelta(days=1)
# A database that is busy (SQLite's write lock held past the busy timeout: the store's
# TimeoutError; PostgreSQL's lock or statement timeout) or unreachable (OSError on connecting,
# a dropped connection): 503, to be retried after RETRY_AFTER seconds, not a 500 in plain text.
_UNAVAILABLE = (OSError, DBAPIError)  # TimeoutError (asyncio's too) is an OSError
RETRY_AFTER = 5


def setup(app: web.Application) -> None:
    app.router.add_post(ROUTE, receive)


def _error(status: int, code: str, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status, headers=headers)


def _unauthorised() -> web.Response:
    return _error(
        401,
        "unauthorised",
        "A valid bearer token for this account is needed.",
        **{"WWW-Authenticate": 'Bearer realm="kontobot"'},
    )


def _bearer(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


class BadBody(Exception):
    pass


def _optional_text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadBody(f"{name} must be a string.")
    return value


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # A key given twice would otherwise silently take its last value: which one the other
    # tool meant is not ours to guess (nor what another parser on the way took).
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise BadBody(f"The field {key} is given more than once.")
        seen[key] = value
    return seen


def parse(raw: bytes, *, now: datetime) -> dict[str, Any]:
    """The body as the fields `receive_question` takes; BadBody says what is wrong."""
    try:
        body = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError, RecursionError):
        # RecursionError: arrays or objects nested thousands deep (a few KiB are enough).
        raise BadBody("The body must be a JSON object in UTF-8.") from None
    if not isinstance(body, dict):
        raise BadBody("The body must be a JSON object.")
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise BadBody(f"Unknown fields: {', '.join(unknown)}. Known: {', '.join(sorted(FIELDS))}.")
    text = body.get("text")
    if not isinstance(text, str):
        raise BadBody("text is required and must be a string.")
    received: datetime | None = None
    raw_time = _optional_text(body, "received_at")
    if raw_time is not None:
        try:
            received = datetime.fromisoformat(raw_time)
        except ValueError:
            raise BadBody("received_at must be an ISO 8601 time.") from None
        if received.tzinfo is None:
            raise BadBody("received_at must say its time zone, e.g. 2027-03-01T09:30:00+01:00.")
        received = _in_range(received, now)
    fields = {
        "text": text,
        "asked_by": _optional_text(body, "asked_by"),
        "external_ref": _optional_text(body, "external_ref"),
    }
    for name, value in fields.items():
        # Refused rather than repaired: the other tool is told, and can fix what it sends.
        if value is not None and has_invalid_code_points(value):
            raise BadBody(f"{name} holds invalid code points (lone surrogates or noncharacters).")
    return {
        **{name: None if value is None else clean(value) for name, value in fields.items()},
        "received_at": received,
    }


def _in_range(received: datetime, now: datetime) -> datetime:
    """`received` in UTC; BadBody when it is before EARLIEST or more than AHEAD after `now`
    (or has no UTC time at all: 0001-01-01T00:00:00+14:00 would be in year 0)."""
    try:
        utc = received.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc <= now + AHEAD:
        raise BadBody(f"received_at must be between {EARLIEST.isoformat()} and a day from now.")
    return utc


def _invalid(error: Invalid) -> str:
    field = str(error.params.get("field", "text"))
    if error.code == "empty":
        return f"{field} must not be empty."
    if error.code == "too_long":
        return f"{field} is too long: at most {error.params.get('maximum')} characters."
    return f"{field} is not valid ({error.code})."


async def _read(request: web.Request) -> bytes:
    """The body, or its first MAX_BODY + 1 bytes when it is longer (whatever the headers say)."""
    body = bytearray()
    while len(body) <= MAX_BODY:
        chunk = await request.content.read(MAX_BODY + 1 - len(body))
        if not chunk:
            break
        body += chunk
    return bytes(body)


async def _take(
    request: web.Request, token: str, raw: bytes, now: datetime
) -> dict[str, Any] | web.Response:
    """The answer for a stored question, or the response refusing the request."""
    store = request.app[STORE]
    number = request.match_info["number"]
    # The token is checked in a read-only transaction first: one that takes no write lock
    # (SQLite's is one for the whole database), so a request without the right token never
    # holds up a writer, nor waits behind one.
    async with store.read() as session:
        known = await tokens.account_for_token(session, number=number, token=token)
    if known is None:
        return _unauthorised()
    try:
        fields = parse(raw, now=now)
    except BadBody as error:
        return _error(400, "bad_body", str(error))
    async with store.transaction() as session:
        # Checked again where it counts: the token may have been rotated in between.
        account = await tokens.account_for_token(session, number=number, token=token)
        if account is None or account.id is None:
            return _unauthorised()
        try:
            question, created = await questions.receive_question(
                session, account_id=account.id, now=now, **fields
            )
        except Invalid as error:
            return _error(400, "bad_body", _invalid(error))
        except MovedOn:
            return _error(410, "account_closed", "The account is closed.")
        except NotFound:
            return _unauthorised()
        return {
            "id": question.id,
            "account": account.number,
            "received_at": question.received_at.astimezone(UTC).isoformat(),
            "created": created,
        }


def _is_unavailable(error: DBAPIError) -> bool:
    """Whether a DBAPIError that is not an OperationalError or InterfaceError still means the
    database cannot be reached (a dropped connection), rather than a fault of ours."""
    return isinstance(error, OperationalError | InterfaceError) or error.connection_invalidated


async def receive(request: web.Request) -> web.Response:
    token = _bearer(request)
    if token is None:
        return _unauthorised()
    if request.content_type != "application/json":
        return _error(
            415, "unsupported_media_type", "Send the body as JSON (Content-Type: application/json)."
        )
    if request.content_length is not None and request.content_length > MAX_BODY:
        return _error(413, "too_large", f"The body may be at most {MAX_BODY} bytes.")
    raw = await _read(request)
    if len(raw) > MAX_BODY:
        return _error(413, "too_large", f"The body may be at most {MAX_BODY} bytes.")
    now = request.app[CLOCK]()
    try:
        answer = await _take(request, token, raw, now)
    except _UNAVAILABLE as error:
        if isinstance(error, DBAPIError) and not _is_unavailable(error):
            raise
        # One line, the error's kind only: SQLAlchemy's message holds the statement's
        # parameters (the question's text) and the traceback says nothing the kind does not.
        log.warning("question webhook: database unavailable (%s)", type(error).__name__)
        return _error(
            503, "unavailable", "The database is busy or unreachable; try again later.",
            **{"Retry-After": str(RETRY_AFTER)},
        )
    if not isinstance(answer, dict):
        return answer
    created = answer["created"]
    if created:
        log.info("question %s received for %s", answer["id"], answer["account"])
        deliverer = request.app.get(DELIVERER)
        if deliverer is not None:
            deliverer.kick()
    return web.json_response(answer, status=201 if created else 200)
