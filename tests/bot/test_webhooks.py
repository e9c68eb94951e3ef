"""`POST /api/accounts/{number}/questions`: the question webhook with its per-account bearer
token, on the real app (mounted whether or not the web chat is on)."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import event

from bot.app import create_app
from bot.keys import STORE
from bot.webhooks import MAX_BODY
from data import closure, tokens
from data.db import Store, is_sqlite
from data.models import AuditEvent, Question
from tests.helpers import T0, Cast, load, make_cast
from tests.helpers.accounts import id_of, register
from tests.helpers.raw_http import raw_request
from tests.helpers.web import fixed_clock, settings_for

URL = "/api/accounts/{}/questions"
NUMBER = "SOME-2027-0001"


@dataclass
class Hook:
    client: TestClient[Any, Any]
    store: Store
    cast: Cast
    account_id: int
    token: str
    other_token: str

    async def post(
        self, body: Any, *, token: str | None = None, number: str = NUMBER,
        raw: bytes | None = None, headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        sent = {"Content-Type": "application/json", **(headers or {})}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else json.dumps(body).encode()
        response = await self.client.post(URL.format(number), data=data, headers=sent)
        return response.status, await response.json()


@pytest.fixture
async def hook(database_url: str) -> AsyncIterator[Hook]:
    """The app without the web chat, two accounts, each with a token."""
    app = create_app(settings_for(database_url), web_chat_enabled=False, clock=fixed_clock(T0))
    async with TestClient(TestServer(app)) as client:
        store = app[STORE]
        cast = await make_cast(store)
        first = await register(store, requester=cast.requester, team=(cast.colleague,),
                               manager=cast.manager, now=T0)
        second = await register(store, requester=cast.requester, team=(cast.colleague,),
                                manager=cast.manager, now=T0, handle="ki_other")
        async with store.transaction() as session:
            token = await tokens.create_token(session, account_id=id_of(first), now=T0)
            other = await tokens.create_token(session, account_id=id_of(second), now=T0)
        yield Hook(client, store, cast, id_of(first), token, other)


async def test_a_question_is_stored_once_per_external_ref(hook: Hook) -> None:
    received = "2027-03-01T08:15:00+01:00"
    body = {
        "text": "When is the next open day?",
        "asked_by": "Eva from Uppsala",
        "external_ref": "crm-4711",
        "received_at": received,
    }
    status, answer = await hook.post(body, token=hook.token)
    assert status == 201
    [question] = await load(hook.store, Question)
    assert answer == {
        "id": question.id,
        "account": NUMBER,
        "received_at": "2027-03-01T07:15:00+00:00",
        "created": True,
    }
    assert (question.account_id, question.source, question.text, question.asked_by) == (
        hook.account_id, "webhook", "When is the next open day?", "Eva from Uppsala"
    )
    assert question.external_ref == "crm-4711"
    assert question.received_at == datetime(2027, 3, 1, 7, 15, tzinfo=UTC)

    # The other tool retries: the same question, 200, nothing new.
    status, again = await hook.post(body, token=hook.token)
    assert status == 200 and again == {**answer, "created": False}
    assert len(await load(hook.store, Question)) == 1


async def test_only_text_is_required(hook: Hook) -> None:
    status, answer = await hook.post({"text": "Hello?"}, token=hook.token, number=NUMBER.lower())
    assert status == 201 and answer["created"] is True
    [question] = await load(hook.store, Question)
    assert (question.asked_by, question.external_ref, question.received_at) == (None, None, T0)


@pytest.mark.parametrize(
    "token",
    [None, "", "kbq_not-the-token", "wrong"],
    ids=["missing", "empty", "wrong", "short"],
)
async def test_a_bad_or_missing_token_is_refused(hook: Hook, token: str | None) -> None:
    status, answer = await hook.post({"text": "Hello?"}, token=token)
    assert status == 401 and answer["error"] == "unauthorised"
    assert await load(hook.store, Question) == []


async def test_other_schemes_are_refused(hook: Hook) -> None:
    status, _ = await hook.post(
        {"text": "Hello?"}, headers={"Authorization": f"Basic {hook.token}"}
    )
    assert status == 401


async def test_a_token_works_for_its_own_account_only(hook: Hook) -> None:
    # Another account's token, and an account that does not exist: the same answer.
    wrong = await hook.post({"text": "Hello?"}, token=hook.other_token)
    unknown = await hook.post({"text": "Hello?"}, token=hook.token, number="SOME-2027-0099")
    assert wrong == unknown
    assert wrong[0] == 401
    assert await load(hook.store, Question) == []


async def test_a_rotated_token_stops_working(hook: Hook) -> None:
    async with hook.store.transaction() as session:
        fresh = await tokens.rotate_token(session, account_id=hook.account_id, now=T0)
    assert (await hook.post({"text": "Hello?"}, token=hook.token))[0] == 401
    assert (await hook.post({"text": "Hello?"}, token=fresh))[0] == 201


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"not json", "The body must be a JSON object in UTF-8."),
        (b"\xff\xfe", "The body must be a JSON object in UTF-8."),
        (b'["text"]', "The body must be a JSON object."),
        (b"{}", "text is required and must be a string."),
        (b'{"text": 42}', "text is required and must be a string."),
        (b'{"text": "   "}', "text must not be empty."),
        (json.dumps({"text": "x" * 4001}).encode(), "text is too long: at most 4000 characters."),
        (b'{"text": "Hi", "asked_by": 7}', "asked_by must be a string."),
        (b'{"text": "Hi", "received_at": "yesterday"}', "received_at must be an ISO 8601 time."),
        (
            b'{"text": "Hi", "received_at": "2027-03-01T08:00:00"}',
            "received_at must say its time zone, e.g. 2027-03-01T09:30:00+01:00.",
        ),
        (
            b'{"text": "Hi", "question": "Hi"}',
            "Unknown fields: question. Known: asked_by, external_ref, received_at, text.",
        ),
        # Nested too deep for the parser (a RecursionError), though well under MAX_BODY.
        (
            b'{"text":' + b"[" * 5000 + b"]" * 5000 + b"}",
            "The body must be a JSON object in UTF-8.",
        ),
        (b'{"text": "first", "text": "second"}', "The field text is given more than once."),
        (
            b'{"text": "Hi", "asked_by": "a", "external_ref": "r", "asked_by": "b"}',
            "The field asked_by is given more than once.",
        ),
    ],
)
async def test_a_malformed_body_is_refused_with_a_message(
    hook: Hook, body: bytes, says: str
) -> None:
    status, answer = await hook.post(None, raw=body, token=hook.token)
    assert (status, answer) == (400, {"error": "bad_body", "message": says})
    assert await load(hook.store, Question) == []


async def test_a_malformed_body_without_a_token_reveals_nothing(hook: Hook) -> None:
    status, _ = await hook.post(None, raw=b"not json", token="wrong")
    assert status == 401


@pytest.mark.parametrize("chunked", [False, True], ids=["sized", "chunked"])
async def test_an_oversized_body_is_refused(hook: Hook, chunked: bool) -> None:
    body = json.dumps({"text": "x" * 3000, "asked_by": "y" * (MAX_BODY - 3000)}).encode()
    assert len(body) > MAX_BODY
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {hook.token}"}

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 1024):
            yield body[start : start + 1024]

    response = await hook.client.post(
        URL.format(NUMBER), data=pieces() if chunked else body, headers=headers
    )
    assert response.status == 413
    assert (await response.json())["error"] == "too_large"
    assert await load(hook.store, Question) == []


async def test_a_closed_account_takes_no_questions(hook: Hook) -> None:
    async with hook.store.transaction() as session:
        await closure.close_account(
            session, account_id=hook.account_id, actor_id=hook.cast.manager, reason="Done.",
            final_archive_location="W:/a", now=T0 + timedelta(hours=1),
        )
    status, answer = await hook.post({"text": "Hello?"}, token=hook.token)
    assert (status, answer["error"]) == (410, "account_closed")


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
async def test_anything_but_json_is_refused_with_415(hook: Hook, content_type: str) -> None:
    status, answer = await hook.post(
        {"text": "Hello?"}, token=hook.token, headers={"Content-Type": content_type}
    )
    assert (status, answer["error"]) == (415, "unsupported_media_type")
    assert await load(hook.store, Question) == []


@pytest.mark.parametrize("field", ["text", "asked_by", "external_ref"])
@pytest.mark.parametrize("bad", ["\\ud800", "\\udfff", "x\\ud83dy", "\\uffff"])
async def test_invalid_code_points_are_refused_not_a_500(hook: Hook, field: str, bad: str) -> None:
    fields = {"text": "Hi", field: "<BAD>"}
    raw = json.dumps(fields).replace("<BAD>", bad).encode()
    status, answer = await hook.post(None, raw=raw, token=hook.token)
    assert (status, answer["error"]) == (400, "bad_body")
    assert field in answer["message"]
    assert await load(hook.store, Question) == []


async def test_text_is_normalised_where_it_enters(hook: Hook) -> None:
    raw = json.dumps(
        {"text": "Cafe\u0301\x00 open\r\nnow?\x1b[31m", "asked_by": "E\u0301va\x07"}
    ).encode()
    status, _ = await hook.post(None, raw=raw, token=hook.token)
    assert status == 201
    [question] = await load(hook.store, Question)
    assert question.text == "Café open\nnow?[31m"
    assert question.asked_by == "Éva"


@pytest.mark.parametrize(
    "received_at",
    [
        "0001-01-01T00:00:00+14:00",  # no UTC time: it would be in year 0
        "9999-12-31T23:59:59-14:00",  # nor here: year 10000
        "0001-01-01T00:00:00+00:00",
        "1999-12-31T23:59:59+00:00",
        "2000-01-01T23:59:59+00:00",  # 1999 where the bot's time zone is west of UTC
        "2027-03-02T09:00:01+00:00",  # more than a day after now (T0)
        "2999-03-01T09:00:00+00:00",
    ],
)
async def test_a_received_at_out_of_range_is_refused_not_a_500(
    hook: Hook, received_at: str
) -> None:
    status, answer = await hook.post({"text": "Hi", "received_at": received_at},
                                     token=hook.token)
    assert (status, answer) == (400, {
        "error": "bad_body",
        "message": "received_at must be between 2000-01-02T00:00:00+00:00 and a day from now.",
    })
    assert await load(hook.store, Question) == []


@pytest.mark.parametrize(
    ("received_at", "stored"),
    [
        ("2000-01-02T00:00:00+00:00", datetime(2000, 1, 2, tzinfo=UTC)),
        ("2000-01-02T15:00:00+14:00", datetime(2000, 1, 2, 1, tzinfo=UTC)),
        ("2027-03-01T10:00:00+00:00", T0),  # a fast clock: counts as now
        ("2027-03-02T09:00:00+00:00", T0),
    ],
)
async def test_a_received_at_in_range_is_taken(
    hook: Hook, received_at: str, stored: datetime
) -> None:
    status, _ = await hook.post({"text": "Hi", "received_at": received_at}, token=hook.token)
    assert status == 201
    [question] = await load(hook.store, Question)
    assert question.received_at == stored


@pytest.mark.parametrize("token", [b"kbq_\xff\xfe", b"\xed\xa0\x80\xff", b"kbq_\xc3"])
@pytest.mark.parametrize("number", [NUMBER, "SOME-2027-0099"], ids=["known", "unknown"])
async def test_a_token_that_is_not_utf8_is_a_wrong_token_not_a_500(
    hook: Hook, token: bytes, number: str
) -> None:
    response = await raw_request(
        hook.client, "POST", URL.format(number),
        [(b"Content-Type", b"application/json"), (b"Authorization", b"Bearer " + token)],
        b'{"text": "Hello?"}',
    )
    assert response.status == 401
    assert json.loads(response.body)["error"] == "unauthorised"
    assert await load(hook.store, Question) == []


async def test_retries_arriving_at_once_store_the_question_once(hook: Hook) -> None:
    # Several deliveries of one question at once (the other tool retrying on a timeout):
    # one stores it, the others get it back; none gets a 500 (a unique violation).
    body = {"text": "Retry me?", "external_ref": "crm-race"}
    answers = await asyncio.gather(*(hook.post(body, token=hook.token) for _ in range(8)))
    [question] = await load(hook.store, Question)
    assert sorted(status for status, _ in answers) == [200] * 7 + [201]
    assert {(answer["id"], answer["created"], status) for status, answer in answers} == {
        (question.id, True, 201), (question.id, False, 200)
    }
    events = await load(hook.store, AuditEvent, AuditEvent.action == "question.received")
    assert len(events) == 1


@contextlib.contextmanager
def write_lock_held(store: Store) -> Iterator[None]:
    """Another process's writer in the middle of its transaction: the store's writers' gate
    (data.db.WriteGate) and SQLite's write lock held, on connections of their own."""
    assert store.gate is not None
    gate = os.open(store.gate.writers, os.O_RDWR | os.O_CREAT)
    writer = sqlite3.connect(store.gate.database, isolation_level=None)
    try:
        fcntl.flock(gate, fcntl.LOCK_EX)
        writer.execute("BEGIN IMMEDIATE")
        yield
    finally:
        writer.close()
        os.close(gate)


async def test_a_held_write_lock_holds_up_no_wrong_token_and_gives_503s(
    hook: Hook, caplog: pytest.LogCaptureFixture
) -> None:
    if not is_sqlite(hook.store.engine):
        pytest.skip("SQLite's write lock")
    # How long a writer waits for the lock (the store's busy timeout): short, so that a
    # request that does wait for the lock is answered (503) instead of the test hanging.
    hook.store.busy_timeout = 0.5
    with write_lock_held(hook.store), caplog.at_level(logging.INFO):
        # A wrong token is refused without taking (or waiting for) the write lock: 401, not
        # a 503 after the busy timeout.
        wrong = await hook.post({"text": "Hello?"}, token="kbq_wrong")
        unknown = await hook.post({"text": "Hello?"}, token="kbq_wrong", number="SOME-2027-0099")
        assert wrong[0] == unknown[0] == 401
        # The right one waits for the lock and, out of patience, is told to come back later:
        # JSON with Retry-After, not aiohttp's plain-text 500.
        response = await hook.client.post(
            URL.format(NUMBER), json={"text": "Secret question?"},
            headers={"Authorization": f"Bearer {hook.token}"},
        )
        assert response.status == 503
        assert response.headers["Retry-After"] == "5"
        assert await response.json() == {
            "error": "unavailable",
            "message": "The database is busy or unreachable; try again later.",
        }
    said = [record for record in caplog.records if record.name == "bot.webhooks"]
    assert [record.getMessage() for record in said] == [
        "question webhook: database unavailable (TimeoutError)"
    ]
    assert "Secret question" not in caplog.text
    # Once the lock is let go, the retry is taken.
    assert (await hook.post({"text": "Secret question?"}, token=hook.token))[0] == 201


async def test_a_wrong_token_runs_the_same_queries_for_known_and_unknown_accounts(
    hook: Hook,
) -> None:
    # Timing must not tell whether an account number exists: the same statements run.
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    engine = hook.store.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        ran: dict[str, list[str]] = {}
        for number in (NUMBER, "SOME-2027-0099"):
            statements.clear()
            status, _ = await hook.post({"text": "Hello?"}, token="kbq_wrong", number=number)
            assert status == 401
            ran[number] = list(statements)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert ran[NUMBER] == ran["SOME-2027-0099"]
    assert any("webhook_token" in statement for statement in ran[NUMBER])
