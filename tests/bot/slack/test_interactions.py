"""Every other kind of payload: the App Home, typed words, people named by mention, the reason
field of the approval card, handing a decision over, and what is ignored (modals among it)."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlencode

from data import directory, people
from data.models import (
    Account,
    AccountRequest,
    ApprovalDecision,
    ChatIdentity,
    Decision,
    DialogState,
    InboxEvent,
    Person,
    RequestStatus,
)
from dialogs.i18n import Translator
from tests.bot.slack.rig import (
    ANNA,
    BJORN,
    CECILIA,
    EVA,
    FILIP,
    GENERAL,
    GRETA,
    WAIT,
    SlackRig,
    buttons,
)
from tests.helpers import T0, count, id_of, load, make_person
from tests.helpers.accounts import register as register_account
from tests.helpers.fake_slack import TEAM, Posted, dm_channel
from tests.helpers.journey import STAFF, SUBMIT, import_staff, open_account_answers

EN = Translator("en")
SV = Translator("sv")
FORM = "application/x-www-form-urlencoded"


async def submitted_with(rig: SlackRig, **answers: object) -> None:
    """Anna's request asked as far as its team (the picked people made known)."""
    before = len(rig.fake.dm(ANNA.id))
    await rig.command(ANNA.id, "open-account")
    await rig.next_dm(ANNA.id, before)
    for answer in open_account_answers(manager=CECILIA.id, **answers):  # type: ignore[arg-type]
        await rig.answer(ANNA.id, answer)
        if answer.step == "team":
            break
    await rig.settle()


async def submitted(rig: SlackRig, **answers: object) -> AccountRequest:
    before = len(rig.fake.dm(ANNA.id))
    await rig.command(ANNA.id, "open-account")
    await rig.next_dm(ANNA.id, before)
    for answer in open_account_answers(team=(BJORN.id,), manager=CECILIA.id, **answers):  # type: ignore[arg-type]
        await rig.answer(ANNA.id, answer)
    await rig.answer(ANNA.id, SUBMIT)
    await rig.settle()
    [request] = await load(rig.store, AccountRequest)
    return request


async def test_people_come_from_users_info_with_their_language(rig: SlackRig) -> None:
    await rig.command(BJORN.id, "open-account")
    first = await rig.next_dm(BJORN.id, 0)
    assert SV("Which platform is the account on?") in first.all_text()
    [person] = await load(rig.store, Person, Person.display_name == BJORN.name)
    assert (person.email, person.locale) == (BJORN.email, "sv")


async def test_a_profile_name_is_stored_cleaned(rig: SlackRig) -> None:
    """A Slack profile's name reaches pages and exports as typed text does: cleaned (no
    control or zero-width character, no bidi override left open), whether the person writes
    or someone picks them."""
    rig.fake.users[BJORN.id].real_name = "Björn \u202enreB\u200b Berg\x07"
    rig.fake.users[CECILIA.id].real_name = "Cecilia\x00 \ufeffCarlsson"
    await rig.say(BJORN.id, "help")
    await rig.next_dm(BJORN.id, 0)
    await submitted_with(rig, team=(CECILIA.id,))
    [bjorn] = await load(rig.store, Person, Person.email == BJORN.email)
    [cecilia] = await load(rig.store, Person, Person.email == CECILIA.email)
    assert (bjorn.display_name, cecilia.display_name) == ("Björn nreB Berg", "Cecilia Carlsson")


async def test_a_profile_is_looked_up_once_and_then_read_from_the_database(
    rig: SlackRig,
) -> None:
    await rig.command(ANNA.id, "open-account")
    await rig.next_dm(ANNA.id, 0)
    await rig.say(ANNA.id, "help")
    await rig.next_dm(ANNA.id, 1)
    await rig.settle()
    looked_up = [c for c in rig.fake.calls_of("users.info") if c.args["user"] == ANNA.id]
    assert len(looked_up) == 1
    [identity] = await load(rig.store, ChatIdentity, ChatIdentity.external_id == ANNA.id)
    assert "profile_at" in identity.address


async def test_a_profile_older_than_12_hours_is_looked_up_again(rig: SlackRig) -> None:
    await rig.say(BJORN.id, "help")
    await rig.next_dm(BJORN.id, 0)
    # Björn switches Slack to English; the bot notices once his profile is due again.
    rig.fake.users[BJORN.id].locale = "en-GB"
    rig.clock.advance(timedelta(hours=13))
    await rig.say(BJORN.id, "help")
    shown = await rig.next_dm(BJORN.id, 1)
    assert EN("I help you follow KI's rules for social-media accounts.") in shown.all_text()
    looked_up = [c for c in rig.fake.calls_of("users.info") if c.args["user"] == BJORN.id]
    assert len(looked_up) == 2
    [person] = await load(rig.store, Person, Person.email == BJORN.email)
    assert person.locale == "en"


async def test_a_colleague_picking_her_leaves_her_language_alone(rig: SlackRig) -> None:
    """Cecilia writes to the bot from Teams, in Swedish; her Slack is in English. Anna picking
    her as a team member makes her Slack identity known, with its profile, as Cecilia's, but
    what she reads us in and where she is told things are what her own turns made them."""
    rig.fake.users[CECILIA.id].locale = "en-US"
    async with rig.store.transaction() as session:
        cecilia = await people.ensure_person(
            session,
            now=T0,
            platform="teams",
            external_id="aad-cecilia",
            display_name=CECILIA.name,
            email=CECILIA.email,
            locale="sv-SE",
        )
    await rig.command(ANNA.id, "open-account")
    await rig.next_dm(ANNA.id, 0)
    for answer in open_account_answers(team=(CECILIA.id,), manager=FILIP.id):
        await rig.answer(ANNA.id, answer)
        if answer.step == "team":
            break
    await rig.settle()
    async with rig.store.read() as session:
        picked = await people.find_by_identity(session, "slack", CECILIA.id)
    assert picked is not None and picked.id == cecilia.id
    assert (picked.locale, picked.last_platform) == ("sv", "teams")


async def test_language_chosen_in_slack_holds_over_her_slack_in_english(rig: SlackRig) -> None:
    """Anna's Slack is in English; `/language sv` makes the bot write to her in Swedish, and
    her profile, looked up again later, does not change it back."""
    await rig.command(ANNA.id, "language", "sv")
    await rig.fake.wait_for(lambda: rig.fake.ephemeral(ANNA.id), WAIT, "the choice confirmed")
    [chosen] = rig.fake.ephemeral(ANNA.id)
    assert SV("Type /language to change it.") in chosen.all_text()
    rig.clock.advance(timedelta(hours=13))
    await rig.say(ANNA.id, "help")
    shown = await rig.next_dm(ANNA.id, 0)
    assert SV("I help you follow KI's rules for social-media accounts.") in shown.all_text()
    assert len([c for c in rig.fake.calls_of("users.info") if c.args["user"] == ANNA.id]) == 2
    [person] = await load(rig.store, Person, Person.email == ANNA.email)
    assert (person.locale, person.locale_chosen) == ("sv", True)


async def test_help_typed_in_the_direct_chat(rig: SlackRig) -> None:
    assert (await rig.say(ANNA.id, "help")).status == 200
    shown = await rig.next_dm(ANNA.id, 0)
    assert EN("I help you follow KI's rules for social-media accounts.") in shown.all_text()
    assert "/open-account" in shown.all_text()
    # Its button starts the request.
    await rig.act(ANNA.id, shown, "cmd:open-account")
    question = await rig.next_dm(ANNA.id, 1)
    assert EN("Which platform is the account on?") in question.all_text()


async def test_accounts_lists_the_register(rig: SlackRig) -> None:
    await rig.command(ANNA.id, "accounts")
    none = await rig.next_dm(ANNA.id, 0)
    assert (
        EN("You have no accounts in the register yet. Type /open-account to request one.")
        in none.all_text()
    )
    await submitted(rig, scope="unit")
    [card] = rig.fake.dm(CECILIA.id)
    await rig.act(CECILIA.id, card, "approval:approve")
    await rig.settle()
    before = len(rig.fake.dm(ANNA.id))
    await rig.command(ANNA.id, "accounts")
    listed = await rig.next_dm(ANNA.id, before)
    assert EN("Your accounts") in listed.all_text()
    assert "SOME-2027-0001" in listed.all_text()
    # The comms office's members (from the settings) see the whole register.
    await rig.command(EVA.id, "accounts")
    register = await rig.next_dm(EVA.id, 0)
    assert SV("Accounts in the register") in register.all_text()
    assert "SOME-2027-0001" in register.all_text()

    # Ten more: the register takes two pages, and Next turns the page where it is shown.
    [anna] = await load(rig.store, Person, Person.email == ANNA.email)
    [cecilia] = await load(rig.store, Person, Person.email == CECILIA.email)
    assert anna.id is not None and cecilia.id is not None
    async with rig.store.transaction() as session:
        colleague = id_of(await make_person(session, T0, "Hanna Holm", ext="hanna"))
    for n in range(10):
        await register_account(rig.store, requester=anna.id, team=(colleague,), manager=cecilia.id,
                               now=T0, handle=f"ki_unit{n}")
    before = len(rig.fake.dm(EVA.id))
    await rig.command(EVA.id, "accounts")
    first = await rig.next_dm(EVA.id, before)
    assert "SOME-2027-0010" in first.all_text() and "SOME-2027-0011" not in first.all_text()
    before = len(rig.fake.dm(EVA.id))
    await rig.act(EVA.id, first, "accounts:page")
    await rig.settle()
    turned = rig.fake.message(first.ref)
    assert turned.updates == 1 and len(rig.fake.dm(EVA.id)) == before
    assert "SOME-2027-0011" in turned.all_text() and "SOME-2027-0001" not in turned.all_text()


async def test_a_person_can_be_named_by_mentioning_them(rig: SlackRig) -> None:
    """Typed answers may mention people (`@Cecilia` arrives as `<@UCECILIA>`), even people
    the bot has never seen."""
    await rig.command(ANNA.id, "open-account")
    await rig.next_dm(ANNA.id, 0)
    for answer in open_account_answers(team=(BJORN.id,), manager=CECILIA.id)[:8]:
        await rig.answer(ANNA.id, answer)
    await rig.say(ANNA.id, f"<@{GRETA.id}>, <mailto:{BJORN.email}|{BJORN.email}>")
    await rig.next_dm(ANNA.id, 9)
    await rig.say(ANNA.id, f"<@{CECILIA.id}|cecilia>")
    shown = await rig.next_dm(ANNA.id, 10)
    assert EN("Who monitors the account on weekdays, all year round?") in shown.all_text()
    [state] = await load(rig.store, DialogState)
    [greta] = await load(rig.store, Person, Person.email == GRETA.email)
    [bjorn] = await load(rig.store, Person, Person.email == BJORN.email)
    [cecilia] = await load(rig.store, Person, Person.email == CECILIA.email)
    assert state.data["team"] == [greta.id, bjorn.id]
    assert state.data["manager"] == cecilia.id


async def test_a_colleague_named_by_e_mail_is_found_in_slack(rig: SlackRig) -> None:
    """Nobody has seen Cecilia yet: her address, typed, is looked up in Slack."""
    await rig.command(ANNA.id, "open-account")
    await rig.next_dm(ANNA.id, 0)
    for answer in open_account_answers(team=(BJORN.id,), manager=CECILIA.id)[:9]:
        await rig.answer(ANNA.id, answer)
    await rig.say(ANNA.id, f"<mailto:{CECILIA.email}|{CECILIA.email}>")
    shown = await rig.next_dm(ANNA.id, 10)
    assert EN("Who monitors the account on weekdays, all year round?") in shown.all_text()
    [lookup] = rig.fake.calls_of("users.lookupByEmail")
    assert lookup.args["email"] == CECILIA.email
    # Somebody Slack does not know is refused as before.
    await rig.say(ANNA.id, "back")
    await rig.next_dm(ANNA.id, 11)
    await rig.say(ANNA.id, "nobody@ki.se")
    refused = await rig.next_dm(ANNA.id, 12)
    assert (
        EN(
            "I can't find anyone with the address {name}. Check the spelling, or pick the person from the list. Someone new at KI may not be in the directory yet: write to socialmedia@ki.se if you are stuck.",
            name="nobody@ki.se",
        )
        in refused.all_text()
    )


async def test_a_person_slack_does_not_know_is_refused(rig: SlackRig) -> None:
    await rig.command(ANNA.id, "open-account")
    await rig.next_dm(ANNA.id, 0)
    answers = open_account_answers(team=("UNOBODY",), manager=CECILIA.id)
    for answer in answers[:8]:
        await rig.answer(ANNA.id, answer)
    shown = await rig.answer(ANNA.id, answers[8])
    assert (
        EN(
            "I can't find anyone called {name}. Check the spelling, pick the person from the list, or type their work e-mail address.",
            name="UNOBODY",
        )
        in shown.all_text()
    )


async def test_reject_takes_the_reason_typed_in_the_card(rig: SlackRig) -> None:
    await submitted(rig, scope="unit")
    [card] = rig.fake.dm(CECILIA.id)
    # Without a reason: asked for one, nothing decided.
    await rig.act(CECILIA.id, card, "approval:reject")
    await rig.settle()
    [asked] = rig.fake.ephemeral(CECILIA.id)
    assert (
        SV("Please write a reason in the text field first: it is sent to the requester.")
        in asked.all_text()
    )
    assert await count(rig.store, ApprovalDecision) == 0

    # With the reason given, Reject asks before it rejects (it once asked before checking).
    await rig.act(CECILIA.id, card, "approval:reject", text="Use the department's account.")
    await rig.settle()
    question = rig.fake.ephemeral(CECILIA.id)[-1]
    assert SV("Go back") in question.all_text()
    assert await count(rig.store, ApprovalDecision) == 0
    await rig.act(
        CECILIA.id, question, "approval:reject_confirmed", text="Use the department's account."
    )
    await rig.settle()
    [decision] = await load(rig.store, ApprovalDecision)
    assert decision.decision == Decision.REJECT.value
    assert decision.reason == "Use the department's account."
    told = rig.fake.dm(ANNA.id)[-1]
    assert "Use the department's account." in told.all_text()
    assert not buttons(rig.fake.message(card.ref))


async def test_a_modal_submission_is_not_taken(rig: SlackRig) -> None:
    """The bot opens no modals. Its `view_submission` listener once took any callback id for
    an action and the metadata for its value: here a decision on Cecilia's request. Now a
    submission gets what any type the bot does not use gets (a shortcut, say), and nothing
    is stored or sent."""
    request = await submitted(rig, scope="unit")
    value = f"{request.id}:{request.round}:{request.stage}"
    shortcut = {"type": "shortcut", "callback_id": "approval:changes", "trigger_id": "t.1",
                "user": {"id": CECILIA.id, "team_id": TEAM}, "team": {"id": TEAM}}
    unused = await rig.post(urlencode({"payload": json.dumps(shortcut)}), FORM)
    before = (await count(rig.store, InboxEvent), len(rig.fake.calls))

    response = await rig.submit_view(CECILIA.id, "approval:changes", value, "Name a second editor.")
    assert (response.status, await response.text()) == (unused.status, await unused.text())
    assert response.status == 404
    await rig.settle()
    assert (await count(rig.store, InboxEvent), len(rig.fake.calls)) == before
    [after] = await load(rig.store, AccountRequest)
    assert after.status == RequestStatus.PENDING.value and after.last_reason is None


async def test_a_direct_message_said_to_be_in_a_public_channel_does_not_move_the_chat(
    rig: SlackRig,
) -> None:
    """A message event (signed) whose `channel_type` says `im` but whose channel is a public
    one: the bot's direct chat with Björn was learnt from it, and everything it said to him
    went to that channel for as long as the process ran."""
    event = {"type": "message", "channel": GENERAL, "channel_type": "im", "user": BJORN.id,
             "text": "help", "ts": "4.1"}
    assert (await rig.post(rig.event_body(event), "application/json")).status == 200
    await rig.settle()
    assert (await rig.command(BJORN.id, "accounts", channel=dm_channel(BJORN.id))).status == 200
    await rig.settle()
    # Both answers in his direct chat, as Slack names it (`conversations.open`).
    assert len(rig.fake.dm(BJORN.id)) == 2
    assert rig.fake.in_channel(GENERAL) == []
    assert [c.args["users"] for c in rig.fake.calls_of("conversations.open")] == [BJORN.id]


async def test_the_decision_can_be_handed_to_another_manager(rig: SlackRig) -> None:
    picker = await hand_over_picker(rig)
    [card] = rig.fake.dm(CECILIA.id)
    assert picker.channel == dm_channel(CECILIA.id)
    await rig.act(CECILIA.id, picker, "handover:to", users=[FILIP.id])
    await rig.settle()
    [after] = await load(rig.store, AccountRequest)
    [filip] = await load(rig.store, Person, Person.email == FILIP.email)
    assert after.approver_id == filip.id
    [filips_card] = rig.fake.dm(FILIP.id)
    assert "approval:approve" in buttons(filips_card)
    assert not buttons(rig.fake.message(card.ref))


async def test_the_home_tab_shows_accounts_and_what_waits_for_a_decision(rig: SlackRig) -> None:
    await submitted(rig, scope="unit")
    assert (await rig.home_opened(CECILIA.id)).status == 200
    await rig.settle()
    home = rig.fake.views[CECILIA.id]
    assert home["type"] == "home"
    text = json.dumps(home, ensure_ascii=False)
    assert SV("Your decision is needed as the immediate manager.") in text
    assert "approval:approve" in buttons(home)

    # Deciding from the Home tab works like deciding in the message, and the tab is redrawn.
    await rig.act(CECILIA.id, None, "approval:approve", view=home)
    await rig.settle()
    [account] = await load(rig.store, Account)
    home = rig.fake.views[CECILIA.id]
    assert "approval:approve" not in buttons(home)
    assert account.number in json.dumps(home, ensure_ascii=False)

    # The requester's Home tab lists the account.
    await rig.home_opened(ANNA.id)
    await rig.settle()
    assert account.number in json.dumps(rig.fake.views[ANNA.id], ensure_ascii=False)


async def test_messages_that_are_not_a_person_writing_are_ignored(rig: SlackRig) -> None:
    before = len(rig.fake.calls)
    for event in (
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": "DUANNA",
            "channel_type": "im",
            "message": {"text": "edited"},
            "ts": "1.2",
        },
        {
            "type": "message",
            "bot_id": "BOTHER",
            "channel": "DUANNA",
            "channel_type": "im",
            "text": "from a bot",
            "ts": "1.3",
            "user": "UOTHERBOT",
        },
        {
            "type": "message",
            "channel": "CGENERAL",
            "channel_type": "channel",
            "user": ANNA.id,
            "text": "in a channel",
            "ts": "1.4",
        },
    ):
        response = await rig.post(rig.event_body(event), "application/json")
        assert response.status == 200
    await rig.settle()
    assert [c.method for c in rig.fake.calls[before:]] in ([], ["auth.test"])
    assert await count(rig.store, Person) == 2  # the director and the comms member, from settings


async def test_a_blank_direct_message_gets_an_answer(rig: SlackRig) -> None:
    """Once ignored without a word."""
    event = {"type": "message", "channel": "DUANNA", "channel_type": "im", "user": ANNA.id,
             "text": "   ", "ts": "1.5"}
    response = await rig.post(rig.event_body(event), "application/json")
    assert response.status == 200
    await rig.settle()
    answer = rig.fake.dm(ANNA.id)[-1]
    assert EN("I found no text in your message. Here is what I can do.") in answer.all_text()


async def test_slack_checks_the_url_with_a_challenge(rig: SlackRig) -> None:
    body = json.dumps({"token": "x", "challenge": "c-123", "type": "url_verification"})
    response = await rig.post(body, "application/json")
    assert response.status == 200
    assert "c-123" in await response.text()


async def test_the_hand_over_picker_explains_why_the_requester_or_the_approver_cannot_decide(
    rig: SlackRig,
) -> None:
    # The bot's own search leaves them out (below); a pick that names them anyway (a value
    # Slack never offered) is still checked when it is sent, explained, and nothing moves.
    picker = await hand_over_picker(rig)
    [element] = [
        b["element"]
        for b in picker.blocks
        if b.get("element", {}).get("action_id") == "handover:to"
    ]
    assert element["type"] == "external_select"
    before = rig.fake.ephemeral(CECILIA.id)
    await rig.act(CECILIA.id, picker, "handover:to", users=[ANNA.id])
    await rig.settle()
    await rig.act(CECILIA.id, picker, "handover:to", users=[CECILIA.id])
    await rig.settle()
    told = [m.all_text() for m in rig.fake.ephemeral(CECILIA.id) if m not in before]
    assert SV("The decision can't be handed to the person who made the request.") in told[0]
    assert SV("The decision is already yours: pick someone else to hand it to.") in told[1]
    [after] = await load(rig.store, AccountRequest)
    [cecilia] = await load(rig.store, Person, Person.email == CECILIA.email)
    assert after.approver_id == cecilia.id


async def test_a_clicked_question_is_rewritten_to_show_the_choice_without_buttons(
    rig: SlackRig,
) -> None:
    await rig.command(ANNA.id, "open-account")
    card = await rig.next_dm(ANNA.id, 0)
    [platform, *_] = open_account_answers()
    following = await rig.answer(ANNA.id, platform)
    assert EN("What is the account's name or handle on the platform?") in following.all_text()
    await rig.settle()
    [update] = [c for c in rig.fake.calls_of("chat.update") if c.args["ts"] == card.ts]
    assert update.ok and update.args["channel"] == card.channel
    rewritten = rig.fake.message(card.ref)
    assert rewritten.updates == 1
    assert not [b for b in rewritten.blocks if b["type"] in ("actions", "input")]
    assert EN("Which platform is the account on?") in rewritten.all_text()
    assert EN("✓ You chose: {answer}", answer="Instagram") in rewritten.all_text()
    # A typed answer retires the card it answers: the newest question card of the chat.
    await rig.answer(ANNA.id, open_account_answers()[1])
    await rig.settle()
    typed = rig.fake.message(following.ref)
    assert typed.updates == 1 and not [b for b in typed.blocks if b["type"] == "actions"]
    assert EN("✓ You chose: {answer}", answer="ki_neuro_demo") in typed.all_text()


async def hand_over_picker(rig: SlackRig) -> Posted:
    await submitted(rig, scope="unit")
    [card] = rig.fake.dm(CECILIA.id)
    await rig.act(CECILIA.id, card, "approval:handover")
    await rig.settle()
    [picker] = rig.fake.ephemeral(CECILIA.id)
    return picker


async def test_the_hand_over_picker_offers_neither_the_requester_nor_the_approver(
    rig: SlackRig,
) -> None:
    # Slack's users_select cannot leave anyone out: the picker is the bot's own search, over
    # the people it knows and the directory, answered from a signed block_suggestion.
    async with rig.store.transaction() as session:
        await directory.import_csv(
            session, STAFF + f"{GRETA.email},{GRETA.name},Dept,\n", now=T0, source_name="s.csv"
        )
    picker = await hand_over_picker(rig)
    [element] = [
        b["element"] for b in picker.blocks if b.get("element", {}).get("action_id") == "handover:to"
    ]
    assert element["type"] == "external_select" and element["min_query_length"] == 1
    response = await rig.suggest(CECILIA.id, picker, "handover:to", "an")
    assert response.status == 200
    offered = {o["value"]: o["text"]["text"] for o in (await response.json())["options"]}
    # "an" fits Anna (the requester, known here and in the directory) and others in the
    # directory; Anna is offered under neither her Slack id nor her e-mail.
    assert offered == {GRETA.email: f"{GRETA.name} ({GRETA.email})"}
    # Cecilia herself is found by her own name nowhere either; Björn is on the team.
    for typed, absent in (("cecilia", CECILIA), ("björn", BJORN)):
        response = await rig.suggest(CECILIA.id, picker, "handover:to", typed)
        assert absent.id not in {o["value"] for o in (await response.json())["options"]}
    # Someone Slack has not shown the bot is offered by work e-mail, and picking them works.
    response = await rig.suggest(CECILIA.id, picker, "handover:to", "filip")
    values = [o["value"] for o in (await response.json())["options"]]
    assert values == [FILIP.email]
    await rig.act(CECILIA.id, picker, "handover:to", users=values)
    await rig.settle()
    [after] = await load(rig.store, AccountRequest)
    [filip] = await load(rig.store, Person, Person.email == FILIP.email)
    assert after.approver_id == filip.id
    assert "approval:approve" in buttons(rig.fake.dm(FILIP.id)[-1])


async def test_an_unsigned_people_search_is_refused(rig: SlackRig) -> None:
    await import_staff(rig.store, T0)
    picker = await hand_over_picker(rig)
    response = await rig.suggest(CECILIA.id, picker, "handover:to", "an", secret="not-the-secret")
    assert response.status == 401
    assert "options" not in await response.text()
