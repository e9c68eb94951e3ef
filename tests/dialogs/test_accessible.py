"""`/accessible`: which account, which post, what it has, then the whole checklist on one card;
the summary lists what still needs fixing, an item ticked after a second look counts as
fixed, and the reply says how to fix the rest. Through `Brain.handle`, on SQLite and
PostgreSQL."""

from __future__ import annotations

from data import accessibility
from data.db import Store
from data.models import AccessibilityCheck, AuditEvent
from dialogs.i18n import Translator
from dialogs.messages import Context, Message
from tests.helpers import T0, Cast, load
from tests.helpers.chat import CastSenders, cast_senders, choices, fields, only, says, step_of
from tests.helpers.nudging import account_of, chat

SV = Translator("sv")
POST = "https://www.instagram.com/p/nobel-week"


def small_print(message: Message) -> str:
    return " ".join(b.text for b in message.blocks if isinstance(b, Context))


async def test_the_whole_checklist_on_one_card_and_what_to_fix(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    first = await account_of(store, cast)
    second = await account_of(store, cast, handle="ki_research")
    bo = chat(store, who.colleague)
    # Two accounts: which one first.
    prompt = only(await bo.command("accessible"))
    assert step_of(prompt) == "account"
    prompt = only(await bo.dlg("account", "choose", str(second)))
    assert step_of(prompt) == "post"
    prompt = only(await bo.say(f"  {POST}\u200b"))
    assert step_of(prompt) == "content"
    prompt = only(await bo.dlg("content", "choose", "images", "links", "emoji"))
    # One card: a box for each item the post's content makes apply, plain language always.
    assert step_of(prompt) == "checklist"
    [card] = choices(prompt)
    assert card.multi
    assert [o.label for o in card.options] == [
        "Alt text for images", "Plain language", "Descriptive link text", "Emoji used sparingly",
    ]
    assert says(prompt, "tick each item that is checked and OK")
    summary = only(await bo.dlg("checklist", "choose", "plain_language", "emoji"))
    assert fields(summary)["Checklist"] == (
        "OK: Plain language, Emoji used sparingly. "
        "Still to fix: Alt text for images, Descriptive link text."
    )
    # The alt text written: ticked on a second look, it counts as fixed.
    only(await bo.dlg("summary", "edit_field", "checklist"))
    summary = only(await bo.dlg("checklist", "choose", "alt_text", "plain_language", "emoji"))
    assert fields(summary)["Checklist"].endswith("Still to fix: Descriptive link text.")
    done = only(await bo.dlg("summary", "submit"))
    assert says(done, "The check is recorded with Instagram ki_research.")
    assert says(done, "Still to fix before you publish:")
    assert fields(done) == {
        "Descriptive link text": (
            'Say where a link leads, for example "Read the study on ki.se", instead of '
            '"click here" or a long bare address.'
        ),
    }
    assert "the Act (2018:1937) on Digital Accessibility of Public Services" in small_print(done)
    [check] = await load(store, AccessibilityCheck)
    assert (check.account_id, check.post, check.checked_by, check.checked_at) == (
        second, POST, cast.colleague, T0
    )
    assert accessibility.items_of(check) == {
        "alt_text": "fixed", "captions": "not_applicable", "plain_language": "ok",
        "link_text": "to_fix", "hashtags": "not_applicable", "emoji": "ok",
    }
    assert await load(store, AuditEvent, AuditEvent.action == "accessibility.checked")
    assert first != second


async def test_nothing_ok_yet_and_then_everything_in_swedish(store: Store, cast: Cast) -> None:
    await account_of(store, cast)
    who = await cast_senders(store, cast, locale="sv")
    anna = chat(store, who.requester)
    prompt = only(await anna.command("accessible"))
    assert step_of(prompt) == "post"
    assert says(prompt, "Vilket inlägg?")
    only(await anna.say("Film om Nobelveckan, inte publicerad"))
    prompt = only(await anna.say("bara text"))
    # Only text: only plain language is asked about.
    assert [o.value for o in choices(prompt)[0].options] == ["plain_language"]
    # Confirm with no box ticked: nothing is OK yet.
    summary = only(await anna.dlg("checklist", "choose"))
    assert fields(summary)["Checklista"] == "Kvar att åtgärda: Klarspråk."
    done = only(await anna.dlg("summary", "submit"))
    assert SV("Plain language") in fields(done)
    assert "lagen (2018:1937) om tillgänglighet till digital offentlig service" in small_print(done)
    # Another post, everything OK.
    only(await anna.command("accessible"))
    only(await anna.say("Bildspel från disputationen"))
    only(await anna.dlg("content", "choose", "images", "hashtags"))
    only(await anna.say("1, 2, 3"))
    done = only(await anna.dlg("summary", "submit"))
    assert says(done, SV("Everything on the checklist is done: the post is ready to publish."))
    statuses = [accessibility.items_of(c) for c in await load(store, AccessibilityCheck)]
    assert [s["plain_language"] for s in statuses] == ["to_fix", "ok"]
    assert statuses[1]["alt_text"] == "ok" and statuses[1]["captions"] == "not_applicable"


async def test_someone_outside_every_account_is_told(
    store: Store, cast: Cast, who: CastSenders
) -> None:
    await account_of(store, cast)
    outsider = chat(store, who.outsider)
    assert says(
        only(await outsider.command("accessible")),
        "The accessibility checklist is run by an account's team or manager, and you are neither for any account.",
    )
    assert await load(store, AccessibilityCheck) == []
