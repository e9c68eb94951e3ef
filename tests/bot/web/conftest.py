"""The dashboard in-process: the real app on a test server over a database of each kind (the
`store` fixture), with a small register in it and the clock fixed (movable by hand).

The register: Anna Berg runs an Instagram account with Bo Ek, managed by Dan Holm; Cia Lund
runs an X account with a team member whose display name is markup, managed by Filip Sjö, and
had a Facebook account that is now closed. Eva Strand is in the communications office.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.settings import Settings
from data import closure, questions, signin
from data.db import Store
from data.models import Account
from tests.helpers import KEY, T0, Clock, id_of, make_person, make_roles
from tests.helpers.accounts import register
from tests.helpers.web import MODERN

SESSION = "kontobot_session"

EVIL_NAME = '<script>alert("name")</script>'
EVIL_QUESTION = "Is the lab open? <script>alert('question')</script>"


@dataclass(frozen=True)
class World:
    store: Store
    url: str
    anna: int
    bo: int
    cia: int
    dan: int
    eva: int
    filip: int
    evil: int
    neuro: Account
    medicine: Account
    closed: Account


def database_url(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


@pytest.fixture
async def world(store: Store) -> World:
    before = T0 - timedelta(days=40)
    async with store.transaction() as session:
        names = ["Anna Berg", "Bo Ek", "Cia Lund", "Dan Holm", "Eva Strand", "Filip Sjö"]
        ids = [
            id_of(await make_person(session, before, name,
                                    email=f"{name.split()[0].lower()}@ki.example"))
            for name in names
        ]
        evil = id_of(await make_person(session, before, EVIL_NAME, ext="evil"))
        await make_roles(session, before, comms={ids[4]})
    anna, bo, cia, dan, eva, filip = ids
    neuro = await register(store, requester=anna, team=(bo,), manager=dan, now=before,
                           handle="ki_neuroscience")
    medicine = await register(
        store, requester=cia, team=(evil,), manager=filip, now=before + timedelta(days=1),
        platform="x", handle="ki_medicine", unit="Department of Medicine",
    )
    closed = await register(
        store, requester=cia, team=(evil,), manager=filip, now=before + timedelta(days=2),
        platform="facebook", handle="ki.medicine.old", unit="Department of Medicine",
    )
    async with store.transaction() as session:
        await questions.log_question(
            session, account_id=id_of_account(neuro), actor_id=anna, text=EVIL_QUESTION,
            now=T0 - timedelta(days=3), asked_by="A visitor",
        )
        await closure.close_account(
            session, account_id=id_of_account(closed), actor_id=cia, reason="Merged",
            final_archive_location="https://archive.example/ki.medicine.old", now=T0 - timedelta(days=5),
        )
    return World(store, database_url(store), anna, bo, cia, dan, eva, filip, evil,
                 neuro, medicine, closed)


def id_of_account(account: Account) -> int:
    assert account.id is not None
    return account.id


@asynccontextmanager
async def running(
    world: World, clock: Callable[[], Any] | None = None, **settings: Any
) -> AsyncIterator[TestClient[Any, Any]]:
    """The app over the world's database, its clock fixed at T0 unless given; pages in
    English unless a person or `default_locale` says otherwise."""
    settings.setdefault("default_locale", "en")
    app = create_app(
        Settings(database_url=world.url, _env_file=None, **settings),
        web_chat_enabled=False,
        clock=clock or Clock(T0),
    )
    async with TestClient(TestServer(app)) as client:
        yield client


@pytest.fixture
async def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
async def client(world: World, clock: Clock) -> AsyncIterator[TestClient[Any, Any]]:
    async with running(world, clock) as client:
        yield client


async def link_for(world: World, person_id: int, now: Any = T0) -> str:
    async with world.store.transaction() as session:
        return await signin.issue_link(session, key=KEY, person_id=person_id, now=now)


async def sign_in(
    client: TestClient[Any, Any], world: World, person_id: int, now: Any = T0
) -> Browser:
    """A browser signed in as the person through the real sign-in form (a link issued at
    `now`)."""
    token = await link_for(world, person_id, now)
    response = await client.post("/dashboard/sign-in", data={"token": token},
                                 headers=MODERN, allow_redirects=False)
    assert response.status == 303, await response.text()
    cookie = response.cookies[SESSION].value
    # Each Browser sends its own cookie, so a test can have several people at once.
    client.session.cookie_jar.clear()
    return Browser(client, {SESSION: cookie})


class Browser:
    """A browser of today: it says where each request comes from (Sec-Fetch-Site), as if
    from the dashboard's own pages unless `headers` say otherwise; not `modern`: one that
    does not say (older browsers, scripts)."""

    def __init__(self, client: TestClient[Any, Any], cookies: dict[str, str] | None = None,
                 headers: dict[str, str] | None = None, *, modern: bool = True) -> None:
        self.client = client
        self.cookies = dict(cookies or {})
        self.headers = {**(MODERN if modern else {}), **(headers or {})}

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = dict(self.headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {**headers, **(extra or {})}

    async def get(self, path: str, **kwargs: Any) -> ClientResponse:
        self.client.session.cookie_jar.clear()
        return await self.client.get(path, headers=self._headers(kwargs.pop("headers", None)),
                                     allow_redirects=False, **kwargs)

    async def post(self, path: str, data: dict[str, str], **kwargs: Any) -> ClientResponse:
        self.client.session.cookie_jar.clear()
        return await self.client.post(path, data=data,
                                      headers=self._headers(kwargs.pop("headers", None)),
                                      allow_redirects=False, **kwargs)

    async def page(self, path: str, expect: int = 200) -> str:
        response = await self.get(path)
        body = await response.text()
        assert response.status == expect, (path, response.status, body)
        return body


def text_of(html: str) -> str:
    """What a person reads: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def register_numbers(html: str) -> list[str]:
    """The account numbers of the register table's rows, in order."""
    return re.findall(r'<th scope="row"><a href="/dashboard/accounts/[^"]+">([^<]+)</a>', html)
