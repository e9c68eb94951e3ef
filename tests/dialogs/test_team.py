"""`/team` through `Brain.handle`: the account's people with their buttons, adding a person
by picker or by name, removing one, handing the account to a new manager who accepts on a card
of their own, correcting the unit; and /duty afterwards. data.team decides who may; on SQLite
and PostgreSQL; every turn at an explicit time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from data.db import Store
from data.models import Account, ManagerHandover, Outbox
from data.register import team_of
from dialogs import notices
from dialogs.i18n import Translator
from dialogs.messages import Choice, Context, Message
from tests.helpers import T0, Cast, load, make_roles
from tests.helpers.accounts import id_of, register
from tests.helpers.chat import CastSenders, buttons, fields, only, pickers, says, step_of
from tests.helpers.nudging import account_of, chat, refusal

TUESDAY = T0 + timedelta(days=1)  # 10:00 on Tuesday 2 March 2027 in Stockholm
LABEL = "SOME-2027-0001 · Instagram ki_neuroscience"
NAME = "Instagram ki_neuroscience"
# How notices name it.
TOLD = "Instagram ki_neuroscience (SOME-2027-0001)"
EN, SV = Translator("en"), Translator("sv")


def team_buttons(message: Message) -> list[tuple[str, str, str]]:
    return [(b.action, b.label, b.value) for b in buttons(message) if b.action.startswith("team:")]


def small_print(message: Message) -> list[str]:
    return [b.text for b in message.blocks if isinstance(b, Context)]


async def compose(
    store: Store, row: Outbox, tr: Translator = EN
) -> Message:
    async with store.transaction() as session:
        return await notices.compose(session, tr, row.kind, row.params, row.recipient_id)


async def newest(store: Store, kind: str, **where: Any) -> Outbox:
    rows = await load(store, Outbox, Outbox.kind == kind)
    rows = [r for r in rows if all(getattr(r, k) == v for k, v in where.items())]
    assert rows, kind
    return rows[-1]


# --- the card --------------------------------------------------------------------------------


async def test_team_shows_the_people_and_what_can_be_changed(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    account = await account_of(store, cast)
    for person in (who.requester, who.manager):
        card = only(await chat(store, person, TUESDAY).command("team"))
        assert card.title == f"The people of {LABEL}"
        assert fields(card) == {
            "Responsible persons (in rota order)": "Anna Berg, Bo Ek",
            "Immediate manager": "Dan Holm",
            "Organisational unit": "Department of Neuroscience",
            "On duty today": "Bo Ek",
        }
        # Two is the least a team may have: nobody can be removed yet.
        assert team_buttons(card) == [
            ("team:add", "Add a person", str(account)),
            ("team:manager", "Change the manager", str(account)),
            ("team:unit", "Correct the unit", str(account)),
        ]
        assert small_print(card) == [
            "An account needs at least 2 responsible persons: add someone before anyone "
            "leaves the team."
        ]
    outsider = only(await chat(store, who.outsider).command("team"))
    assert says(outsider, "You are not on the team of any open account, nor its manager")
    assert not buttons(outsider)


async def test_several_accounts_are_picked_first(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    first = await account_of(store, cast)
    second = await account_of(store, cast, handle="ki_research")
    reply = only(await chat(store, who.colleague).command("team"))
    [choice] = [b for b in reply.blocks if isinstance(b, Choice)]
    assert choice.action == "team:show"
    assert [o.value for o in choice.options] == [str(first), str(second)]
    card = only(await chat(store, who.colleague).click("team:show", str(second)))
    assert card.title == "The people of SOME-2027-0002 · Instagram ki_research"
    # Typed by its number too.
    typed = only(await chat(store, who.colleague).command("team", "some-2027-0002"))
    assert typed.title == card.title
    # An outsider's forged pick is refused.
    assert refusal(await chat(store, who.outsider).click("team:show", str(second))) == (
        "Only the account's team, its manager or the Communications Office can change its "
        "people. Nothing was changed."
    )


async def test_the_communications_office_names_any_account_by_number(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    await account_of(store, cast)
    assert says(only(await chat(store, who.outsider).command("team", "SOME-2027-0001")),
                "None of the accounts whose people you may change is numbered SOME-2027-0001.")
    async with store.transaction() as session:
        await make_roles(session, T0, comms={cast.outsider})
    card = only(await chat(store, who.outsider).command("team", "SOME-2027-0001"))
    assert card.title == f"The people of {LABEL}"
    assert says(only(await chat(store, who.outsider).command("team")),
                "Type /team with the account's number")


# --- adding and removing ---------------------------------------------------------------------


async def test_a_person_is_added_by_picker_and_the_rota_follows(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    account = await account_of(store, cast)
    anna = chat(store, who.requester, TUESDAY)
    prompt = only(await anna.click("team:add", value=str(account)))
    assert step_of(prompt) == "person"
    # The picker leaves out whom the step would refuse (where a platform's picker can: the web
    # chat's, Teams' searched one): the team, Anna too, and the manager.
    [picker] = pickers(prompt)
    assert set(picker.exclude) == {
        who.requester.external_id, who.colleague.external_id, who.manager.external_id
    }

    # Someone already on the team, or the manager, is refused at once (a picker that lists
    # everyone: Slack's).
    again = only(await anna.dlg("person", "pick", who.colleague.external_id))
    assert says(again, "Bo Ek is already one of the responsible persons.")
    again = only(await anna.dlg("person", "pick", who.manager.external_id))
    assert says(again, "Dan Holm is the account's immediate manager")
    assert step_of(again) == "person"

    summary = only(await anna.dlg("person", "pick", who.second_colleague.external_id))
    assert step_of(summary) == "summary"
    assert fields(summary) == {"Account": LABEL, "New responsible person": "Cia Lund"}
    done = only(await anna.dlg("summary", "submit"))
    assert says(done, "Cia Lund is now on the team of Instagram ki_neuroscience, last in the rota.")
    assert fields(done)["Responsible persons (in rota order)"] == "Bo Ek, Anna Berg, Cia Lund"
    assert fields(done)["On duty today"] == "Bo Ek"
    # Three now: each may be removed.
    assert [label for _, label, _ in team_buttons(done)][:3] == [
        "Remove Bo Ek", "Remove Anna Berg", "Remove Cia Lund"
    ]
    duty = only(await chat(store, who.second_colleague, TUESDAY).command("duty"))
    assert fields(duty)["Thursday 2027-03-04"] == "Cia Lund"


async def test_a_person_is_added_by_typing_their_name(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    account = await account_of(store, cast)
    bo = chat(store, who.colleague, TUESDAY)
    only(await bo.click("team:add", value=str(account)))
    assert step_of(only(await bo.say("Cia Lund"))) == "summary"
    only(await bo.say("submit"))
    [stored] = await load(store, Account)
    async with store.transaction() as session:
        assert await team_of(session, id_of(stored)) == [
            cast.colleague, cast.requester, cast.second_colleague
        ]


async def test_the_person_on_duty_is_removed_and_duty_moves(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    account = id_of(await register(
        store, requester=cast.requester, team=(cast.colleague, cast.second_colleague),
        manager=cast.manager, now=T0,
    ))
    dan = chat(store, who.manager, TUESDAY)
    card = only(await dan.command("team"))
    [remove_bo] = [b for b in buttons(card) if b.label == "Remove Bo Ek"]
    assert remove_bo.value == f"{account}:{cast.colleague}" and remove_bo.confirm is not None
    assert remove_bo.confirm.title == "Remove Bo Ek from the team?"

    done = only(await dan.click("team:remove", value=remove_bo.value))
    assert says(
        done,
        "Bo Ek has left the team of Instagram ki_neuroscience and its rota. The team and the "
        "Communications Office have been told. Cia Lund is on duty today instead and has been "
        "told.",
    )
    assert fields(done)["Responsible persons (in rota order)"] == "Cia Lund, Anna Berg"
    duty = only(await chat(store, who.second_colleague, TUESDAY).command("duty"))
    assert says(duty, f"{LABEL}: you are on duty today.")
    handed = await newest(store, "duty_handed")
    assert handed.recipient_id == cast.second_colleague
    assert says(await compose(store, handed),
                f"Bo Ek has left the team of {TOLD}, so you are on duty for it today instead.")
    # Bo hears he is off the team; in Swedish for Anna, to check the words.
    off = await newest(store, "team_changed", recipient_id=cast.colleague)
    assert says(await compose(store, off),
                f"Dan Holm took you off the team of {TOLD}. You are no longer on its rota.")
    anna = await newest(store, "team_changed", recipient_id=cast.requester)
    assert says(await compose(store, anna, SV),
                f"Dan Holm har tagit bort Bo Ek från teamet för {TOLD} och dess bevakningsschema.")

    # Two left: a second click on Remove (or a forged one) is refused.
    assert refusal(await dan.click("team:remove", value=f"{account}:{cast.requester}")) == (
        "An account needs at least 2 responsible persons, so Anna Berg can't leave until "
        "someone else has joined. Nothing was changed."
    )
    assert refusal(await chat(store, who.outsider).click(
        "team:remove", value=f"{account}:{cast.requester}"
    )).startswith("Only the account's team, its manager or the Communications Office")


# --- the manager -----------------------------------------------------------------------------


async def test_the_manager_is_handed_over_and_the_new_one_accepts(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    account = await account_of(store, cast)
    anna = chat(store, who.requester, TUESDAY)
    prompt = only(await anna.click("team:manager", value=str(account)))
    assert step_of(prompt) == "manager"
    [picker] = pickers(prompt)
    assert set(picker.exclude) == {
        who.requester.external_id, who.colleague.external_id, who.manager.external_id
    }
    refused = only(await anna.dlg("manager", "pick", who.colleague.external_id))
    assert says(refused, "Bo Ek is one of the responsible persons, and the immediate manager "
                         "can't also be on the team.")
    summary = only(await anna.dlg("manager", "pick", who.director.external_id))
    assert fields(summary) == {"Account": LABEL, "New immediate manager": "Eva Strand"}
    done = only(await anna.dlg("summary", "submit"))
    assert says(done, "Eva Strand has been asked to accept being the immediate manager of "
                      "Instagram ki_neuroscience. Until they do, Dan Holm stays the manager.")
    assert small_print(done)[0].startswith("Waiting for Eva Strand to accept")

    row = await newest(store, "manager_handover")
    card = await compose(store, row)
    assert card.title == f"Will you be the manager of {TOLD}?"
    assert says(card, "Anna Berg asks you to take over as the immediate manager of "
                      "Instagram ki_neuroscience (SOME-2027-0001) from Dan Holm.")
    [handover] = await load(store, ManagerHandover)
    assert [(b.action, b.value) for b in buttons(card)] == [
        ("manager:accept", str(handover.id)), ("manager:decline", str(handover.id))
    ]

    # Only Eva's click counts.
    for other in (who.manager, who.requester):
        assert refusal(await chat(store, other, TUESDAY).click(
            "manager:accept", value=str(handover.id)
        )) == ("Only the person asked to take over as manager can answer this. "
               "Nothing was changed.")
    eva = chat(store, who.director, TUESDAY)
    accepted = only(await eva.click("manager:accept", value=str(handover.id)))
    assert says(accepted, "You are now the immediate manager of Instagram ki_neuroscience "
                          "(SOME-2027-0001).")
    assert fields(accepted)["Immediate manager"] == "Eva Strand"
    [stored] = await load(store, Account)
    assert stored.manager_id == cast.director
    # A double click changes nothing, and the card now shows the answer instead of buttons.
    assert refusal(await eva.click("manager:accept", value=str(handover.id))) == (
        "This hand-over has already been answered or withdrawn, so that click changed nothing."
    )
    update = await newest(store, "manager_handover")
    assert update.update_of == row.key
    updated = await compose(store, update)
    assert not buttons(updated)
    assert small_print(updated) == ["You accepted on 2027-03-02 10:00."]
    told = await compose(store, await newest(store, "team_changed", recipient_id=cast.manager))
    assert says(told, f"Eva Strand is now the immediate manager of {TOLD}, taking over from "
                      "Dan Holm.")
    # The new manager may change the team from now on; the old one may not.
    assert only(await eva.command("team")).title == f"The people of {LABEL}"
    assert says(only(await chat(store, who.manager).command("team")), "You are not on the team")


async def test_a_new_manager_who_joined_the_team_meanwhile_is_told_in_their_own_words(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    account = await account_of(store, cast)
    dan = chat(store, who.manager, TUESDAY)
    only(await dan.click("team:manager", value=str(account)))
    only(await dan.say("Eva Strand"))
    only(await dan.dlg("summary", "submit"))
    anna = chat(store, who.requester, TUESDAY)
    only(await anna.click("team:add", value=str(account)))
    only(await anna.say("Eva Strand"))
    only(await anna.dlg("summary", "submit"))
    [handover] = await load(store, ManagerHandover)
    # Said to Eva, who clicked: not "Eva Strand is one of the responsible persons".
    assert refusal(await chat(store, who.director, TUESDAY).click(
        "manager:accept", value=str(handover.id)
    )) == ("You have joined the team of this account since you were asked, and the immediate "
           "manager can't also be one of its responsible persons. Ask to be taken off the team "
           "first, or decline.")
    [stored] = await load(store, Account)
    assert stored.manager_id == cast.manager


async def test_the_new_manager_declines(store: Store, cast: Cast, who: CastSenders) -> None:
    account = await account_of(store, cast)
    dan = chat(store, who.manager, TUESDAY)
    only(await dan.click("team:manager", value=str(account)))
    only(await dan.say("Eva Strand"))
    only(await dan.dlg("summary", "submit"))
    [handover] = await load(store, ManagerHandover)
    declined = only(await chat(store, who.director, TUESDAY).click(
        "manager:decline", value=str(handover.id)
    ))
    assert says(declined, "You declined to become the immediate manager of "
                          "Instagram ki_neuroscience.")
    [stored] = await load(store, Account)
    assert stored.manager_id == cast.manager
    told = await compose(store, await newest(store, "manager_declined"))
    assert says(told, f"Eva Strand declined to become the immediate manager of {TOLD}. "
                      "Dan Holm stays the manager; type /team to ask someone else.")


# --- the unit --------------------------------------------------------------------------------


async def test_the_unit_is_corrected(store: Store, cast: Cast, who: CastSenders) -> None:
    account = await account_of(store, cast)
    bo = chat(store, who.colleague, TUESDAY)
    prompt = only(await bo.click("team:unit", value=str(account)))
    assert step_of(prompt) == "unit"
    assert step_of(only(await bo.say("Department of Neuroscience"))) == "summary"
    # The same unit is refused at submit and the question asked again.
    again = only(await bo.dlg("summary", "submit"))
    assert says(again, "The account is already registered to Department of Neuroscience.")
    assert step_of(again) == "unit"
    only(await bo.say("Department of Clinical Neuroscience"))
    done = only(await bo.dlg("summary", "submit"))
    assert says(done, "Instagram ki_neuroscience is now registered to Department of Clinical "
                      "Neuroscience.")
    comms = await newest(store, "team_changed", place="comms")
    assert says(await compose(store, comms),
                f"Bo Ek corrected the organisational unit of {TOLD} from Department of "
                "Neuroscience to Department of Clinical Neuroscience.")


async def test_cancel_changes_nothing(store: Store, cast: Cast, who: CastSenders) -> None:
    account = await account_of(store, cast)
    bo = chat(store, who.colleague, TUESDAY)
    only(await bo.click("team:unit", value=str(account)))
    assert says(only(await bo.say("cancel")), "Cancelled. Nothing was changed.")
    [stored] = await load(store, Account)
    assert stored.unit == "Department of Neuroscience"
    # An outsider can't even start one.
    assert refusal(await chat(store, who.outsider).click("team:add", value=str(account)))
