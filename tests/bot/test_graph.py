"""bot/graph.py against a fake identity platform and a fake Graph: the app-only token, a
lookup, a token Graph refuses (refreshed once), a person without a manager, throttling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.graph import GraphDirectory
from bot.keys import BRAIN
from bot.settings import Settings
from data import directory
from data.db import Store
from data.directory import DirectoryEntry, DirectoryUnavailable
from data.models import StaffEntry
from dialogs.engine import Reply
from dialogs.events import Action, Command, Sender
from dialogs.router import Brain
from tests.helpers import T0, Clock, load, make_person, store_urgently
from tests.helpers.chat import buttons
from tests.helpers.fake_graph import CLIENT_ID, CLIENT_SECRET, TENANT, FakeGraph, fake_graph
from tests.helpers.journey import in_progress


@pytest.fixture
async def graph(tmp_path: Path) -> AsyncIterator[FakeGraph]:
    async with fake_graph(tmp_path) as fake:
        fake.add_user("aad-cecilia", "Cecilia Carlsson", "Cecilia.Carlsson@ki.se", "Neuroscience")
        fake.add_user("aad-anna", "Anna Andersson", "anna.andersson@ki.se", "Neuroscience",
                      manager="aad-cecilia")
        yield fake


class Sleeps:
    def __init__(self) -> None:
        self.waited: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waited.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def client(graph: FakeGraph, sleeps: Sleeps) -> AsyncIterator[GraphDirectory]:
    async with aiohttp.ClientSession() as http:
        client = GraphDirectory(
            http,
            tenant_id=TENANT,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            graph_url=graph.graph_url,
            authority_url=graph.identity_url,
            sleep=sleeps,
            identity_http_client=graph.identity_client(),
        )
        yield client
        await client.close()


ANNA = DirectoryEntry(
    email="anna.andersson@ki.se",
    name="Anna Andersson",
    unit="Neuroscience",
    manager_email="Cecilia.Carlsson@ki.se",
    manager_name="Cecilia Carlsson",
    aad_id="aad-anna",
)


async def test_a_lookup_gets_a_token_once_and_the_person_with_their_manager(
    graph: FakeGraph, client: GraphDirectory
) -> None:
    assert await client.lookup("anna.andersson@ki.se") == ANNA
    assert await client.lookup("aad-anna") == ANNA
    # One token, by the client-credentials flow, for Graph's own scope; msal cached it.
    assert graph.issued == ["token-1"]
    [form] = graph.token_requests
    assert form["grant_type"] == "client_credentials"
    assert form["scope"] == f"{graph.graph_url.split('/v1.0/')[0]}/.default"
    assert [(c.path, c.token) for c in graph.calls[:2]] == [
        ("users/anna.andersson@ki.se", "token-1"),
        ("users/anna.andersson@ki.se/manager", "token-1"),
    ]
    assert graph.calls[0].query == {
        "$select": "id,displayName,mail,userPrincipalName,department"
    }
    assert await client.lookup("nobody@ki.se") is None


async def test_a_person_without_a_manager(client: GraphDirectory) -> None:
    found = await client.lookup("cecilia.carlsson@ki.se")
    assert found is not None
    assert (found.email, found.manager_email, found.manager_name) == (
        "Cecilia.Carlsson@ki.se", None, None,
    )


async def test_a_refused_token_is_replaced_once_and_the_call_retried(
    graph: FakeGraph, client: GraphDirectory
) -> None:
    assert await client.lookup("anna.andersson@ki.se") == ANNA
    graph.revoked.add("token-1")  # expired early, as far as Graph is concerned
    assert await client.lookup("anna.andersson@ki.se") == ANNA
    assert graph.issued == ["token-1", "token-2"]
    assert [(c.status, c.token) for c in graph.calls[2:]] == [
        (401, "token-1"), (200, "token-2"), (200, "token-2"),
    ]
    # A token refused again is not chased forever: the directory is unavailable for now.
    graph.scripted += [(401, {}), (401, {})]
    with pytest.raises(DirectoryUnavailable):
        await client.lookup("anna.andersson@ki.se")
    assert len(graph.issued) == 3


async def test_throttling_is_waited_out_as_graph_asks(
    graph: FakeGraph, client: GraphDirectory, sleeps: Sleeps
) -> None:
    graph.scripted += [(429, {"Retry-After": "3"}), (429, {"Retry-After": "1"})]
    assert await client.lookup("anna.andersson@ki.se") == ANNA
    assert sleeps.waited == [3.0, 1.0]
    assert [c.status for c in graph.calls] == [429, 429, 200, 200]
    # A wait longer than a conversation can take is not waited: the lookup gives up at once.
    graph.scripted += [(429, {"Retry-After": "120"})]
    with pytest.raises(DirectoryUnavailable):
        await client.lookup("anna.andersson@ki.se")
    assert sleeps.waited == [3.0, 1.0]


async def test_wrong_credentials_make_the_directory_unavailable(
    graph: FakeGraph, sleeps: Sleeps
) -> None:
    async with aiohttp.ClientSession() as http:
        wrong = GraphDirectory(
            http, tenant_id=TENANT, client_id=CLIENT_ID, client_secret="wrong",
            graph_url=graph.graph_url, authority_url=graph.identity_url, sleep=sleeps,
            identity_http_client=graph.identity_client(),
        )
        with pytest.raises(DirectoryUnavailable) as error:
            await wrong.lookup("anna.andersson@ki.se")
        await wrong.close()
    assert "invalid_client" in str(error.value)
    assert "wrong" not in str(error.value)
    assert graph.calls == []


async def test_lookups_are_cached_in_the_directory_tables(
    store: Store, graph: FakeGraph, client: GraphDirectory
) -> None:
    async with store.transaction() as session:
        found = await directory.find(session, "anna.andersson@ki.se", now=T0, remote=client)
        assert found is not None and found.manager_email == "cecilia.carlsson@ki.se"
    async with store.transaction() as session:
        await directory.find(session, "anna.andersson@ki.se", now=T0, remote=client)
    assert len(graph.calls) == 2
    rows = {e.email: e for e in await load(store, StaffEntry)}
    assert rows["anna.andersson@ki.se"].fetched_at == T0
    assert rows["anna.andersson@ki.se"].unit == "Neuroscience"
    assert rows["cecilia.carlsson@ki.se"].name == "Cecilia Carlsson"


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
async def test_open_account_asks_graph_before_its_turn_takes_the_write_lock(
    store: Store, graph: FakeGraph, client: GraphDirectory
) -> None:
    """On SQLite an acknowledgement waits for the write lock, which a turn holds: /open-account
    asks Graph before its turn's transaction, so an event stored meanwhile never waits for
    Graph, and the turns that propose the unit find the answer stored."""
    async with store.transaction() as session:
        await make_person(session, T0, "Cecilia Carlsson", email="cecilia.carlsson@ki.se")
    brain = Brain(store, directory=client)
    anna = Sender("web", "anna", "Anna Andersson", "anna.andersson@ki.se", "en")
    graph.held = asyncio.Event()

    async def walk() -> list[Reply]:
        await brain.handle(Command(anna, "open-account"), T0)
        await brain.handle(Action(anna, "dlg:platform:choose", await in_progress(store, anna),
                                  selected=("instagram",)), T0)
        return await brain.handle(
            Action(anna, "dlg:handle:choose", await in_progress(store, anna), text="x"), T0
        )

    walking = asyncio.create_task(walk())
    try:
        await asyncio.wait_for(graph.asked.wait(), timeout=20)
        await asyncio.wait_for(store_urgently(store), timeout=10)  # Graph has not answered yet
    finally:
        graph.held.set()
        replies = await walking
    [reply] = [r for r in replies if not r.in_place]
    assert [b.label for b in buttons(reply.message) if b.action == "dlg:unit:accept"] == [
        "Use Neuroscience"
    ]
    assert [c.path for c in graph.calls] == [
        "users/anna.andersson@ki.se", "users/anna.andersson@ki.se/manager",
    ]


async def test_the_server_asks_graph_when_configured(
    store: Store, graph: FakeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app wired with KONTOBOT_GRAPH_*: /open-account proposes Graph's manager."""
    # msal's own HTTP client must trust the fake's certificate: requests reads this.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(graph.certificate))
    async with store.transaction() as session:
        await make_person(session, T0, "Cecilia Carlsson", email="cecilia.carlsson@ki.se")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=store.engine.url.render_as_string(hide_password=False),
        graph_tenant_id=TENANT, graph_client_id=CLIENT_ID, graph_client_secret=CLIENT_SECRET,
        graph_url=graph.graph_url, graph_authority=graph.identity_url, default_locale="en",
    )
    app = create_app(settings, web_chat_enabled=False, clock=Clock(T0))
    async with TestClient(TestServer(app)):
        brain = app[BRAIN]
        anna = Sender("web", "anna", "Anna Andersson", "anna.andersson@ki.se", "en")
        await brain.handle(Command(anna, "open-account"), T0)
        await brain.handle(Action(anna, "dlg:platform:choose", await in_progress(store, anna),
                                  selected=("instagram",)), T0)
        # The handle answered by a click: its card rewritten (in place), then the unit asked.
        handle = Action(anna, "dlg:handle:choose", await in_progress(store, anna), text="x")
        [reply] = [r for r in await brain.handle(handle, T0) if not r.in_place]
    assert [b.label for b in buttons(reply.message) if b.action == "dlg:unit:accept"] == [
        "Use Neuroscience"
    ]
    assert graph.issued == ["token-1"]
    assert [c.path for c in graph.calls] == [
        "users/anna.andersson@ki.se", "users/anna.andersson@ki.se/manager",
    ]


def test_half_a_graph_configuration_is_refused() -> None:
    settings = Settings(_env_file=None, graph_tenant_id=TENANT)  # type: ignore[call-arg]
    with pytest.raises(RuntimeError, match="KONTOBOT_GRAPH_CLIENT_ID"):
        assert settings.graph_configured
    assert not Settings(_env_file=None).graph_configured  # type: ignore[call-arg]
