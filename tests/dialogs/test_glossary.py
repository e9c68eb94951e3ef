"""One glossary for the chat and the dashboard: the chat asks for each particular of an
account by the glossary's name and offers its values, and every term is in Swedish."""

from __future__ import annotations

import pytest

from dialogs import glossary
from dialogs.i18n import Translator
from dialogs.open_account import OpenAccount


def test_the_chat_asks_for_each_particular_by_its_glossary_name() -> None:
    steps = {step.name: step for step in OpenAccount().steps}
    for key, term in glossary.FIELDS.items():
        if key in steps:
            assert steps[key].label == term, key
    assert set(glossary.FIELDS) <= set(steps)
    assert dict(steps["scope"].options) == glossary.SCOPES  # type: ignore[attr-defined]
    assert dict(steps["response_time"].options) == glossary.RESPONSE_TIMES  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "term",
    [*glossary.FIELDS.values(), *glossary.SCOPES.values(), *glossary.RESPONSE_TIMES.values()],
)
def test_every_term_is_in_swedish(term: str) -> None:
    assert Translator("sv")(term) != term
