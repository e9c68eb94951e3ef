"""Events as the inbox keeps them: a form's answers survive the trip, in order."""

from __future__ import annotations

import json

from dialogs.events import Action, Sender
from dialogs.text import clean_event
from hub.wire import event_from_dict, event_to_dict


def test_a_forms_answers_survive_the_inbox() -> None:
    event = Action(
        Sender("web", "anna"),
        "dlg:handle:form",
        values=(("purpose", "Research, shown.\nTwice."), ("scope", "unit")),
    )
    assert event_from_dict(json.loads(json.dumps(event_to_dict(event)))) == event


def test_a_forms_answers_are_normalised_where_they_enter() -> None:
    event = Action(Sender("web", "anna"), "dlg:handle:form", values=(("purpose", "a\x00b\r\nc"),))
    assert clean_event(event).values == (("purpose", "ab\nc"),)
