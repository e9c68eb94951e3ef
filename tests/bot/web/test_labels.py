"""The dashboard's audit trail names what happened in words: every action the changes of an
account's people write (data.team) has a label, in English and Swedish."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.web.dashboard.labels import ACTION, label
from bot.web.dashboard.translation import Words
from data import team
from data.db import Store
from data.models import AuditEvent
from data.workdays import Calendar
from tests.helpers import T0, Cast, load
from tests.helpers.accounts import id_of, register

ZONE = ZoneInfo("Europe/Stockholm")


async def test_every_change_of_the_people_has_a_label(store: Store, cast: Cast) -> None:
    account = id_of(await register(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager, now=T0
    ))
    async with store.transaction() as session:
        change = {"account_id": account, "actor_id": cast.requester, "now": T0}
        await team.add_member(session, person_id=cast.second_colleague, calendar=Calendar(),
                              **change)
        await team.remove_member(session, person_id=cast.second_colleague,
                                 calendar=Calendar(), **change)
        await team.correct_unit(session, unit="Department of Clinical Neuroscience", **change)
        first = await team.propose_manager(session, person_id=cast.director, **change)
        second = await team.propose_manager(session, person_id=cast.outsider, **change)
        assert first.id is not None and second.id is not None
        await team.decline_manager(session, handover_id=second.id, actor_id=cast.outsider,
                                   now=T0)
        third = await team.propose_manager(session, person_id=cast.director, **change)
        assert third.id is not None
        await team.accept_manager(session, handover_id=third.id, actor_id=cast.director, now=T0)
    actions = {
        e.action for e in await load(store, AuditEvent)
        if e.action.startswith("team.") or e.action == "account.unit_corrected"
    }
    assert len(actions) == 7
    english, swedish = Words("en", ZONE), Words("sv", ZONE)
    for action in actions:
        assert action in ACTION, action
        assert label(english, ACTION, action) != label(swedish, ACTION, action), action
