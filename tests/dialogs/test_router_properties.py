"""Brain.handle and every renderer take whatever people can send: generated turns (text,
commands and clicks with odd values, from known people and strangers) and generated messages,
with no exception at all. Counts in tests/helpers/fuzz.py (at least 10,000 turns).

Events are normalised by dialogs.text.clean_event first, as every adapter does where they
enter; the text itself is anything Unicode has (surrogates included) before that.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from bot.slack.render import home_view, notification_text
from bot.slack.render import render as slack_render
from bot.teams.render import card, card_response
from bot.web.render import render as web_render
from data import migrate
from data.db import Store
from dialogs.events import Action, Command, Event, Sender, Text
from dialogs.help import COMMANDS
from dialogs.messages import Message
from dialogs.router import Brain
from dialogs.text import clean, clean_event
from tests.helpers import KEY, T0, make_cast
from tests.helpers.accounts import register
from tests.helpers.chat import cast_senders
from tests.helpers.fake_connector import card_problems
from tests.helpers.fuzz import (
    ANY_CHAR,
    MESSAGES,
    SHORT,
    TEXT,
    TURN_EXAMPLES,
    TURNS,
    TURNS_PER_EXAMPLE,
    messages,
)

BUTTONS = [
    "approval:approve", "approval:reject", "approval:changes", "approval:handover",
    "approval:reject_confirmed", "approval:keep", "handover:to", "handover:cancel", "revise:", "duty:monitored", "duty:cannot", "away:cancel",
    "rota:rotation", "rota:first", "active:yes", "question:answered", "archive:done",
    "archive:snooze", "archive:request", "close:start", "case:mark", "case:research",
    "case:number", "open-account:platform",
    "open-account:confirm", "cmd:open-account", "submit", "edit", "cancel", "",
]
DAYS = st.one_of(
    st.dates().map(date.isoformat),
    st.sampled_from(["0001-01-01", "9999-12-31", "2027-02-30", "2027-13-01", "2027-7-1",
                     "20270701", "2027-07-01T00:00", "-2027-07-01"]),
)
NUMBERS = st.one_of(
    st.integers(min_value=-5, max_value=50), st.integers(), st.just(2**63), st.just(-(2**63))
)
VALUES = st.one_of(
    SHORT,
    NUMBERS.map(str),
    st.builds(lambda a, b, c: f"{a}:{b}:{c}", NUMBERS, NUMBERS,
              st.sampled_from(["manager", "director", "x", ""])),
    st.builds(lambda a, b: f"{a}:{b}", NUMBERS, st.sampled_from(["daily", "weekly", "x"])),
    # Days, as check-in, snooze and absence buttons carry them: the calendar's edges, days
    # that do not exist, other spellings.
    DAYS,
    st.builds(lambda a, d: f"{a}:{d}", NUMBERS, DAYS),
)


def events(known: list[Sender]) -> st.SearchStrategy[Event]:
    stranger = st.builds(
        lambda ext, name, locale: Sender("web", ext, display_name=name, locale=locale),
        st.text(ANY_CHAR, min_size=1, max_size=30), st.none() | SHORT,
        st.sampled_from([None, "sv", "en", "xx", "sv-SE", ""]),
    )
    sender = st.one_of(st.sampled_from(known), st.sampled_from(known), stranger)
    name = st.one_of(st.sampled_from([*COMMANDS, "nope", "", "OPEN-ACCOUNT"]), SHORT)
    typed = st.one_of(
        TEXT,
        st.builds(lambda c, a: f"/{c} {a}", name, st.one_of(TEXT, st.just("SOME-2027-0001"),
                                                             st.just("2027-07-01 2027-07-31"))),
        st.sampled_from(["help", "back", "cancel", "yes", "no", "1", "2", "2027-07-01", ""]),
    )
    event = st.one_of(
        st.builds(Text, sender, typed),
        st.builds(Command, sender, name, st.one_of(TEXT, VALUES)),
        st.builds(
            Action, sender, st.one_of(st.sampled_from(BUTTONS), SHORT), VALUES,
            st.lists(st.one_of(VALUES, st.sampled_from([s.external_id for s in known])),
                     max_size=5).map(tuple),
            TEXT,
        ),
    )
    return event.map(clean_event)


def render_everywhere(message: Message) -> None:
    """Every renderer, and the bytes each platform would be sent."""
    shown: list[Any] = [
        slack_render(message), notification_text(message), home_view([message]),
        card(message), card_response(message, live_for="29:someone"),
        web_render(message, message_id=7, directory=[("anna", "Anna")], sender="Anna"),
    ]
    json.dumps(shown, ensure_ascii=False).encode("utf-8")
    # Teams shows all of each card: within its size, actions a set and schema version.
    assert card_problems(shown[3]) == [] and card_problems(shown[4]["value"], sent=shown[4]) == []


async def world(tmp_path: Path) -> tuple[Store, list[Sender]]:
    store = Store.from_url(f"sqlite:///{tmp_path / 'fuzz.db'}")

    # A scratch database: no waiting for the disk at each commit (the turns are what is
    # tested here, not durability), so that ten thousand of them take seconds.
    @event.listens_for(store.engine.sync_engine, "connect")
    def _fast(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA journal_mode=MEMORY")
        cursor.close()

    await migrate.upgrade(store.engine)
    cast = await make_cast(store)
    await register(store, requester=cast.requester, team=(cast.colleague,),
                   manager=cast.manager, now=T0)
    who = await cast_senders(store, cast)
    known = [who.requester, who.colleague, who.manager, who.director, who.outsider]
    return store, known


def test_generated_turns_raise_nothing(tmp_path: Path) -> None:
    played = 0
    with asyncio.Runner() as runner:
        store, known = runner.run(world(tmp_path))
        brain = Brain(store, default_locale="sv", public_url="https://kontobot.example.org",
                      signing_key=KEY)

        async def play(turns: list[Event]) -> None:
            nonlocal played
            for event in turns:
                now = T0 + timedelta(minutes=played)
                for reply in await brain.handle(event, now):
                    render_everywhere(reply.message)
                played += 1

        @settings(max_examples=TURN_EXAMPLES, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                         HealthCheck.large_base_example])
        @given(st.lists(events(known), min_size=TURNS_PER_EXAMPLE, max_size=TURNS_PER_EXAMPLE))
        def turns(generated: list[Event]) -> None:
            runner.run(play(generated))

        try:
            turns()
        finally:
            runner.run(store.close())
    assert played >= TURNS


# Buttons whose value names an account and a day ("1:2027-07-01"): the fuzzing above rarely
# puts the day of a real account under one (a check-in for 0001-01-01 crashed the turn).
DAY_BUTTONS = ["duty:monitored", "duty:cannot"]


def test_generated_days_on_day_buttons_raise_nothing(tmp_path: Path) -> None:
    clicked = 0
    with asyncio.Runner() as runner:
        store, known = runner.run(world(tmp_path))
        brain = Brain(store, default_locale="sv", signing_key=KEY)

        @settings(max_examples=300, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow])
        @given(st.sampled_from(DAY_BUTTONS), DAYS, st.sampled_from(known))
        def clicks(name: str, day: str, sender: Sender) -> None:
            nonlocal clicked
            # The account registered in `world` is the first; its team's colleague may check in.
            click = clean_event(Action(sender, name, f"1:{day}"))
            for reply in runner.run(brain.handle(click, T0 + timedelta(minutes=clicked))):
                render_everywhere(reply.message)
            clicked += 1

        try:
            clicks()
        finally:
            runner.run(store.close())
    assert clicked >= 300


@settings(max_examples=MESSAGES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(messages())
def test_generated_messages_render_everywhere(message: Message) -> None:
    # Messages are made of text normalised where it entered (dialogs.text) and our own words.
    def cleaned(value: Any) -> Any:
        if isinstance(value, str):
            return clean(value)
        if isinstance(value, tuple):
            return tuple(cleaned(v) for v in value)
        if hasattr(value, "__dataclass_fields__"):
            return type(value)(**{k: cleaned(getattr(value, k)) for k in value.__dataclass_fields__})
        return value

    render_everywhere(cleaned(message))
