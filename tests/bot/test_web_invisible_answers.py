"""Answers made only of invisible characters, on the open-account form in the web chat,
through the JSON API the page uses: each is refused beside its field as an empty answer is
(or as too short), and nothing is filed; ordinary text with emoji and Swedish letters goes
through as typed. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from html import unescape

from bot.keys import STORE
from data.models import AccountRequest, RequestStatus
from dialogs.explain import REASONS
from dialogs.i18n import Translator
from tests.helpers import count
from tests.helpers.journey import SUBMIT, Answer, latest_request, open_account_answers
from tests.helpers.web import Shown, WebChat, running_chat

EN = Translator("en")

# What the QA probe typed: ten zero-width spaces passed the purpose's minimum of ten.
INVISIBLE = {
    "purpose": "\u200b" * 10,  # ZERO WIDTH SPACE
    "objectives": "\u200f",  # RIGHT-TO-LEFT MARK
    "target_group": "\u2060\u2060",  # WORD JOINER
    "benefit": "\ufeff",  # the byte-order mark
    "monitoring": "\u202e",  # RIGHT-TO-LEFT OVERRIDE
    "holiday_cover": "\u200d",  # ZERO WIDTH JOINER
}
# Everything typed on the form, emoji (with joiners) and Swedish letters among it.
ORDINARY = {
    "handle": "ki_synlig",
    "scope": "unit",
    "purpose": "Vi visar forskningen på Karolinska Institutet för blivande studenter 👩\u200d🔬.",
    "objectives": "Två inlägg i veckan om pågående projekt 🧑🏽\u200d💻 och 🏳️\u200d🌈 i juni.",
    "target_group": "Blivande masterstudenter, även i Malmö och Umeå ❤️",
    "benefit": "Fler sökande till institutionens program.",
    "monitoring": "Teamet läser kommentarerna varje vardag.\nEnligt schemat.",
    "holiday_cover": "Enhetens kommunikatör täcker semestrarna.",
}


def field_errors(shown: Shown) -> dict[str, str]:
    """Each refused field of the message's form, and what its note says."""
    found = re.findall(r'<p class="field-error" id="[^"]*-(\w+)-error">([^<]*)</p>', shown.html)
    return {field: unescape(note) for field, note in found}


async def click(chat: WebChat, answer: Answer, values: dict[str, str] | None = None) -> Shown:
    """Anna clicks the answer's button on the newest message, as the page sends it (with the
    value the button carries); what the chat shows next."""
    latest = (await chat.messages("anna"))[-1]
    value = latest.buttons().get(answer.action, "")
    await chat.act("anna", answer.action, value, selected=answer.selected, values=values)
    return (await chat.messages("anna"))[-1]


async def send_form(chat: WebChat, values: dict[str, str]) -> Shown:
    """The form about the account sent with `values` typed in; what the chat shows next."""
    form = (await chat.messages("anna"))[-1].form()
    assert set(values) <= set(form), form
    return await click(chat, Answer("handle", verb="form"), {**form, **values})


async def test_answers_that_show_nothing_are_refused_and_ordinary_ones_kept_as_typed(
    database_url: str,
) -> None:
    async with running_chat(database_url) as chat:
        store = chat.client.app[STORE]
        await chat.say("anna", "/open-account")
        await click(chat, Answer("platform", selected=("instagram",)))

        refused = await send_form(chat, {"handle": "ki_synlig", "scope": "unit", **INVISIBLE})
        assert EN("Some answers need changing: see the note under each.") in refused.text
        assert field_errors(refused) == {field: EN(REASONS["empty"]) for field in INVISIBLE}

        # Ten characters of which three show: too short for a purpose, as "Hej" alone is.
        padded = await send_form(chat, {**ORDINARY, "purpose": "Hej" + "\u2060" * 7})
        assert field_errors(padded) == {
            "purpose": EN(REASONS["too_short"], minimum=10)
        }

        accepted = await send_form(chat, ORDINARY)
        assert field_errors(accepted) == {}
        for answer in open_account_answers(team=("bjorn",), manager="cecilia"):
            if answer.step == "unit":
                await chat.say("anna", answer.text or "")
            elif answer.step in ("team", "manager", "acknowledgements"):
                await click(chat, answer)
        summary = (await chat.messages("anna"))[-1]
        assert "dlg:summary:submit" in summary.buttons(), summary.text
        await click(chat, SUBMIT)

        assert await count(store, AccountRequest) == 1
        request = await latest_request(store)
        assert request.status == RequestStatus.PENDING.value
        assert {field: getattr(request, field) for field in ORDINARY} == ORDINARY
