"""People of another organisation in a channel shared with ours (Slack Connect), and guests:
served, yet never linked to a KI colleague by the e-mail address their Slack profile shows,
which their own admins (or an invitation) set (bot/slack/people.py, workspace.member). Had one
with Cecilia's address been mentioned, picked or found by her address before Cecilia herself
was known, they would have become her, and her approval card would have gone to them.

Each outsider differs from a colleague in one respect only, so that each check is needed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from data import people
from data.models import AccountRequest, Person
from tests.bot.slack.rig import ANNA, BJORN, CAST, CECILIA, SlackRig, buttons, running
from tests.bot.slack.test_security import submitted
from tests.helpers import load
from tests.helpers.journey import SUBMIT, open_account_answers

OUTSIDER = "UOUTSIDER"
OURS = "EKI"

NOT_OURS: dict[str, dict[str, Any]] = {
    "of another workspace": {"team_id": "TOTHER"},
    "of another Grid organisation": {"team_id": "TOTHER", "enterprise_id": "EOTHER"},
    "a stranger": {"is_stranger": True},
    "a guest": {"is_restricted": True},
    "a single-channel guest": {"is_ultra_restricted": True},
}
# The controls: the same person, one of ours.
OURS_TOO: dict[str, dict[str, Any]] = {
    "of our workspace": {},
    "of another workspace of our Grid organisation": {"team_id": "TSISTER", "enterprise_id": OURS},
}


def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'kontobot.db'}"


async def person_of(rig: SlackRig, user: str) -> Person | None:
    async with rig.store.read() as session:
        return await people.find_by_identity(session, "slack", user)


def with_outsider(rig: SlackRig, where: dict[str, Any]) -> None:
    """Someone with Cecilia's name and address, of wherever `where` says."""
    rig.fake.add_user(OUTSIDER, CECILIA.name, email=CECILIA.email, locale="en-US", **where)


async def cecilias_card_goes_to_cecilia(rig: SlackRig, outsider: Person | None) -> None:
    """Anna's request, with Cecilia picked as the manager: Cecilia's card reaches her."""
    request = await submitted(rig)
    cecilia = await person_of(rig, CECILIA.id)
    assert cecilia is not None and (outsider is None or cecilia.id != outsider.id)
    assert (cecilia.email, request.manager_id) == (CECILIA.email, cecilia.id)
    [card] = rig.fake.dm(CECILIA.id)
    assert "approval:approve" in buttons(card)
    assert rig.fake.dm(OUTSIDER) == []


MENTIONED = [(where, False) for where in NOT_OURS.values()] + [
    (where, True) for where in OURS_TOO.values()
]


@pytest.mark.parametrize(
    ("where", "ours"), MENTIONED, ids=[*NOT_OURS.keys(), *(f"ours-{k}" for k in OURS_TOO)]
)
async def test_someone_mentioned_is_the_colleague_with_their_address_only_if_ours(
    tmp_path: Path, where: dict[str, Any], ours: bool
) -> None:
    """Someone not ours is known by their Slack id and name alone, and Cecilia's card reaches
    Cecilia; a second Slack account of Cecilia's in our workspace or organisation (the
    control) is hers."""
    async with running(url(tmp_path), organisation=OURS) as rig:
        with_outsider(rig, where)
        assert (await rig.say(BJORN.id, f"Ask <@{OUTSIDER}> about it")).status == 200
        await rig.settle()
        mentioned = await person_of(rig, OUTSIDER)
        assert mentioned is not None
        if ours:
            assert mentioned.email == CECILIA.email
        else:
            assert (mentioned.display_name, mentioned.email) == (CECILIA.name, None)
            await cecilias_card_goes_to_cecilia(rig, mentioned)


async def test_someone_not_ours_who_is_picked_is_not_the_colleague_with_their_address(
    rig: SlackRig,
) -> None:
    """Anna picks the outsider for her team, before Cecilia is known, then Cecilia as the
    manager."""
    with_outsider(rig, NOT_OURS["of another workspace"])
    assert (await rig.command(ANNA.id, "open-account")).status == 200
    await rig.next_dm(ANNA.id, 0)
    for answer in open_account_answers(team=(OUTSIDER,), manager=CECILIA.id):
        await rig.answer(ANNA.id, answer)
    await rig.answer(ANNA.id, SUBMIT)
    await rig.settle()

    outsider = await person_of(rig, OUTSIDER)
    cecilia = await person_of(rig, CECILIA.id)
    assert outsider is not None and outsider.email is None
    assert cecilia is not None and cecilia.id != outsider.id and cecilia.email == CECILIA.email
    [request] = await load(rig.store, AccountRequest)
    assert (request.team_ids, request.manager_id) == ([outsider.id], cecilia.id)
    [card] = rig.fake.dm(CECILIA.id)
    assert "approval:approve" in buttons(card)
    assert rig.fake.dm(OUTSIDER) == []


@pytest.mark.parametrize("ours", [False, True], ids=["not ours", "ours (the control)"])
async def test_someone_slack_finds_by_a_colleagues_address_must_be_ours(
    tmp_path: Path, ours: bool
) -> None:
    """Bjorn types Cecilia's address; the one Slack finds by it (`users.lookupByEmail`) is
    taken for her only when they are of our workspace."""
    without_cecilia = tuple(p for p in CAST if p != CECILIA)
    async with running(url(tmp_path), people=without_cecilia) as rig:
        with_outsider(rig, {} if ours else NOT_OURS["of another workspace"])
        assert (await rig.say(BJORN.id, f"Is {CECILIA.email} the right one?")).status == 200
        await rig.settle()
        assert [c.args["email"] for c in rig.fake.calls_of("users.lookupByEmail")] == [
            CECILIA.email
        ]
        found = await person_of(rig, OUTSIDER)
        if ours:
            assert found is not None and found.email == CECILIA.email
            return
        assert found is None
        rig.fake.add_user(CECILIA.id, CECILIA.name, email=CECILIA.email, locale=CECILIA.locale)
        await cecilias_card_goes_to_cecilia(rig, None)
