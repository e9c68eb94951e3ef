"""A dialog's closing summary explains its buttons by the names the buttons carry, in both
languages: "Send asks the colleague…" under a button called "Ask the colleague" sends a reader
looking for a button that isn't there."""

from __future__ import annotations

import pytest

from dialogs import closing, consent, experts, moderation, open_account, questions, team
from dialogs.engine import Dialog
from dialogs.i18n import LOCALES, Translator

# The three team changes share one help, which says "confirm" for whichever button it is.
SHARED_HELP = {team.AddMember, team.ChangeManager, team.CorrectUnit}
MODULES = (closing, consent, experts, moderation, open_account, questions, team)


def _dialogs() -> list[type[Dialog]]:
    found: list[type[Dialog]] = []
    pending = list(Dialog.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if "name" in vars(cls) and cls.__module__.split(".")[-1] in {
            m.__name__.split(".")[-1] for m in MODULES
        }:
            found.append(cls)
    return sorted(found, key=lambda cls: cls.__qualname__)


def test_every_dialog_with_a_summary_is_checked() -> None:
    names = {cls.__name__ for cls in _dialogs()}
    assert {
        "OpenAccount",
        "ReferQuestion",
        "SuggestAnswer",
        "RecordRemoval",
        "RecordConsent",
    } <= names


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("dialog", _dialogs(), ids=lambda cls: cls.__name__)
def test_the_summary_help_names_the_buttons_of_the_summary(
    dialog: type[Dialog], locale: str
) -> None:
    tr = Translator(locale)
    text = tr(dialog.summary_help)
    if dialog not in SHARED_HELP:
        assert tr(dialog.submit_label) in text, (tr(dialog.submit_label), text)
    assert tr("Cancel") in text
    if dialog is not experts.SuggestAnswer:  # a suggestion is one field: Edit edits it
        assert tr("Edit a field") in text
