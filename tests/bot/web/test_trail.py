"""The audit trail in words: every event the data layer records about an account or its
request is a sentence in both languages, with what someone wrote beneath it."""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import data
from bot.web.dashboard import trail
from bot.web.dashboard.translation import Words

ZONE = ZoneInfo("Europe/Stockholm")
# Each event's details as data/ records them, people already named by data.dashboard.
DETAILS = {
    "request.submitted": {"round": 1, "manager": "Dan Holm", "manager_reason": "On leave"},
    "request.resubmitted": {"round": 2, "manager": "Dan Holm"},
    "request.escalated": {"round": 1, "stage": "director", "approver": "Eva Ek", "days": 6},
    "request.handed_over": {"round": 1, "stage": "manager", "to": "Filip Fors", "from": "Dan Holm"},
    "request.rerouted": {"round": 1, "stage": "manager", "to": "Filip Fors", "from": "Dan Holm"},
    "account.registered": {"number": "SOME-2027-0001", "request_id": 1,
                           "team": ["Anna Berg", "Bo Ek"], "manager": "Dan Holm"},
    "account.closed": {"number": "SOME-2027-0001", "reason": "Merged", "location": "https://a.example"},
    "account.unit_corrected": {"before": "Neuro", "after": "Department of Neuroscience"},
    "activity.logged": {"entry_id": 4},
    "archive.done": {"record_id": 2, "reason": "scheduled", "due": "2027-07-01",
                     "location": "https://a.example"},
    "archive.requested": {"record_id": 2, "reason": "major_change"},
    "archive.snoozed": {"record_id": 2, "until": "2027-07-14"},
    "monitoring.monitored": {"day": "2027-03-01"},
    "monitoring.cannot": {"day": "2027-03-01"},
    "question.logged": {"question_id": 3, "source": "chat"},
    "question.received": {"question_id": 3, "source": "webhook", "external_ref": "inbox-4711"},
    "question.answered": {"question_id": 3},
    "rota.changed": {"rotation": "week", "order": ["Bo Ek", "Anna Berg"], "anchor": "2027-03-01"},
    "team.member_added": {"person": "Bo Ek", "order": ["Anna Berg", "Bo Ek"]},
    "team.member_removed": {"person": "Bo Ek", "order": ["Anna Berg"]},
    "team.manager_proposed": {"handover_id": 1, "to": "Filip Fors", "from_manager": "Dan Holm"},
    "team.manager_accepted": {"handover_id": 1, "to": "Filip Fors", "from_manager": "Dan Holm"},
    "team.manager_declined": {"handover_id": 1, "to": "Filip Fors", "from_manager": "Dan Holm"},
    "team.manager_withdrawn": {"handover_id": 1, "to": "Filip Fors", "from_manager": "Dan Holm"},
    "webhook.token_created": {},
    "webhook.token_rotated": {},
    "question.referred": {"question_id": 3, "referral_id": 1, "expert": "Greta Gran",
                          "category": "criticism", "due_at": "2027-03-02T09:00:00+00:00"},
    "question.expert_suggested": {"question_id": 3, "referral_id": 1},
    "question.expert_declined": {"question_id": 3, "referral_id": 1},
    "moderation.recorded": {"entry_id": 2, "category": "threat"},
    "case.registered": {"mark_id": 1, "registry_number": "1-234/2027"},
    "purge.recorded": {"purge_id": 1, "what": "The reel of 2 March", "rule": "Item 4.2",
                       "purged_on": "2027-03-05"},
    "consent.recorded": {"consent_id": 1, "method": "form", "creator_credited": True},
    "accessibility.checked": {"check_id": 1, "to_fix": ["alt_text"]},
}
MARKED = [
    {"mark_id": 1, "kind": kind, "question_id": None, "post": "The reel of 2 March"}
    for kind in ("case_management", "research_value")
]
# Recorded by data/ but not about an account or its request: not on the account page.
ELSEWHERE = {
    "absence.cancelled", "absence.recorded", "directory.fetched", "directory.imported",
    "person.merged", "person.created", "person.identity_linked", "person.locale",
    "role.assigned", "role.removed", "dashboard_link_issued", "dashboard_signed_in",
    "dashboard_signed_out", "retention.pruned", "inbox.retried", "inbox.discarded",
}
DECIDED = [
    {"round": 1, "stage": stage, "decision": decision, "reason": reason}
    for stage in ("manager", "director")
    for decision, reason in (("approve", None), ("reject", "Too vague"), ("changes", "Say more"))
]
# What would show that a code or an id got through ("request_id", "%(manager)s", "approve").
CODES = ("_", "%(", "stage", "approve", "scheduled", "anchor", "2027-03-01T")


def test_every_event_is_described() -> None:
    assert set(DETAILS) == set(trail.SENTENCE)


def test_every_event_the_data_layer_records_about_an_account_has_a_sentence() -> None:
    recorded = {
        action
        for module in Path(data.__file__).parent.glob("*.py")
        for action in re.findall(r'action="([a-z_.]+)"', module.read_text(encoding="utf-8"))
    }
    described = set(trail.SENTENCE) | {"request.decided", "case.marked"}
    assert recorded - ELSEWHERE <= described, recorded - ELSEWHERE - described


@pytest.mark.parametrize("lang", ["en", "sv"])
@pytest.mark.parametrize(
    ("action", "details"),
    [
        *DETAILS.items(),
        *(("request.decided", d) for d in DECIDED),
        *(("case.marked", d) for d in MARKED),
    ],
)
def test_each_event_is_a_sentence_without_codes(
    lang: str, action: str, details: dict[str, object]
) -> None:
    words = Words(lang, ZONE)
    line = trail.describe(words, action, details)
    assert line.sentence.endswith(".") and line.sentence[0].isupper()
    for code in CODES:
        assert code not in line.sentence, (code, line.sentence)
    for name, value in line.notes:
        assert "_" not in name and value
    if lang == "sv":
        assert line.sentence != trail.describe(Words("en", ZONE), action, details).sentence


def test_a_decision_says_what_was_decided_at_which_stage_and_why() -> None:
    words = Words("en", ZONE)
    approve = trail.describe(words, "request.decided", DECIDED[0])
    assert approve == trail.Line("Approved the request as immediate manager.", [])
    reject = trail.describe(words, "request.decided", DECIDED[4])
    assert reject == trail.Line(
        "Rejected the request as Director of Communications.", [("Reason", "Too vague")]
    )
    sv = trail.describe(Words("sv", ZONE), "request.decided", DECIDED[5])
    assert sv == trail.Line(
        "Begärde ändringar i ansökan som kommunikationsdirektör.", [("Skäl", "Say more")]
    )


def test_what_people_wrote_is_beneath_and_codes_are_words() -> None:
    words = Words("en", ZONE)
    done = trail.describe(words, "archive.done", DETAILS["archive.done"])
    assert done == trail.Line(
        "Archived the profile page (Scheduled (every six months), due 2027-07-01).",
        [("Where", "https://a.example")],
    )
    received = trail.describe(words, "question.received", DETAILS["question.received"])
    assert received.notes == [("The other tool's reference", "inbox-4711")]
    submitted = trail.describe(Words("sv", ZONE), "request.submitted",
                               DETAILS["request.submitted"])
    assert submitted == trail.Line("Skickade ansökan till Dan Holm för beslut.",
                                   [("Varför en annan chef", "On leave")])


def test_an_event_not_as_expected_is_shown_by_its_name_with_its_details_labelled() -> None:
    words = Words("en", ZONE)
    older = trail.describe(words, "request.decided", {"stage": "manager", "request_id": 7})
    assert older == trail.Line("Request decided", [("Stage", "manager")])
    unknown = trail.describe(words, "something.new", {"days": 3, "colour": "blue"})
    assert unknown == trail.Line("something.new", [("colour", "blue"), ("Working days", "3")])
