"""Dashboard sign-in: a signed link works once, for ten minutes, and opens a session that ends
at local midnight; the session's token is kept only as a hash, and the key that signs links
and derives CSRF tokens is passed in (it lives outside the database)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import signin
from data.db import Store, is_sqlite
from data.errors import NotAllowed, NotFound
from data.models import AuditEvent, DashboardSession, UsedSignInLink
from tests.helpers import KEY, T0, Cast, count, load

R = TypeVar("R")
STOCKHOLM = ZoneInfo("Europe/Stockholm")


async def issue(store: Store, person_id: int, now: datetime = T0) -> str:
    async with store.transaction() as session:
        return await signin.issue_link(session, key=KEY, person_id=person_id, now=now)


async def redeem(
    store: Store, token: str, now: datetime, zone: ZoneInfo = STOCKHOLM
) -> tuple[str, DashboardSession]:
    async with store.transaction() as session:
        return await signin.redeem_link(session, key=KEY, token=token, now=now, zone=zone)


async def refused(store: Store, token: str, now: datetime) -> str:
    with pytest.raises(NotAllowed) as error:
        await redeem(store, token, now)
    return error.value.code


async def current(store: Store, cookie: str, now: datetime) -> DashboardSession | None:
    async with store.transaction() as session:
        return await signin.session_for(session, token=cookie, now=now)


async def side_by_side(
    store: Store, *work: Callable[[AsyncSession], Awaitable[R]]
) -> list[R | BaseException]:
    """Each piece of work in a transaction of its own, all at once (see test_concurrency)."""
    ready = asyncio.Barrier(len(work))

    async def one(job: Callable[[AsyncSession], Awaitable[R]]) -> R:
        async with store.transaction() as session:
            if not is_sqlite(store.engine):
                # Both have looked before either writes.
                await session.exec(select(UsedSignInLink))
            await ready.wait()
            return await job(session)

    return await asyncio.gather(*(one(job) for job in work), return_exceptions=True)


def sign(key: bytes, payload: str) -> str:
    mac = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


async def test_a_link_opens_a_session_once(store: Store, cast: Cast) -> None:
    token = await issue(store, cast.requester)
    assert token.startswith(f"v1.{cast.requester}.")
    cookie, row = await redeem(store, token, T0 + timedelta(minutes=5))
    assert (row.person_id, row.created_at) == (cast.requester, T0 + timedelta(minutes=5))
    # T0 is 10:00 in Stockholm (CET): the day ends at 23:00 UTC.
    assert row.expires_at == datetime(2027, 3, 1, 23, 0, tzinfo=UTC)
    found = await current(store, cookie, T0 + timedelta(hours=1))
    assert found is not None and found.person_id == cast.requester
    assert await refused(store, token, T0 + timedelta(minutes=6)) == "link_used"
    assert await count(store, DashboardSession) == 1
    events = await load(store, AuditEvent, AuditEvent.subject == f"person:{cast.requester}")
    assert [(e.action, e.actor_id) for e in events if e.action.startswith("dashboard")] == [
        ("dashboard_link_issued", cast.requester), ("dashboard_signed_in", cast.requester),
    ]


async def test_the_session_token_is_stored_only_as_its_hash(store: Store, cast: Cast) -> None:
    token = await issue(store, cast.requester)
    cookie, row = await redeem(store, token, T0)
    assert len(cookie) >= 40
    [stored] = await load(store, DashboardSession)
    assert stored.token_hash == hashlib.sha256(cookie.encode()).hexdigest() == row.token_hash
    assert cookie not in stored.model_dump_json()
    # Nor does the audit trail hold anything that signs in.
    trail = json.dumps([e.model_dump(mode="json") for e in await load(store, AuditEvent)])
    assert cookie not in trail and token not in trail
    assert await current(store, stored.token_hash, T0) is None


@pytest.mark.parametrize(
    ("now", "ends"),
    [
        # The day the clocks go forward (2027-03-28): 23 hours long, ends at 22:00 UTC.
        (datetime(2027, 3, 28, 10, 0, tzinfo=UTC), datetime(2027, 3, 28, 22, 0, tzinfo=UTC)),
        # 00:30 local on that day is still the 27th in UTC.
        (datetime(2027, 3, 27, 23, 30, tzinfo=UTC), datetime(2027, 3, 28, 22, 0, tzinfo=UTC)),
        # The day before: still winter time.
        (datetime(2027, 3, 27, 12, 0, tzinfo=UTC), datetime(2027, 3, 27, 23, 0, tzinfo=UTC)),
        # The day the clocks go back (2027-10-31): 25 hours long, ends at 23:00 UTC.
        (datetime(2027, 10, 31, 0, 30, tzinfo=UTC), datetime(2027, 10, 31, 23, 0, tzinfo=UTC)),
        # A second before midnight, and midnight itself (which starts the next day).
        (datetime(2027, 3, 1, 22, 59, 59, tzinfo=UTC), datetime(2027, 3, 1, 23, 0, tzinfo=UTC)),
        (datetime(2027, 3, 1, 23, 0, tzinfo=UTC), datetime(2027, 3, 2, 23, 0, tzinfo=UTC)),
    ],
)
async def test_the_session_ends_at_local_midnight(
    store: Store, cast: Cast, now: datetime, ends: datetime
) -> None:
    token = await issue(store, cast.requester, now - timedelta(minutes=1))
    cookie, row = await redeem(store, token, now)
    assert row.expires_at == ends
    assert await current(store, cookie, ends - timedelta(seconds=1)) is not None
    assert await current(store, cookie, ends) is None


async def test_the_day_ends_in_the_zone_given(store: Store, cast: Cast) -> None:
    token = await issue(store, cast.requester)
    _, row = await redeem(store, token, T0, zone=ZoneInfo("America/New_York"))
    # 04:00 in New York (EST, UTC-5): its midnight is 05:00 UTC the next day.
    assert row.expires_at == datetime(2027, 3, 2, 5, 0, tzinfo=UTC)


@pytest.mark.parametrize("issued", [T0, T0 + timedelta(microseconds=500_000)])
async def test_a_link_lasts_ten_minutes(store: Store, cast: Cast, issued: datetime) -> None:
    late = await issue(store, cast.requester, issued)
    assert await refused(store, late, issued + timedelta(minutes=10, seconds=1)) == "link_expired"
    on_time = await issue(store, cast.requester, issued)
    await redeem(store, on_time, issued + signin.LINK_LIFETIME)
    # An expired link leaves nothing behind: no nonce recorded, no session.
    assert await count(store, UsedSignInLink) == 1
    assert await count(store, DashboardSession) == 1


def tampered(token: str, other_person: int) -> dict[str, str]:
    version, person, expires, nonce, signature = token.split(".")
    flipped = ("B" if signature[0] == "A" else "A") + signature[1:]
    return {
        "other person": f"{version}.{other_person}.{expires}.{nonce}.{signature}",
        "later expiry": f"{version}.{person}.{int(expires) + 3600}.{nonce}.{signature}",
        "other nonce": f"{version}.{person}.{expires}.{nonce[::-1]}.{signature}",
        "bad signature": f"{version}.{person}.{expires}.{nonce}.{flipped}",
        "no signature": f"{version}.{person}.{expires}.{nonce}.",
        "other version": f"v2.{person}.{expires}.{nonce}.{signature}",
        "longer": token + "A",
        "garbage": "not a token at all",
        "empty": "",
        "huge": "v1." + "9" * 10_000,
        "dots": "v1....",
    }


async def test_a_tampered_link_is_invalid(store: Store, cast: Cast) -> None:
    token = await issue(store, cast.requester)
    for name, bad in tampered(token, cast.director).items():
        assert await refused(store, bad, T0 + timedelta(minutes=1)) == "link_invalid", name
    # None of them used the real link up, or signed anyone in.
    assert await count(store, DashboardSession) == 0
    _, row = await redeem(store, token, T0 + timedelta(minutes=1))
    assert row.person_id == cast.requester


async def test_a_link_signed_with_another_key_is_invalid(store: Store, cast: Cast) -> None:
    token = await issue(store, cast.requester)
    payload = token.rpartition(".")[0]
    assert await refused(store, f"{payload}.{sign(b'another key, made elsewhere, 32+ chars', payload)}", T0) == "link_invalid"


async def test_without_a_key_every_token_is_invalid(store: Store, cast: Cast) -> None:
    token = await issue(store, cast.requester)
    async with store.transaction() as session:
        with pytest.raises(NotAllowed) as error:
            await signin.redeem_link(session, key=b"", token=token, now=T0)
    assert error.value.code == "link_invalid"


async def test_a_link_for_an_unknown_person_is_not_issued(store: Store) -> None:
    with pytest.raises(NotFound) as error:
        await issue(store, 999)
    assert error.value.code == "unknown_person"


async def test_the_key_passed_in_signs_every_link(store: Store, cast: Cast) -> None:
    first = await issue(store, cast.requester)
    second = await issue(store, cast.colleague, T0 + timedelta(minutes=1))
    for token in (first, second):
        payload, _, signature = token.rpartition(".")
        assert signature == sign(KEY, payload)
        await redeem(store, token, T0 + timedelta(minutes=2))


async def test_the_database_holds_no_key(store: Store, cast: Cast) -> None:
    """Whatever is in the database after links were issued and used, the key is not."""
    cookie, row = await redeem(store, await issue(store, cast.requester), T0)
    async with store.engine.connect() as connection:
        tables = await connection.run_sync(
            lambda sync: inspect(sync).get_table_names()
        )
        assert "signing_key" not in tables
        dump = []
        for table in tables:
            rows = await connection.exec_driver_sql(f'SELECT * FROM "{table}"')  # noqa: S608
            dump.extend(str(r) for r in rows)
    text = "\n".join(dump)
    assert KEY.decode() not in text and cookie not in text
    assert signin.session_csrf(KEY, row) not in text


async def test_two_redemptions_at_once_sign_in_once(store: Store, cast: Cast) -> None:
    token = await issue(store, cast.requester)

    async def use(session: AsyncSession) -> tuple[str, DashboardSession]:
        return await signin.redeem_link(session, key=KEY, token=token, now=T0, zone=STOCKHOLM)

    results = await side_by_side(store, use, use)
    won = [r for r in results if isinstance(r, tuple)]
    lost = [r for r in results if isinstance(r, NotAllowed)]
    assert (len(won), len(lost)) == (1, 1), results
    assert lost[0].code == "link_used"
    assert await count(store, DashboardSession) == 1
    assert await count(store, AuditEvent, AuditEvent.action == "dashboard_signed_in") == 1


async def test_signing_out_ends_the_session(store: Store, cast: Cast) -> None:
    cookie, _ = await redeem(store, await issue(store, cast.requester), T0)
    other, _ = await redeem(store, await issue(store, cast.colleague), T0)
    async with store.transaction() as session:
        await signin.sign_out(session, token=cookie, now=T0 + timedelta(hours=1))
        # Unknown and empty tokens: nothing to end.
        await signin.sign_out(session, token="nothing", now=T0 + timedelta(hours=1))
        await signin.sign_out(session, token="", now=T0 + timedelta(hours=1))
    assert await current(store, cookie, T0 + timedelta(hours=1)) is None
    assert await current(store, other, T0 + timedelta(hours=1)) is not None
    [event] = await load(store, AuditEvent, AuditEvent.action == "dashboard_signed_out")
    assert (event.actor_id, event.subject) == (cast.requester, f"person:{cast.requester}")


async def test_unknown_and_empty_session_tokens_open_nothing(store: Store, cast: Cast) -> None:
    await redeem(store, await issue(store, cast.requester), T0)
    assert await current(store, "", T0) is None
    assert await current(store, "made-up", T0) is None


async def test_forgetting_what_has_expired(store: Store, cast: Cast) -> None:
    old = await issue(store, cast.requester)
    await redeem(store, old, T0)
    later = T0 + timedelta(days=1)
    fresh = await issue(store, cast.colleague, later)
    cookie, _ = await redeem(store, fresh, later)
    async with store.transaction() as session:
        await signin.forget_expired(session, now=later)
    assert [s.person_id for s in await load(store, DashboardSession)] == [cast.colleague]
    assert [u.person_id for u in await load(store, UsedSignInLink)] == [cast.colleague]
    assert await current(store, cookie, later) is not None
    # The old link's nonce is forgotten, yet the link stays refused: it has expired.
    assert await refused(store, old, later) == "link_expired"


async def test_a_sign_in_forgets_what_has_expired(store: Store, cast: Cast) -> None:
    await redeem(store, await issue(store, cast.requester), T0)
    later = T0 + timedelta(days=1)
    cookie, _ = await redeem(store, await issue(store, cast.colleague, later), later)
    assert [s.person_id for s in await load(store, DashboardSession)] == [cast.colleague]
    assert [u.person_id for u in await load(store, UsedSignInLink)] == [cast.colleague]
    assert await current(store, cookie, later) is not None


async def test_csrf_tokens_are_derived_from_the_session_with_the_key(
    store: Store, cast: Cast
) -> None:
    _, row = await redeem(store, await issue(store, cast.requester), T0)
    _, other = await redeem(store, await issue(store, cast.colleague), T0)
    token = signin.session_csrf(KEY, row)
    assert token == signin.session_csrf(KEY, row) != signin.session_csrf(KEY, other)
    assert token == hmac.new(
        KEY, f"csrf\x00session:{row.token_hash}".encode(), hashlib.sha256
    ).hexdigest()
    # Another key (a copy of the database elsewhere) derives other tokens.
    assert token != signin.session_csrf(b"x" * 40, row)
    # The link key's plain signature of the same text is no CSRF token.
    assert token != sign(KEY, f"session:{row.token_hash}")


async def test_a_link_is_issued_unsigned_and_signed_only_for_its_person(
    store: Store, cast: Cast
) -> None:
    """The reply that carries a link waits in the outbox without its signature, which the key
    (outside the database) adds as it leaves (hub/sign_in_links.py)."""
    async with store.transaction() as session:
        unsigned = await signin.issue_unsigned(session, person_id=cast.requester, now=T0)
    assert await refused(store, unsigned, T0) == "link_invalid"
    token = signin.sign_link(KEY, unsigned, person_id=cast.requester)
    assert token == f"{unsigned}.{sign(KEY, unsigned)}"
    _cookie, row = await redeem(store, token, T0)
    assert row.person_id == cast.requester
    # Nothing else is signed: not a link for somebody else, not a whole token, not without a key.
    for wrong in (
        lambda: signin.sign_link(KEY, unsigned, person_id=cast.colleague),
        lambda: signin.sign_link(KEY, token, person_id=cast.requester),
        lambda: signin.sign_link(KEY, "v1.1.2.x", person_id=1),
        lambda: signin.sign_link(b"", unsigned, person_id=cast.requester),
    ):
        with pytest.raises(ValueError, match="not a sign-in link issued to this person"):
            wrong()
