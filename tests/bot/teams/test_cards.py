"""Teams in and out: activities as neutral events, neutral messages as Adaptive Cards."""

from __future__ import annotations

from typing import Any

import pytest

from bot.teams import render
from bot.teams.translate import translate
from dialogs.events import Action, Command, Text
from dialogs.messages import (
    Actions,
    Button,
    Choice,
    Confirm,
    Context,
    Fields,
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
    executes,
    inputs_of,
    markdown,
    texts,
)
from tests.bot.teams.test_journey import request_account

SERVICE = "https://smba.trafficmanager.net/emea/"


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
        "sv-SE",
    )
    assert sender.address == {
        "user_id": "29:anna",
        "service_url": SERVICE,
        "tenant_id": "t",
        "bot_id": "28:bot",
        "conversation_id": "a:dm",
    }


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
    [submit] = executes(card)
    assert submit["data"]["people"] is True and submit["data"]["input"] == field["id"]


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
