"""Slack payloads as neutral events, and the keys that recognise a retry or a double click."""

from __future__ import annotations

from typing import Any

from bot.slack import translate
from bot.slack.render import render
from dialogs.events import Action, Command, Text
from dialogs.messages import Actions, Button, Choice, Message, Option, TextInput


def test_slash_command() -> None:
    turn = translate.command(
        {
            "command": "/Open-Account",
            "text": " now &amp; then ",
            "user_id": "UANNA",
            "channel_id": "CGENERAL",
            "trigger_id": "t.1",
        }
    )
    assert turn.event == Command(translate.sender("UANNA"), "open-account", "now & then")
    assert (turn.channel, turn.key) == ("CGENERAL", "slack:command:t.1")


def test_direct_message() -> None:
    body = {
        "event_id": "Ev1",
        "event": {
            "type": "message",
            "channel_type": "im",
            "user": "UANNA",
            "channel": "DUANNA",
            "text": "hej &lt;3",
            "ts": "1.1",
        },
    }
    turn = translate.message(body)
    assert turn is not None
    assert turn.event == Text(translate.sender("UANNA"), "hej <3")
    assert (turn.channel, turn.key) == ("DUANNA", "slack:event:Ev1")


def test_messages_that_are_not_a_person_writing() -> None:
    for event in (
        {
            "type": "message",
            "channel_type": "im",
            "subtype": "message_changed",
            "user": "U1",
            "text": "x",
        },
        {"type": "message", "channel_type": "im", "bot_id": "B1", "user": "U1", "text": "x"},
        {"type": "message", "channel_type": "channel", "user": "U1", "text": "x"},
    ):
        assert translate.message({"event": event}) is None


def test_a_blank_message_is_still_a_message() -> None:
    """It gets an answer (dialogs.router), never silence."""
    turn = translate.message({"event": {"type": "message", "channel_type": "im", "user": "U1",
                                        "text": " ", "ts": "1.2", "channel": "D1"}})
    assert turn is not None and isinstance(turn.event, Text) and turn.event.text == " "


def test_slack_formatting_becomes_plain_text() -> None:
    plain = translate.plain_text(
        "<!channel> <!here|here> <@U1> <@U2|bo> <#C1|general> <mailto:a@ki.se|a@ki.se> "
        "<https://ki.se> <https://evil.example|ki.se> <!subteam^S1|@comms> &lt;b&gt; &amp;amp;",
        {"U1": "anna@ki.se"},
    )
    assert plain == (
        "@channel @here anna@ki.se @bo #general a@ki.se https://ki.se ki.se "
        "(https://evil.example) @comms <b> &amp;"
    )
    assert translate.mentioned_users("<@U01AB> <@W02CD|bo> <@U01AB> <#C1> <@x>") == [
        "U01AB",
        "W02CD",
    ]
    assert translate.emails("to a.b@ki.se, c@ki.se.") == ["a.b@ki.se", "c@ki.se"]


def _payload(message: Message, action_id: str, **state: Any) -> dict[str, Any]:
    """A block_actions payload for a click on `action_id` in the rendered `message`."""
    _, blocks = render(message)
    clicked: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for block in blocks:
        if block["type"] == "actions":
            for element in block["elements"]:
                if element["action_id"] == action_id and not clicked:
                    clicked = {**element, "block_id": block["block_id"]}
        if block["type"] == "input":
            element = block["element"]
            values[block["block_id"]] = {
                element["action_id"]: {"type": element["type"], **state.get(element["type"], {})}
            }
    return {
        "type": "block_actions",
        "user": {"id": "UCEC"},
        "container": {"type": "message", "message_ts": "5.5", "channel_id": "DUCEC"},
        "actions": [clicked],
        "state": {"values": values},
    }


CARD = Message(
    text="card",
    blocks=(
        TextInput("approval:reason", "Reason"),
        Actions((Button("approval:reject", "Reject", "7:1:manager"),)),
    ),
)


def test_a_click_carries_the_text_typed_in_the_same_message() -> None:
    body = _payload(CARD, "approval:reject", plain_text_input={"value": "Too vague."})
    turn = translate.block_action(body)
    assert turn is not None
    assert turn.event == Action(
        translate.sender("UCEC"), action="approval:reject", value="7:1:manager", text="Too vague."
    )
    assert turn.channel == "DUCEC" and not turn.from_home


def test_picks_come_from_the_input_that_belongs_to_the_button() -> None:
    checks = Message(
        text="q",
        blocks=(Choice("dlg:ack:choose", (Option("a", "A"), Option("b", "B")), multi=True),),
    )
    body = _payload(
        checks, "dlg:ack:choose", checkboxes={"selected_options": [{"value": "a"}, {"value": "b"}]}
    )
    turn = translate.block_action(body)
    assert turn is not None and turn.event.selected == ("a", "b")  # type: ignore[union-attr]
    assert turn.picked == ()

    menu = Message(text="q", blocks=(Choice("dlg:scope:choose", (Option("u", "U"),), value="9"),))
    body = _payload(menu, "dlg:scope:choose")
    body["actions"][0]["selected_option"] = {"value": "u"}
    turn = translate.block_action(body)
    assert turn is not None
    assert (turn.event.action, turn.event.value, turn.event.selected) == (
        "dlg:scope:choose",
        "9",
        ("u",),
    )  # type: ignore[union-attr]


def test_people_picked_are_looked_up_before_the_turn() -> None:
    from dialogs.messages import PersonPicker

    picker = Message(text="q", blocks=(PersonPicker("dlg:team:pick", multi=True),))
    body = _payload(picker, "dlg:team:pick", multi_users_select={"selected_users": ["UB", "UC"]})
    turn = translate.block_action(body)
    assert turn is not None and turn.picked == ("UB", "UC")


def test_people_picked_in_the_bots_own_search_are_people_too() -> None:
    from dialogs.messages import PersonPicker

    picker = Message(text="q", blocks=(PersonPicker("handover:to", exclude=("UA",), searched=True),))
    picked = {"selected_option": {"value": "filip.fors@ki.se"}}
    turn = translate.block_action(_payload(picker, "handover:to", external_select=picked))
    assert turn is not None and turn.picked == ("filip.fors@ki.se",)
    assert turn.event.selected == ("filip.fors@ki.se",)  # type: ignore[union-attr]


def test_a_block_suggestion_says_who_types_what_and_whom_to_leave_out() -> None:
    body = {"type": "block_suggestion", "user": {"id": "UCEC"}, "action_id": "handover:to",
            "block_id": "m1b2:UA,UCEC", "value": "An&amp;na"}
    assert translate.suggestion(body) == ("UCEC", "An&na", ("UA", "UCEC"))
    assert translate.suggestion({**body, "type": "block_actions"}) is None


def test_ticking_a_box_alone_is_not_a_turn() -> None:
    body = {
        "type": "block_actions",
        "user": {"id": "U1"},
        "actions": [{"type": "checkboxes", "action_id": "x", "block_id": "b1"}],
    }
    assert translate.block_action(body) is None


def _clicked_at(body: dict[str, Any], action_ts: str, trigger: str) -> dict[str, Any]:
    """`body` as Slack sends another click of the same button: its own trigger and time."""
    return {**body, "trigger_id": trigger, "actions": [{**body["actions"][0], "action_ts": action_ts}]}


def _key(body: dict[str, Any]) -> str | None:
    turn = translate.block_action(body)
    assert turn is not None
    return turn.key


def test_a_redelivery_and_a_double_click_share_a_key_and_a_later_click_does_not() -> None:
    typed = _payload(CARD, "approval:reject", plain_text_input={"value": "Too vague."})
    # 1700000000 starts a slot of DOUBLE_CLICK seconds.
    first = _clicked_at(typed, "1700000000.100000", "t.1")
    key = _key(first)
    # Slack delivers the same request again: the same payload, the same action_ts.
    assert _key(first) == key
    # A double click: another request, its own trigger and time, a fraction of a second on.
    assert _key(_clicked_at(typed, "1700000000.700000", "t.2")) == key
    assert _key(_clicked_at(typed, "1700000001.300000", "t.3")) == key
    # The same button clicked again on purpose, ten minutes later (or just after the slot).
    assert _key(_clicked_at(typed, "1700000600.100000", "t.4")) != key
    assert _key(_clicked_at(typed, "1700000005.000000", "t.5")) != key
    # Another answer at the same time is another turn.
    changed = _payload(CARD, "approval:reject", plain_text_input={"value": "Still vague."})
    assert _key(_clicked_at(changed, "1700000000.100000", "t.6")) != key


def test_the_slot_of_a_click_is_slacks_time_of_it() -> None:
    assert translate.click_slot("1700000000.000001") == translate.click_slot("1700000004.999999")
    assert translate.click_slot("1700000004.999999") != translate.click_slot("1700000005")
    # Not Slack's shape (a forged payload): kept as it is, never parsed.
    for odd in ("", "nan", "1e999", "-5", "1.2.3", "9" * 40):
        assert translate.click_slot(odd) == odd
    assert translate.click_slot(None) == ""


def test_home_tab_clicks_use_only_their_own_card() -> None:
    body = {
        "type": "block_actions",
        "user": {"id": "UCEC"},
        "container": {"type": "view", "view_id": "V1"},
        "actions": [
            {
                "type": "button",
                "action_id": "approval:reject",
                "block_id": "m2b5",
                "value": "8:1:manager",
            }
        ],
        "state": {
            "values": {
                "m1b4": {"approval:reason": {"type": "plain_text_input", "value": "for request 7"}},
                "m2b4": {"approval:reason": {"type": "plain_text_input", "value": "for request 8"}},
            }
        },
    }
    turn = translate.block_action(body)
    assert turn is not None and turn.from_home and turn.channel is None
    assert turn.event.text == "for request 8"  # type: ignore[union-attr]


def test_home_opened() -> None:
    assert (
        translate.home_opened({"event": {"type": "app_home_opened", "user": "U1", "tab": "home"}})
        == "U1"
    )
    assert (
        translate.home_opened(
            {"event": {"type": "app_home_opened", "user": "U1", "tab": "messages"}}
        )
        is None
    )


def test_text_is_normalised_where_it_enters() -> None:
    body = {
        "event_id": "Ev2",
        "event": {"type": "message", "channel_type": "im", "user": "UANNA", "channel": "DUANNA",
                  "text": "cafe\u0301\x00 \ud800!", "ts": "1.2"},
    }
    turn = translate.message(body)
    assert turn is not None
    assert turn.event == Text(translate.sender("UANNA"), "café \ufffd!")
    command = translate.command(
        {"command": "/question", "user_id": "UANNA", "text": "SOME\x1b-2027\udfff"}
    )
    assert isinstance(command.event, Command)
    assert command.event.args == "SOME-2027\ufffd"


def test_long_text_is_passed_on_whole() -> None:
    """A step that takes at most 4,000 characters refuses it; cut here, it would take the
    first 4,000 for the whole answer."""
    long = "x" * 4500 + " END"
    body = {"event_id": "Ev9", "event": {"type": "message", "channel_type": "im",
                                          "user": "UANNA", "channel": "DUANNA", "text": long,
                                          "ts": "9.9"}}
    turn = translate.message(body)
    assert turn is not None and turn.event == Text(translate.sender("UANNA"), long)
