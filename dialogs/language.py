"""`/language`: the language the bot writes to a person in, chosen by them.

By default a person is written to in the language of the chat app they last wrote from
(data.people.ensure_person). Someone whose Slack or Teams is in English but who reads the bot
better in Swedish, or the other way round, chooses here; `/language app` goes back to
following the app. The choice holds for replies, reminders and the App Home alike, on every
platform, because it is the person's, not an identity's.
"""

from __future__ import annotations

from data import people
from data.languages import LANGUAGES
from dialogs.common import note
from dialogs.engine import Ctx, Reply
from dialogs.events import Action
from dialogs.i18n import Translator
from dialogs.messages import Actions, Button, Context

# Each language named in itself: someone who cannot read the current one still finds theirs.
NAMES = {"en": "English", "sv": "Svenska"}
# What `/language` takes after it, in either language (compared in lower case).
FOLLOW = "app"
WORDS = {
    "en": frozenset({"en", "english", "engelska"}),
    "sv": frozenset({"sv", "svenska", "swedish", "svensk"}),
    FOLLOW: frozenset({"app", "auto", "automatic", "automatiskt", "appen"}),
}
assert set(NAMES) == set(LANGUAGES)


def chosen(args: str) -> str | None:
    """The language (or FOLLOW) the words after `/language` name; None: none of them."""
    word = args.strip().lower()
    return next((choice for choice, words in WORDS.items() if word in words), None)


async def language(ctx: Ctx, args: str) -> list[Reply]:
    """`/language sv` chooses; `/language` alone (or with a word it does not know) shows the
    language in use and a button for each choice."""
    choice = chosen(args)
    if choice is not None:
        return await _choose(ctx, choice)
    tr = ctx.tr
    now_in = NAMES.get(tr.locale, tr.locale)
    if ctx.person.locale_chosen:
        status = tr("I write to you in {language}, as you chose.", language=now_in)
    else:
        status = tr(
            "I write to you in {language}, the language of the chat app you last wrote from.",
            language=now_in,
        )
    if args.strip():
        status = tr("I don't know the language {word}.", word=args.strip()[:40]) + " " + status
    buttons = (
        *(Button(f"language:{code}", name, style="primary" if code == tr.locale else None)
          for code, name in NAMES.items()),
        Button(f"language:{FOLLOW}", tr("Follow my chat app")),
    )
    return [
        note(
            status,
            Actions(buttons),
            Context(tr("Or type /language sv, /language en or /language app.")),
            ephemeral=True,
            title=tr("Language"),
        )
    ]


async def choose(ctx: Ctx, verb: str, _action: Action) -> list[Reply]:
    """A language button (`language:sv`, `language:en`, `language:app`)."""
    if verb not in WORDS:
        return [note(ctx.tr("I don't know the language {word}.", word=verb[:40]), ephemeral=True)]
    return await _choose(ctx, verb)


async def _choose(ctx: Ctx, choice: str) -> list[Reply]:
    assert ctx.person.id is not None
    person = await people.set_locale(
        ctx.session, now=ctx.now, person_id=ctx.person.id,
        locale=None if choice == FOLLOW else choice, client_locale=ctx.client_locale,
    )
    # Said in the language chosen, which is the one the person reads from now on.
    tr = Translator(person.locale or ctx.tr.locale, ctx.tr.timezone)
    name = NAMES.get(tr.locale, tr.locale)
    if choice == FOLLOW:
        text = tr(
            "From now on I write to you in the language of the chat app you write from (now {language}).",
            language=name,
        )
    else:
        text = tr(
            "From now on I write to you in {language}, whatever language your chat app is in.",
            language=name,
        )
    return [note(text, Context(tr("Type /language to change it.")), ephemeral=True)]
