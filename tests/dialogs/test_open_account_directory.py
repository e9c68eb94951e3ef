"""`/open-account` with the organisation's directory: the requester's manager and unit are
proposed and accepted with one click; another manager needs a reason, which the approver, the
Communications Office and the register see; units come from the directory's list (narrowed by
a few letters when it is long), or without a directory from those already registered."""

from __future__ import annotations

import pytest

from data import directory, export
from data.db import Store
from data.errors import Invalid
from data.models import Account, AccountRequest, Decision
from dialogs import notices
from dialogs.i18n import Translator
from dialogs.messages import Choice, Context, Message
from dialogs.router import Brain
from tests.helpers import T0, Cast, decide, load, make_person, submit
from tests.helpers.chat import (
    CastSenders,
    Chat,
    buttons,
    cast_senders,
    choices,
    fields,
    fill,
    fill_from,
    only,
    says,
    step_of,
)
from tests.helpers.journey import latest_request

EN = Translator("en")
SV = Translator("sv")
REASON = "Dan is on parental leave until June; Filip runs the programme meanwhile."
STAFF = (
    "email,name,unit,manager_email\n"
    "dan.holm@ki.se,Dan Holm,Department of Neuroscience,\n"
    "anna.berg@ki.se,Anna Berg,Department of Neuroscience,dan.holm@ki.se\n"
    "filip.sjo@ki.se,Filip Sjö,Department of Clinical Neuroscience,\n"
    "bo.ek@ki.se,Bo Ek,Department of Neuroscience,dan.holm@ki.se\n"
)


async def give_emails(store: Store) -> None:
    async with store.transaction() as session:
        for name, email in (
            ("Anna Berg", "anna.berg@ki.se"),
            ("Dan Holm", "dan.holm@ki.se"),
            ("Filip Sjö", "filip.sjo@ki.se"),
        ):
            await make_person(session, T0, name, email=email)


async def import_staff(store: Store, text: str = STAFF) -> None:
    async with store.transaction() as session:
        await directory.import_csv(session, text, now=T0)


@pytest.fixture
async def staff(store: Store, cast: Cast) -> CastSenders:
    """The cast with work e-mails, and KI's directory naming Dan Holm as Anna's manager."""
    await give_emails(store)
    await import_staff(store)
    return await cast_senders(store, cast)


@pytest.fixture
def chat(store: Store, staff: CastSenders) -> Chat:
    return Chat(Brain(store), staff.requester)


def hint(message: Message) -> str:
    [context] = [b.text for b in message.blocks if isinstance(b, Context)]
    return context


def button(message: Message, label: str) -> str:
    found = [b.action for b in buttons(message) if b.label == label]
    assert found, [b.label for b in buttons(message)]
    return found[0]


async def test_the_proposed_unit_and_manager_are_accepted_with_one_click_each(
    store: Store, cast: Cast, staff: CastSenders, chat: Chat
) -> None:
    unit = await fill(chat, staff, until="unit")
    assert button(unit, "Use Department of Neuroscience") == "dlg:unit:accept"
    [listed] = choices(unit)
    assert [o.label for o in listed.options] == [
        "Department of Clinical Neuroscience", "Department of Neuroscience",
    ]
    assert all(o.value.startswith("u:") for o in listed.options)
    assert hint(unit) == "Pick the unit from the list, or type a few letters of its name."
    assert step_of(only(await chat.dlg("unit", "accept"))) == "scope"

    manager = await fill_from(chat, staff, "scope", until="manager")
    assert button(manager, "Yes, Dan Holm") == "dlg:manager:accept"
    assert hint(manager) == (
        "KI's directory names Dan Holm as your manager: click Yes, or pick someone else and say why."
    )
    nxt = only(await chat.dlg("manager", "accept"))
    # The directory's manager needs no reason: the next question is the usual one.
    assert step_of(nxt) == "monitoring"
    assert nxt.title == "Open a social-media account: question 11 of 14"

    summary = await fill_from(chat, staff, "monitoring")
    shown = fields(summary)
    assert (shown["Organisational unit"], shown["Immediate manager"]) == (
        "Department of Neuroscience", "Dan Holm",
    )
    assert "Why another manager" not in shown
    await chat.dlg("summary", "submit")
    request = await latest_request(store)
    assert (request.manager_id, request.manager_reason) == (cast.manager, None)
    assert request.unit == "Department of Neuroscience"


async def test_the_proposed_manager_already_on_the_team_is_refused_at_the_click(
    store: Store, cast: Cast, staff: CastSenders, chat: Chat
) -> None:
    # Dan, the directory's manager, was named a responsible person: Yes, Dan Holm is refused
    # at once, not after the summary and Submit.
    await fill(chat, staff, until="team")
    manager = only(await chat.dlg("team", "pick", staff.manager.external_id))
    assert step_of(manager) == "manager"
    refused = only(await chat.dlg("manager", "accept"))
    assert says(
        refused,
        "A responsible person for the account can't also approve it as manager: "
        "name your immediate manager.",
    )
    assert step_of(refused) == "manager"
    assert step_of(only(await chat.say("Filip Sjö"))) == "manager_reason"


async def test_another_manager_is_named_with_a_reason_shown_on_the_approval_card(
    store: Store, cast: Cast, staff: CastSenders, chat: Chat
) -> None:
    await fill(chat, staff, until="manager")
    asked = only(await chat.say("Filip Sjö"))
    assert step_of(asked) == "manager_reason"
    assert asked.title == "Open a social-media account: question 11 of 15"
    assert says(asked, "Why should someone other than the manager in KI's directory approve?")
    assert hint(asked) == (
        "KI's directory names Dan Holm as your manager. Say why someone else approves "
        "(at most 500 characters)."
    )
    refused = only(await chat.say("   "))
    assert step_of(refused) == "manager_reason"
    assert says(refused, "Please write an answer: it can't be empty.")
    assert step_of(only(await chat.say("x" * 501))) == "manager_reason"
    nxt = only(await chat.say(f"  {REASON} "))
    assert step_of(nxt) == "monitoring"
    assert nxt.title == "Open a social-media account: question 12 of 15"

    summary = await fill_from(chat, staff, "monitoring")
    assert fields(summary)["Why another manager"] == REASON
    assert fields(summary)["Immediate manager"] == "Filip Sjö"
    await chat.dlg("summary", "submit")
    request = await latest_request(store)
    assert (request.manager_id, request.manager_reason) == (cast.outsider, REASON)

    # The approval card shows why, in the approver's language.
    async with store.transaction() as session:
        card = await notices.compose(
            session, EN, "approval_card",
            {"request_id": request.id, "round": 1, "stage": "manager"}, cast.outsider,
        )
        swedish = await notices.compose(
            session, SV, "approval_card",
            {"request_id": request.id, "round": 1, "stage": "manager"}, cast.outsider,
        )
    assert fields(card)["Why another manager"] == REASON
    assert fields(swedish)["Varför en annan chef"] == REASON

    # Approved, it reaches the Communications Office and the register with the reason.
    assert request.id is not None
    outcome = await decide(store, request.id, cast.outsider, Decision.APPROVE)
    assert outcome.account is not None and outcome.account.manager_reason == REASON
    async with store.transaction() as session:
        notice = await notices.compose(
            session, EN, "account_registered", {"account_id": outcome.account.id}, None
        )
        [[row]] = [rows async for rows in export.register_chunks(session)]
    assert fields(notice)["Why another manager"] == REASON
    assert row["manager_reason"] == REASON


async def test_changing_the_manager_from_the_summary_asks_for_the_reason_then(
    store: Store, cast: Cast, staff: CastSenders, chat: Chat
) -> None:
    await fill(chat, staff, until="manager")
    await chat.dlg("manager", "accept")
    await fill_from(chat, staff, "monitoring")
    await chat.dlg("summary", "edit")
    await chat.dlg("summary", "edit_field", "manager")
    assert step_of(only(await chat.say("Filip Sjö"))) == "manager_reason"
    summary = only(await chat.say(REASON))
    assert step_of(summary) == "summary"
    assert fields(summary)["Why another manager"] == REASON
    # Back to the directory's manager: the reason goes with it.
    await chat.dlg("summary", "edit")
    await chat.dlg("summary", "edit_field", "manager")
    summary = only(await chat.dlg("manager", "accept"))
    assert step_of(summary) == "summary"
    assert "Why another manager" not in fields(summary)
    await chat.dlg("summary", "submit")
    request = await latest_request(store)
    assert (request.manager_id, request.manager_reason) == (cast.manager, None)


async def test_a_long_list_of_units_is_narrowed_by_a_few_letters(
    store: Store, cast: Cast, staff: CastSenders, chat: Chat
) -> None:
    many = "".join(f"u{n:03}@ki.se,U {n},Unit {n:03},\n" for n in range(120))
    await import_staff(store, STAFF + many)
    unit = await fill(chat, staff, until="unit")
    # 122 units are more than a menu holds: a few letters first.
    assert choices(unit) == []
    assert hint(unit) == "Type a few letters of the unit's name to find it in the list."
    assert button(unit, "Use Department of Neuroscience") == "dlg:unit:accept"

    none = only(await chat.say("Karolinska"))
    assert says(none, "No unit in KI's directory has Karolinska in its name.")
    narrowed = only(await chat.say("unit 01"))
    assert step_of(narrowed) == "unit"
    assert says(narrowed, "10 units have unit 01 in their name: pick yours from the list.")
    [listed] = choices(narrowed)
    assert [o.label for o in listed.options] == [f"Unit {n:03}" for n in range(10, 20)]
    assert listed.filtered and listed.submit_label == "Confirm"
    assert step_of(only(await chat.dlg("unit", "choose", listed.options[3].value))) == "scope"
    state = await load(store, AccountRequest)
    assert state == []
    summary = await fill_from(chat, staff, "scope")
    assert fields(summary)["Organisational unit"] == "Unit 013"

    # Typed in full, in any case, a unit is taken as the directory spells it.
    await chat.dlg("summary", "edit")
    await chat.dlg("summary", "edit_field", "unit")
    summary = only(await chat.say("department OF neuroscience"))
    assert fields(summary)["Organisational unit"] == "Department of Neuroscience"


async def test_without_a_directory_units_already_registered_are_offered(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    request = await submit(store, cast, unit="Department of Neuroscience", handle="ki_neuro_lab")
    assert request.id is not None
    await decide(store, request.id, cast.manager, Decision.APPROVE)
    [account] = await load(store, Account)
    chat = Chat(Brain(store), who.second_colleague)
    unit = await fill(chat, who, until="unit")
    [listed] = choices(unit)
    assert [(o.value, o.label) for o in listed.options] == [
        (f"a:{account.id}", "Department of Neuroscience")
    ]
    assert not listed.filtered
    assert hint(unit) == (
        "Pick a unit already in the register, or type the name of another (at most 200 characters)."
    )
    # Nothing is proposed: no directory knows this person.
    assert [b.label for b in buttons(unit)] == ["Back", "Help", "Cancel"]
    assert step_of(only(await chat.say("department of NEUROSCIENCE"))) == "scope"
    manager = await fill_from(chat, who, "scope", until="manager")
    assert [b.label for b in buttons(manager)] == ["Back", "Help", "Cancel"]
    summary = await fill_from(chat, who, "manager")
    assert fields(summary)["Organisational unit"] == "Department of Neuroscience"
    assert len(fields(summary)) == 14


async def test_a_new_unit_is_typed_once_without_a_directory(
    store: Store, who: CastSenders
) -> None:
    chat = Chat(Brain(store), who.requester)
    unit = await fill(chat, who, until="unit")
    assert [b for b in unit.blocks if isinstance(b, Choice)] == []
    assert hint(unit) == "Type your answer below (at most 200 characters)."
    assert step_of(only(await chat.say(" Unit\u00a0of Cafe\u0301 Studies "))) == "scope"
    summary = await fill_from(chat, who, "scope")
    assert fields(summary)["Organisational unit"] == "Unit of Café Studies"


async def test_the_domain_holds_the_rules_whatever_the_dialog_sent(
    store: Store, cast: Cast, staff: CastSenders
) -> None:
    with pytest.raises(Invalid) as no_reason:
        await submit(store, cast, manager_id=cast.outsider)
    assert (no_reason.value.code, no_reason.value.params) == (
        "manager_reason_required", {"field": "manager_reason"},
    )
    with pytest.raises(Invalid) as outside:
        await submit(store, cast, unit="Department of Lost Causes")
    assert outside.value.code == "unit_not_in_directory"
    # A reason given for the directory's own manager is not kept.
    request = await submit(store, cast, manager_reason="no need", unit="department of neuroscience")
    assert (request.manager_reason, request.unit) == (None, "Department of Neuroscience")
