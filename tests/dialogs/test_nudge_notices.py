"""The nudges and account notices of issue 5 as people read them: the outbox rows the real
sweep and domain operations write, composed in English and Swedish. One message per person,
kind and day combines several accounts, each item with its own buttons; what is dealt with by
the time of delivery is left out. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from data import absence, archive, closure, consent, monitoring, questions, rota
from data.db import Store
from data.models import Outbox
from dialogs import notices
from dialogs.i18n import Translator
from dialogs.messages import Actions, Context, Fields, Message, Paragraph, TextInput
from scheduler.sweep import sweep
from tests.helpers import T0, Cast, decide, load, submit
from tests.helpers.accounts import id_of, register
from tests.helpers.chat import buttons, fields
from tests.helpers.nudging import CONFIG, at

EN = Translator("en")
SV = Translator("sv")
MONDAY = date(2027, 3, 1)


async def compose(
    store: Store, row: Outbox, tr: Translator = EN, recipient: int | None = -1
) -> Message:
    async with store.transaction() as session:
        return await notices.compose(
            session, tr, row.kind, row.params, row.recipient_id if recipient == -1 else recipient
        )


async def rows(store: Store, kind: str, **where: Any) -> list[Outbox]:
    found = await load(store, Outbox, Outbox.kind == kind)
    return [r for r in found if all(getattr(r, k) == v for k, v in where.items())]


def paragraphs(message: Message) -> list[str]:
    return [b.text for b in message.blocks if isinstance(b, Paragraph)]


def contexts(message: Message) -> list[str]:
    return [b.text for b in message.blocks if isinstance(b, Context)]


def inputs(message: Message) -> list[TextInput]:
    return [b for b in message.blocks if isinstance(b, TextInput)]


def actions(message: Message) -> list[list[tuple[str, str, str]]]:
    """The buttons of each actions block: (action, label, value)."""
    return [
        [(b.action, b.label, b.value) for b in block.buttons]
        for block in message.blocks
        if isinstance(block, Actions)
    ]


async def two_accounts(store: Store, cast: Cast) -> tuple[int, int]:
    """The requester first in two rotas (with the colleague, and with the second colleague)."""
    first = await register(store, requester=cast.requester, team=(cast.colleague,),
                           manager=cast.manager, now=T0, handle="ki_one")
    second = await register(store, requester=cast.requester, team=(cast.second_colleague,),
                            manager=cast.manager, now=T0, handle="ki_two")
    return id_of(first), id_of(second)


# --- the rota -------------------------------------------------------------------------------


async def test_the_morning_reminder_combines_accounts_each_with_its_buttons(
    store: Store, cast: Cast
) -> None:
    one, two = await two_accounts(store, cast)
    async with store.transaction() as session:
        await questions.log_question(
            session, account_id=two, actor_id=cast.requester, text="Hi?", now=T0
        )
    await sweep(store, at(MONDAY + timedelta(days=14), 8, 30), CONFIG)
    [row] = await rows(store, "nudge_rota")
    assert row.recipient_id == cast.requester

    message = await compose(store, row)
    assert message.title == "Monitoring today"
    assert paragraphs(message) == [
        "You are on duty for Instagram ki_one (SOME-2027-0001) today: look at the account, "
        "answer what is waiting, and mark it as monitored.",
        "You are on duty for Instagram ki_two (SOME-2027-0002) today: look at the account, "
        "answer what is waiting, and mark it as monitored.",
    ]
    assert contexts(message) == ["Open questions: 1"]
    assert actions(message) == [
        [
            ("duty:monitored", "Monitored today", f"{one}:2027-03-15"),
            ("duty:cannot", "I can't today", f"{one}:2027-03-15"),
        ],
        # The open question, to answer or hand to a colleague (issue 14).
        [
            ("question:answered", "Answered", "1"),
            ("question:refer", "Ask a colleague", "1"),
        ],
        [
            ("duty:monitored", "Monitored today", f"{two}:2027-03-15"),
            ("duty:cannot", "I can't today", f"{two}:2027-03-15"),
        ],
    ]

    swedish = await compose(store, row, SV)
    assert swedish.title == "Bevakning i dag"
    assert paragraphs(swedish)[0] == (
        "Du har bevakningen av Instagram ki_one (SOME-2027-0001) i dag. Titta på kontot, "
        "besvara det som väntar och markera kontot som bevakat."
    )
    assert contexts(swedish) == ["Obesvarade frågor: 1"]
    assert [b.label for b in buttons(swedish)][:2] == ["Bevakat i dag", "Jag kan inte i dag"]

    # An account closed before delivery is left out.
    async with store.transaction() as session:
        await closure.close_account(session, account_id=one, actor_id=cast.manager,
                                    reason="Done.", final_archive_location="W:/a", now=T0)
    assert len(paragraphs(await compose(store, row))) == 1


async def test_nobody_available_goes_to_the_manager(store: Store, cast: Cast) -> None:
    await two_accounts(store, cast)
    async with store.transaction() as session:
        for person in (cast.requester, cast.colleague):
            await absence.record_absence(session, person_id=person, actor_id=person,
                                         first_day=MONDAY, last_day=MONDAY, now=T0)
    await sweep(store, at(MONDAY, 8, 30), CONFIG)
    [row] = await rows(store, "nudge_rota", recipient_id=cast.manager)
    message = await compose(store, row)
    assert paragraphs(message) == [
        "Nobody in the team of Instagram ki_one (SOME-2027-0001) is available to monitor it "
        "today. As manager you are responsible for arranging cover."
    ]
    assert contexts(message) == ["Away or unable today: Anna Berg, Bo Ek"]
    assert actions(message) == [[("cmd:duty", "Who is on duty", "")]]
    assert paragraphs(await compose(store, row, SV))[0].startswith(
        "Ingen i teamet för Instagram ki_one (SOME-2027-0001) är tillgänglig"
    )


async def test_the_morning_reminder_on_a_weekday_holiday_says_it_is_a_holiday_duty(
    store: Store, cast: Cast
) -> None:
    one, _ = await two_accounts(store, cast)
    midsummer_eve = date(2027, 6, 25)
    await sweep(store, at(midsummer_eve, 8, 30), CONFIG)
    [row] = [r for r in await rows(store, "nudge_rota")
             if any(item["account_id"] == one for item in r.params["items"])]
    message = await compose(store, row)
    assert contexts(message)[0] == (
        "Today is Midsummer Eve: a holiday duty. KI's guidelines ask for the account to be "
        "monitored on weekdays, year-round."
    )
    assert actions(message)[0][0] == ("duty:monitored", "Monitored today", f"{one}:2027-06-25")
    assert contexts(await compose(store, row, SV))[0].startswith(
        "I dag är det Midsommarafton"
    )


async def test_not_marked_by_two_tells_the_rest_of_the_team(store: Store, cast: Cast) -> None:
    one, _ = await two_accounts(store, cast)
    await sweep(store, at(MONDAY, 14, 5), CONFIG)
    [row] = await rows(store, "nudge_rota_unmarked", recipient_id=cast.colleague)
    message = await compose(store, row)
    assert message.title == "Not marked as monitored yet"
    assert paragraphs(message) == [
        "Nobody has marked Instagram ki_one (SOME-2027-0001) as monitored today, and Anna Berg "
        "is on duty. If you can, look at the account and mark it."
    ]
    assert actions(message) == [[("duty:monitored", "Monitored today", f"{one}:2027-03-01")]]
    # Composed for the manager (who is not on the team): no buttons, their responsibility.
    manager = await compose(store, row, recipient=cast.manager)
    assert "As manager you are responsible for cover." in paragraphs(manager)[0]
    assert actions(manager) == [[("cmd:duty", "Who is on duty", "")]]


async def test_duty_handed_nobody_on_duty_and_rota_changed(store: Store, cast: Cast) -> None:
    one, _ = await two_accounts(store, cast)
    async with store.transaction() as session:
        await monitoring.check_in(session, account_id=one, person_id=cast.requester,
                                  day=MONDAY, kind="cannot", now=T0, calendar=CONFIG.calendar)
    [handed] = await rows(store, "duty_handed")
    message = await compose(store, handed)
    assert paragraphs(message) == [
        "Anna Berg can't monitor Instagram ki_one (SOME-2027-0001) today, so you are on duty "
        "for it instead."
    ]
    assert actions(message) == [[
        ("duty:monitored", "Monitored today", f"{one}:2027-03-01"),
        ("duty:cannot", "I can't today", f"{one}:2027-03-01"),
    ]]
    assert paragraphs(await compose(store, handed, SV)) == [
        "Anna Berg kan inte bevaka Instagram ki_one (SOME-2027-0001) i dag, så du har "
        "bevakningen i stället."
    ]

    async with store.transaction() as session:
        await monitoring.check_in(session, account_id=one, person_id=cast.colleague,
                                  day=MONDAY, kind="cannot", now=T0, calendar=CONFIG.calendar)
    [nobody] = await rows(store, "nobody_on_duty")
    assert nobody.recipient_id == cast.manager
    assert paragraphs(await compose(store, nobody)) == [
        "Nobody in the team of Instagram ki_one (SOME-2027-0001) can monitor it today "
        "(2027-03-01). As manager you are responsible for arranging cover."
    ]

    async with store.transaction() as session:
        await rota.set_rota(session, account_id=one, actor_id=cast.manager, now=T0,
                            rotation="week", order=(cast.colleague, cast.requester))
    changed = await rows(store, "rota_changed")
    message = await compose(store, changed[0])
    assert paragraphs(message) == [
        "Dan Holm changed the monitoring rota of Instagram ki_one (SOME-2027-0001)."
    ]
    assert fields(message) == {"Order of the rota": "Bo Ek, Anna Berg"}
    assert contexts(message) == ["Duty moves to the next person in the rota every week."]
    assert fields(await compose(store, changed[0], SV)) == {
        "Ordning i bevakningsschemat": "Bo Ek, Anna Berg"
    }
    # Daily: every weekday with holiday duty, every working day without (the setting travels
    # with the notice).
    for holiday_duty, moves in ((True, "every weekday, public holidays and eves included."),
                                (False, "every working day.")):
        async with store.transaction() as session:
            await rota.set_rota(session, account_id=one, actor_id=cast.manager,
                                now=T0 + timedelta(minutes=1 + holiday_duty), rotation="day",
                                holiday_duty=holiday_duty)
        latest = (await rows(store, "rota_changed"))[-1]
        assert contexts(await compose(store, latest)) == [
            f"Duty moves to the next person in the rota {moves}"
        ]


# --- questions ------------------------------------------------------------------------------


async def test_questions_past_24_hours_each_with_answered(store: Store, cast: Cast) -> None:
    one, _ = await two_accounts(store, cast)
    typed = "Is the <!channel> open day on *Friday*? https://evil.example"
    async with store.transaction() as session:
        first, _ = await questions.receive_question(
            session, account_id=one, text=typed, now=T0, asked_by="Eva from Uppsala"
        )
        second = await questions.log_question(
            session, account_id=one, actor_id=cast.requester, text="Fees?", now=T0
        )
    # Tuesday 11:00: Bo is on duty.
    await sweep(store, at(MONDAY + timedelta(days=1), 11), CONFIG)
    [row] = await rows(store, "nudge_question")
    assert row.recipient_id == cast.colleague
    message = await compose(store, row)
    assert message.title == "Questions waiting for an answer"
    assert paragraphs(message) == [
        # Late for what the account promised (Within 24 hours), not a fixed 24 hours.
        "Questions to Instagram ki_one (SOME-2027-0001) have not been answered in the time the "
        "account promises (Within 24 hours). Answer them on the account, then click Answered."
    ]
    # What the public wrote is plain text in the neutral model: renderers escape it.
    assert fields(message) == {
        "Received 2027-03-01 10:00 from Eva from Uppsala": typed,
        "Received 2027-03-01 10:00": "Fees?",
    }
    assert actions(message) == [
        [("question:answered", "Answered", str(first.id)),
         ("question:refer", "Ask a colleague", str(first.id))],
        [("question:answered", "Answered", str(second.id)),
         ("question:refer", "Ask a colleague", str(second.id))],
    ]
    assert "Inkom 2027-03-01 10:00" in fields(await compose(store, row, SV))

    async with store.transaction() as session:
        await questions.answer_question(session, question_id=first.id or 0,
                                        actor_id=cast.colleague, now=T0 + timedelta(days=1))
    assert fields(await compose(store, row)) == {"Received 2027-03-01 10:00": "Fees?"}
    async with store.transaction() as session:
        await questions.answer_question(session, question_id=second.id or 0,
                                        actor_id=cast.colleague, now=T0 + timedelta(days=1))
    assert (await compose(store, row)).text == (
        "The questions have all been answered meanwhile. Thank you!"
    )


async def test_questions_past_72_hours_reach_the_manager(store: Store, cast: Cast) -> None:
    one, _ = await two_accounts(store, cast)
    async with store.transaction() as session:
        await questions.log_question(
            session, account_id=one, actor_id=cast.requester, text="Fees?", now=T0
        )
    await sweep(store, at(MONDAY + timedelta(days=3), 11), CONFIG)
    [row] = await rows(store, "nudge_question", recipient_id=cast.manager)
    message = await compose(store, row)
    assert paragraphs(message) == [
        "Questions to Instagram ki_one (SOME-2027-0001) are still unanswered two days after the "
        "time the account promises (Within 24 hours). As manager, please make sure the team "
        "answers them."
    ]
    # The manager is not on the team: no Answered to click.
    assert actions(message) == []


# --- archiving ------------------------------------------------------------------------------


async def test_archiving_reminders_have_one_field_for_where_and_buttons_per_account(
    store: Store, cast: Cast
) -> None:
    one, two = await two_accounts(store, cast)
    await sweep(store, at(date(2027, 8, 18), 9, 5), CONFIG)
    [row] = await rows(store, "nudge_archiving", recipient_id=cast.requester)
    message = await compose(store, row)
    assert message.title == "Time to archive the profile page"
    assert paragraphs(message) == [
        "The profile page of Instagram ki_one (SOME-2027-0001) is due to be archived on "
        "2027-09-01.",
        "The profile page of Instagram ki_two (SOME-2027-0002) is due to be archived on "
        "2027-09-01.",
    ]
    # *Archived…* names the period it asks about: the one after the last archiving (none yet).
    assert actions(message) == [
        [("archive:done", "Archived…", f"{one}:0"), ("archive:snooze", "Snooze a week", f"{one}:0")],
        [("archive:done", "Archived…", f"{two}:0"), ("archive:snooze", "Snooze a week", f"{two}:0")],
    ]
    [field] = inputs(message)
    assert (field.action, field.value) == ("archive:location", "")
    assert field.label.startswith("Where was it saved?")
    swedish = await compose(store, row, SV)
    assert [b.label for b in buttons(swedish)][:2] == ["Arkiverat…", "Påminn om en vecka"]
    assert inputs(swedish)[0].label.startswith("Var sparades den?")

    # Archived before delivery (the next is six months away): that item is left out.
    async with store.transaction() as session:
        await archive.record_archive(session, account_id=one, actor_id=cast.requester,
                                     location="W:/a", now=at(date(2027, 8, 18), 9, 6))
    assert paragraphs(await compose(store, row)) == paragraphs(message)[1:]
    # And a closed account too: nothing is left.
    async with store.transaction() as session:
        await closure.close_account(session, account_id=two, actor_id=cast.manager,
                                    reason="Done.", final_archive_location="W:/b",
                                    now=at(date(2027, 8, 18), 9, 6))
    left = await compose(store, row)
    assert left.text == "Nothing needs archiving any more." and not inputs(left)


async def test_the_archiving_reminder_asks_for_the_consents_too(
    store: Store, cast: Cast
) -> None:
    one, _ = await two_accounts(store, cast)
    async with store.transaction() as session:
        await consent.record_consent(
            session, account_id=one, actor_id=cast.colleague, post="https://x.example/p/1",
            people_named="Sara Lind", method="email", kept_at="W:/consent/1.eml",
            creator="Ulf Sirén", creator_credited=True, creator_consented=True,
            now=T0 + timedelta(days=30),
        )
    await sweep(store, at(date(2027, 8, 18), 9, 5), CONFIG)
    [row] = await rows(store, "nudge_archiving", recipient_id=cast.requester)
    asked = [c for c in contexts(await compose(store, row)) if "/consent" in c]
    since = T0.astimezone(SV.timezone).date().isoformat()
    assert asked == [
        f"Save the consents with the archive too. Recorded with /consent since {since}: {n}. "
        "Every post with identifiable people, and every image or video, needs consent and "
        "credit for its creator: record any that are missing with /consent."
        for n in (1, 0)
    ]
    swedish = [c for c in contexts(await compose(store, row, SV)) if "/consent" in c]
    assert swedish[0].startswith(
        f"Spara också samtyckena tillsammans med arkivet. Registrerade med /consent sedan {since}: 1."
    )


async def test_overdue_archiving_escalates_to_the_manager(store: Store, cast: Cast) -> None:
    await two_accounts(store, cast)
    await sweep(store, at(date(2027, 9, 15), 9, 5), CONFIG)
    [row] = await rows(store, "nudge_archiving", recipient_id=cast.manager)
    message = await compose(store, row)
    assert paragraphs(message)[0] == (
        "Archiving the profile page of Instagram ki_one (SOME-2027-0001) was due on 2027-09-01 "
        "and is more than 14 days overdue. As manager, please make sure the team does it."
    )
    assert actions(message) == [] and inputs(message) == []
    [team] = await rows(store, "nudge_archiving", recipient_id=cast.colleague)
    assert paragraphs(await compose(store, team)) == [
        "Archiving the profile page of Instagram ki_one (SOME-2027-0001) was due on 2027-09-01 "
        "and is not done yet."
    ]


async def test_archive_requested_before_a_major_change(store: Store, cast: Cast) -> None:
    one, _ = await two_accounts(store, cast)
    async with store.transaction() as session:
        await archive.request_archive(session, account_id=one, actor_id=cast.colleague, now=T0)
    [mine] = await rows(store, "archive_requested", recipient_id=cast.colleague)
    [theirs] = await rows(store, "archive_requested", recipient_id=cast.requester)
    assert paragraphs(await compose(store, mine)) == [
        "You asked the team of Instagram ki_one (SOME-2027-0001) to archive its profile page "
        "before a major change."
    ]
    message = await compose(store, theirs)
    assert paragraphs(message) == [
        "Bo Ek is planning a major change to Instagram ki_one (SOME-2027-0001). Before it, the "
        "profile page must be archived."
    ]
    assert actions(message) == [[("archive:done", "Archived…", f"{one}:0")]]
    assert len(inputs(message)) == 1
    assert paragraphs(await compose(store, theirs, SV)) == [
        "Bo Ek planerar en större förändring av Instagram ki_one (SOME-2027-0001). Före "
        "förändringen ska profilsidan arkiveras."
    ]


# --- inactivity and closing -----------------------------------------------------------------


async def test_is_the_account_still_active(store: Store, cast: Cast) -> None:
    one, _ = await two_accounts(store, cast)
    await sweep(store, at(date(2027, 3, 18), 9, 5), CONFIG)
    [row] = await rows(store, "nudge_inactivity", recipient_id=cast.colleague)
    message = await compose(store, row)
    assert message.title == "Is the account still active?"
    assert paragraphs(message) == ["Is Instagram ki_one (SOME-2027-0001) still active?"]
    assert contexts(message) == [
        "No monitoring has been logged since the account was registered.",
        "Accounts that are no longer active must be closed. If the account is active, say so; "
        "if not, close it.",
    ]
    assert actions(message) == [[
        ("active:yes", "Still active", str(one)),
        ("close:start", "Close the account", str(one)),
    ]]
    assert paragraphs(await compose(store, row, SV)) == [
        "Är Instagram ki_one (SOME-2027-0001) fortfarande aktivt?"
    ]


async def test_inactive_for_30_days_more_reaches_the_manager_and_the_comms_office(
    store: Store, cast: Cast
) -> None:
    one, _ = await two_accounts(store, cast)
    await sweep(store, at(date(2027, 4, 15), 9, 5), CONFIG)
    [manager] = await rows(store, "nudge_inactivity", recipient_id=cast.manager)
    message = await compose(store, manager)
    assert paragraphs(message)[0] == (
        "Instagram ki_one (SOME-2027-0001) has looked inactive since 2027-03-16, and its team "
        "has not answered for 30 days."
    )
    # The manager may close it, but is not on the team.
    assert actions(message)[0] == [("close:start", "Close the account", str(one))]
    [comms] = [r for r in await rows(store, "nudge_inactivity") if r.place == "comms"]
    posted = await compose(store, comms)
    assert len(paragraphs(posted)) == 2 and actions(posted) == []


async def test_account_closed_for_the_registry_office(store: Store, cast: Cast) -> None:
    one, _ = await two_accounts(store, cast)
    later = T0 + timedelta(days=100)
    async with store.transaction() as session:
        await closure.close_account(session, account_id=one, actor_id=cast.colleague,
                                    reason="The project <@here> ended.",
                                    final_archive_location="Diarienummer 1-234/2027", now=later)
    [registry] = await rows(store, "account_closed", place="registry")
    message = await compose(store, registry)
    assert message.title == "Account closed: SOME-2027-0001"
    assert paragraphs(message) == [
        "Instagram ki_one (SOME-2027-0001) of Department of Neuroscience has been closed and "
        "has left the monitoring rota."
    ]
    assert fields(message) == {
        "Closed by": "Bo Ek",
        "Closed": "2027-06-09 11:00",
        "Reason": "The project <@here> ended.",
        "Final archive": "Diarienummer 1-234/2027",
        "Responsible persons": "Anna Berg, Bo Ek",
        "Immediate manager": "Dan Holm",
        "Registered": "2027-03-01 10:00",
    }
    swedish = await compose(store, registry, SV)
    assert swedish.title == "Kontot är stängt: SOME-2027-0001"
    assert list(fields(swedish))[:4] == ["Stängt av", "Stängt", "Skäl", "Slutarkivering"]


# --- approvals ------------------------------------------------------------------------------


async def test_approval_reminders_to_the_approver_then_the_requester(
    store: Store, cast: Cast
) -> None:
    request = await submit(store, cast)
    value = f"{request.id}:1:manager"
    await sweep(store, at(date(2027, 3, 3), 9, 5), CONFIG)
    [row] = await rows(store, "nudge_approval")
    assert row.recipient_id == cast.manager
    message = await compose(store, row)
    assert message.title == "Requests waiting for a decision"
    assert paragraphs(message) == [
        "The request from Anna Berg to open Instagram ki_neuroscience has waited 2 working days "
        "for your decision."
    ]
    assert contexts(message) == [
        "It reached you on 2027-03-01 10:00. The request, with its buttons, is further up in "
        "our chat; if you are away, hand it to another approver."
    ]
    assert actions(message) == [[("approval:handover", "Hand to another approver", value)]]

    await sweep(store, at(date(2027, 3, 8), 9, 5), CONFIG)
    [slow] = await rows(store, "nudge_approval", recipient_id=cast.requester)
    message = await compose(store, slow)
    assert paragraphs(message) == [
        "Your request to open Instagram ki_neuroscience has waited 5 working days for the "
        "decision of Dan Holm. If they are away, you can ask another approver to decide "
        "instead."
    ]
    assert actions(message) == [[("approval:handover", "Hand to another approver", value)]]
    assert paragraphs(await compose(store, slow, SV))[0].startswith(
        "Din ansökan om att öppna Instagram ki_neuroscience har väntat 5 arbetsdagar"
    )

    # Decided before delivery: nothing left to remind of.
    await decide(store, request.id or 0, cast.manager, now=at(date(2027, 3, 8), 9, 6))
    assert (await compose(store, slow)).text == "The requests have been decided meanwhile."


async def test_a_digest_says_how_many_more_wait(store: Store, cast: Cast) -> None:
    for n in range(14):
        await register(store, requester=cast.requester, team=(cast.colleague,),
                       manager=cast.manager, now=T0, handle=f"ki_{n:02d}")
    await sweep(store, at(MONDAY, 8, 30), CONFIG)
    [row] = await rows(store, "nudge_rota", recipient_id=cast.requester)
    message = await compose(store, row)
    assert len(paragraphs(message)) == 12
    assert contexts(message)[-1] == "2 more are waiting as well."
    assert not [b for b in message.blocks if isinstance(b, Fields)]
