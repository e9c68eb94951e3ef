"""Neutral messages as Block Kit: escaped, within Slack's limits, split or cut visibly."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from bot.slack.render import (
    FIELD_TEXT,
    LINK_ACTION,
    LITERAL_CLOSE,
    LITERAL_OPEN,
    MORE,
    SECTION_TEXT,
    SOFT_HYPHEN,
    cut_mrkdwn,
    cut_mrkdwn_pair,
    escape,
    excluded,
    home_view,
    render,
    split_mrkdwn,
)
from bot.slack.translate import block_action
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
from tests.bot.slack.mrkdwn import markup, shown
from tests.helpers.fake_slack import block_problems
from tests.helpers.forms import FORM, TYPED
from tests.helpers.fuzz import SCALE, TEXT


def blocks_of(*blocks: object, title: str = "", text: str = "t") -> list[dict[str, object]]:
    rendered = render(Message(text=text, title=title, blocks=tuple(blocks)))  # type: ignore[arg-type]
    assert block_problems(rendered[1]) == []
    return rendered[1]


def test_mrkdwn_is_escaped_everywhere_slack_reads_it() -> None:
    evil = "<!channel> <@U1> <http://evil|ki.se> & *x*"
    text, blocks = render(
        Message(
            text=evil,
            title=evil,
            blocks=(Paragraph(evil), Fields(((evil, evil),)), Context(evil)),
        )
    )
    star = f"{LITERAL_OPEN}*{LITERAL_CLOSE}"
    assert text == escape(evil) == (
        f"&lt;!channel&gt; &lt;@U1&gt; &lt;http://evil|ki.se&gt; &amp; {star}x{star}"
    )
    section, fields, context = blocks[1], blocks[2], blocks[3]
    assert section["text"] == {"type": "mrkdwn", "text": escape(evil), "verbatim": True}
    assert fields["fields"][0]["text"] == f"*{escape(evil)}*\n{escape(evil)}"
    assert context["elements"][0]["text"] == escape(evil)
    # Plain text (header) is shown literally by Slack and is not escaped.
    assert blocks[0]["text"] == {"type": "plain_text", "text": evil, "emoji": True}


@pytest.mark.parametrize(
    "typed",
    [
        "*bold* _it_ ~s~ `c`",
        "**bold** __it__ ~~gone~~ ```pre```",
        "a`b`c",
        "(*x*) \"_y_\" ~z~.",
        "*x*\n_y_",
        "> a quote\n  > another\n>>> all of it",
        "&*x*&",
        "é*x*é",
    ],
)
def test_formatting_people_type_is_shown_as_typed(typed: str) -> None:
    assert markup(typed), "the model sees what Slack would format"
    sent = escape(typed)
    assert markup(sent) == []
    assert shown(sent) == typed


@pytest.mark.parametrize(
    "typed", ["snake_case", "5*3", "KONTOBOT_PUBLIC_URL", "x~y", "a_b_c", "SOME-2027-0001"]
)
def test_a_marker_inside_a_word_is_left_as_it_is(typed: str) -> None:
    # Slack formats nothing inside a word: such text reaches it unchanged.
    assert escape(typed) == typed


def test_a_run_of_markers_is_one_fallback_or_a_few() -> None:
    assert escape("**") == f"{LITERAL_OPEN}**{LITERAL_CLOSE}"
    sent = escape("*" * 45)
    assert sent.count(LITERAL_OPEN) == 3 and shown(sent) == "*" * 45


def test_a_cut_never_splits_an_escape() -> None:
    for typed in ("*" * 5000, "a*" * 3000, "x" + ">" * 3000, " >" * 3000, "&_" * 3000):
        pieces = split_mrkdwn(typed, 3000)
        assert len(pieces) > 1
        assert all(len(p) <= 3000 and markup(p) == [] for p in pieces), typed[:4]
        assert "".join(shown(p) for p in pieces).replace(" ", "") == typed.replace(" ", "")
        for limit in (2000, 200, 50):
            cut = cut_mrkdwn(typed, limit)
            assert len(cut) <= limit and cut.endswith(MORE) and markup(cut) == []
            assert typed.startswith(shown(cut[: -len(MORE)]).rstrip())
    # A quote's soft hyphen goes with its `&gt;`: never left alone before the "…".
    for limit in (50, 200):
        cut = cut_mrkdwn("x" * (limit - 3) + " > quote", limit)
        assert cut == "x" * (limit - 3) + MORE


@settings(max_examples=int(500 * SCALE), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(TEXT)
def test_typed_text_escaped_never_holds_markup(typed: str) -> None:
    sent = escape(typed)
    assert markup(sent) == []
    assert shown(sent) == typed.replace(f"{SOFT_HYPHEN}>", ">")
    pieces = split_mrkdwn(typed)
    assert all(len(p) <= SECTION_TEXT and markup(p) == [] for p in pieces)
    cut = cut_mrkdwn(typed, FIELD_TEXT)
    assert len(cut) <= FIELD_TEXT and markup(cut) == []
    label = cut_mrkdwn_pair("Syfte", typed)
    assert markup(label) == [("*", "Syfte")] and len(label) <= FIELD_TEXT


def test_a_long_paragraph_is_split_into_sections_of_at_most_3000() -> None:
    words = " ".join(f"word{i}&" for i in range(2000))  # escaping makes it longer still
    blocks = blocks_of(Paragraph(words))
    texts = [b["text"]["text"] for b in blocks]  # type: ignore[index]
    assert len(texts) > 3
    assert all(len(t) <= 3000 for t in texts)
    assert " ".join(texts) == escape(words)


def test_splitting_never_cuts_an_entity() -> None:
    pieces = split_mrkdwn("&" * 5000, 3000)
    assert all(p.replace("&amp;", "") == "" for p in pieces)
    assert "".join(pieces) == "&amp;" * 5000


def test_more_than_50_blocks_are_cut_with_a_visible_mark() -> None:
    blocks = blocks_of(*(Paragraph(f"p{i}") for i in range(80)))
    assert len(blocks) == 50
    assert blocks[-1]["type"] == "context"
    assert blocks[-1]["elements"][0]["text"] == MORE  # type: ignore[index]
    assert blocks[-2]["text"]["text"] == "p48"  # type: ignore[index]


def test_long_labels_and_fields_are_cut_with_a_mark() -> None:
    long = "Approve " * 20
    [actions] = blocks_of(Actions((Button("a:b", long, "v"),)))
    label = actions["elements"][0]["text"]["text"]  # type: ignore[index]
    assert len(label) <= 75 and label.endswith(MORE)
    [section] = blocks_of(Fields((("Purpose", "x" * 5000),)))
    field = section["fields"][0]["text"]  # type: ignore[index]
    assert len(field) <= 2000 and field.endswith(MORE)


def test_more_than_ten_fields_go_in_several_sections() -> None:
    blocks = blocks_of(Fields(tuple((f"l{i}", f"v{i}") for i in range(23))))
    assert [len(b["fields"]) for b in blocks] == [10, 10, 3]  # type: ignore[arg-type]


def test_buttons_carry_action_value_style_and_confirm() -> None:
    confirm = Confirm("Reject the request?", "The requester is told.", "Reject", "Go back")
    [actions] = blocks_of(
        Actions(
            (
                Button("approval:approve", "Approve", "1:1:manager", style="primary"),
                Button("approval:reject", "Reject", "1:1:manager", "danger", confirm),
                Button("approval:approve", "Again", "x"),
            )
        )
    )
    approve, reject, again = actions["elements"]  # type: ignore[misc]
    assert approve == {
        "type": "button",
        "action_id": "approval:approve",
        "text": {"type": "plain_text", "text": "Approve", "emoji": True},
        "value": "1:1:manager",
        "style": "primary",
    }
    assert reject["confirm"]["title"]["text"] == "Reject the request?"
    assert reject["confirm"]["confirm"]["text"] == "Reject"
    assert reject["confirm"]["deny"]["text"] == "Go back"
    # action ids are unique within a block; the neutral action is what comes back.
    assert again["action_id"] == "approval:approve#1"


def test_more_than_25_buttons_go_in_several_action_blocks() -> None:
    blocks = blocks_of(Actions(tuple(Button(f"a:{i}", str(i)) for i in range(30))))
    assert [len(b["elements"]) for b in blocks] == [25, 5]  # type: ignore[arg-type]


def test_a_single_choice_is_a_menu_that_carries_its_value() -> None:
    options = tuple(Option(f"o{i}", f"Option {i}") for i in range(3))
    [block] = blocks_of(Choice("dlg:scope:choose", options, value="42", selected=("o1",)))
    [menu] = block["elements"]  # type: ignore[misc]
    assert menu["type"] == "static_select" and menu["action_id"] == "dlg:scope:choose"
    assert menu["initial_option"]["value"] == "o1"
    assert str(block["block_id"]).endswith(":42")


def test_a_menu_has_at_most_100_options() -> None:
    options = tuple(Option(f"o{i}", f"Option {i}") for i in range(150))
    [block] = blocks_of(Choice("c:c", options))
    assert len(block["elements"][0]["options"]) == 100  # type: ignore[index]


def test_several_choices_are_check_boxes_with_a_button_and_the_question_as_label() -> None:
    long = "I know that posts and comments become public documents that must be kept in order."
    options = (Option("a", "Short"), Option("b", long))
    box, button = blocks_of(
        Paragraph("Please confirm each point."),
        Choice("dlg:ack:choose", options, multi=True, submit_label="Confirm", selected=("a",)),
    )
    assert box["type"] == "input"
    assert box["label"]["text"] == "Please confirm each point."  # type: ignore[index]
    element = box["element"]
    assert element["type"] == "checkboxes" and element["action_id"] == "dlg:ack:choose"  # type: ignore[index]
    second = element["options"][1]  # type: ignore[index]
    # A long label continues in the option's description: nothing is lost.
    assert second["text"]["text"] + " " + second["description"]["text"] == long
    assert element["initial_options"][0]["value"] == "a"  # type: ignore[index]
    assert button["elements"][0]["action_id"] == "dlg:ack:choose"  # type: ignore[index]
    assert button["elements"][0]["text"]["text"] == "Confirm"  # type: ignore[index]


def test_more_than_ten_choices_are_a_multi_select() -> None:
    options = tuple(Option(f"o{i}", f"Option {i}") for i in range(12))
    box, _ = blocks_of(Choice("c:c", options, multi=True))
    assert box["element"]["type"] == "multi_static_select"  # type: ignore[index]


def test_people_are_picked_with_slacks_user_pickers() -> None:
    single, send = blocks_of(
        PersonPicker(
            "handover:to", "7:1:manager", placeholder="Choose a person", submit_label="Hand over"
        )
    )
    assert single["element"]["type"] == "users_select"  # type: ignore[index]
    assert single["label"]["text"] == "Choose a person"  # type: ignore[index]
    assert send["elements"][0] == {  # type: ignore[index]
        "type": "button",
        "action_id": "handover:to",
        "text": {"type": "plain_text", "text": "Hand over", "emoji": True},
        "value": "7:1:manager",
        "style": "primary",
    }
    several, _ = blocks_of(PersonPicker("dlg:team:pick", multi=True, placeholder="Choose people"))
    assert several["element"]["type"] == "multi_users_select"  # type: ignore[index]


def test_a_picker_that_leaves_people_out_is_the_bots_own_search() -> None:
    # Slack's user pickers cannot leave anyone out; whom to leave out rides in the block id.
    single, _ = blocks_of(
        PersonPicker("handover:to", "7:1:manager", exclude=("UANNA", "UCEC"), searched=True)
    )
    assert single["element"]["type"] == "external_select"  # type: ignore[index]
    assert single["element"]["min_query_length"] == 1  # type: ignore[index]
    assert excluded(single["block_id"]) == ("UANNA", "UCEC")  # type: ignore[arg-type]
    several, _ = blocks_of(
        PersonPicker("dlg:team:pick", multi=True, exclude=("UANNA",), searched=True)
    )
    assert several["element"]["type"] == "multi_external_select"  # type: ignore[index]
    # A picker that only leaves out the person picking keeps Slack's, which reaches everyone
    # in the workspace (the domain refuses the person picking).
    broad, _ = blocks_of(PersonPicker("dlg:team:pick", multi=True, exclude=("UANNA",)))
    assert broad["element"]["type"] == "multi_users_select"  # type: ignore[index]
    # In the Home tab too, where every block id gets its message's prefix.
    [view] = [home_view([Message(text="q", blocks=(PersonPicker("p", exclude=("UA",), searched=True),))])]
    [picked] = [b for b in view["blocks"] if b["type"] == "input"]
    assert excluded(picked["block_id"]) == ("UA",)
    # Too many to carry within a block id: Slack's own picker, and the domain refuses them.
    crowd = tuple(f"U{i:010d}" for i in range(40))
    [fallback, _] = blocks_of(PersonPicker("p", exclude=crowd, searched=True))
    assert fallback["element"]["type"] == "users_select"  # type: ignore[index]


def test_a_text_input_is_an_input_block() -> None:
    [field] = blocks_of(TextInput("approval:reason", "Reason", multiline=True, max_length=1000))
    assert field["type"] == "input" and field["optional"] is True
    assert field["element"] == {  # type: ignore[comparison-overlap]
        "type": "plain_text_input",
        "action_id": "approval:reason",
        "multiline": True,
        "max_length": 1000,
    }
    [capped] = blocks_of(TextInput("x:y", "Long", max_length=99999))
    assert capped["element"]["max_length"] == 3000  # type: ignore[index]


def test_a_link_is_a_button_that_opens_it() -> None:
    url = "https://kontobot.example.org/dashboard/sign-in?token=v1.1.2.abc.sig"
    [actions] = blocks_of(Link(url, "Open the dashboard " + "x" * 100))
    [button] = actions["elements"]  # type: ignore[index]
    assert button["url"] == url and button["action_id"] == LINK_ACTION
    assert button["text"]["text"].endswith(MORE) and len(button["text"]["text"]) == 75
    # Slack reports the click as well; it is no turn of the bot.
    click = {
        "user": {"id": "UANNA"},
        "actions": [{"type": "button", "action_id": LINK_ACTION, "block_id": "b0"}],
    }
    assert block_action(click) is None


@pytest.mark.parametrize(
    "url",
    [
        "/dashboard/sign-in?token=t",  # Slack can't open a path on our server
        "javascript:alert(1)",
        "https://kontobot.example.org/" + "x" * 3000,
        "https://kontobot.example.org/a b",
    ],
)
def test_a_link_slack_cannot_open_as_it_is_shows_its_label_alone(url: str) -> None:
    [section] = blocks_of(Link(url, "Open <the> dashboard"))
    assert section == {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "Open &lt;the&gt; dashboard", "verbatim": True},
        "block_id": "b0",
    }


def test_a_message_without_blocks_shows_its_text() -> None:
    text, blocks = render(Message(text="Cancelled. Nothing was sent."))
    assert blocks[0]["text"]["text"] == "Cancelled. Nothing was sent."  # type: ignore[index]
    assert text == "Cancelled. Nothing was sent."


def test_the_home_view_keeps_block_ids_unique_and_within_100_blocks() -> None:
    card = Message(
        text="c",
        title="Card",
        blocks=(
            TextInput("approval:reason", "Reason"),
            Actions((Button("approval:approve", "A", "1:1:m"),)),
        ),
    )
    view = home_view([card] * 40)
    assert view["type"] == "home"
    assert block_problems(view["blocks"], maximum=100) == []
    assert len(view["blocks"]) == 100
    assert json.dumps(view).count("approval:approve") > 1



def test_a_form_is_inputs_in_the_message_with_hints_refusals_and_one_button() -> None:
    handle, purpose, refusal, scope, send = blocks_of(FORM)
    assert handle["type"] == purpose["type"] == scope["type"] == "input"
    assert handle["label"]["text"] == "Handle?"  # type: ignore[index]
    assert handle["hint"]["text"] == "For example ki."  # type: ignore[index]
    assert handle["element"]["action_id"] == "field:handle"  # type: ignore[index]
    # What was typed stays in the field; a refusal stands under it, escaped.
    assert purpose["element"]["initial_value"] == TYPED  # type: ignore[index]
    assert purpose["element"]["multiline"] is True  # type: ignore[index]
    assert refusal["type"] == "context"
    assert "Please write at least 10 characters." in json.dumps(refusal)
    assert scope["element"]["type"] == "static_select"  # type: ignore[index]
    assert scope["element"]["initial_option"]["value"] == "unit"  # type: ignore[index]
    [button] = send["elements"]  # type: ignore[misc]
    assert (button["action_id"], button["text"]["text"]) == ("dlg:handle:form", "Send the answers")


def test_the_forms_button_sends_every_field_by_name() -> None:
    _, blocks = render(Message("f", blocks=(FORM,)))
    values: dict[str, Any] = {}
    for block in blocks:
        if block["type"] == "input":
            element = block["element"]
            entry: dict[str, Any] = {"type": element["type"]}
            if element["type"] == "plain_text_input":
                entry["value"] = element.get("initial_value", "") + " typed"
            else:
                entry["selected_option"] = element["options"][1]
            values[block["block_id"]] = {element["action_id"]: entry}
    [send] = [b for b in blocks if b["type"] == "actions"]
    turn = block_action(
        {
            "type": "block_actions",
            "user": {"id": "UANNA"},
            "container": {"type": "message", "message_ts": "1.1", "channel_id": "DUANNA"},
            "actions": [{**send["elements"][0], "block_id": send["block_id"]}],
            "state": {"values": values},
        }
    )
    assert turn is not None
    assert turn.event.values == (  # type: ignore[union-attr]
        ("handle", "ki_neuro typed"), ("purpose", f"{TYPED} typed"), ("scope", "wide"),
    )
    assert turn.event.action == "dlg:handle:form"  # type: ignore[union-attr]


def test_an_earlier_answer_is_filled_in_ready_to_change() -> None:
    """Back or Edit a field: the typed text, the choice and the people picked before."""
    blocks = blocks_of(
        Paragraph("q"),
        TextInput("dlg:purpose:answer", "Your answer", value="Research news", submit_label="Save"),
        Choice("dlg:scope:choose", (Option("a", "A"), Option("b", "B")), multi=True,
               selected=("b",)),
        PersonPicker("dlg:team:pick", multi=True, selected=(Option("UBJORN", "Björn"),
                                                            Option("aad-x", "Not Slack"))),
        PersonPicker("dlg:manager:pick", selected=(Option("UCECILIA", "Cecilia"),)),
    )
    elements = [b["element"] for b in blocks if b["type"] == "input"]  # type: ignore[index]
    by_type = {e["type"]: e for e in elements}  # type: ignore[index]
    assert by_type["plain_text_input"]["initial_value"] == "Research news"
    assert [o["value"] for o in by_type["checkboxes"]["initial_options"]] == ["b"]
    # Another platform's ids are never sent to Slack.
    assert by_type["multi_users_select"]["initial_users"] == ["UBJORN"]
    assert by_type["users_select"]["initial_user"] == "UCECILIA"
    assert block_problems(blocks) == []
