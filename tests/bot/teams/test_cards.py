"""Teams in and out: activities as neutral events, neutral messages as Adaptive Cards."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from botbuilder import schema
from botbuilder.schema import Activity
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msrest import Serializer

from bot.teams import render
from bot.teams.channel import message_activity
from bot.teams.translate import translate
from data import people
from dialogs.events import Action, Command, Text
from dialogs.i18n import Translator
from dialogs.messages import (
    Actions,
    Button,
    Choice,
    Confirm,
    Context,
    Fields,
    Form,
    FormField,
    Link,
    Message,
    Option,
    Paragraph,
    PersonPicker,
    TextInput,
)
from tests.bot.teams.rig import (
    ANNA,
    BJORN,
    CECILIA,
    TeamsRig,
    actions_of,
    executes,
    inputs_of,
    markdown,
    texts,
    verbs,
)
from tests.bot.teams.test_journey import request_account
from tests.helpers.fake_connector import card_problems
from tests.helpers.forms import FORM, TYPED
from tests.helpers.fuzz import SCALE

SERVICE = "https://smba.trafficmanager.net/emea/"
EN, SV = Translator("en"), Translator("sv")


def activity(kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "id": "1",
        "serviceUrl": SERVICE,
        "channelId": "msteams",
        "from": {"id": "29:anna", "name": "Anna Andersson", "aadObjectId": "aad-anna"},
        "conversation": {"id": "a:dm", "conversationType": "personal", "tenantId": "t"},
        "recipient": {"id": "28:bot", "name": "kontobot"},
        "locale": "sv-SE",
        **fields,
    }


# --- translate ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("open account", "open-account"),
        ("Open-Account", "open-account"),
        ("<at>kontobot</at> open account", "open-account"),
        ("öppna konto", "open-account"),
        ("accounts", "accounts"),
        ("Mina konton", "accounts"),
    ],
)
def test_typed_or_picked_commands(typed: str, command: str) -> None:
    incoming = translate(activity("message", text=typed))
    assert incoming.kind == "message"
    assert isinstance(incoming.event, Command) and incoming.event.name == command


@pytest.mark.parametrize("typed", ["/open-account", "help", "hjälp", "KI Neuroscience"])
def test_other_text_goes_to_the_conversation(typed: str) -> None:
    incoming = translate(activity("message", text=typed))
    assert isinstance(incoming.event, Text) and incoming.event.text == typed


def test_the_sender_is_the_azure_ad_object_id_with_how_to_reach_them() -> None:
    incoming = translate(activity("message", text="hi"))
    sender = incoming.sender
    assert sender is not None
    assert (sender.platform, sender.external_id, sender.display_name, sender.locale) == (
        "teams",
        "aad-anna",
        "Anna Andersson",
        "sv",
    )
    assert sender.address == {
        "user_id": "29:anna",
        "service_url": SERVICE,
        "tenant_id": "t",
        "bot_id": "28:bot",
        "conversation_id": "a:dm",
    }


@pytest.mark.parametrize(
    ("locale", "language"),
    [("sv-SE", "sv"), ("en-US", "en"), ("EN_gb", "en"), ("de-DE", None), ("x" * 40, None),
     ("", None), (None, None), (7, None)],
)
def test_the_clients_locale_is_one_of_our_languages_or_none(locale: Any, language: Any) -> None:
    """As Slack's profiles are read: a client in a language we have no catalogue for says
    nothing of the person's language."""
    sender = translate(activity("message", text="hi", locale=locale)).sender
    assert sender is not None and sender.locale == language


async def test_a_client_in_another_language_keeps_her_swedish(teams: TeamsRig) -> None:
    """Björn reads the bot in Swedish (on an English-speaking rig); the Teams he writes from
    one day is in German, which we do not speak: the replies stay Swedish, not the default."""
    [first] = await teams.say(BJORN, "help")
    said = "I help you follow KI's rules for social-media accounts."
    assert SV(said) in texts(first.card)
    [again] = await teams.say(replace(BJORN, locale="de-DE"), "help")
    assert SV(said) in texts(again.card)
    async with teams.store.read() as session:
        person = await people.find_by_identity(session, "teams", BJORN.aad)
    assert person is not None and person.locale == "sv"


async def test_language_typed_in_teams_holds_over_her_teams_in_english(teams: TeamsRig) -> None:
    """Björn's Teams is in English one day; having typed `/language sv`, he reads the bot in
    Swedish whatever his Teams is in, until he types `/language app`."""
    english = replace(BJORN, locale="en-US")
    [chosen] = await teams.say(english, "/language sv")
    assert SV("Type /language to change it.") in texts(chosen.card)
    said = "I help you follow KI's rules for social-media accounts."
    [again] = await teams.say(english, "help")
    assert SV(said) in texts(again.card)
    await teams.say(english, "/language app")
    [now] = await teams.say(english, "help")
    assert EN(said) in texts(now.card)


def test_a_channel_is_never_taken_for_a_persons_chat() -> None:
    channel = {"id": "19:x@thread.tacv2", "conversationType": "channel", "isGroup": True}
    incoming = translate(
        activity("conversationUpdate", conversation=channel, channelData={"tenant": {"id": "t"}})
    )
    assert incoming.kind == "install" and not incoming.personal and not incoming.greet
    assert incoming.sender is not None
    assert "conversation_id" not in incoming.sender.address
    assert incoming.sender.address["tenant_id"] == "t"
    assert translate(activity("installationUpdate", action="add")).greet
    assert not translate(activity("installationUpdate", action="remove")).greet


def test_an_execute_click_with_its_inputs() -> None:
    data = {
        "action": "approval:reject",
        "value": "7:1:manager",
        "text": "input_3",
        "input_3": "Not now",
    }
    incoming = translate(
        activity(
            "invoke",
            name="adaptiveCard/action",
            value={"action": {"type": "Action.Execute", "verb": "approval:reject", "data": data}},
        )
    )
    assert incoming.kind == "action" and incoming.invoke
    assert incoming.event == Action(
        incoming.sender,  # type: ignore[arg-type]
        "approval:reject",
        "7:1:manager",
        (),
        "Not now",
    )


def test_people_picked_and_boxes_ticked() -> None:
    picked = {"action": "dlg:team:pick", "input": "input_2", "people": True, "input_2": "a1, a2"}
    incoming = translate(
        activity(
            "invoke",
            name="adaptiveCard/action",
            value={"action": {"verb": "dlg:team:pick", "data": picked}},
        )
    )
    assert isinstance(incoming.event, Action) and incoming.event.selected == ("a1", "a2")
    assert incoming.picked_people == ("a1", "a2")
    # An Action.Submit (older clients) arrives as a message with the data as its value.
    submitted = translate(
        activity(
            "message",
            value={"action": "dlg:acknowledgements:choose", "input": "input_1", "input_1": "a,b"},
        )
    )
    assert submitted.kind == "action" and not submitted.invoke
    assert isinstance(submitted.event, Action) and submitted.event.selected == ("a", "b")
    assert submitted.picked_people == ()


def test_a_refresh_names_the_card() -> None:
    incoming = translate(
        activity(
            "invoke",
            name="adaptiveCard/action",
            value={
                "action": {"verb": "refresh", "data": {"action": "refresh", "value": "7:1:manager"}}
            },
        )
    )
    assert (incoming.kind, incoming.value) == ("refresh", "7:1:manager")


def test_activities_from_no_person_are_not_events() -> None:
    incoming = translate(activity("message", text="hi", **{"from": {"id": "28:other"}}))
    assert incoming.sender is None and incoming.event is None


# --- render ------------------------------------------------------------------------------------


def test_a_question_card() -> None:
    message = Message(
        text="Which platform?",
        title="Open an account: question 1 of 14",
        blocks=(
            Paragraph("Which platform?"),
            Choice(
                "dlg:scope:choose",
                (Option("unit", "A unit"), Option("wide", "Wide")),
                selected=("unit",),
            ),
            Context("Click a choice."),
            Actions((Button("dlg:scope:help", "Help"), Button("dlg:scope:cancel", "Cancel"))),
        ),
    )
    card = render.card(message)
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    assert card_problems(card) == []
    assert card["body"][0] == {
        "type": "TextBlock",
        "text": "Open an account: question 1 of 14",
        "wrap": True,
        "weight": "Bolder",
        "size": "Medium",
    }
    choices = executes(card)[:2]
    assert [(a["title"], a["verb"], a["data"]["choice"]) for a in choices] == [
        ("A unit", "dlg:scope:choose", "unit"),
        ("Wide", "dlg:scope:choose", "wide"),
    ]
    assert choices[0]["style"] == "positive" and "style" not in choices[1]
    assert "refresh" not in card


def test_a_link_is_an_open_url_action() -> None:
    url = "https://kontobot.example.org/dashboard/sign-in?token=v1.1.2.abc.sig"
    card = render.card(Message("x", blocks=(Link(url, "Open the *dashboard*"),)))
    assert card["body"] == [
        {
            "type": "ActionSet",
            "actions": [
                {
                    "type": "Action.OpenUrl",
                    "title": "Open the *dashboard*",
                    "url": url,
                    "style": "positive",
                }
            ],
        }
    ]
    # Teams opens it: nothing comes back to the bot.
    assert executes(card) == []


@pytest.mark.parametrize(
    "url", ["/dashboard/sign-in?token=t", "javascript:alert(1)", "data:text/html,x", "https://"]
)
def test_a_link_teams_cannot_open_shows_its_label_alone(url: str) -> None:
    card = render.card(Message("x", blocks=(Link(url, "Open the *dashboard*"),)))
    assert card["body"] == [
        {"type": "TextBlock", "text": "Open the \\*dashboard\\*", "wrap": True}
    ]


def test_long_and_multiple_choices_are_input_choice_sets() -> None:
    many = tuple(Option(str(i), f"Option {i}") for i in range(9))
    compact = render.card(Message("x", blocks=(Choice("dlg:platform:choose", many),)))
    [field] = inputs_of(compact).values()
    assert (field["style"], field["isMultiSelect"]) == ("compact", False)
    [submit] = executes(compact)
    assert submit["data"] == {"action": "dlg:platform:choose", "value": "", "input": field["id"]}
    ticks = render.card(
        Message(
            "x",
            blocks=(
                Choice(
                    "dlg:ack:choose", many[:2], multi=True, submit_label="Confirm", selected=("1",)
                ),
            ),
        )
    )
    [field] = inputs_of(ticks).values()
    assert (field["style"], field["isMultiSelect"], field["value"]) == ("expanded", True, "1")
    assert executes(ticks)[0]["title"] == "Confirm"


def test_the_people_picker_searches_the_organisation() -> None:
    card = render.card(
        Message(
            "x",
            blocks=(
                PersonPicker(
                    "dlg:team:pick", multi=True, placeholder="Choose people", submit_label="Confirm"
                ),
            ),
        )
    )
    [field] = inputs_of(card).values()
    assert field["choices.data"] == {"type": "Data.Query", "dataset": "graph.microsoft.com/users"}
    assert field["isMultiSelect"] is True
    # `choices.data` came with Adaptive Cards 1.6: the card says so.
    assert card["version"] == "1.6" and card_problems(card) == []
    assert "card.body[0]: choices.data needs (1, 6) > version (1, 5)" in card_problems(
        {**card, "version": "1.5"}
    )
    [submit] = executes(card)
    assert submit["data"]["people"] is True and submit["data"]["input"] == field["id"]


def test_a_people_picker_that_leaves_people_out_searches_the_bot() -> None:
    # Teams' Graph search cannot leave anyone out: the bot's search does, told whom by the
    # dataset's name.
    picker = PersonPicker(
        "handover:to", "7:1:manager", exclude=("aad-anna", "aad-cecilia"), searched=True
    )
    card = render.card(Message("x", blocks=(picker,)))
    [field] = inputs_of(card).values()
    assert field["choices.data"] == {
        "type": "Data.Query", "dataset": "kontobot.people:aad-anna,aad-cecilia"
    }
    assert render.excluded(field["choices.data"]["dataset"]) == ("aad-anna", "aad-cecilia")
    assert render.excluded("graph.microsoft.com/users") is None
    assert card["version"] == "1.6" and card_problems(card) == []
    # A picker that only leaves out the person picking keeps Teams' Graph search, which
    # reaches everyone in the organisation (the domain refuses the person picking).
    broad = render.card(Message("x", blocks=(PersonPicker("dlg:team:pick", exclude=("aad-a",)),)))
    [field] = inputs_of(broad).values()
    assert field["choices.data"]["dataset"] == "graph.microsoft.com/users"


def test_an_approval_card_asks_for_confirmation_and_refreshes_for_its_approver() -> None:
    message = Message(
        "Request",
        blocks=(
            Fields((("Purpose", "News"),)),
            TextInput("approval:reason", "Reason", multiline=True, max_length=500),
            Actions(
                (
                    Button("approval:approve", "Approve", "7:1:manager", style="primary"),
                    Button(
                        "approval:reject",
                        "Reject",
                        "7:1:manager",
                        style="danger",
                        confirm=Confirm(
                            "Reject the request?", "They are told.", "Reject", "Go back"
                        ),
                    ),
                )
            ),
        ),
    )
    card = render.card(message, live_for="29:cecilia")
    [reason] = inputs_of(card).values()
    assert (reason["type"], reason["maxLength"], reason["isMultiline"]) == ("Input.Text", 500, True)
    approve, reject = executes(card)
    assert approve["data"]["text"] == reason["id"] == reject["data"]["text"]
    assert approve["style"] == "positive" and reject["style"] == "destructive"
    [show] = [a for a in card["body"][-1]["actions"] if a["type"] == "Action.ShowCard"]
    assert show["title"] == "Reject" and "Reject the request?" in texts(show["card"])
    assert card["refresh"] == {
        "action": {
            "type": "Action.Execute",
            "verb": "refresh",
            "data": {"action": "refresh", "value": "7:1:manager"},
        },
        "userIds": ["29:cecilia"],
    }
    assert "refresh" not in render.card(message), "no refresh without knowing whose it is"


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("**bold** _it_ ~~gone~~ `code`", r"\*\*bold\*\* \_it\_ \~\~gone\~\~ \`code\`"),
        ("[click](https://evil.example)", r"\[click\](https://evil.example)"),
        ("<at>Everyone</at>", r"\<at\>Everyone\</at\>"),
        ("- one\n1. two\n# three\n> four", "\\- one\n1\\. two\n\\# three\n\\> four"),
        ("{{DATE(2027-01-01T00:00:00Z)}}", "{\u200b{DATE(2027-01-01T00:00:00Z)}}"),
        ("SOME-2027-0001, a.b", "SOME-2027-0001, a.b"),
    ],
)
def test_markdown_people_typed_is_escaped(typed: str, sent: str) -> None:
    assert render.md(typed) == sent


async def test_what_a_requester_typed_reaches_the_manager_escaped(teams: TeamsRig) -> None:
    rig = teams
    rig.fake.add_member(BJORN.aad, BJORN.user_id, BJORN.name, BJORN.email)
    for user in (ANNA, CECILIA):
        await rig.install(user)
    purpose = "1. Win **prizes**! [Claim here](https://evil.example) #now"
    await request_account(rig, ANNA, "en", purpose=purpose, scope="unit")
    card = (await rig.wait_card(CECILIA, "approval:approve", "the manager's card")).card
    raw = markdown(card)
    assert r"1\. Win \*\*prizes\*\*! \[Claim here\](https://evil.example) \#now" in raw
    assert "[Claim here](" not in raw and "**prizes**" not in raw
    assert purpose in texts(card)


def test_a_filtered_choice_is_a_choice_set_to_type_in_even_when_short() -> None:
    units = tuple(Option(f"u:{i}", f"Unit {i}") for i in range(3))
    card = render.card(
        Message("x", blocks=(Choice("dlg:unit:choose", units, filtered=True, submit_label="OK"),))
    )
    [field] = inputs_of(card).values()
    assert (field["style"], field["isMultiSelect"]) == ("filtered", False)
    assert [c["value"] for c in field["choices"]] == ["u:0", "u:1", "u:2"]


# --- Teams' limits -----------------------------------------------------------------------------

# Long lists as dialogs make them: many facts, buttons, options, paragraphs, with text that is
# long, escapes to twice its length (markdown) or six times (non-ASCII in JSON).
WORD = st.sampled_from(["SOME-2027-0001", "Neurovetenskap", "åäö", "**x**", "😀", "a" * 40, " "])
LONG = st.lists(WORD, min_size=1, max_size=300).map(" ".join)
LABEL = st.lists(WORD, min_size=1, max_size=4).map("".join)
BUTTONS = st.lists(
    st.builds(lambda i, label: Button(f"act:{i}", label, str(i)), st.integers(0, 999), LABEL),
    min_size=1, max_size=40,
).map(tuple)
OPTIONS = st.lists(
    st.builds(Option, st.integers(0, 10**6).map(lambda i: f"u:{i}"), LABEL),
    min_size=1, max_size=600,
).map(tuple)
LONG_BLOCK = st.one_of(
    st.builds(Paragraph, LONG),
    st.builds(Fields, st.lists(st.tuples(LABEL, LONG), min_size=1, max_size=200).map(tuple)),
    st.builds(Actions, BUTTONS),
    st.builds(Choice, st.just("dlg:unit:choose"), OPTIONS, filtered=st.booleans(),
              multi=st.booleans(), submit_label=st.just("OK")),
    st.builds(PersonPicker, st.just("dlg:team:pick"), multi=st.booleans(),
              placeholder=LABEL, submit_label=st.just("OK")),
    st.builds(TextInput, st.just("approval:reason"), LABEL, LONG, st.booleans(), st.just(4000),
              st.just("Send")),
    st.builds(
        Form, st.just("dlg:handle:form"),
        st.lists(st.builds(FormField, LABEL, LABEL, LONG, LABEL, LABEL, st.booleans(),
                           st.just(1000), st.one_of(st.just(()), OPTIONS)),
                 min_size=1, max_size=12).map(tuple),
        st.just("Send"),
    ),
)
LONG_MESSAGES = st.builds(Message, LONG, LABEL, st.lists(LONG_BLOCK, min_size=1, max_size=8).map(tuple))


def _sent(activity: Activity) -> dict[str, Any]:
    """The activity as the Bot Connector client writes it."""
    models = {name: kind for name, kind in vars(schema).items() if isinstance(kind, type)}
    body: dict[str, Any] = Serializer(models).body(activity, "Activity")
    return json.loads(json.dumps(body))


def _verbs_of_each(message: Message) -> list[str]:
    """The card's verbs in order, block by block, as each block renders alone."""
    return [v for b in message.blocks for v in verbs(render.card(Message("x", blocks=(b,))))]


@settings(max_examples=int(200 * SCALE), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(LONG_MESSAGES)
def test_every_card_keeps_teams_limits(message: Message) -> None:
    activity = _sent(message_activity(message, bot_id="28:bot", conversation="a:dm"))
    card = activity["attachments"][0]["content"]
    assert card_problems(card, sent=activity) == []
    response = render.card_response(message, live_for="29:cecilia")
    assert card_problems(response["value"], sent=response) == []
    # What is cut is cut visibly and from the end: the title first, the buttons in order.
    assert card["body"][0]["text"].startswith(render.md(message.title)[:1])
    expected = _verbs_of_each(message)
    assert verbs(card) == expected[: len(verbs(card))]
    if len(verbs(card)) < len(expected):
        assert card["body"][-1] == {"type": "TextBlock", "text": render.MORE, "wrap": True}


def _split(n: int) -> list[int]:
    card = render.card(
        Message("x", blocks=(Actions(tuple(Button(f"a:{i}", f"B{i}", str(i)) for i in range(n))),))
    )
    return [len(s["actions"]) for s in card["body"] if s["type"] == "ActionSet"]


def test_more_than_six_actions_are_split_into_sets_of_six_in_order() -> None:
    assert _split(6) == [6]
    assert _split(7) == [6, 1]
    assert _split(14) == [6, 6, 2]
    card = render.card(
        Message("x", blocks=(Actions(tuple(Button(f"a:{i}", f"B{i}") for i in range(14))),))
    )
    assert verbs(card) == [f"a:{i}" for i in range(14)]
    assert card_problems(card) == []


def test_a_long_list_is_cut_at_the_end_and_says_so() -> None:
    facts = tuple((f"SOME-2027-{i:04}", "Neurovetenskap · aktivt · " * 8) for i in range(400))
    message = Message(
        "Accounts",
        title="Accounts",
        blocks=(Fields(facts), Actions((Button("cmd:dashboard", "Dashboard"),))),
    )
    card = render.card(message)
    assert render.size(card) <= render.CARD_BYTES
    [listed] = [b for b in card["body"] if b["type"] == "FactSet"]
    numbers = [f["title"] for f in listed["facts"]]
    # The first accounts, in order, then "…"; the button below the list is kept.
    assert numbers[:3] == ["SOME-2027-0000", "SOME-2027-0001", "SOME-2027-0002"]
    assert 10 < len(numbers) < 400 and numbers[-1] == render.MORE
    assert verbs(card) == ["cmd:dashboard"]


def test_a_long_text_is_cut_visibly_and_never_inside_an_escape() -> None:
    typed = "*" * 30_000
    card = render.card(Message("x", blocks=(Paragraph(typed),)))
    [text] = card["body"]
    assert render.size(card) <= render.CARD_BYTES
    assert text["text"].endswith(render.MORE)
    body = text["text"][: -len(render.MORE)]
    assert body and body == "\\*" * (len(body) // 2)


def test_a_long_option_list_keeps_the_chosen_option() -> None:
    options = tuple(Option(f"u:{i}", f"Institutionen för neurovetenskap {i}") for i in range(3000))
    card = render.card(
        Message("x", blocks=(Choice("dlg:unit:choose", options, filtered=True,
                                    submit_label="OK", selected=("u:2999",)),))
    )
    assert render.size(card) <= render.CARD_BYTES
    [field] = inputs_of(card).values()
    values = [c["value"] for c in field["choices"]]
    assert values[0] == "u:0" and "u:2999" in values and len(values) < 3000
    assert verbs(card) == ["dlg:unit:choose"]


async def test_the_longest_answers_reach_the_manager_on_one_card(teams: TeamsRig) -> None:
    # Six answers of 1000 characters, mostly emoji, make a card of some 50 KB as it
    # stands: over Teams' 28 KB, which the fake connector refuses as Teams does (413).
    rig = teams
    rig.fake.add_member(BJORN.aad, BJORN.user_id, BJORN.name, BJORN.email)
    for user in (ANNA, CECILIA):
        await rig.install(user)
    answer = (("Hjärnan " + "😀" * 12 + " **nu** ") * 40)[:1000]
    long = {k: answer for k in ("purpose", "objectives", "target_group", "benefit",
                                "monitoring", "holiday_cover")}
    await request_account(rig, ANNA, "en", scope="unit", **long)
    card = (await rig.wait_card(CECILIA, "approval:approve", "the manager's card")).card
    assert card_problems(card) == []
    assert not [c for c in rig.fake.calls if c.status == 413]
    assert verbs(card)[:2] == ["approval:approve", "approval:reject"]
    shown = texts(card)
    assert answer[:100] in shown and render.MORE in shown, shown



def test_a_form_is_a_card_of_inputs_with_one_execute_that_names_them() -> None:
    card = render.card(Message("f", blocks=(FORM,)))
    assert card_problems(card) == []
    assert card["version"] == "1.5"
    fields = inputs_of(card)
    assert set(fields) == {"field_handle", "field_purpose", "field_scope"}
    assert fields["field_handle"]["label"] == "Handle?"
    assert fields["field_purpose"]["value"] == TYPED  # sent back as typed
    assert fields["field_purpose"]["isMultiline"] is True
    assert fields["field_scope"]["type"] == "Input.ChoiceSet"
    assert fields["field_scope"]["value"] == "unit"
    # The hint and the refusal are shown, escaped, under their field.
    shown = texts(card)
    assert "For example ki." in shown and "Please write at least 10 characters." in shown
    [send] = executes(card)
    assert send["verb"] == "dlg:handle:form" and send["title"] == "Send the answers"
    assert send["data"]["fields"] == ["handle", "purpose", "scope"]


def test_the_forms_execute_carries_every_field_by_name() -> None:
    [send] = executes(render.card(Message("f", blocks=(FORM,))))
    data = {**send["data"], "field_handle": "ki", "field_purpose": "Long enough now",
            "field_scope": "wide"}
    incoming = translate(
        activity(
            "invoke",
            name="adaptiveCard/action",
            value={"action": {"type": "Action.Execute", "verb": send["verb"], "data": data}},
        )
    )
    assert incoming.event is not None and isinstance(incoming.event, Action)
    assert incoming.event.action == "dlg:handle:form"
    assert incoming.event.values == (
        ("handle", "ki"), ("purpose", "Long enough now"), ("scope", "wide"),
    )


def test_an_earlier_answer_is_filled_in_ready_to_change() -> None:
    """Back or Edit a field: the typed text, the choice and the people picked before."""
    card = render.card(
        Message(
            "q",
            blocks=(
                Paragraph("q"),
                TextInput("dlg:purpose:answer", "Your answer", value="Research news",
                          submit_label="Save"),
                Choice("dlg:scope:choose", tuple(Option(str(i), f"O{i}") for i in range(8)),
                       selected=("3",)),
                PersonPicker("dlg:team:pick", multi=True,
                             selected=(Option("aad-bjorn", "Björn Berg"),)),
            ),
        )
    )
    fields = {f["type"] + f.get("style", ""): f for f in inputs_of(card).values()}
    assert fields["Input.Text"]["value"] == "Research news"
    assert fields["Input.ChoiceSetcompact"]["value"] == "3"
    [picker] = [f for f in inputs_of(card).values() if "choices.data" in f]
    assert picker["value"] == "aad-bjorn"
    assert picker["choices"] == [{"title": "Björn Berg", "value": "aad-bjorn"}]
    assert card_problems(card) == []


async def test_an_answer_that_comes_as_a_message_rewrites_the_clicked_card(
    teams: TeamsRig,
) -> None:
    """An `Action.Submit` (or a click the bot could not answer at once) has no card in its
    answer: the clicked message is updated in place instead (updateActivity)."""
    [question] = await teams.say(ANNA, "open account")
    [choose] = [a for a in executes(question.card) if a["verb"] == "dlg:platform:choose"]
    value = {**choose["data"], choose["data"]["input"]: "instagram"}
    await teams.send(teams.activity(ANNA, "message", value=value, replyToId=question.id))
    [put] = teams.fake.puts(ANNA.conversation)
    assert put.path.endswith(f"/activities/{question.id}")
    [rewritten, following] = teams.fake.in_conversation(ANNA.conversation)
    assert rewritten.id == question.id and not list(actions_of(rewritten.card))
    assert "Instagram" in texts(rewritten.card) and "✓" in texts(rewritten.card)
    assert "dlg:handle:help" in verbs(following.card)
