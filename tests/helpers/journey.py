"""The `/open-account` journey as data: what a person answers at each of the 14 steps, one at
a time, and the interactions of a typical request (`typical_answers`).

One list of answers drives the journey through `dialogs.router.Brain` directly, through the web
chat's JSON API (tests.helpers.web) and, step by step, through the browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col

from data import directory, people, rules
from data.db import Store
from data.models import AccountRequest, DialogState
from dialogs.engine import Engine, Progress, Reply
from dialogs.events import Action, Event, Sender, Text
from dialogs.router import Brain
from tests.helpers import load

# The 14 questions of dialogs/open_account.py, in order.
STEPS = (
    "platform",
    "handle",
    "unit",
    "scope",
    "purpose",
    "objectives",
    "target_group",
    "benefit",
    "team",
    "manager",
    "monitoring",
    "holiday_cover",
    "response_time",
    "acknowledgements",
)


@dataclass(frozen=True)
class Answer:
    """Typed `text`, or a click on `dlg:<step>:<verb>` with `selected` values or people."""

    step: str
    text: str | None = None
    selected: tuple[str, ...] = ()
    verb: str = "choose"
    # A form's typed fields by name (verb "form"); its menus are sent as the form shows them.
    values: tuple[tuple[str, str], ...] = ()

    @property
    def action(self) -> str:
        return f"dlg:{self.step}:{self.verb}"


def open_account_answers(
    *,
    platform: str = "instagram",
    handle: str = "ki_neuro_demo",
    unit: str = "Department of Neuroscience",
    scope: str = "university_wide",
    purpose: str = "Show the department's research to prospective students.",
    team: tuple[str, ...] = ("bjorn",),
    manager: str = "cecilia",
    response_time: str = "24h",
    objectives: str = "Two posts a week about ongoing projects.",
    target_group: str = "Prospective master's students",
    benefit: str = "More applicants to the department's programmes.",
    monitoring: str = "Checked every working day by the team in turn.",
    holiday_cover: str = "The unit's communicator covers holidays.",
) -> list[Answer]:
    """Answers to every question, as the web chat's demo people give them (external ids)."""
    return [
        Answer("platform", selected=(platform,)),
        Answer("handle", text=handle),
        Answer("unit", text=unit),
        Answer("scope", selected=(scope,)),
        Answer("purpose", text=purpose),
        Answer("objectives", text=objectives),
        Answer("target_group", text=target_group),
        Answer("benefit", text=benefit),
        Answer("team", selected=team, verb="pick"),
        Answer("manager", selected=(manager,), verb="pick"),
        Answer("monitoring", text=monitoring),
        Answer("holiday_cover", text=holiday_cover),
        Answer("response_time", selected=(response_time,)),
        Answer("acknowledgements", selected=tuple(rules.ACKNOWLEDGEMENTS)),
    ]


SUBMIT = Answer("summary", verb="submit")


def as_event(sender: Sender, answer: Answer, value: str = "") -> Event:
    """The answer as `sender` gives it; a click carries `value`, what its card carries (a
    dialog's card: the conversation it belongs to, `in_progress`)."""
    if answer.text is not None:
        return Text(sender, answer.text)
    return Action(sender, action=answer.action, value=value, selected=answer.selected)


async def in_progress(store: Store, sender: Sender) -> str:
    """What the cards of `sender`'s conversation in progress carry ("": none is): what a
    click on the current question's card sends with it."""
    async with store.read() as session:
        person = await people.find_by_identity(session, sender.platform, sender.external_id)
    if person is None:
        return ""
    found = await load(store, DialogState, DialogState.person_id == person.id)
    if not found:
        return ""
    state = found[0]
    return Engine.conversation(Progress(state.dialog, state.step, dict(state.data)))


def card_value(request: AccountRequest) -> str:
    """What the approval card's buttons carry: the request, its round and its stage."""
    return f"{request.id}:{request.round}:{request.stage}"


async def open_account(
    brain: Brain, who: str, now: datetime, answers: list[Answer] | None = None
) -> list[Reply]:
    """`who` (a web identity) runs /open-account to the end and submits; the last replies."""
    sender = Sender("web", who)
    await brain.handle(Text(sender, "/open-account"), now)
    for answer in [*(answers or open_account_answers()), SUBMIT]:
        value = await in_progress(brain.store, sender)
        replies = await brain.handle(as_event(sender, answer, value), now)
    return replies


async def latest_request(store: Store) -> AccountRequest:
    found = await load(store, AccountRequest, col(AccountRequest.id) > 0)
    assert found, "no request was filed"
    return found[-1]


async def click(
    brain: Brain, who: str, now: datetime, action: str, value: str = "", text: str = ""
) -> list[Reply]:
    return await brain.handle(
        Action(Sender("web", who), action=action, value=value, text=text), now
    )


# --- with the organisation's directory --------------------------------------------------------

# KI's directory for the directory journeys, by the e-mail addresses the rigs' people have on
# every platform: Cecilia Carlsson manages Anna Andersson in the Department of Neuroscience;
# Filip Fors is a manager elsewhere.
STAFF = (
    "email,name,unit,manager_email\n"
    "cecilia.carlsson@ki.se,Cecilia Carlsson,Department of Neuroscience,\n"
    "anna.andersson@ki.se,Anna Andersson,Department of Neuroscience,cecilia.carlsson@ki.se\n"
    "filip.fors@ki.se,Filip Fors,Department of Clinical Neuroscience,\n"
)
STAFF_UNIT = "Department of Neuroscience"
STAFF_MANAGER = "Cecilia Carlsson"
MANAGER_REASON = "Cecilia is on parental leave until June; Filip runs the programme meanwhile."


async def import_staff(store: Store, now: datetime) -> None:
    """What `kontobot directory import` does with `STAFF`."""
    async with store.transaction() as session:
        await directory.import_csv(session, STAFF, now=now, source_name="staff.csv")


def directory_answers(
    *, team: tuple[str, ...], other_manager: str | None = None, reason: str = MANAGER_REASON
) -> list[Answer]:
    """The answers of a requester the directory knows, for an account of their unit (the
    manager alone approves): the proposed unit accepted with one click, and the proposed
    manager too, or `other_manager` picked instead and `reason` given."""
    answers = []
    for answer in open_account_answers(team=team, scope="unit"):
        if answer.step == "unit":
            answers.append(Answer("unit", verb="accept"))
        elif answer.step == "manager":
            if other_manager is None:
                answers.append(Answer("manager", verb="accept"))
            else:
                answers.append(Answer("manager", selected=(other_manager,), verb="pick"))
                answers.append(Answer("manager_reason", text=reason))
        else:
            answers.append(answer)
    return answers


def typical_answers(*, team: tuple[str, ...]) -> list[Answer]:
    """A typical request of someone the directory knows, one interaction each: the platform,
    the form about the account (its scope chosen, a unit's: the form proposes none, since it
    decides whether the director is asked; the response time left as proposed), the proposed
    unit, the team picked, the proposed manager, and all the confirmations in one click."""
    typed = {
        answer.step: answer.text
        for answer in open_account_answers()
        if answer.text is not None and answer.step != "unit"
    }
    typed["scope"] = "unit"
    return [
        Answer("platform", selected=("instagram",)),
        Answer("handle", verb="form", values=tuple((k, v) for k, v in typed.items() if v)),
        Answer("unit", verb="accept"),
        Answer("team", selected=team, verb="pick"),
        Answer("manager", verb="accept"),
        Answer("acknowledgements", verb="all"),
    ]


# `/consent` and `/casework` as data (issue 14), for the journeys on every platform: a post
# described, since how a typed link reaches the bot differs from platform to platform.
CONSENT_POST = "The open day film of 1 March, published on Instagram"
CASE_POST = "The reel of 2 March about the study's first results"
PURGE_RULE = "KI's disposal decision, item 4.2"


def consent_answers(post: str = CONSENT_POST) -> list[Answer]:
    """Every question of `/consent` after the account, and Record the consent."""
    return [
        Answer("post", text=post),
        Answer("people", text="Sara Lind, Omar Said"),
        Answer("method", selected=("form",)),
        Answer("kept_at", text="W:/Komm/samtycken/open-day.pdf"),
        Answer("creator", text="Ulf Sirén"),
        Answer("credited", selected=("yes",)),
        Answer("creator_consented", selected=("yes",)),
        SUBMIT,
    ]


def casework_answers(what: str, post: str = CASE_POST) -> list[Answer]:
    """Every question of `/casework` after the account (`what`: case_management,
    research_value or purge, recorded today), and Record it."""
    purge = [Answer("rule", text=PURGE_RULE), Answer("purged_on", verb="today")]
    return [
        Answer("what", selected=(what,)),
        Answer("post", text=post),
        *(purge if what == "purge" else []),
        SUBMIT,
    ]
