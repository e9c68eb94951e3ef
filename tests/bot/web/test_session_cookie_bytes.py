"""A dashboard session cookie whose bytes are not UTF-8 (aiohttp hands them on as lone
surrogates) opens nothing, like any other unknown cookie: 401, not a 500. Sent over a raw
connection: aiohttp's client refuses such header bytes."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.bot.web.conftest import SESSION, World
from tests.helpers.raw_http import raw_request

COOKIES = [b"\xed\xa0\x80\xff", b"\xff\xfe", b"made-up\xc3"]


@pytest.mark.parametrize("cookie", COOKIES)
@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/dashboard"), ("POST", "/dashboard/sign-out")]
)
async def test_a_cookie_that_is_not_utf8_is_no_session(
    client: TestClient[Any, Any], world: World, cookie: bytes, method: str, path: str
) -> None:
    response = await raw_request(
        client, method, path, [(b"Cookie", SESSION.encode() + b"=" + cookie)]
    )
    assert response.status == 401, response.head
    assert b'WWW-Authenticate: KontobotLink realm="kontobot dashboard"' in response.head
    assert b"How to sign in to the dashboard" in response.body
