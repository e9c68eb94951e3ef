"""Neutral messages as the web chat's HTML: a link is an <a>, escaped, and only to where we
would send a person."""

from __future__ import annotations

import dataclasses

import pytest

from bot.web.render import render
from dialogs.messages import (
    Choice,
    Link,
    Message,
    Option,
    Paragraph,
    PersonPicker,
    TextInput,
    from_dict,
    to_dict,
)
from tests.helpers.forms import FORM


def html_of(link: Link) -> str:
    return render(Message("x", blocks=(link,)), message_id=7, directory=[])


@pytest.mark.parametrize(
    "url",
    [
        "/dashboard/sign-in?token=v1.1.2.abc.sig",
        "https://kontobot.example.org/dashboard/sign-in?token=v1.1.2.abc.sig",
        "http://localhost:8080/dashboard/help",
    ],
)
def test_a_link_opens_in_a_tab_of_its_own_without_a_referrer(url: str) -> None:
    assert html_of(Link(url, "Open the dashboard")) == (
        '<article class="msg bot" id="m7" data-id="7"><p class="link">'
        f'<a class="btn primary" href="{url}" target="_blank" rel="noopener noreferrer">'
        "Open the dashboard</a></p></article>"
    )


def test_the_link_and_its_label_are_escaped() -> None:
    html = html_of(Link('/dashboard/x?a=1&b="2"', "<b>Open</b> & go"))
    assert 'href="/dashboard/x?a=1&amp;b=&quot;2&quot;"' in html
    assert "&lt;b&gt;Open&lt;/b&gt; &amp; go</a>" in html


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "//evil.example/dashboard/",
        "/elsewhere",
        "https://",
        "/dashboard/\njavascript:x",
        " https://kontobot.example.org/",
    ],
)
def test_a_link_anywhere_else_is_its_label_alone(url: str) -> None:
    html = html_of(Link(url, "Open the dashboard"))
    assert "<a " not in html and "href" not in html
    assert '<p class="link">Open the dashboard</p>' in html


def test_a_link_survives_the_chat_history() -> None:
    message = Message("x", title="t", blocks=(Link("/dashboard/help", "Help"),))
    assert from_dict(to_dict(message)) == message


def test_a_filtered_choice_is_a_select_with_a_button() -> None:
    units = (Option("u:1", "Unit <A>"), Option("u:2", "Unit B"))
    html = render(
        Message(
            "x",
            blocks=(
                Paragraph("Which unit?"),
                Choice("dlg:unit:choose", units, filtered=True, submit_label="Confirm"),
            ),
        ),
        message_id=3,
        directory=[],
    )
    assert '<div class="picker" data-collect="select"><select id="m3-1-choice"' in html
    assert 'aria-labelledby="m3-0"' in html
    assert '<option value="u:1">Unit &lt;A&gt;</option><option value="u:2">Unit B</option>' in html
    assert 'data-action="dlg:unit:choose"' in html and ">Confirm</button>" in html
    # A neutral message survives the outbox's JSON with its flag.
    message = Message("x", blocks=(Choice("dlg:unit:choose", units, filtered=True),))
    assert from_dict(to_dict(message)) == message


def test_a_person_picker_leaves_out_the_people_it_excludes() -> None:
    """Handing a decision over: the requester and the approver are not offered."""
    picker = PersonPicker("handover:to", "1:1:manager", exclude=("anna", "dan"))
    html = render(
        Message("x", blocks=(picker,)),
        message_id=4,
        directory=[("anna", "Anna Berg"), ("bo", "Bo Ek"), ("dan", "Dan Holm")],
    )
    assert '<option value="bo">Bo Ek</option>' in html
    assert "Anna Berg" not in html and "Dan Holm" not in html


def test_a_person_pickers_exclusions_survive_the_outbox() -> None:
    picker = PersonPicker("handover:to", "1:1:manager", exclude=("anna", "dan"))
    message = Message("x", blocks=(picker,))
    assert from_dict(to_dict(message)) == message



def test_a_form_has_labelled_fields_with_hints_refusals_and_one_button() -> None:
    html = render(Message("f", blocks=(FORM,)), message_id=3, directory=[])
    assert '<label for="m3-0-handle">Handle?</label>' in html
    assert (
        '<textarea id="m3-0-handle" data-field="handle" aria-describedby="m3-0-handle-hint"'
        ' maxlength="1000" rows="1">ki_neuro</textarea>'
    ) in html
    # A refused field says why, next to it, and is marked for screen readers; what was typed
    # stays in it, escaped.
    assert 'aria-describedby="m3-0-purpose-hint m3-0-purpose-error" aria-invalid="true"' in html
    assert '<p class="field-error" id="m3-0-purpose-error">Please write at least 10' in html
    assert ">Short &lt;b&gt; **x**</textarea>" in html
    assert '<option value="unit" selected>A unit</option>' in html
    assert html.count("data-action=") == 1 and 'data-action="dlg:handle:form"' in html


def test_a_menu_nothing_is_chosen_in_shows_nothing_chosen() -> None:
    """Else the browser shows, and the page sends, its first option as if it were chosen (the
    open-account form's scope: a unit's account, which the director is not asked about)."""
    [handle, purpose, scope] = FORM.fields
    unchosen = dataclasses.replace(FORM, fields=(handle, purpose,
                                                 dataclasses.replace(scope, value="")))
    html = render(Message("f", blocks=(unchosen,)), message_id=3, directory=[])
    assert (
        '<select id="m3-0-scope" data-field="scope"><option value="" selected></option>'
        '<option value="unit">A unit</option>'
    ) in html
    chosen = render(Message("f", blocks=(FORM,)), message_id=3, directory=[])
    assert '<option value=""' not in chosen


def test_a_form_survives_the_outbox() -> None:
    message = Message("f", blocks=(FORM,))
    assert from_dict(to_dict(message)) == message


def test_an_earlier_answer_is_filled_in_ready_to_change() -> None:
    """Back or Edit a field: the typed text, the choice and the people picked before."""
    html = render(
        Message(
            "q",
            blocks=(
                Paragraph("q"),
                TextInput("dlg:purpose:answer", "Your answer", value="Research <news>",
                          submit_label="Save"),
                Choice("dlg:scope:choose", (Option("a", "A"), Option("b", "B")), selected=("b",)),
                PersonPicker("dlg:team:pick", multi=True, selected=(Option("bjorn", "Björn"),)),
            ),
        ),
        message_id=7,
        directory=[("anna", "Anna"), ("bjorn", "Björn"), ("cecilia", "Cecilia")],
    )
    assert ">Research &lt;news&gt;</textarea>" in html
    assert 'data-selected="b" aria-pressed="true"' in html
    assert 'data-selected="a" aria-pressed="false"' in html
    assert '<option value="bjorn" selected>Björn</option>' in html
    assert '<option value="anna">Anna</option>' in html
