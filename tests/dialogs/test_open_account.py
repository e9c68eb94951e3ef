"""The `/open-account` conversation through `Brain.handle`: the journey, each step's checks,
handles per platform, and the request it files. On SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from data import people, requests, rules
from data.db import Store
from data.models import AccountRequest, Outbox, Person, RequestStatus, Role
from dialogs import notices
from dialogs.i18n import Translator
from dialogs.messages import Fields, Form, Paragraph
from dialogs.router import Brain
from tests.helpers import T0, Cast, count, load, make_person, make_roles, request_input
from tests.helpers.accounts import register
from tests.helpers.chat import (
    STEPS,
    CastSenders,
    Chat,
    answer,
    cast_senders,
    choices,
    dialog_state,
    fields,
    fill,
    fill_from,
    only,
    pickers,
    says,
    step_of,
)

EN = Translator("en")
SV = Translator("sv")

QUESTIONS = {
    "platform": "Which platform is the account on?",
    "handle": "What is the account's name or handle on the platform?",
    "unit": "Which organisational unit is responsible for the account?",
    "scope": "Is the account for a unit, university-wide, or for university administration?",
    "purpose": "What is the purpose of the account?",
    "objectives": "What are the account's objectives?",
    "target_group": "Who is the target group?",
    "benefit": "What is the operational benefit?",
    "team": "Who else is responsible for the account? You are one; the policy needs at least two.",
    "manager": "Who is your immediate manager with operational responsibility? They approve the request.",
    "monitoring": "Who monitors the account on weekdays, all year round?",
    "holiday_cover": "Who substitutes during holidays and other absences?",
    "response_time": "How quickly will questions on the account be answered?",
    "acknowledgements": "Please confirm each of these points from KI's social media guidelines.",
}


@pytest.fixture
def chat(store: Store, who: CastSenders) -> Chat:
    return Chat(Brain(store), who.requester)


# --- the whole journey ---------------------------------------------------------------------


async def test_a_whole_journey_by_typing_and_clicking_files_the_request(
    store: Store, cast: Cast, who: CastSenders, chat: Chat
) -> None:
    first = only(await chat.command("open-account"))
    assert says(first, "Let's open a social-media account in KI's name.")
    assert says(first, QUESTIONS["platform"])
    assert first.title == "Open a social-media account: question 1 of 14"
    [platforms] = choices(first)
    assert platforms.action == "dlg:platform:choose"
    assert [o.value for o in platforms.options] == list(rules.PLATFORMS)

    # Each answer is taken and the next question follows, with its number in the title.
    for number, step in enumerate(STEPS, start=1):
        state = await dialog_state(store, cast.requester)
        assert state is not None and state.step == step
        reply = only(await answer(chat, step, who))
        if number < len(STEPS):
            assert step_of(reply) == STEPS[number]
            if STEPS[number] == "handle":
                # The questions about the account come on one form; typing works too, and
                # One at a time shows them one by one.
                [form] = [b for b in reply.blocks if isinstance(b, Form)]
                assert form.fields[0].label == QUESTIONS["handle"]
                reply = only(await chat.dlg("handle", "single"))
            assert says(reply, QUESTIONS[STEPS[number]])
            assert reply.title == f"Open a social-media account: question {number + 1} of 14"

    # The summary shows every answer as the person gave it, with Submit / Edit / Cancel.
    assert step_of(reply) == "summary"
    assert says(reply, "Here is your request. Submit it, edit a field, or cancel.")
    assert fields(reply) == {
        "Platform": "Instagram",
        "Account name or handle": "ki_neuroscience",
        "Organisational unit": "Department of Neuroscience",
        "Scope": "A unit (department, centre, section or research group)",
        "Purpose": "Show the department's research to prospective students.",
        "Objectives": "Two posts a week about ongoing projects.",
        "Target group": "Prospective master's students",
        "Operational benefit": "More applicants to the department's programmes.",
        # The requester is one of the responsible persons: her own summary says so.
        "Responsible persons": "Anna Berg, Bo Ek",
        "Immediate manager": "Dan Holm",
        "Weekday monitoring": "Checked every working day by the team in turn.",
        "Cover during holidays": "The unit's communicator covers holidays.",
        "Answering questions": "Within 24 hours",
        # Six whole sentences are not glued together with ".;": one line, as on the card.
        "Confirmations": "All points of the guidelines confirmed",
    }
    assert await count(store, AccountRequest) == 0

    chat.now = T0 + timedelta(minutes=5)
    done = only(await chat.dlg("summary", "submit"))
    assert says(
        done,
        "Thank you! Your request has been sent to Dan Holm for approval. "
        "I will tell you when they have decided.",
    )

    [request] = await load(store, AccountRequest)
    assert request.requester_id == cast.requester
    assert (request.platform, request.handle, request.scope) == (
        "instagram",
        "ki_neuroscience",
        "unit",
    )
    assert request.team_ids == [cast.colleague]
    assert request.manager_id == cast.manager
    assert request.response_time == "24h"
    assert request.acknowledgements == list(rules.ACKNOWLEDGEMENTS)
    assert request.status == RequestStatus.PENDING.value
    assert (request.stage, request.approver_id, request.round) == ("manager", cast.manager, 1)
    assert request.created_at == chat.now
    # The conversation is over: nothing is left half-done.
    assert await dialog_state(store, cast.requester) is None

    # The manager is owed the approval card.
    [card] = await load(store, Outbox)
    assert card.kind == "approval_card"
    assert card.recipient_id == cast.manager
    assert card.key == f"approval_card:{request.id}:1:manager:{cast.manager}"
    assert card.params == {"request_id": request.id, "round": 1, "stage": "manager"}
    assert card.status == "pending"


async def test_submit_can_be_typed_in_either_language(
    store: Store, who: CastSenders, chat: Chat
) -> None:
    await fill(chat, who)
    done = only(await chat.say("Skicka"))
    assert says(done, "has been sent to Dan Holm")
    assert await count(store, AccountRequest) == 1


async def test_text_at_the_summary_points_to_the_buttons(
    store: Store, cast: Cast, who: CastSenders, chat: Chat
) -> None:
    await fill(chat, who)
    reply = only(await chat.say("looks fine"))
    assert says(reply, "Please use the buttons: Submit, Edit a field or Cancel.")
    assert step_of(reply) == "summary"
    assert await count(store, AccountRequest) == 0
    state = await dialog_state(store, cast.requester)
    assert state is not None and state.step == "summary"


async def test_choices_can_be_typed_by_number_or_label(
    store: Store, cast: Cast, who: CastSenders, chat: Chat
) -> None:
    await chat.command("open-account")
    assert step_of(only(await chat.say("mastodon"))) == "handle"
    await chat.say("ki@mastodon.nu")
    await chat.say("Department of Neuroscience")
    assert step_of(only(await chat.say("University-wide"))) == "purpose"
    state = await dialog_state(store, cast.requester)
    assert state is not None
    assert state.data["platform"] == "mastodon"
    assert state.data["scope"] == "university_wide"
    await fill_from(chat, who, "purpose", until="acknowledgements")
    # Several choices typed as numbers separated by commas, in any order.
    summary = only(await chat.say("6, 5, 4, 3, 2, 1"))
    assert step_of(summary) == "summary"
    state = await dialog_state(store, cast.requester)
    assert state is not None
    assert set(state.data["acknowledgements"]) == set(rules.ACKNOWLEDGEMENTS)


async def test_people_can_be_named_by_e_mail_and_several_at_once(
    store: Store, cast: Cast, who: CastSenders, chat: Chat
) -> None:
    async with store.transaction() as session:
        await make_person(session, T0, "Greta Nord", email="greta.nord@ki.se")
    await fill(chat, who, until="team")
    reply = only(await chat.say("GRETA.NORD@ki.se, Cia Lund"))
    assert step_of(reply) == "manager"
    state = await dialog_state(store, cast.requester)
    assert state is not None
    [greta] = await load(store, Person, Person.display_name == "Greta Nord")
    assert state.data["team"] == [greta.id, cast.second_colleague]


async def test_the_team_and_manager_pickers_do_not_offer_the_requester(
    who: CastSenders, chat: Chat
) -> None:
    # She is a responsible person already and can't approve her own request: the pickers
    # leave her out (where the platform's picker can), as the checks refuse her.
    team = await fill(chat, who, until="team")
    [picker] = pickers(team)
    assert picker.exclude == (who.requester.external_id,)
    manager = await fill_from(chat, who, "team", until="manager")
    [picker] = pickers(manager)
    assert picker.exclude == (who.requester.external_id,)


# --- each step's checks --------------------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    """A wrong answer at `step`: typed `text`, or a click with `selected` (verb `what`)."""

    step: str
    says: str
    text: str | None = None
    selected: tuple[str, ...] = ()
    what: str = "choose"


LONG = "x" * (rules.LONG_TEXT + 1)
SHORT_TOO_LONG = "x" * (rules.SHORT_TEXT + 1)
EMPTY = "Please write an answer: it can't be empty."
NOT_OFFERED = "Please pick one of the options offered."
MANAGER_IN_TEAM = (
    "A responsible person for the account can't also approve it as manager: "
    "name your immediate manager."
)


def too_long(length: int, maximum: int) -> str:
    return f"That is {length} characters; the most I can take is {maximum}. Please shorten it."


BAD_ANSWERS = [
    pytest.param(Bad("platform", NOT_OFFERED, text="MySpace"), id="platform-typed-unknown"),
    pytest.param(Bad("platform", NOT_OFFERED, text="10"), id="platform-number-out-of-range"),
    pytest.param(Bad("platform", NOT_OFFERED, selected=("myspace",)), id="platform-forged-click"),
    pytest.param(Bad("handle", EMPTY, text="  "), id="handle-empty"),
    pytest.param(Bad("handle", EMPTY, text="@"), id="handle-only-at"),
    pytest.param(
        Bad(
            "handle",
            "That doesn't fit Instagram's rules for a handle. An example that does: "
            "karolinskainstitutet",
            text="ki..neuro",
        ),
        id="handle-bad",
    ),
    pytest.param(Bad("unit", EMPTY, text=""), id="unit-empty"),
    pytest.param(
        Bad("unit", too_long(rules.SHORT_TEXT + 1, rules.SHORT_TEXT), text=SHORT_TOO_LONG),
        id="unit-too-long",
    ),
    pytest.param(Bad("scope", NOT_OFFERED, text="everything"), id="scope-unknown"),
    pytest.param(
        Bad("purpose", "Please write at least 10 characters.", text="News."), id="purpose-short"
    ),
    pytest.param(Bad("purpose", EMPTY, text="   "), id="purpose-empty"),
    pytest.param(
        Bad("purpose", too_long(rules.LONG_TEXT + 1, rules.LONG_TEXT), text=LONG),
        id="purpose-too-long",
    ),
    pytest.param(Bad("objectives", EMPTY, text=""), id="objectives-empty"),
    pytest.param(
        Bad("objectives", too_long(rules.LONG_TEXT + 1, rules.LONG_TEXT), text=LONG),
        id="objectives-too-long",
    ),
    pytest.param(Bad("target_group", EMPTY, text=" "), id="target-group-empty"),
    pytest.param(
        Bad("target_group", too_long(rules.LONG_TEXT + 1, rules.LONG_TEXT), text=LONG),
        id="target-group-too-long",
    ),
    pytest.param(Bad("benefit", EMPTY, text=""), id="benefit-empty"),
    pytest.param(
        Bad("benefit", too_long(rules.LONG_TEXT + 1, rules.LONG_TEXT), text=LONG),
        id="benefit-too-long",
    ),
    pytest.param(
        Bad(
            "team",
            "I can't find anyone called Nobody Here. Check the spelling, pick the person from "
            "the list, or type their work e-mail address.",
            text="Nobody Here",
        ),
        id="team-unknown-typed",
    ),
    pytest.param(
        Bad(
            "team",
            "I can't find anyone called ghost. Check the spelling, pick the person from the list, "
            "or type their work e-mail address.",
            selected=("bo.ek", "ghost"),
            what="pick",
        ),
        id="team-unknown-picked",
    ),
    pytest.param(
        Bad(
            "team",
            "The same person is named twice. Please name distinct people.",
            text="Bo Ek, bo ek",
        ),
        id="team-duplicate-typed",
    ),
    pytest.param(
        Bad(
            "team",
            "The same person is named twice. Please name distinct people.",
            selected=("bo.ek", "bo.ek"),
            what="pick",
        ),
        id="team-duplicate-picked",
    ),
    pytest.param(
        Bad(
            "team",
            "You are already one of the responsible persons: name the others.",
            selected=("anna.berg",),
            what="pick",
        ),
        id="team-only-the-requester",
    ),
    pytest.param(
        Bad(
            "team",
            "An account needs at least two responsible persons: name at least one besides you.",
            selected=(),
            what="pick",
        ),
        id="team-nobody-picked",
    ),
    pytest.param(
        Bad(
            "team",
            "An account needs at least two responsible persons: name at least one besides you.",
            text=" , ",
        ),
        id="team-nobody-typed",
    ),
    pytest.param(
        Bad(
            "manager",
            "You can't approve your own request: name your immediate manager.",
            text="Anna Berg",
        ),
        id="manager-is-the-requester-typed",
    ),
    pytest.param(
        Bad(
            "manager",
            "You can't approve your own request: name your immediate manager.",
            selected=("anna.berg",),
            what="pick",
        ),
        id="manager-is-the-requester-picked",
    ),
    # One of the responsible persons picked at the step before: refused here, not at Submit.
    pytest.param(
        Bad("manager", MANAGER_IN_TEAM, selected=("bo.ek",), what="pick"),
        id="manager-is-on-the-team-picked",
    ),
    pytest.param(Bad("manager", MANAGER_IN_TEAM, text="Bo Ek"), id="manager-is-on-the-team-typed"),
    pytest.param(
        Bad(
            "manager",
            # Not asked for an e-mail address: it was one.
            "I can't find anyone with the address boss@example.org. Check the spelling, or pick "
            "the person from the list. Someone new at KI may not be in the directory yet: write "
            "to socialmedia@ki.se if you are stuck.",
            text="boss@example.org",
        ),
        id="manager-unknown",
    ),
    pytest.param(
        Bad("manager", NOT_OFFERED, selected=("dan.holm", "eva.strand"), what="pick"),
        id="manager-two-picked",
    ),
    pytest.param(Bad("monitoring", EMPTY, text=""), id="monitoring-empty"),
    pytest.param(
        Bad("monitoring", too_long(rules.LONG_TEXT + 1, rules.LONG_TEXT), text=LONG),
        id="monitoring-too-long",
    ),
    pytest.param(Bad("holiday_cover", EMPTY, text=""), id="holiday-cover-empty"),
    pytest.param(
        Bad("holiday_cover", too_long(rules.LONG_TEXT + 1, rules.LONG_TEXT), text=LONG),
        id="holiday-cover-too-long",
    ),
    pytest.param(Bad("response_time", NOT_OFFERED, text="whenever"), id="response-time-unknown"),
    pytest.param(Bad("acknowledgements", NOT_OFFERED, text="1, 2, 9"), id="ack-unknown"),
    pytest.param(Bad("acknowledgements", NOT_OFFERED, selected=()), id="ack-none"),
    pytest.param(
        Bad(
            "acknowledgements",
            "Every point must be confirmed before the account can be opened. Still to confirm: "
            "The account will refer to ki.se. I know that posts and comments become public "
            "documents that must be kept in order.",
            selected=("terms_of_use", "graphic_profile", "unit_named", "consent"),
        ),
        id="ack-partial",
    ),
]


@pytest.mark.parametrize("bad", BAD_ANSWERS)
async def test_a_wrong_answer_is_explained_and_the_question_asked_again(
    store: Store, cast: Cast, who: CastSenders, chat: Chat, bad: Bad
) -> None:
    await fill(chat, who, until=bad.step)
    before = await dialog_state(store, cast.requester)
    assert before is not None

    if bad.text is not None:
        reply = only(await chat.say(bad.text))
    else:
        reply = only(await chat.dlg(bad.step, bad.what, *bad.selected))

    assert reply.blocks[0] == Paragraph(bad.says)  # the reason comes first
    assert says(reply, bad.says)
    assert step_of(reply) == bad.step
    assert says(reply, QUESTIONS[bad.step])
    after = await dialog_state(store, cast.requester)
    assert after is not None
    assert after.step == bad.step
    assert bad.step not in after.data
    assert (after.data, after.history, after.turn) == (before.data, before.history, before.turn)

    # The same question then takes a good answer.
    assert step_of(only(await answer(chat, bad.step, who))) != bad.step


async def test_a_name_shared_by_two_people_asks_which_one(
    store: Store, cast: Cast, who: CastSenders, chat: Chat
) -> None:
    async with store.transaction() as session:
        first = await make_person(session, T0, "Maja Lind", email="maja.lind@ki.se")
        second = await make_person(session, T0, "Maja Lindgren", email="maja.lindgren@ki.se")
    await fill(chat, who, until="team")
    # "maja" fits both; Bo, named after her, waits until she is settled.
    reply = only(await chat.say("maja, bo"))
    assert says(reply, "Several people fit maja. Which one do you mean?")
    assert step_of(reply) == "team"
    [which] = choices(reply)
    assert which.action == "dlg:team:which"
    assert [o.label for o in which.options] == [
        f"Maja Lind ({first.email})", f"Maja Lindgren ({second.email})"
    ]
    summary_or_next = only(await chat.dlg("team", "which", str(second.id)))
    assert step_of(summary_or_next) == "manager"
    state = await dialog_state(store, cast.requester)
    assert state is not None and state.data["team"] == [second.id, cast.colleague]


@pytest.mark.parametrize(
    ("typed", "named"), [("bo", "Bo Ek"), ("CIA", "Cia Lund"), ("filip s", "Filip Sjö")]
)
async def test_a_colleague_is_found_by_a_typed_name(
    store: Store, cast: Cast, who: CastSenders, chat: Chat, typed: str, named: str
) -> None:
    await fill(chat, who, until="team")
    reply = only(await chat.say(typed))
    assert step_of(reply) == "manager"
    state = await dialog_state(store, cast.requester)
    assert state is not None
    async with store.transaction() as session:
        [person] = (await people.people_by_id(session, state.data["team"])).values()
    assert person.display_name == named


async def test_a_responsible_person_is_refused_as_manager_at_once_and_the_request_goes_on(
    store: Store, cast: Cast, who: CastSenders, chat: Chat
) -> None:
    # QA: Bo, picked as the other responsible person, was taken as manager and refused only
    # after the summary and Submit.
    await fill(chat, who, until="manager")
    answered = len(chat.answered)
    reply = only(await chat.dlg("manager", "pick", who.colleague.external_id))
    assert reply.blocks[0] == Paragraph(MANAGER_IN_TEAM)
    assert step_of(reply) == "manager"
    state = await dialog_state(store, cast.requester)
    assert state is not None and state.step == "manager" and "manager" not in state.data
    assert len(chat.answered) == answered  # no card rewritten as if the answer were taken

    # The manager named instead is taken, and the request is filed.
    await fill_from(chat, who, "manager")
    await chat.dlg("summary", "submit")
    [request] = await load(store, AccountRequest)
    assert (request.team_ids, request.manager_id) == ([cast.colleague], cast.manager)


async def test_a_responsible_person_under_another_identity_is_refused_as_manager(
    store: Store, cast: Cast, who: CastSenders, chat: Chat
) -> None:
    # One human, one responsible person: Bo on another platform (his work e-mail) is Bo.
    async with store.transaction() as session:
        bo = await people.get_person(session, cast.colleague)
        bo.email = "bo.ek@ki.se"
        session.add(bo)
        await make_person(session, T0, "Bo Ek (Teams)", ext="bo.teams", email="Bo.Ek@KI.se")
    await fill(chat, who, until="manager")
    reply = only(await chat.dlg("manager", "pick", "bo.teams"))
    assert says(reply, MANAGER_IN_TEAM)
    assert step_of(reply) == "manager"


async def test_the_manager_added_to_the_team_from_the_summary_is_refused_at_the_team(
    store: Store, cast: Cast, who: CastSenders, chat: Chat
) -> None:
    await fill(chat, who)
    assert step_of(only(await chat.dlg("summary", "edit_field", "team"))) == "team"
    reply = only(
        await chat.dlg("team", "pick", who.colleague.external_id, who.manager.external_id)
    )
    assert reply.blocks[0] == Paragraph(
        "Dan Holm is the account's immediate manager, and the manager can't also be one of "
        "the responsible persons."
    )
    assert step_of(reply) == "team"
    state = await dialog_state(store, cast.requester)
    assert state is not None and state.data["team"] == [cast.colleague]
    # Another colleague is taken, and the summary follows.
    summary = only(
        await chat.dlg("team", "pick", who.colleague.external_id, who.second_colleague.external_id)
    )
    assert step_of(summary) == "summary"
    assert fields(summary)["Responsible persons"] == "Anna Berg, Bo Ek, Cia Lund"


# --- in Swedish ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BadSv:
    step: str
    msgid: str
    params: dict[str, object]
    text: str | None = None
    selected: tuple[str, ...] = ()
    what: str = "choose"


SWEDISH_BAD_ANSWERS = [
    pytest.param(BadSv("unit", EMPTY, {}, text="  "), id="empty"),
    pytest.param(
        BadSv(
            "purpose",
            "That is {length} characters; the most I can take is {maximum}. Please shorten it.",
            {"length": rules.LONG_TEXT + 1, "maximum": rules.LONG_TEXT},
            text=LONG,
        ),
        id="too-long",
    ),
    pytest.param(
        BadSv(
            "handle",
            "That doesn't fit {platform}'s rules for a handle. An example that does: {example}",
            {"platform": "Instagram", "example": "karolinskainstitutet"},
            text="ki neuro",
        ),
        id="bad-handle",
    ),
    pytest.param(
        BadSv(
            "manager",
            "You can't approve your own request: name your immediate manager.",
            {},
            selected=("anna.berg",),
            what="pick",
        ),
        id="requester-as-manager",
    ),
    pytest.param(
        BadSv("manager", MANAGER_IN_TEAM, {}, selected=("bo.ek",), what="pick"),
        id="manager-in-team",
    ),
    pytest.param(
        BadSv(
            "manager",
            "I can't find anyone called {name}. Check the spelling, pick the person from the list, or type their work e-mail address.",
            {"name": "Ingen Alls"},
            text="Ingen Alls",
        ),
        id="unknown-person",
    ),
    pytest.param(
        BadSv(
            "team",
            "An account needs at least two responsible persons: name at least one besides you.",
            {},
            selected=(),
            what="pick",
        ),
        id="too-few",
    ),
    pytest.param(
        BadSv(
            "team",
            "You are already one of the responsible persons: name the others.",
            {},
            text="Anna Berg",
        ),
        id="only-the-requester",
    ),
    pytest.param(
        BadSv(
            "team",
            "The same person is named twice. Please name distinct people.",
            {},
            selected=("bo.ek", "bo.ek"),
            what="pick",
        ),
        id="duplicate",
    ),
]


@pytest.mark.parametrize("bad", SWEDISH_BAD_ANSWERS)
async def test_a_wrong_answer_is_explained_in_swedish(store: Store, cast: Cast, bad: BadSv) -> None:
    who = await cast_senders(store, cast, locale="sv-SE")
    chat = Chat(Brain(store), who.requester)
    await fill(chat, who, until=bad.step)

    if bad.text is not None:
        reply = only(await chat.say(bad.text))
    else:
        reply = only(await chat.dlg(bad.step, bad.what, *bad.selected))

    swedish = SV(bad.msgid, **bad.params)
    assert swedish != EN(bad.msgid, **bad.params), "no Swedish translation in the catalogue"
    assert says(reply, swedish)
    assert step_of(reply) == bad.step
    question = SV(QUESTIONS[bad.step])
    assert question != QUESTIONS[bad.step]
    assert says(reply, question)
    state = await dialog_state(store, cast.requester)
    assert state is not None and state.step == bad.step and bad.step not in state.data


# --- handles per platform ------------------------------------------------------------------

HANDLES = [
    # platform, typed, stored
    ("x", "@KarolinskaInst", "KarolinskaInst"),
    ("x", "https://x.com/ki_news", "ki_news"),
    ("instagram", "ki.neuro_science", "ki.neuro_science"),
    ("instagram", "https://www.instagram.com/ki_neuro/", "ki_neuro"),
    ("mastodon", "@ki@mastodon.nu", "ki@mastodon.nu"),
    ("mastodon", "ki_news@social.ki.se", "ki_news@social.ki.se"),
    ("bluesky", "ki.bsky.social", "ki.bsky.social"),
    ("bluesky", "@news.ki.se", "news.ki.se"),
    ("linkedin", "karolinska-institutet", "karolinska-institutet"),
    ("facebook", "karolinskainstitutet", "karolinskainstitutet"),
    ("youtube", "@ki-media", "ki-media"),
    ("tiktok", "ki.science", "ki.science"),
    ("threads", "ki_threads", "ki_threads"),
]

BAD_HANDLES = [
    # platform, typed, label, example
    ("x", "ki", "X", "karolinskainst"),  # too short
    ("x", "karolinska.inst", "X", "karolinskainst"),  # no dots on X
    ("x", "karolinskainstitutet", "X", "karolinskainst"),  # more than 15
    ("instagram", "ki..neuro", "Instagram", "karolinskainstitutet"),
    ("instagram", "ki neuro", "Instagram", "karolinskainstitutet"),
    ("mastodon", "ki", "Mastodon", "ki@mastodon.nu"),  # no instance
    ("mastodon", "ki@localhost", "Mastodon", "ki@mastodon.nu"),
    ("bluesky", "ki", "Bluesky", "ki.bsky.social"),  # not a domain
    ("bluesky", "ki_news.bsky.social", "Bluesky", "ki.bsky.social"),
    ("linkedin", "-ki-", "LinkedIn", "karolinska-institutet"),
    ("tiktok", "ki.", "TikTok", "karolinskainstitutet"),
]


async def to_handle(chat: Chat, platform: str) -> None:
    await chat.command("open-account")
    assert step_of(only(await chat.dlg("platform", "choose", platform))) == "handle"
    # The form comes first: these tests answer one question at a time.
    reply = only(await chat.dlg("handle", "single"))
    assert step_of(reply) == "handle"
    example = rules.PLATFORMS[platform].example
    assert says(reply, QUESTIONS["handle"])
    assert f"Type the handle, for example {example}." in [
        getattr(b, "text", None) for b in reply.blocks
    ]


@pytest.mark.parametrize(("platform", "typed", "stored"), HANDLES)
async def test_a_handle_that_fits_the_platform_is_taken(
    store: Store, cast: Cast, chat: Chat, platform: str, typed: str, stored: str
) -> None:
    await to_handle(chat, platform)
    assert step_of(only(await chat.say(typed))) == "unit"
    state = await dialog_state(store, cast.requester)
    assert state is not None and state.data["handle"] == stored


@pytest.mark.parametrize(("platform", "typed", "label", "example"), BAD_HANDLES)
async def test_a_handle_that_does_not_fit_is_refused(
    store: Store, cast: Cast, chat: Chat, platform: str, typed: str, label: str, example: str
) -> None:
    await to_handle(chat, platform)
    reply = only(await chat.say(typed))
    assert says(
        reply, f"That doesn't fit {label}'s rules for a handle. An example that does: {example}"
    )
    assert step_of(reply) == "handle"
    state = await dialog_state(store, cast.requester)
    assert state is not None and "handle" not in state.data


async def test_an_account_already_in_the_register_is_refused_at_the_handle(
    store: Store, cast: Cast, chat: Chat
) -> None:
    """Said at once, not after the whole form and Submit (which refuses it too)."""
    number = (await register(store, requester=cast.colleague, team=(cast.second_colleague,),
                             manager=cast.manager, now=T0, handle="KI_Neuroscience")).number
    await to_handle(chat, "instagram")
    reply = only(await chat.say("@ki_neuroscience"))
    assert says(
        reply,
        f"That account is already in the register, as {number}. Its responsible persons can"
        " change it; to take it over, write to socialmedia@ki.se.",
    )
    assert step_of(reply) == "handle"
    # Another handle goes on.
    assert step_of(only(await chat.say("@ki_neuroscience_events"))) == "unit"


async def test_an_account_someone_has_requested_already_is_refused_at_the_handle(
    store: Store, cast: Cast, chat: Chat
) -> None:
    """A request waiting for its approval holds the account: a second one for it is refused
    at once, naming who asked and when."""
    async with store.transaction() as session:
        await requests.submit(
            session, requester_id=cast.colleague, now=T0,
            given=request_input(handle="KI_Neuroscience", manager_id=cast.manager,
                                team_ids=(cast.second_colleague,)),
        )
    await to_handle(chat, "instagram")
    reply = only(await chat.say("@ki_neuroscience"))
    assert says(
        reply,
        "A request for that account is already waiting for a decision: Bo Ek asked for it on "
        "2027-03-01. Talk to them, or give another handle.",
    )
    assert step_of(reply) == "handle"
    assert step_of(only(await chat.say("@ki_neuroscience_events"))) == "unit"


async def test_a_new_platform_from_the_summary_asks_again_for_a_handle_that_no_longer_fits(
    store: Store, cast: Cast, who: CastSenders, chat: Chat
) -> None:
    await fill(chat, who)  # Instagram, ki_neuroscience: no Mastodon handle
    menu = only(await chat.dlg("summary", "edit"))
    [edit] = choices(menu)
    assert edit.action == "dlg:summary:edit_field"
    assert [o.value for o in edit.options] == list(STEPS)
    assert step_of(only(await chat.dlg("summary", "edit_field", "platform"))) == "platform"

    reply = only(await chat.dlg("platform", "choose", "mastodon"))
    assert step_of(reply) == "handle"
    assert says(reply, QUESTIONS["handle"])
    # A handle that does not fit the new platform is refused like any other.
    reply = only(await chat.say("ki_neuroscience"))
    assert says(reply, "That doesn't fit Mastodon's rules for a handle.")
    summary = only(await chat.say("@ki_neuro@mastodon.nu"))
    assert step_of(summary) == "summary"
    assert fields(summary)["Platform"] == "Mastodon"
    assert fields(summary)["Account name or handle"] == "ki_neuro@mastodon.nu"

    await chat.dlg("summary", "submit")
    [request] = await load(store, AccountRequest)
    assert (request.platform, request.handle) == ("mastodon", "ki_neuro@mastodon.nu")


async def test_a_handle_still_fitting_a_new_platform_with_other_rules_is_kept(
    store: Store, cast: Cast, who: CastSenders, chat: Chat
) -> None:
    await fill(chat, who)  # ki_neuroscience: 15 characters, just within X's limit
    await chat.dlg("summary", "edit_field", "platform")
    summary = only(await chat.dlg("platform", "choose", "x"))
    assert step_of(summary) == "summary"
    assert fields(summary)["Account name or handle"] == "ki_neuroscience"


async def test_a_new_platform_whose_rules_the_handle_fits_goes_straight_back_to_the_summary(
    store: Store, cast: Cast, who: CastSenders, chat: Chat
) -> None:
    await fill(chat, who)
    await chat.dlg("summary", "edit_field", "platform")
    summary = only(await chat.say("Threads"))  # same handle rules as Instagram
    assert step_of(summary) == "summary"
    assert fields(summary)["Platform"] == "Threads"
    assert fields(summary)["Account name or handle"] == "ki_neuroscience"


async def test_going_back_while_re_asked_for_the_handle_still_returns_to_the_summary(
    store: Store, cast: Cast, who: CastSenders, chat: Chat
) -> None:
    await fill(chat, who)
    await chat.dlg("summary", "edit_field", "platform")
    assert step_of(only(await chat.dlg("platform", "choose", "bluesky"))) == "handle"
    # Second thoughts: back to the platform, pick Mastodon, give a Mastodon handle.
    assert step_of(only(await chat.say("back"))) == "platform"
    assert step_of(only(await chat.dlg("platform", "choose", "mastodon"))) == "handle"
    summary = only(await chat.say("ki_neuro@mastodon.nu"))
    assert step_of(summary) == "summary"
    assert fields(summary)["Platform"] == "Mastodon"
    state = await dialog_state(store, cast.requester)
    assert state is not None and state.step == "summary"


# --- what the domain checks again on Submit ------------------------------------------------


async def test_a_scope_that_needs_a_director_when_there_is_none_returns_to_the_scope(
    store: Store, cast: Cast, who: CastSenders, chat: Chat
) -> None:
    async with store.transaction() as session:
        await make_roles(session, T0, director=set())
    await fill(chat, who, until="scope")
    await chat.dlg("scope", "choose", "university_wide")
    await fill_from(chat, who, "purpose")

    reply = only(await chat.dlg("summary", "submit"))
    assert says(
        reply,
        "No Director of Communications is configured, so this scope can't be approved yet. "
        "Contact the Communications Office.",
    )
    assert step_of(reply) == "scope"
    assert await count(store, AccountRequest) == 0
    # A unit account needs no director: the answer goes straight back to the summary.
    summary = only(await chat.dlg("scope", "choose", "unit"))
    assert step_of(summary) == "summary"
    await chat.dlg("summary", "submit")
    assert await count(store, AccountRequest) == 1


async def test_a_director_on_record_makes_a_university_wide_request_possible(
    store: Store, cast: Cast, who: CastSenders, chat: Chat
) -> None:
    async with store.transaction() as session:
        assert await people.has_role(session, cast.director, Role.DIRECTOR.value)
    await fill(chat, who, until="scope")
    await chat.dlg("scope", "choose", "university_administration")
    await fill_from(chat, who, "purpose")
    await chat.dlg("summary", "submit")
    [request] = await load(store, AccountRequest)
    assert request.scope == "university_administration"
    assert request.approver_id == cast.manager  # the manager first, the director after


# --- typed text stays text -----------------------------------------------------------------


async def test_typed_markup_reaches_the_approval_card_verbatim(
    store: Store, cast: Cast, who: CastSenders, chat: Chat
) -> None:
    purpose = "<script>alert(1)</script> @channel <!channel>"
    await fill(chat, who, until="purpose")
    await chat.say(purpose)
    await fill_from(chat, who, "objectives")
    await chat.dlg("summary", "submit")
    [request] = await load(store, AccountRequest)
    assert request.purpose == purpose

    async with store.transaction() as session:
        card = await notices.approval_card(session, EN, {"request_id": request.id}, cast.manager)
    [shown] = [b for b in card.blocks if isinstance(b, Fields)]
    assert ("Purpose", purpose) in shown.items
