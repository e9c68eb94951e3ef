"""The teams' monthly summary, from the database through the sweep to the message: on the first
working day of the month, from 08:30, each account's team (nobody else) hears last month's
counts, once. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

from data import accessibility, moderation, questions
from data.db import Store
from data.models import Outbox
from dialogs import notices
from dialogs.i18n import Translator
from dialogs.messages import Context, Paragraph
from scheduler.sweep import sweep
from tests.helpers import Cast, load
from tests.helpers.accounts import id_of, register
from tests.helpers.nudging import CONFIG, at

MONDAY = date(2027, 3, 1)  # the first working day of March
FEBRUARY = date(2027, 2, 1)
OK = dict.fromkeys(accessibility.ITEMS, "ok")


async def accounts_with_a_february(store: Store, cast: Cast) -> tuple[int, int, int]:
    """Two accounts registered in January with a February of duties (and some just outside
    it), and one registered this month, which had no last month."""
    neuro = id_of(await register(store, requester=cast.requester, team=(cast.colleague,),
                                 manager=cast.manager, now=at(date(2027, 1, 11), 10),
                                 handle="ki_neuroscience"))
    other = id_of(await register(store, requester=cast.second_colleague, team=(cast.director,),
                                 manager=cast.manager, now=at(date(2027, 1, 12), 10),
                                 handle="ki_other"))
    new = id_of(await register(store, requester=cast.outsider, team=(cast.director,),
                               manager=cast.manager,
                               now=at(MONDAY, 7), handle="ki_new"))
    async with store.transaction() as session:
        async def check(account: int, when: date, hour: int, **items: str) -> None:
            await accessibility.record_check(
                session, account_id=account, actor_id=cast.requester, post="A post",
                items=OK | items, now=at(when, hour),
            )

        # February, local time: from the first minute to the last.
        await check(neuro, FEBRUARY, 0, alt_text="fixed", link_text="to_fix")
        await check(neuro, date(2027, 2, 28), 23, emoji="not_applicable")
        # Not February: the last evening of January, and this morning.
        await check(neuro, date(2027, 1, 31), 23, hashtags="to_fix")
        await check(neuro, MONDAY, 8, captions="to_fix")
        early = await questions.log_question(
            session, account_id=neuro, actor_id=cast.colleague, text="Open day?",
            now=at(date(2027, 1, 29), 10),
        )
        asked = await questions.log_question(
            session, account_id=neuro, actor_id=cast.colleague, text="Parking?",
            now=at(date(2027, 2, 10), 10),
        )
        for question in (early, asked):
            assert question.id is not None
            await questions.answer_question(session, question_id=question.id,
                                            actor_id=cast.requester, now=at(date(2027, 2, 11), 9))
        await moderation.record_removal(
            session, account_id=neuro, actor_id=cast.colleague, content="A threat",
            category="defamation", reason="Defamation", evidence="W:/evidence",
            now=at(date(2027, 2, 15), 9),
        )
    return neuro, other, new


async def test_the_team_hears_last_months_counts_once_on_the_first_working_day(
    store: Store, cast: Cast
) -> None:
    neuro, other, new = await accounts_with_a_february(store, cast)
    # Before 08:30, and on Sunday the last of February: nothing.
    await sweep(store, at(MONDAY, 8, 29), CONFIG)
    await sweep(store, at(MONDAY - timedelta(days=1), 10), CONFIG)
    assert await load(store, Outbox, Outbox.kind == "nudge_monthly") == []
    await sweep(store, at(MONDAY, 8, 30), CONFIG)
    rows = await load(store, Outbox, Outbox.kind == "nudge_monthly")
    # The teams, and nobody else: not the manager, not the team of an account registered
    # this month (its only other member is on an older account's team).
    assert sorted(r.recipient_id or 0 for r in rows) == sorted(
        [cast.requester, cast.colleague, cast.second_colleague, cast.director]
    )
    by_person = {r.recipient_id: r.params["items"] for r in rows}
    [item] = by_person[cast.requester]
    assert item["account_id"] == neuro and item["month"] == "2027-02"
    assert (item["posts_checked"], item["items_to_fix"], item["questions_logged"],
            item["questions_answered"], item["removals"]) == (2, 2, 1, 2, 1)
    [quiet] = by_person[cast.second_colleague]
    assert quiet["account_id"] == other and quiet["posts_checked"] == 0
    assert new not in {i["account_id"] for items in by_person.values() for i in items}

    # Once: later the same day, the next day, later in the month.
    for later in (at(MONDAY, 15), at(MONDAY + timedelta(days=1), 9),
                  at(date(2027, 3, 15), 9)):
        await sweep(store, later, CONFIG)
    assert len(await load(store, Outbox, Outbox.kind == "nudge_monthly")) == 4

    [row] = [r for r in rows if r.recipient_id == cast.requester]
    async with store.transaction() as session:
        english = await notices.compose(session, Translator("en"), row.kind, row.params,
                                        row.recipient_id)
        swedish = await notices.compose(session, Translator("sv"), row.kind, row.params,
                                        row.recipient_id)
    assert english.title == "Last month on your accounts: February 2027"
    said = [b.text for b in english.blocks if isinstance(b, Paragraph | Context)]
    assert said == [
        "Instagram ki_neuroscience (SOME-2027-0001): posts checked for accessibility in "
        "February 2027: 2; checklist items that needed fixing: 2.",
        "Questions from the public: 1 logged, 2 answered. Removed posts and comments "
        "recorded: 1.",
    ]
    assert swedish.title == "Förra månaden på era konton: februari 2027"


async def test_the_first_working_day_after_a_holiday(store: Store, cast: Cast) -> None:
    """1 January is a holiday (and 2 and 3 a weekend): the summary of December waits for
    Monday 4 January, and comes that day only."""
    account = id_of(await register(store, requester=cast.requester, team=(cast.colleague,),
                                   manager=cast.manager, now=at(date(2026, 11, 2), 10)))
    async with store.transaction() as session:
        await accessibility.record_check(
            session, account_id=account, actor_id=cast.colleague, post="Lucia", items=OK,
            now=at(date(2026, 12, 13), 10),
        )
    for day in (date(2027, 1, 1), date(2027, 1, 4), date(2027, 1, 5)):
        await sweep(store, at(day, 10), CONFIG)
    rows = await load(store, Outbox, Outbox.kind == "nudge_monthly")
    assert {r.key for r in rows} == {
        f"nudge_monthly:{cast.requester}:2027-01-04", f"nudge_monthly:{cast.colleague}:2027-01-04"
    }
    assert {r.params["items"][0]["month"] for r in rows} == {"2026-12"}
    assert {r.params["items"][0]["posts_checked"] for r in rows} == {1}


async def test_a_first_working_day_the_server_was_down_has_its_summary_the_next(
    store: Store, cast: Cast
) -> None:
    """Swept on Friday 26 February, down on Monday 1 March: Tuesday owes February's summary,
    with February's counts (read for the day it is owed late), to the teams, once."""
    await accounts_with_a_february(store, cast)
    await sweep(store, at(date(2027, 2, 26), 10), CONFIG)
    for later in (at(MONDAY + timedelta(days=1), 10), at(MONDAY + timedelta(days=2), 10)):
        await sweep(store, later, CONFIG)
    rows = await load(store, Outbox, Outbox.kind == "nudge_monthly")
    assert {r.key.rsplit(":", 1)[1] for r in rows} == {"2027-03-02"}
    assert sorted(r.recipient_id or 0 for r in rows) == sorted(
        [cast.requester, cast.colleague, cast.second_colleague, cast.director]
    )
    [item] = {r.recipient_id: r.params["items"] for r in rows}[cast.requester]
    assert (item["month"], item["posts_checked"], item["removals"]) == ("2027-02", 2, 1)
