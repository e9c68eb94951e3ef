"""Changing an account's people after registration: its responsible persons, its immediate
manager and its unit (guidelines: at least two responsible persons, substitutes always
available, so the register must follow when someone leaves).

Who may: the account's team, its manager, and the Communications Office, which keeps the
register and is the only one left to put it right when the team and the manager have all
gone. A new manager is never made by someone else's word alone: the hand-over waits until
the person named accepts it with a click.

Every change writes an audit event, owes the notices that go with it (kind `team_changed` to
the team and the Communications Office place; a welcome to a new member; the hand-over card
to the new manager) and keeps the rota in step: a newcomer joins at the end of the order, a
person who leaves leaves it, and nobody else's turn moves (data.rota.restarted).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import access, audit, monitoring, outbox, people, register, rota, rules
from data.access import DEFAULT_ZONE
from data.errors import Invalid, MovedOn, NotAllowed, NotFound
from data.models import Account, AccountMember, HandoverStatus, ManagerHandover, Role

# The guidelines: at least two responsible persons per account.
MIN_TEAM = 2
UNIT_TEXT = rules.SHORT_TEXT


async def may_change(session: AsyncSession, account: Account, person_id: int) -> bool:
    """The team, the manager and the Communications Office may change an account's people."""
    assert account.id is not None
    if person_id == account.manager_id or await access.is_member(session, account.id, person_id):
        return True
    return await people.has_role(session, person_id, Role.COMMS.value)


async def _changeable(session: AsyncSession, account_id: int, actor_id: int) -> Account:
    await access.lock_account(session, account_id)
    account = await access.active_account(session, account_id)
    if not await may_change(session, account, actor_id):
        raise NotAllowed("may_not_change_team")
    return account


async def _person_name(session: AsyncSession, person_id: int, field: str) -> str:
    try:
        return (await people.get_person(session, person_id)).display_name
    except NotFound:
        raise Invalid("unknown_person", field=field, name=str(person_id)) from None


async def already_there(session: AsyncSession, account: Account) -> set[int]:
    """Whom neither check_newcomer nor check_new_manager accepts for the account, whatever
    else: its manager and its team (a picker leaves them out)."""
    assert account.id is not None
    members = await session.exec(
        select(AccountMember.person_id).where(AccountMember.account_id == account.id)
    )
    return {account.manager_id, *members}


async def check_newcomer(session: AsyncSession, account: Account, person_id: int) -> None:
    """Whether `person_id` may join the account's team: a known person, not on it already,
    and not its manager (the manager answers for the team, and is not one of it)."""
    assert account.id is not None
    name = await _person_name(session, person_id, "person")
    if person_id == account.manager_id:
        raise Invalid("manager_joins_team", field="person", name=name)
    if await access.is_member(session, account.id, person_id):
        raise Invalid("already_in_team", field="person", name=name)


async def check_new_manager(session: AsyncSession, account: Account, person_id: int) -> None:
    """Whether the account may be handed to `person_id`: a known person, not its manager
    already, and not on its team."""
    assert account.id is not None
    name = await _person_name(session, person_id, "manager")
    if person_id == account.manager_id:
        raise Invalid("already_manager", field="manager", name=name)
    if await access.is_member(session, account.id, person_id):
        raise Invalid("team_member_as_manager", field="manager", name=name)


# --- the team ---------------------------------------------------------------------------------


async def add_member(
    session: AsyncSession,
    *,
    account_id: int,
    person_id: int,
    actor_id: int,
    now: datetime,
    calendar: rota.WorkingDays,
    zone: ZoneInfo = DEFAULT_ZONE,
) -> rota.Rota:
    """Put `person_id` on the account's team, last in the rota order; returns the rota.

    NotAllowed("may_not_change_team"), MovedOn("account_closed"), Invalid("already_in_team"),
    Invalid("manager_joins_team"), Invalid("unknown_person").
    """
    account = await _changeable(session, account_id, actor_id)
    await check_newcomer(session, account, person_id)
    current = rota.restarted(await rota.rota_of(session, account_id, zone),
                             access.today(now, zone), calendar)
    changed = rota.Rota(account_id, current.rotation, current.anchor, (*current.order, person_id))
    session.add(AccountMember(account_id=account_id, person_id=person_id,
                              position=len(current.order)))
    await rota.store(session, changed, actor_id=actor_id, now=now)
    audit.record(
        session, now=now, actor_id=actor_id, action="team.member_added",
        subject=f"account:{account_id}", person_id=person_id, order=list(changed.order),
    )
    await outbox.enqueue(
        session, key=f"welcome:{account_id}:{person_id}:{now.isoformat()}", kind="welcome",
        now=now, recipient_id=person_id, params={"account_id": account_id},
    )
    await _tell(
        session, account, now=now, actor_id=actor_id, skip={person_id},
        params={"change": "added", "person_id": person_id, "by": actor_id},
    )
    await session.flush()
    return changed


@dataclass(frozen=True)
class Removed:
    rota: rota.Rota
    # Who is on duty today now (None: nobody available, or not a working day), and whether
    # it was the person removed until then.
    on_duty: int | None
    was_on_duty: bool


async def remove_member(
    session: AsyncSession,
    *,
    account_id: int,
    person_id: int,
    actor_id: int,
    now: datetime,
    calendar: rota.WorkingDays,
    zone: ZoneInfo = DEFAULT_ZONE,
) -> Removed:
    """Take `person_id` off the account's team and its rota (anyone who may change the team,
    the person themself included). Never below MIN_TEAM people: someone joins first. When
    they were on duty today, the next available person in the rota takes the day and is
    told (notice `duty_handed`, why "left_team"), or, nobody being left, the manager is
    (`nobody_on_duty`), as when someone clicks *I can't today*.

    NotAllowed("may_not_change_team"), MovedOn("account_closed"), Invalid("not_in_team"),
    Invalid("team_minimum").
    """
    account = await _changeable(session, account_id, actor_id)
    name = await _person_name(session, person_id, "person")
    team = await register.team_of(session, account_id)
    if person_id not in team:
        raise Invalid("not_in_team", field="person", name=name)
    if len(team) <= MIN_TEAM:
        raise Invalid("team_minimum", field="person", name=name, minimum=MIN_TEAM)
    day = access.today(now, zone)
    before = await rota.duty_on(session, account_id=account_id, day=day, calendar=calendar,
                                zone=zone)
    current = rota.restarted(await rota.rota_of(session, account_id, zone), day, calendar)
    changed = rota.Rota(account_id, current.rotation, current.anchor,
                        tuple(p for p in current.order if p != person_id))
    await session.exec(
        delete(AccountMember).where(
            col(AccountMember.account_id) == account_id, col(AccountMember.person_id) == person_id
        )
    )
    await rota.store(session, changed, actor_id=actor_id, now=now)
    await session.flush()
    after = await rota.duty_on(session, account_id=account_id, day=day, calendar=calendar,
                               zone=zone)
    audit.record(
        session, now=now, actor_id=actor_id, action="team.member_removed",
        subject=f"account:{account_id}", person_id=person_id, order=list(changed.order),
    )
    await _tell(
        session, account, now=now, actor_id=actor_id, also={person_id},
        params={"change": "removed", "person_id": person_id, "by": actor_id},
    )
    was_on_duty = before == person_id
    await monitoring.hand_on(
        session, account_id=account_id, person_id=person_id, was_on_duty=before, day=day,
        now=now, calendar=calendar, zone=zone, why="left_team",
    )
    await session.flush()
    return Removed(changed, after, was_on_duty)


# --- the manager ------------------------------------------------------------------------------


async def pending_handover(session: AsyncSession, account_id: int) -> ManagerHandover | None:
    rows = await session.exec(
        select(ManagerHandover).where(
            ManagerHandover.account_id == account_id,
            ManagerHandover.status == HandoverStatus.PENDING.value,
        )
    )
    return rows.first()


async def get_handover(session: AsyncSession, handover_id: int) -> ManagerHandover:
    found = await session.get(ManagerHandover, handover_id)
    if found is None:
        raise NotFound("unknown_handover")
    return found


def card_key(handover: ManagerHandover) -> str:
    """The outbox key of the card asking the new manager to accept."""
    return f"manager_handover:{handover.id}"


async def propose_manager(
    session: AsyncSession, *, account_id: int, person_id: int, actor_id: int, now: datetime
) -> ManagerHandover:
    """Hand the account to `person_id` as its new immediate manager, once they accept: they
    get a card with *Accept* and *Decline* (notice `manager_handover`, params
    {handover_id}). An earlier hand-over of the account still waiting is withdrawn (its card
    updated in place). The account keeps its manager until then.

    NotAllowed("may_not_change_team"), MovedOn("account_closed"), Invalid("already_manager"),
    Invalid("team_member_as_manager"), Invalid("unknown_person").
    """
    account = await _changeable(session, account_id, actor_id)
    await check_new_manager(session, account, person_id)
    earlier = await pending_handover(session, account_id)
    if earlier is not None:
        if earlier.to_person_id == person_id:
            # The same hand-over asked for again (a second click): it is already waiting.
            return earlier
        await _decide(session, earlier, HandoverStatus.WITHDRAWN, actor_id=actor_id, now=now)
    handover = ManagerHandover(
        account_id=account_id, from_manager_id=account.manager_id, to_person_id=person_id,
        proposed_by=actor_id, status=HandoverStatus.PENDING.value, proposed_at=now,
    )
    session.add(handover)
    await session.flush()
    assert handover.id is not None
    audit.record(
        session, now=now, actor_id=actor_id, action="team.manager_proposed",
        subject=f"account:{account_id}", handover_id=handover.id, to_person_id=person_id,
        from_manager_id=account.manager_id,
    )
    await outbox.enqueue(
        session, key=card_key(handover), kind="manager_handover", now=now,
        recipient_id=person_id, params={"handover_id": handover.id},
    )
    await session.flush()
    return handover


async def _pending_for(
    session: AsyncSession, handover_id: int, actor_id: int
) -> tuple[ManagerHandover, Account]:
    handover = await get_handover(session, handover_id)
    await access.lock_account(session, handover.account_id)
    # As it stands now that nobody else can change it (a double click waits here).
    await session.refresh(handover)
    if actor_id != handover.to_person_id:
        raise NotAllowed("not_new_manager")
    if handover.status != HandoverStatus.PENDING.value:
        raise MovedOn("handover_moved_on", status=handover.status)
    account = await access.active_account(session, handover.account_id)
    return handover, account


async def accept_manager(
    session: AsyncSession, *, handover_id: int, actor_id: int, now: datetime
) -> ManagerHandover:
    """The person named accepts: they become the account's immediate manager. The team, the
    manager before them, who proposed it and the Communications Office are told.

    NotAllowed("not_new_manager") for anyone else; MovedOn("handover_moved_on") once decided
    (a second click changes nothing); Invalid("joined_team_meanwhile") if they have joined the
    team since they were asked (said to them, where check_new_manager's refusals speak to
    whoever asks).
    """
    handover, account = await _pending_for(session, handover_id, actor_id)
    try:
        await check_new_manager(session, account, handover.to_person_id)
    except Invalid as error:
        if error.code != "team_member_as_manager":
            raise
        raise Invalid("joined_team_meanwhile", field="manager") from None
    before = account.manager_id
    account.manager_id = handover.to_person_id
    session.add(account)
    await _decide(session, handover, HandoverStatus.ACCEPTED, actor_id=actor_id, now=now)
    await _tell(
        session, account, now=now, actor_id=actor_id, also={before, handover.proposed_by},
        params={"change": "manager", "person_id": handover.to_person_id,
                "old_manager_id": before, "by": actor_id},
    )
    await session.flush()
    return handover


async def decline_manager(
    session: AsyncSession, *, handover_id: int, actor_id: int, now: datetime
) -> ManagerHandover:
    """The person named declines: the account keeps its manager, and who proposed the
    hand-over is told (notice `manager_declined`, params {handover_id})."""
    handover, _ = await _pending_for(session, handover_id, actor_id)
    await _decide(session, handover, HandoverStatus.DECLINED, actor_id=actor_id, now=now)
    if handover.proposed_by != actor_id:
        await outbox.enqueue(
            session, key=f"manager_declined:{handover.id}", kind="manager_declined", now=now,
            recipient_id=handover.proposed_by, params={"handover_id": handover.id},
        )
    await session.flush()
    return handover


async def _decide(
    session: AsyncSession,
    handover: ManagerHandover,
    status: HandoverStatus,
    *,
    actor_id: int,
    now: datetime,
) -> None:
    """Settle a waiting hand-over, and owe the update of its card in place."""
    handover.status = status.value
    handover.decided_at = now
    session.add(handover)
    audit.record(
        session, now=now, actor_id=actor_id, action=f"team.manager_{status.value}",
        subject=f"account:{handover.account_id}", handover_id=handover.id,
        to_person_id=handover.to_person_id, from_manager_id=handover.from_manager_id,
    )
    await outbox.enqueue(
        session, key=f"{card_key(handover)}:{status.value}", kind="manager_handover", now=now,
        recipient_id=handover.to_person_id, params={"handover_id": handover.id},
        update_of=card_key(handover),
    )


# --- the unit ---------------------------------------------------------------------------------


async def correct_unit(
    session: AsyncSession, *, account_id: int, unit: str, actor_id: int, now: datetime
) -> Account:
    """Correct the organisational unit the account is registered to.

    NotAllowed("may_not_change_team"), MovedOn("account_closed"), Invalid("empty"/"too_long",
    field="unit"), Invalid("same_unit").
    """
    account = await _changeable(session, account_id, actor_id)
    corrected = access.check_text(unit, field="unit", maximum=UNIT_TEXT)
    if corrected == account.unit:
        raise Invalid("same_unit", field="unit", unit=corrected)
    before = account.unit
    account.unit = corrected
    session.add(account)
    audit.record(
        session, now=now, actor_id=actor_id, action="account.unit_corrected",
        subject=f"account:{account_id}", before=before, after=corrected,
    )
    await _tell(
        session, account, now=now, actor_id=actor_id,
        params={"change": "unit", "before": before, "after": corrected, "by": actor_id},
    )
    await session.flush()
    return account


# --- telling people ---------------------------------------------------------------------------


async def _tell(
    session: AsyncSession,
    account: Account,
    *,
    now: datetime,
    actor_id: int,
    params: dict[str, Any],
    also: Iterable[int] = (),
    skip: Iterable[int] = (),
) -> None:
    """Owe `team_changed` (params {account_id, change, by, ...}) to the team as it is now,
    `also`, and the Communications Office place; not to who made the change (their reply
    says it) nor to `skip`."""
    assert account.id is not None
    team = await register.team_of(session, account.id)
    recipients = dict.fromkeys([*team, *also])
    for person_id in (actor_id, *skip):
        recipients.pop(person_id, None)
    full = {"account_id": account.id, **params}
    stamp = f"{account.id}:{params['change']}:{now.isoformat()}"
    for person_id in recipients:
        await outbox.enqueue(
            session, key=f"team_changed:{stamp}:{person_id}", kind="team_changed", now=now,
            recipient_id=person_id, params=full,
        )
    await outbox.enqueue(
        session, key=f"team_changed:{stamp}:comms", kind="team_changed", now=now,
        place="comms", params=full,
    )
