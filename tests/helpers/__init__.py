"""Building blocks for tests: people, roles and requests made through the domain operations."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import func, inspect, text
from sqlalchemy.sql import ColumnElement
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import people, requests, rules
from data.db import Store
from data.models import AccountRequest, Decision, Person, Role

# A Monday morning in Stockholm.
T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
# The secret key apps built in tests sign sign-in links with (tests/conftest.py sets it as
# KONTOBOT_SECRET_KEY); KEY is what bot.secret_key.load makes of it.
SECRET = "kontobot-tests-secret-key-0123456789abcdef"
KEY = SECRET.encode()


class Clock:
    """A clock the test moves by hand: servers read it instead of the wall clock."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta

M = TypeVar("M", bound=SQLModel)


async def make_person(
    session: AsyncSession,
    now: datetime,
    name: str,
    platform: str = "web",
    ext: str | None = None,
    locale: str = "en",
    email: str | None = None,
) -> Person:
    """A person with one chat identity; `ext` defaults to the name in lower case, dotted."""
    return await people.ensure_person(
        session,
        now=now,
        platform=platform,
        external_id=ext or name.lower().replace(" ", "."),
        display_name=name,
        email=email,
        locale=locale,
    )


def id_of(person: Person) -> int:
    assert person.id is not None
    return person.id


async def make_roles(
    session: AsyncSession,
    now: datetime,
    *,
    platform: str = "web",
    director: set[int] | None = None,
    comms: set[int] | None = None,
) -> None:
    """Make exactly these people hold the roles given (on `platform`); others stay as they are."""
    for role, holders in ((Role.DIRECTOR, director), (Role.COMMS, comms)):
        if holders is not None:
            await people.set_role_holders(
                session, now=now, role=role.value, platform=platform, person_ids=holders
            )


def request_input(
    *, manager_id: int, team_ids: tuple[int, ...], **overrides: Any
) -> requests.RequestInput:
    """A request that passes every rule; `overrides` replace single answers."""
    given = requests.RequestInput(
        platform="instagram",
        handle="ki_neuroscience",
        unit="Department of Neuroscience",
        scope="unit",
        purpose="Show the department's research to prospective students.",
        objectives="Two posts a week about ongoing projects.",
        target_group="Prospective master's students",
        benefit="More applicants to the department's programmes.",
        team_ids=team_ids,
        manager_id=manager_id,
        monitoring="Checked every working day by the team in turn.",
        holiday_cover="The unit's communicator covers holidays.",
        response_time="24h",
        acknowledgements=rules.ACKNOWLEDGEMENTS,
    )
    return replace(given, **overrides)


@dataclass(frozen=True)
class Cast:
    """The people around a typical request, all known on the web console."""

    requester: int
    colleague: int
    second_colleague: int
    manager: int
    director: int
    outsider: int


async def make_cast(store: Store, now: datetime = T0) -> Cast:
    async with store.transaction() as session:
        names = ["Anna Berg", "Bo Ek", "Cia Lund", "Dan Holm", "Eva Strand", "Filip Sjö"]
        cast = Cast(*[id_of(await make_person(session, now, name)) for name in names])
        await make_roles(session, now, director={cast.director})
    return cast


async def submit(
    store: Store,
    cast: Cast,
    now: datetime = T0,
    *,
    revise_id: int | None = None,
    **overrides: Any,
) -> AccountRequest:
    """The cast's requester files a valid request (answers replaced by `overrides`)."""
    overrides.setdefault("manager_id", cast.manager)
    overrides.setdefault("team_ids", (cast.colleague,))
    async with store.transaction() as session:
        return await requests.submit(
            session,
            requester_id=cast.requester,
            given=request_input(**overrides),
            now=now,
            revise_id=revise_id,
        )


async def decide(
    store: Store,
    request_id: int,
    actor_id: int,
    decision: Decision = Decision.APPROVE,
    now: datetime = T0,
    **options: Any,
) -> requests.Outcome:
    """requests.decide in a transaction of its own, as one click is."""
    async with store.transaction() as session:
        return await requests.decide(
            session, request_id=request_id, actor_id=actor_id, decision=decision, now=now,
            **options,
        )


async def load(store: Store, model: type[M], *where: ColumnElement[bool] | bool) -> list[M]:
    """Rows of `model` matching `where`, by primary key."""
    async with store.transaction() as session:
        statement = select(model).where(*where).order_by(*inspect(model).primary_key)
        return list(await session.exec(statement))


async def count(store: Store, model: type[SQLModel], *where: ColumnElement[bool] | bool) -> int:
    async with store.transaction() as session:
        statement = select(func.count()).select_from(model).where(*where)
        return (await session.exec(statement)).one()


async def store_urgently(store: Store) -> None:
    """Begin and end an urgent writing transaction, as storing an event before its
    acknowledgement does (on SQLite it waits for the write lock)."""
    async with store.transaction(urgent=True) as session:
        await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
