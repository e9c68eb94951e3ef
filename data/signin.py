"""Signing in to the dashboard: a chat command hands out a short-lived, single-use link; the
link opens a browser session that lasts until the end of the person's local day.

A link is `v1.<person id>.<expires, epoch seconds>.<nonce>.<signature>`, the signature an
HMAC-SHA256 (url-safe base64) of everything before it, with the server's secret key, which
the caller passes in and which is never in the database (bot/secret_key.py). Redeeming it
records its nonce, so it works once, even when two browsers try it at the same moment. The
signature is added only as the link leaves for the person (`issue_unsigned`, `sign_link`):
the reply that carries it waits in the outbox without it. The
session's token goes to the browser; the database keeps only its SHA-256, and a session's CSRF
token is an HMAC of that hash with the key, stored nowhere: a copy of the database signs
nobody in and forges no form.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
import secrets
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from data import audit, people
from data.access import DEFAULT_ZONE
from data.errors import NotAllowed
from data.models import DashboardSession, UsedSignInLink
from data.tokens import digest
from data.upsert import insert_ignore

LINK_LIFETIME = timedelta(minutes=10)
VERSION = "v1"
# Anything longer is not one of ours; checked before any parsing.
_MAX_TOKEN = 200
_UNSIGNED_PATTERN = (
    r"v1\.(?P<person>[1-9][0-9]{0,17})\.(?P<expires>[0-9]{1,12})\.(?P<nonce>[A-Za-z0-9_-]{16,64})"
)
_UNSIGNED = re.compile(_UNSIGNED_PATTERN)
_TOKEN = re.compile(_UNSIGNED_PATTERN + r"\.(?P<signature>[A-Za-z0-9_-]{43})")
# Keeps a CSRF token from ever equalling a link signature over the same text.
_CSRF_CONTEXT = b"csrf\x00"


def end_of_day(now: datetime, zone: ZoneInfo = DEFAULT_ZONE) -> datetime:
    """The next local midnight after `now` in `zone`, in UTC (23 or 25 hours away on the days
    the clocks change)."""
    assert now.tzinfo is not None, "times are aware"
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=zone).astimezone(UTC)


async def issue_unsigned(session: AsyncSession, *, person_id: int, now: datetime) -> str:
    """A sign-in link's token for the person, valid LINK_LIFETIME from `now`, once, still
    without its signature: `sign_link` adds that, with the key, as the link leaves for the
    person (hub/sign_in_links.py), so the reply that waits in the outbox signs nobody in.
    NotFound("unknown_person")."""
    await people.get_person(session, person_id)
    # Rounded up: a link is never shorter-lived than promised.
    expires = math.ceil((now + LINK_LIFETIME).timestamp())
    payload = f"{VERSION}.{person_id}.{expires}.{secrets.token_urlsafe(24)}"
    audit.record(
        session, now=now, actor_id=person_id, action="dashboard_link_issued",
        subject=f"person:{person_id}",
        expires_at=datetime.fromtimestamp(expires, UTC).isoformat(),
    )
    await session.flush()
    return payload


def sign_link(key: bytes, unsigned: str, *, person_id: int) -> str:
    """The whole token of a link `issue_unsigned` made for `person_id`. ValueError for
    anything else: a row written into the outbox by hand gets no link for someone else."""
    match = _UNSIGNED.fullmatch(unsigned)
    if not key or match is None or int(match["person"]) != person_id:
        raise ValueError("not a sign-in link issued to this person")
    return f"{unsigned}.{_sign(key, unsigned)}"


async def issue_link(
    session: AsyncSession, *, key: bytes, person_id: int, now: datetime
) -> str:
    """A whole sign-in link token for the person (`issue_unsigned`, signed)."""
    unsigned = await issue_unsigned(session, person_id=person_id, now=now)
    return sign_link(key, unsigned, person_id=person_id)


async def _valid(
    session: AsyncSession, *, key: bytes, token: str, now: datetime
) -> tuple[re.Match[str], int, int]:
    """The token's parts, its person and when it expires, once it is ours, unexpired and names
    someone; else NotAllowed as redeem_link says."""
    match = _TOKEN.fullmatch(token.strip()) if len(token) <= _MAX_TOKEN else None
    if match is None:
        raise NotAllowed("link_invalid")
    payload = token.strip().rpartition(".")[0]
    if not key or not hmac.compare_digest(
        _sign(key, payload).encode(), match["signature"].encode()
    ):
        raise NotAllowed("link_invalid")
    expires = int(match["expires"])
    if now.timestamp() > expires:
        raise NotAllowed("link_expired")
    person_id = int(match["person"])
    await people.get_person(session, person_id)
    return match, person_id, expires


async def check_link(session: AsyncSession, *, key: bytes, token: str, now: datetime) -> None:
    """Whether redeem_link would take the token now, without using it up (the page that
    offers the button asks, so that a link that cannot work says why at once); NotAllowed as
    redeem_link says."""
    match, _person_id, _expires = await _valid(session, key=key, token=token, now=now)
    if await session.get(UsedSignInLink, match["nonce"]) is not None:
        raise NotAllowed("link_used")


async def redeem_link(
    session: AsyncSession, *, key: bytes, token: str, now: datetime,
    zone: ZoneInfo = DEFAULT_ZONE,
) -> tuple[str, DashboardSession]:
    """Exchange a link token for a session ending at the next local midnight in `zone`.
    Returns the session token (for the cookie; shown only here) and the session's row.
    NotAllowed("link_invalid") for anything we did not sign as it stands,
    NotAllowed("link_expired") after its lifetime, NotAllowed("link_used") the second time."""
    match, person_id, expires = await _valid(session, key=key, token=token, now=now)
    # The nonce's primary key decides between two redemptions at once: PostgreSQL makes the
    # second insert wait for the first transaction and then skip; SQLite runs them in turn.
    first = await insert_ignore(
        session, UsedSignInLink,
        {"nonce": match["nonce"], "person_id": person_id, "used_at": now,
         "expires_at": datetime.fromtimestamp(expires, UTC)},
        ["nonce"],
    )
    if not first:
        raise NotAllowed("link_used")
    # Each sign-in clears what has ended, so the tables hold about a day's sign-ins, no more.
    await forget_expired(session, now=now)
    cookie = secrets.token_urlsafe(32)
    row = DashboardSession(
        token_hash=digest(cookie), person_id=person_id, created_at=now,
        expires_at=end_of_day(now, zone),
    )
    session.add(row)
    audit.record(
        session, now=now, actor_id=person_id, action="dashboard_signed_in",
        subject=f"person:{person_id}", expires_at=row.expires_at.isoformat(),
    )
    await session.flush()
    return cookie, row


async def session_for(
    session: AsyncSession, *, token: str, now: datetime
) -> DashboardSession | None:
    """The signed-in session the cookie's token opens, or None (unknown, ended, signed out)."""
    if not token:
        return None
    row = await session.get(DashboardSession, digest(token))
    if row is None or now >= row.expires_at:
        return None
    return row


async def sign_out(session: AsyncSession, *, token: str, now: datetime) -> None:
    """End the session at once; a token that opens nothing is ignored."""
    row = await session.get(DashboardSession, digest(token)) if token else None
    if row is None:
        return
    await session.delete(row)
    audit.record(
        session, now=now, actor_id=row.person_id, action="dashboard_signed_out",
        subject=f"person:{row.person_id}",
    )
    await session.flush()


async def forget_expired(session: AsyncSession, *, now: datetime) -> None:
    """Drop ended sessions and the nonces of links past their expiry (such a link is refused
    as expired before its nonce is looked at). Housekeeping of rows that no longer mean
    anything, so no audit event."""
    await session.exec(delete(DashboardSession).where(col(DashboardSession.expires_at) <= now))
    await session.exec(delete(UsedSignInLink).where(col(UsedSignInLink.expires_at) < now))


def csrf_token(key: bytes, key_material: str) -> str:
    """An HMAC of `key_material` with the key: the CSRF token of a session (its token hash as
    the material: `session_csrf`), derived each time and stored nowhere."""
    return hmac.new(key, _CSRF_CONTEXT + key_material.encode(), hashlib.sha256).hexdigest()


def session_csrf(key: bytes, row: DashboardSession) -> str:
    """The CSRF token forms of this signed-in session carry."""
    return csrf_token(key, f"session:{row.token_hash}")


def _sign(key: bytes, payload: str) -> str:
    mac = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
