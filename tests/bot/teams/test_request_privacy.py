"""Who sees an account request's card in Teams: a card refreshed or clicked names its request
by id, and ids are sequential, so the card answered is the one the person may see
(data.requests.may_see), never one anyone names. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

from data.models import AccountRequest, ApprovalDecision, RequestStatus
from tests.bot.teams.rig import (
    ANNA,
    BJORN,
    CECILIA,
    DAVID,
    FILIP,
    running_teams,
    texts,
    verbs,
)
from tests.bot.teams.test_journey import request_account
from tests.helpers import count, load

CARD = "application/vnd.microsoft.card.adaptive"
# What Anna's request says that nobody outside it should read.
SECRETS = ("prospective students", "Department of Neuroscience", "More applicants", "Björn")


def leaked(body: Any) -> list[str]:
    """What of Anna's request `body` (an invoke answer or a posted card) shows."""
    raw = json.dumps(body, ensure_ascii=False)
    return [secret for secret in SECRETS if secret in raw]


async def test_only_the_people_of_a_request_see_its_card(database_url: str) -> None:
    async with running_teams(database_url) as rig:
        for user in (ANNA, CECILIA, DAVID, FILIP):
            await rig.install(user)
        await request_account(rig, ANNA, "en")
        [request] = await load(rig.store, AccountRequest)
        card = (await rig.wait_card(CECILIA, "approval:approve", "the manager's card")).card
        value = card["refresh"]["action"]["data"]["value"]
        assert value == f"{request.id}:1:manager"
        seen_by_filip = len(rig.fake.in_conversation(FILIP.conversation))

        # Filip has nothing to do with the request: Teams' refresh naming it gets nothing.
        body = await rig.refresh_naming(FILIP, value)
        assert body["type"] != CARD and leaked(body) == [], body
        # Nor does an approval button of the request clicked as Filip: he is refused, as any
        # non-approver is, and nothing of the request is shown to him.
        body = await rig.execute(FILIP, rig.click(CECILIA, "approval:approve"))
        assert body["type"] != CARD and leaked(body) == [], body
        [refusal] = rig.fake.in_conversation(FILIP.conversation)[seen_by_filip:]
        assert "Only the person asked to decide on this request can do that." in texts(
            refusal.card
        )
        assert leaked(refusal.card) == []
        [still] = await load(rig.store, AccountRequest)
        assert still.status == RequestStatus.PENDING.value
        assert await count(rig.store, ApprovalDecision) == 0

        # The requester, the team and the approver see it, the approver's buttons live.
        for user in (ANNA, BJORN, CECILIA):
            body = await rig.refresh_naming(user, value)
            assert body["type"] == CARD, (user.key, body)
            shown = texts(body["value"])
            assert "Show the department's research to prospective students." in shown
            live = [v for v in verbs(body["value"]) if v.startswith("approval:")]
            assert bool(live) == (user is CECILIA), (user.key, live)

        # Cecilia approves; it goes to David. Who decided and who decides now still see it,
        # Filip still does not, under the card's old value or its new one.
        await rig.execute(CECILIA, rig.click(CECILIA, "approval:approve"))
        director = (await rig.wait_card(DAVID, "approval:approve", "the director's card")).card
        for user in (CECILIA, DAVID):
            body = await rig.refresh_naming(user, director["refresh"]["action"]["data"]["value"])
            assert "prospective students" in texts(body["value"]), user.key
        for named in (value, director["refresh"]["action"]["data"]["value"]):
            body = await rig.refresh_naming(FILIP, named)
            assert body["type"] != CARD and leaked(body) == [], body
