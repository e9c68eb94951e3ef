"""`/language`: a person chooses the language the bot writes to them in, and their chat app's
language no longer changes it; `/language app` follows the app again. Through `Brain.handle`,
with the client's locale as the platform gives it, on SQLite and PostgreSQL."""

from __future__ import annotations

from data.db import Store
from data.models import AuditEvent, Person
from dialogs.engine import Reply
from dialogs.messages import Actions, Paragraph
from tests.helpers import Cast, load
from tests.helpers.chat import sender_of
from tests.helpers.nudging import chat


def said(replies: list[Reply]) -> str:
    """The first paragraph of the one reply, which only the person sees."""
    [reply] = replies
    assert reply.ephemeral, reply
    return next(b.text for b in reply.message.blocks if isinstance(b, Paragraph))


async def stored(store: Store, person_id: int) -> tuple[str | None, bool]:
    [person] = await load(store, Person, Person.id == person_id)
    return person.locale, person.locale_chosen


async def test_a_chosen_language_holds_whatever_language_the_app_is_in(
    store: Store, cast: Cast
) -> None:
    english_app = chat(store, await sender_of(store, cast.requester, locale="en-US"))
    replies = await english_app.command("language", "svenska")
    assert said(replies) == (
        "Från och med nu skriver jag till dig på Svenska, vilket språk din chattapp än har."
    )
    assert await stored(store, cast.requester) == ("sv", True)
    # Her next turns come from a client in English: still Swedish.
    [answer] = await english_app.say("hej")
    assert answer.message.title == "Hjälp för kontobot"
    assert await stored(store, cast.requester) == ("sv", True)
    [event] = await load(store, AuditEvent, AuditEvent.action == "person.locale")
    assert (event.actor_id, event.details) == (cast.requester, {"locale": "sv"})


async def test_language_app_follows_the_app_again_from_this_turn(
    store: Store, cast: Cast
) -> None:
    english_app = chat(store, await sender_of(store, cast.requester, locale="en-GB"))
    await english_app.command("language", "sv")
    replies = await english_app.command("language", "app")
    assert said(replies) == (
        "From now on I write to you in the language of the chat app you write from (now English)."
    )
    assert await stored(store, cast.requester) == ("en", False)
    # A turn from a client in Swedish makes Swedish hers again, as before any choice.
    swedish_app = chat(store, await sender_of(store, cast.requester, locale="sv-SE"))
    [answer] = await swedish_app.say("hello")
    assert answer.message.title == "Hjälp för kontobot"
    assert await stored(store, cast.requester) == ("sv", False)


async def test_language_alone_says_which_and_offers_a_button_for_each(
    store: Store, cast: Cast
) -> None:
    app = chat(store, await sender_of(store, cast.requester, locale="sv-SE"))
    [reply] = await app.command("language")
    assert reply.ephemeral and reply.message.title == "Språk"
    assert said([reply]) == (
        "Jag skriver till dig på Svenska, språket i den chattapp du senast skrev från."
    )
    [buttons] = [b for b in reply.message.blocks if isinstance(b, Actions)]
    assert [(b.action, b.label, b.style) for b in buttons.buttons] == [
        ("language:en", "English", None),
        ("language:sv", "Svenska", "primary"),
        ("language:app", "Följ min chattapp", None),
    ]
    # The button chooses as the typed word does, and says so in the language chosen.
    replies = await app.click("language:en")
    assert said(replies) == (
        "From now on I write to you in English, whatever language your chat app is in."
    )
    assert await stored(store, cast.requester) == ("en", True)
    [reply] = await app.command("language")
    assert said([reply]) == "I write to you in English, as you chose."


async def test_a_word_it_does_not_know_changes_nothing(store: Store, cast: Cast) -> None:
    app = chat(store, await sender_of(store, cast.requester, locale="en-US"))
    [reply] = await app.command("language", "deutsch")
    assert said([reply]) == (
        "I don't know the language deutsch. I write to you in English, the language of the"
        " chat app you last wrote from."
    )
    assert await stored(store, cast.requester) == ("en", False)
    # A forged button value is refused the same way.
    [reply] = await app.click("language:de")
    assert said([reply]) == "I don't know the language de."
    assert await stored(store, cast.requester) == ("en", False)
    assert await load(store, AuditEvent, AuditEvent.action == "person.locale") == []


async def test_help_lists_language(store: Store, cast: Cast) -> None:
    app = chat(store, await sender_of(store, cast.requester, locale="en-US"))
    [reply] = await app.command("help")
    assert "/language" in str(reply.message)
