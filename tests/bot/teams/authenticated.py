"""Teams with an app id, a password and KI's tenant, against the fake Microsoft identity
platform (tests/helpers/fake_identity.py): what the tests of tokens share. The `identity`
fixture (conftest) serves the platform; `authenticated_teams` runs the app trusting it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.teams import MODE
from data.models import ChatIdentity, InboxEvent, Outbox, Person
from tests.bot.teams.rig import TENANT, TeamsRig, running_teams
from tests.helpers import count
from tests.helpers.fake_identity import FakeIdentity, new_key

APP_ID = "11111111-2222-3333-4444-555555555555"
PASSWORD = "the-bots-client-secret"
TRUSTED = new_key()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def identity_platform(directory: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeIdentity]:
    fake = FakeIdentity(directory, keys={"trusted": TRUSTED})
    fake.start()
    # requests (botbuilder's and MSAL's HTTP client) trusts the fake's certificate.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fake.ca_bundle))
    try:
        yield fake
    finally:
        fake.stop()


@asynccontextmanager
async def authenticated_teams(
    database_url: str, identity: FakeIdentity, **overrides: Any
) -> AsyncIterator[TeamsRig]:
    """The app with an app id, trusting `identity`; nobody holds a role unless `overrides`
    say so."""
    settings: dict[str, Any] = {
        "microsoft_app_id": APP_ID,
        "microsoft_app_password": PASSWORD,
        "microsoft_app_tenant_id": TENANT,
        "teams_emulator": "off",
        "director_teams_id": None,
        "comms_teams_members": [],
        **overrides,
    }
    async with running_teams(database_url, auth_config=identity.auth_config(), **settings) as rig:
        assert rig.app[MODE] == "authenticated"
        yield rig


async def nothing_ran(rig: TeamsRig) -> None:
    assert await count(rig.store, Person) == 0
    assert await count(rig.store, ChatIdentity) == 0
    assert await count(rig.store, InboxEvent) == 0
    assert await count(rig.store, Outbox) == 0
    assert rig.fake.calls == []
