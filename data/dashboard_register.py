"""The dashboard's register, a page at a time: filters, search and sort run in the database,
and only the shown page's teams, names and compliance are loaded, so a page costs the same at
ten thousand accounts as at ten.

What the viewer may see is data.dashboard's rule (the comms office everything; anyone else the
accounts they manage or are on the team of), expressed here as SQL. The order and the matches
are those of the register in memory (bot/web/dashboard/table.py's `choose`, which the tests
hold this to): text compared case-folded, ties by number, whichever way a column runs.
Compliance comes from the stored rows (data.compliance_rows): sorting and filtering by it run
in SQL while every matching account's row is current; when one is not (no refresh since a
change or since midnight), each matching account's compliance is worked out before the page is
cut, as it is for sorting by team (the team's names in rota order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, or_
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import compliance_rows, like, people, register
from data.chunks import chunks
from data.dashboard import Viewer
from data.dashboard_overview import COMPLIANCE_FILTERS, AccountState
from data.models import Account, AccountCompliance, AccountMember, Person
from data.policy import NudgeConfig

PER_PAGE = 50
SORTS = ("number", "platform", "handle", "unit", "team", "manager", "status", "compliance")


@dataclass(frozen=True)
class Wanted:
    """What the person asked for (bot/web/dashboard/table.py's Choice, already checked)."""

    unit: str = ""
    platform: str = ""
    status: str = ""
    compliance: str = ""
    q: str = ""
    sort: str = "number"
    direction: str = "asc"
    page: int = 1


@dataclass(frozen=True)
class Row:
    account: Account
    # Display names, the team in rota order.
    team: tuple[str, ...]
    manager: str
    state: AccountState | None

    @property
    def flags(self) -> tuple[str, ...]:
        return self.state.flags if self.state is not None else ()


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    # Accounts the viewer may see, and those matching the filters.
    total: int
    matched: int
    page: int
    pages: int
    units: list[str]
    platforms: list[str]


# Text with a character outside ASCII (SQLite's GLOB compares code points).
_NOT_ASCII = "*[^\x01-\x7f]*"


def fold(session: AsyncSession, value: Any) -> Any:
    """Case-folded text: PostgreSQL's lower() (Unicode-aware); on SQLite, whose lower() folds
    ASCII only, the built-in lower() for ASCII text (where it is str.casefold) and kb_fold
    (data.db, a Python call per value) only for text with other characters, so that a search
    or sort over the whole register runs in SQLite's C for most rows."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    if dialect == "postgresql":
        return func.lower(value)
    return case(
        (value.op("GLOB")(literal(_NOT_ASCII)), func.kb_fold(value)), else_=func.lower(value)
    )


def ordered(session: AsyncSession, value: Any) -> Any:
    """Text in code point order, as Python sorts it (PostgreSQL: the "C" collation)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return value.collate("C") if dialect == "postgresql" else value


def _like(text: str) -> str:
    return f"%{like.literal(text)}%"


def visible(viewer: Viewer) -> Any:
    """The condition on Account for the accounts the viewer may see (data.dashboard)."""
    if viewer.sees_all:
        return literal(True)
    member_of = select(AccountMember.account_id).where(
        AccountMember.person_id == viewer.person_id
    )
    return or_(col(Account.id).in_(member_of), col(Account.manager_id) == viewer.person_id)


async def register_page(
    session: AsyncSession,
    viewer: Viewer,
    wanted: Wanted,
    *,
    now: datetime,
    config: NudgeConfig,
    per_page: int = PER_PAGE,
) -> Page:
    manager = aliased(Person)
    seen = visible(viewer)
    where: list[Any] = [seen]
    if wanted.unit:
        where.append(col(Account.unit) == wanted.unit)
    if wanted.platform:
        where.append(col(Account.platform) == wanted.platform)
    if wanted.status:
        where.append(col(Account.status) == wanted.status)
    if wanted.q:
        pattern = _like(wanted.q.casefold())
        # The people whose names match, found once per statement (uncorrelated subqueries,
        # which both databases run once), not once for each account they manage or are on
        # the team of.
        named = select(Person.id).where(
            fold(session, col(Person.display_name)).like(pattern, escape="\\")
        )
        in_team = col(Account.id).in_(
            select(AccountMember.account_id).where(col(AccountMember.person_id).in_(named))
        )
        where.append(or_(
            *(fold(session, column).like(pattern, escape="\\") for column in (
                col(Account.number), col(Account.platform), col(Account.handle),
                col(Account.unit),
            )),
            col(Account.manager_id).in_(named),
            in_team,
        ))
    matching: Any = (
        select(Account.id)
        .join(manager, col(manager.id) == col(Account.manager_id))
        .where(and_(*where))
    )
    total = (await session.exec(select(func.count()).select_from(Account).where(seen))).one()
    units = sorted(
        (await session.exec(select(Account.unit).where(seen).distinct())).all(), key=str.casefold
    )
    platforms = sorted((await session.exec(select(Account.platform).where(seen).distinct())).all())

    descending = wanted.direction == "desc"
    by_compliance = wanted.sort == "compliance" or bool(wanted.compliance)
    if wanted.sort == "team" or (
        # The stored compliance serves only while every matching account's row is current
        # (data.compliance_rows); else each is worked out, as for the team.
        by_compliance and await compliance_rows.not_current(session, now, config, matching) > 0
    ):
        ids = await _in_memory(session, matching, wanted, now=now, config=config)
        matched = len(ids)
        pages = max(1, -(-matched // per_page))
        page = min(max(1, wanted.page), pages)
        shown = ids[(page - 1) * per_page: page * per_page]
    else:
        if by_compliance:
            matching = matching.join(
                AccountCompliance, col(AccountCompliance.account_id) == col(Account.id)
            )
            if wanted.compliance:
                matching = matching.where(compliance_rows.has_flag(wanted.compliance))
        matched = (
            await session.exec(select(func.count()).select_from(matching.subquery()))
        ).one()
        pages = max(1, -(-matched // per_page))
        page = min(max(1, wanted.page), pages)
        keys: dict[str, Any] = {
            "number": col(Account.number),
            "platform": ordered(session, fold(session, col(Account.platform))),
            "handle": ordered(session, fold(session, col(Account.handle))),
            "unit": ordered(session, fold(session, col(Account.unit))),
            "manager": ordered(session, fold(session, col(manager.display_name))),
            "status": col(Account.status),
            "compliance": ordered(session, col(AccountCompliance.rank)),
        }
        key = keys[wanted.sort]
        number = ordered(session, col(Account.number))
        if wanted.sort in ("number", "status"):
            key = ordered(session, key)
        statement = (
            matching.order_by(key.desc() if descending else key.asc(), number.asc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
        shown = list(await session.exec(statement))
    rows = await rows_of(session, [i for i in shown if i is not None], now=now, config=config)
    return Page(rows, total, matched, page, pages, units, platforms)


async def rows_of(
    session: AsyncSession, ids: Sequence[int], *, now: datetime, config: NudgeConfig
) -> list[Row]:
    """The register rows of these accounts, in this order."""
    if not ids:
        return []
    found: dict[int, Account] = {}
    for piece in chunks(ids):
        found.update(
            (a.id, a) for a in await session.exec(select(Account).where(col(Account.id).in_(piece)))
            if a.id is not None
        )
    accounts = [found[i] for i in ids if i in found]
    teams = await register.teams_of(session, list(found))
    known = await people.people_by_id(
        session, {a.manager_id for a in accounts} | {p for t in teams.values() for p in t}
    )
    states = await compliance_rows.states(session, now, config, accounts)

    def name(person_id: int) -> str:
        return known[person_id].display_name if person_id in known else ""

    return [
        Row(
            account=a,
            team=tuple(name(p) for p in teams.get(a.id or 0, [])),
            manager=name(a.manager_id),
            state=states.get(a.id or 0),
        )
        for a in accounts
    ]


async def _in_memory(
    session: AsyncSession, matching: Any, wanted: Wanted, *, now: datetime, config: NudgeConfig
) -> list[int]:
    """The matching ids in the order asked for, for what SQL cannot order or filter by: the
    team's names (rota order) and the compliance flags."""
    ids = [i for i in await session.exec(matching.order_by(col(Account.number))) if i is not None]
    rows = await rows_of(session, ids, now=now, config=config)
    if wanted.compliance == "ok":
        rows = [r for r in rows if not r.flags]
    elif wanted.compliance:
        rows = [r for r in rows if wanted.compliance in r.flags]
    order = {name: n for n, name in enumerate(COMPLIANCE_FILTERS)}

    def key(row: Row) -> Any:
        a = row.account
        if wanted.sort == "team":
            return tuple(name.casefold() for name in row.team)
        if wanted.sort == "compliance":
            flags = row.flags
            return flags == ("closed",), len(flags), tuple(order[f] for f in flags)
        return {
            "number": a.number, "platform": a.platform.casefold(),
            "handle": a.handle.casefold(), "unit": a.unit.casefold(),
            "manager": row.manager.casefold(), "status": a.status,
        }[wanted.sort]

    # `rows` come by number: the stable sort keeps that order between equals, either way.
    rows = sorted(rows, key=key, reverse=wanted.direction == "desc")
    return [r.account.id for r in rows if r.account.id is not None]
