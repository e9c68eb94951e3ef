"""`/accounts` lists the person's accounts (the comms office: all) with each one's compliance
at a glance, as scheduler.nudge_rules.compliance sees it. Through `Brain.handle`, on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from data import closure, monitoring, people, questions
from data.dashboard import Viewer
from data.dashboard_register import Wanted, register_page
from data.db import Store
from dialogs.accounts import ACCOUNTS_SHOWN
from tests.helpers import T0, Cast, make_roles
from tests.helpers.chat import CastSenders, buttons, cast_senders, fields, only, texts
from tests.helpers.nudging import CONFIG, account_of, at, chat

WEDNESDAY = T0 + timedelta(days=2)
# Nothing monitored on the days owed so far (Monday and Tuesday): the dashboard's flag.
GAP = (
    "Monitoring gap: 0% of the days owed lately were monitored; at least 80%, and one of the "
    "last 3, are expected."
)


async def test_a_new_account_is_in_order(store: Store, cast: Cast, who: CastSenders) -> None:
    await account_of(store, cast)
    reply = only(await chat(store, who.colleague).command("accounts"))
    assert reply.title == "Your accounts"
    assert fields(reply) == {
        "SOME-2027-0001": "Instagram ki_neuroscience · Department of Neuroscience · active\n"
        "All in order\n"
        "On duty today: Anna Berg\n"
        "Next archiving due: 2027-09-01"
    }


async def test_what_needs_doing_comes_first(store: Store, cast: Cast, who: CastSenders) -> None:
    account = await account_of(store, cast)
    async with store.transaction() as session:
        await questions.log_question(
            session, account_id=account, actor_id=cast.requester, text="Open day?", now=T0
        )
        await questions.log_question(
            session, account_id=account, actor_id=cast.requester, text="Fees?",
            now=WEDNESDAY - timedelta(hours=1),
        )
    reply = only(await chat(store, who.requester, WEDNESDAY).command("accounts"))
    [(number, glance)] = fields(reply).items()
    assert glance.splitlines()[1:] == [
        "Questions not answered in the promised time: 1",
        GAP,
        "On duty today: Anna Berg",
        "Next archiving due: 2027-09-01",
    ]

    # Monitored today shows; half a year on, archiving is overdue and nobody has monitored.
    async with store.transaction() as session:
        await monitoring.check_in(
            session, account_id=account, person_id=cast.requester, day=WEDNESDAY.date(),
            kind="monitored", now=WEDNESDAY, calendar=CONFIG.calendar,
        )
    reply = only(await chat(store, who.requester, WEDNESDAY).command("accounts"))
    assert "On duty today: Anna Berg (monitored)" in fields(reply)[number]
    september = at(T0.date().replace(month=9, day=10), 10)
    reply = only(await chat(store, who.manager, september).command("accounts"))
    assert fields(reply)[number].splitlines()[1:] == [
        "Questions not answered in the promised time: 2",
        "Archiving overdue since 2027-09-01",
        "Looks inactive since 2027-03-18",
        GAP,
        "On duty today: Bo Ek",
    ]


async def test_monitored_by_someone_else_says_who(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    """Anna is on duty; Bo marked the day monitored: it says so, not "Anna (monitored)"."""
    account = await account_of(store, cast)

    async def marked_by(person: int) -> list[str]:
        async with store.transaction() as session:
            await monitoring.check_in(
                session, account_id=account, person_id=person, day=WEDNESDAY.date(),
                kind="monitored", now=WEDNESDAY, calendar=CONFIG.calendar,
            )
        reply = only(await chat(store, who.requester, WEDNESDAY).command("accounts"))
        [(_, glance)] = fields(reply).items()
        return glance.splitlines()

    assert "On duty today: Anna Berg (monitored by Bo Ek)" in await marked_by(cast.colleague)
    # And once Anna marks it too, it is hers.
    assert "On duty today: Anna Berg (monitored)" in await marked_by(cast.requester)


async def test_the_comms_office_sees_every_account_closed_ones_too(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    await account_of(store, cast)
    second = await account_of(store, cast, "ki_pain")
    async with store.transaction() as session:
        await make_roles(session, T0, comms={cast.outsider})
        await closure.close_account(
            session, account_id=second, actor_id=cast.manager, reason="Done.",
            final_archive_location="W:/arkiv", now=T0,
        )
    reply = only(await chat(store, who.outsider).command("accounts"))
    assert reply.title == "Accounts in the register"
    assert fields(reply)["SOME-2027-0002"] == (
        "Instagram ki_pain · Department of Neuroscience · closed"
    )
    assert "All in order" in fields(reply)["SOME-2027-0001"]


async def test_in_swedish(store: Store, cast: Cast) -> None:
    await account_of(store, cast)
    swedish = await cast_senders(store, cast, locale="sv")
    reply = only(await chat(store, swedish.requester).command("accounts"))
    assert fields(reply)["SOME-2027-0001"].splitlines() == [
        "Instagram ki_neuroscience · Department of Neuroscience · aktivt",
        "Allt är i ordning",
        "Bevakning i dag: Anna Berg",
        "Nästa arkivering senast: 2027-09-01",
    ]


async def test_a_long_register_is_paged_with_a_way_to_the_dashboard(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    """The Communications Office's /accounts once listed the whole register in chat."""
    total = 2 * ACCOUNTS_SHOWN + 3
    for n in range(total):
        await account_of(store, cast, f"ki_unit{n}")
    async with store.transaction() as session:
        await make_roles(session, T0, comms={cast.outsider})
    eva = chat(store, who.outsider)
    reply = only(await eva.command("accounts"))
    assert ACCOUNTS_SHOWN == 10
    assert list(fields(reply)) == [f"SOME-2027-{n:04d}" for n in range(1, 11)]
    assert texts(reply)[-1] == (
        f"Accounts 1–10 of {total}, by number. The dashboard has the whole register, with "
        "filters."
    )
    assert [(b.action, b.label, b.value) for b in buttons(reply)] == [
        ("accounts:page", "Next", "2"),
        ("cmd:dashboard", "Open the dashboard", ""),
    ]

    second = only(await eva.click("accounts:page", value="2"))
    assert list(fields(second)) == [f"SOME-2027-{n:04d}" for n in range(11, 21)]
    assert [b.value for b in buttons(second) if b.action == "accounts:page"] == ["1", "3"]
    last = only(await eva.click("accounts:page", value="3"))
    assert list(fields(last)) == [f"SOME-2027-{n:04d}" for n in range(21, total + 1)]
    assert texts(last)[-1].startswith(f"Accounts 21–{total} of {total}")
    assert [(b.action, b.label) for b in buttons(last)] == [
        ("accounts:page", "Previous"), ("cmd:dashboard", "Open the dashboard")
    ]
    # A page beyond the end shows the last; a forged value is refused.
    assert list(fields(only(await eva.click("accounts:page", value="99")))) == list(fields(last))
    [refused] = await eva.click("accounts:page", value="x")
    assert refused.ephemeral


async def test_all_in_order_only_when_the_dashboard_says_ok(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    """Monitored on each of the last three working days, but on too few of the days owed
    lately: not inactive, no question late, yet the dashboard flags a monitoring gap, and
    /accounts says so rather than "All in order"; archiving due within two weeks is on the
    dashboard's list of what needs doing too."""
    account = await account_of(store, cast)
    now = at(T0.date() + timedelta(days=35), 10)  # Monday 5 April 2027
    day = now.date()
    for _ in range(3):  # Friday, Thursday, Wednesday
        day = CONFIG.monitoring.previous_working_day(day)
        async with store.transaction() as session:
            await monitoring.check_in(
                session, account_id=account, person_id=cast.requester, day=day,
                kind="monitored", now=at(day, 16), calendar=CONFIG.calendar,
            )
    async with store.read() as session:
        page = await register_page(
            session, Viewer(await people.get_person(session, cast.requester), False),
            Wanted(), now=now, config=CONFIG,
        )
    [row] = page.rows
    assert row.flags == ("monitoring_gap",) and row.state is not None
    reply = only(await chat(store, who.requester, now).command("accounts"))
    percent = round((row.state.coverage or 0) * 100)
    assert fields(reply)["SOME-2027-0001"].splitlines()[1] == (
        f"Monitoring gap: {percent}% of the days owed lately were monitored; at least 80%, "
        "and one of the last 3, are expected."
    )
    assert "All in order" not in fields(reply)["SOME-2027-0001"]

    # Two weeks before the archiving's due date, the dashboard lists it, and so does chat,
    # first.
    august = at(T0.date().replace(month=8, day=20), 10)
    reply = only(await chat(store, who.requester, august).command("accounts"))
    lines = fields(reply)["SOME-2027-0001"].splitlines()
    assert "Next archiving due: 2027-09-01" in lines[1:-1] and "All in order" not in lines
