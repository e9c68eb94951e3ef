"""The monitoring rota: who of an account's team is on duty on a working day.

The rota order is AccountMember.position. Duty moves one step along it each working day (or
each week, per account: RotaSetting), counted from an anchor day; absent people and people who
said "I can't today" are skipped, so the next one in order takes the day. Nobody left means
nobody is on duty, and the manager must arrange cover.

`on_duty` is pure (the rules use it on the snapshot); the async helpers read the database for
one account, for /duty and for the check-in operation.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import access, audit, outbox
from data.access import DEFAULT_ZONE
from data.errors import Invalid, NotAllowed
from data.models import (
    Absence,
    Account,
    AccountMember,
    AccountStatus,
    CheckInKind,
    MonitoringCheckIn,
    RotaSetting,
    Rotation,
)


class WorkingDays(Protocol):
    """What the rota needs of the calendar (data.workdays.Calendar is one)."""

    def is_working_day(self, day: date) -> bool: ...

    def ordinal(self, day: date) -> int: ...


@dataclass(frozen=True)
class Rota:
    account_id: int
    rotation: str
    anchor: date
    # Person ids in rota order.
    order: tuple[int, ...]


# Read once: an enum member's .value is a descriptor call (this runs for every account).
_WEEK = Rotation.WEEK.value


def nominal_index(rotation: str, anchor: date, day: date, calendar: WorkingDays) -> int:
    """How many steps along the order `day` is from the anchor (may be negative)."""
    if rotation == _WEEK:
        start = anchor - timedelta(days=anchor.weekday())
        this = day - timedelta(days=day.weekday())
        return (this - start).days // 7
    # The first working day on or after the anchor is step 0.
    return calendar.ordinal(day) - calendar.ordinal(anchor - timedelta(days=1)) - 1


def on_duty(
    order: Sequence[int],
    rotation: str,
    anchor: date,
    day: date,
    unavailable: Collection[int],
    calendar: WorkingDays,
) -> int | None:
    """Who is on duty on `day`: None on a day that is not a working day, or when everyone in
    the order is unavailable."""
    if not order or not calendar.is_working_day(day):
        return None
    start = nominal_index(rotation, anchor, day, calendar) % len(order)
    for step in range(len(order)):
        person = order[(start + step) % len(order)]
        if person not in unavailable:
            return person
    return None


async def rota_of(session: AsyncSession, account_id: int, zone: ZoneInfo = DEFAULT_ZONE) -> Rota:
    """The account's rota: its setting (default per day from the registration day) and order."""
    account = await access.account(session, account_id)
    setting = await session.get(RotaSetting, account_id)
    order = await _order(session, account_id)
    if setting is None:
        return Rota(account_id, Rotation.DAY.value, access.today(account.registered_at, zone), order)
    return Rota(account_id, setting.rotation, setting.anchor, order)


async def set_rota(
    session: AsyncSession,
    *,
    account_id: int,
    actor_id: int,
    now: datetime,
    rotation: str | None = None,
    order: Sequence[int] | None = None,
    zone: ZoneInfo = DEFAULT_ZONE,
    only_if_changed: bool = False,
    holiday_duty: bool = True,
) -> Rota:
    """Change how duty rotates and/or the order of the team in the rota; the manager or a team
    member may. Counting starts again today with the first in the order, even when rotation
    and order stay as they are. The team is told (notice kind `rota_changed`, params
    {account_id, by, holiday_duty}: whether the rota runs on weekday holidays too, which the
    notice says). With `only_if_changed`, asking for the rota as it is (a second click,
    an old button) changes nothing, tells nobody and returns it unchanged.

    NotAllowed("not_team_or_manager") (an unknown account id too: a forged button learns
    nothing), MovedOn("account_closed"), Invalid("unknown_rotation"/"order_not_the_team")."""
    await check_changer(session, account_id, actor_id)
    current = await rota_of(session, account_id, zone)
    new_rotation = current.rotation if rotation is None else rotation
    if new_rotation not in (Rotation.DAY.value, Rotation.WEEK.value):
        raise Invalid("unknown_rotation", field="rotation")
    new_order = current.order if order is None else tuple(order)
    if sorted(new_order) != sorted(current.order) or len(set(new_order)) != len(new_order):
        raise Invalid("order_not_the_team", field="order")
    if only_if_changed and (new_rotation, new_order) == (current.rotation, current.order):
        return current
    anchor = access.today(now, zone)
    setting = await session.get(RotaSetting, account_id)
    if setting is None:
        setting = RotaSetting(account_id=account_id, rotation=new_rotation, anchor=anchor,
                              updated_at=now, updated_by=actor_id)
    else:
        setting.rotation, setting.anchor = new_rotation, anchor
        setting.updated_at, setting.updated_by = now, actor_id
    session.add(setting)
    if new_order != current.order:
        for position, person_id in enumerate(new_order):
            await session.exec(
                update(AccountMember)
                .where(
                    col(AccountMember.account_id) == account_id,
                    col(AccountMember.person_id) == person_id,
                )
                .values(position=position)
            )
    audit.record(
        session, now=now, actor_id=actor_id, action="rota.changed",
        subject=f"account:{account_id}", rotation=new_rotation, order=list(new_order),
        anchor=anchor.isoformat(),
    )
    for person_id in new_order:
        await outbox.enqueue(
            session,
            key=f"rota_changed:{account_id}:{now.isoformat()}:{person_id}",
            kind="rota_changed",
            now=now,
            recipient_id=person_id,
            params={"account_id": account_id, "by": actor_id, "holiday_duty": holiday_duty},
        )
    await session.flush()
    return Rota(account_id, new_rotation, anchor, new_order)


# How far ahead `restarted` looks for a working day (holidays never run this long).
_LOOKAHEAD = 31


def restarted(current: Rota, day: date, calendar: WorkingDays) -> Rota:
    """The same rota counted afresh from the first working day on or after `day`: whoever's
    turn that is comes first and everyone's turn stays where it was. A change of the team
    starts from here, so only the person who joins or leaves moves anyone's turn."""
    start = day
    for _ in range(_LOOKAHEAD):
        if calendar.is_working_day(start):
            break
        start += timedelta(days=1)
    if not current.order:
        return Rota(current.account_id, current.rotation, start, ())
    index = nominal_index(current.rotation, current.anchor, start, calendar) % len(current.order)
    order = current.order[index:] + current.order[:index]
    return Rota(current.account_id, current.rotation, start, order)


async def store(
    session: AsyncSession, changed: Rota, *, actor_id: int | None, now: datetime
) -> None:
    """Write `changed` as the account's rota: its setting, and the team's positions in its
    order (every person in the order must be on the team). For the domain operations that
    change the team (data.team), which check who may and tell the team themselves."""
    setting = await session.get(RotaSetting, changed.account_id)
    if setting is None:
        setting = RotaSetting(account_id=changed.account_id, rotation=changed.rotation,
                              anchor=changed.anchor, updated_at=now, updated_by=actor_id)
    else:
        setting.rotation, setting.anchor = changed.rotation, changed.anchor
        setting.updated_at, setting.updated_by = now, actor_id
    session.add(setting)
    for position, person_id in enumerate(changed.order):
        await session.exec(
            update(AccountMember)
            .where(
                col(AccountMember.account_id) == changed.account_id,
                col(AccountMember.person_id) == person_id,
            )
            .values(position=position)
        )


async def unavailable_on(session: AsyncSession, account_id: int, day: date) -> set[int]:
    """Team members away on `day` or who said they cannot monitor the account that day."""
    team = await _order(session, account_id)
    away = await session.exec(
        select(Absence.person_id).where(
            col(Absence.person_id).in_(team), Absence.first_day <= day, Absence.last_day >= day
        )
    )
    cannot = await session.exec(
        select(MonitoringCheckIn.person_id).where(
            MonitoringCheckIn.account_id == account_id,
            MonitoringCheckIn.day == day,
            MonitoringCheckIn.kind == CheckInKind.CANNOT.value,
        )
    )
    return set(away) | set(cannot)


async def duty_on(
    session: AsyncSession,
    *,
    account_id: int,
    day: date,
    calendar: WorkingDays,
    zone: ZoneInfo = DEFAULT_ZONE,
) -> int | None:
    """Who is on duty for the account on `day` as things stand (None: nobody, or not a
    working day)."""
    rota = await rota_of(session, account_id, zone)
    unavailable = await unavailable_on(session, account_id, day)
    return on_duty(rota.order, rota.rotation, rota.anchor, day, unavailable, calendar)


async def check_changer(session: AsyncSession, account_id: int, actor_id: int) -> None:
    """Whether `actor_id` may change the account's rota: its team and manager, while it is
    open. NotAllowed("not_team_or_manager") for anyone else, an unknown account id too, before
    MovedOn("account_closed"): only they may learn that the account is closed (a forged
    button learns nothing). Asked before the rota is read to be changed, too."""
    found = await session.get(Account, account_id)
    if found is None:
        raise NotAllowed("not_team_or_manager")
    await access.require_member_or_manager(session, found, actor_id)
    await access.active_account(session, account_id)


async def accounts_on_duty(
    session: AsyncSession,
    *,
    person_id: int,
    day: date,
    calendar: WorkingDays,
    zone: ZoneInfo = DEFAULT_ZONE,
) -> list[int]:
    """The open accounts the person is on duty for on `day` as things stand, by id. Each of
    the person's accounts is held (its row locked, in id order) before its duty is read, as
    a check-in holds it: a colleague's *I can't today* or absence at the same moment is then
    seen once committed, not raced (on PostgreSQL; SQLite serialises every writer)."""
    rows = await session.exec(
        select(AccountMember.account_id)
        .join(Account, col(Account.id) == col(AccountMember.account_id))
        .where(AccountMember.person_id == person_id, Account.status == AccountStatus.ACTIVE.value)
        .order_by(col(AccountMember.account_id))
    )
    found = []
    for account_id in list(rows):
        await access.lock_account(session, account_id)
        if await duty_on(
            session, account_id=account_id, day=day, calendar=calendar, zone=zone
        ) == person_id:
            found.append(account_id)
    return found


async def roster(
    session: AsyncSession,
    *,
    account_id: int,
    days: Sequence[date],
    calendar: WorkingDays,
    zone: ZoneInfo = DEFAULT_ZONE,
) -> dict[date, int | None]:
    """Who is on duty on each of `days` (what /duty shows for "today and this week").
    Days that are not working days map to None."""
    rota = await rota_of(session, account_id, zone)
    return {
        day: on_duty(
            rota.order, rota.rotation, rota.anchor, day,
            await unavailable_on(session, account_id, day), calendar,
        )
        for day in days
    }


async def _order(session: AsyncSession, account_id: int) -> tuple[int, ...]:
    rows = await session.exec(
        select(AccountMember.person_id)
        .where(AccountMember.account_id == account_id)
        .order_by(col(AccountMember.position), col(AccountMember.person_id))
    )
    return tuple(rows)
