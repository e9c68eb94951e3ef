"""The audit trail as people read it: each recorded event as one sentence in the page's
language, with what someone wrote (a reason, a place) beneath it, labelled.

The data layer records an event as a code and its details (`request.decided` with `stage`,
`decision` and `reason`, people already named by data.dashboard); here that becomes "Approved
the request as immediate manager." Internal ids (request_id, record_id, ...) are left out: they
mean nothing to a reader, and the export (CSV, JSON) keeps every detail as recorded. An event
whose details are not as expected (an older one, or one this module does not know) is shown by
its name with its details labelled, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.web.dashboard import labels
from bot.web.dashboard.translation import L_, Words

# One sentence per event; %(name)s is filled from the event's details (see _params).
SENTENCE = {
    "request.submitted": L_("Sent the request to %(manager)s for approval."),
    "request.resubmitted": L_("Sent the changed request to %(manager)s (round %(round)s)."),
    "request.escalated": L_(
        "Told the Communications Office that the decision had waited %(days)s working days "
        "for %(approver)s."
    ),
    "request.handed_over": L_("Handed the decision from %(from)s to %(to)s."),
    "request.rerouted": L_("Sent the request to %(to)s instead of %(from)s."),
    "account.registered": L_(
        "Registered the account as %(number)s, with %(manager)s as manager and %(team)s "
        "responsible."
    ),
    "account.closed": L_("Closed the account %(number)s."),
    "account.unit_corrected": L_("Corrected the unit from %(before)s to %(after)s."),
    "activity.logged": L_("Logged activity on the account."),
    "archive.done": L_("Archived the profile page (%(reason)s, due %(due)s)."),
    "archive.requested": L_("Asked for the profile page to be archived (%(reason)s)."),
    "archive.snoozed": L_("Postponed archiving until %(until)s."),
    "monitoring.monitored": L_("Monitored the account on %(day)s."),
    "monitoring.cannot": L_("Could not monitor the account on %(day)s."),
    "question.logged": L_("Logged a question from the public."),
    "question.received": L_("Received a question from the public through the question webhook."),
    "question.answered": L_("Marked a question as answered."),
    "rota.changed": L_("Changed the rota: %(rotation)s, in the order %(order)s."),
    "team.member_added": L_("Added %(person)s as a responsible person."),
    "team.member_removed": L_("Removed %(person)s as a responsible person."),
    "team.manager_proposed": L_("Asked %(to)s to take over as manager from %(from_manager)s."),
    "team.manager_accepted": L_("%(to)s took over as manager from %(from_manager)s."),
    "team.manager_declined": L_("%(to)s declined to take over as manager."),
    "team.manager_withdrawn": L_("Withdrew the request that %(to)s take over as manager."),
    "question.referred": L_("Asked %(expert)s to help answer a question from the public."),
    "question.expert_suggested": L_("Suggested an answer to a question from the public."),
    "question.expert_declined": L_(
        "Answered that they were not the right person for a question from the public."
    ),
    "moderation.recorded": L_("Recorded a removed post or comment in the moderation log."),
    "case.registered": L_("Recorded the registry number %(registry_number)s."),
    "purge.recorded": L_("Recorded a purge made on %(purged_on)s."),
    "consent.recorded": L_("Recorded consent for a post with identifiable people."),
    "accessibility.checked": L_("Checked a post for accessibility."),
    "webhook.token_created": L_("Set up the question webhook."),
    "webhook.token_rotated": L_("Replaced the question webhook's key."),
}

# A decision's sentence depends on what was decided and at which stage.
DECISION = {
    ("approve", "manager"): L_("Approved the request as immediate manager."),
    ("approve", "director"): L_("Approved the request as Director of Communications."),
    ("reject", "manager"): L_("Rejected the request as immediate manager."),
    ("reject", "director"): L_("Rejected the request as Director of Communications."),
    ("changes", "manager"): L_("Asked for changes to the request as immediate manager."),
    ("changes", "director"): L_("Asked for changes to the request as Director of Communications."),
}

# A mark's sentence depends on what it marks the content for.
MARK = {
    "case_management": L_("Marked content as needing case management."),
    "research_value": L_("Marked content as having research value."),
}

# What someone wrote, shown beneath the sentence under these names.
NOTES = {
    "post": L_("Post"),
    "what": L_("What"),
    "rule": L_("Rule of the disposal decision"),
    "reason": L_("Reason"),
    "manager_reason": L_("Why another manager"),
    "location": L_("Where"),
    "external_ref": L_("The other tool's reference"),
}

# Ids, not for a reader: the export keeps them.
INTERNAL = frozenset({
    "request_id", "record_id", "question_id", "entry_id", "handover_id", "absence_id",
    "anchor", "referral_id", "mark_id", "purge_id", "consent_id", "check_id",
})

# Names for every other detail when an event is shown by its name (the fallback).
KEYS = {
    "number": L_("Account number"),
    "manager": L_("Manager"),
    "approver": L_("Approver"),
    "to": L_("To"),
    "from": L_("From"),
    "from_manager": L_("Previous manager"),
    "person": L_("Person"),
    "team": L_("Responsible persons"),
    "order": L_("Rota order"),
    "rotation": L_("Rotation"),
    "days": L_("Working days"),
    "day": L_("Day"),
    "due": L_("Due"),
    "until": L_("Until"),
    "before": L_("Before"),
    "after": L_("After"),
    "round": L_("Round"),
    "stage": L_("Stage"),
    "decision": L_("Decision"),
    "source": L_("Source"),
    **NOTES,
}


@dataclass(frozen=True)
class Line:
    """One event of the trail: its sentence, and labelled notes beneath it."""

    sentence: str
    notes: list[tuple[str, str]]


def _params(words: Words, details: dict[str, Any]) -> dict[str, str]:
    params = {key: labels.detail(value) for key, value in details.items()}
    if "reason" in details and details["reason"] in labels.ARCHIVE_REASON:
        params["reason"] = labels.label(words, labels.ARCHIVE_REASON, details["reason"])
    if "rotation" in details:
        params["rotation"] = labels.label(words, labels.ROTATION, str(details["rotation"]))
    return params


def _notes(words: Words, details: dict[str, Any], shown: set[str]) -> list[tuple[str, str]]:
    return [
        (words.gettext(name), labels.detail(details[key]))
        for key, name in NOTES.items()
        if key in details and key not in shown and details[key] not in (None, "")
    ]


def describe(words: Words, action: str, details: dict[str, Any]) -> Line:
    """The event `action` with its `details` (people named) as a sentence and notes."""
    msgid = SENTENCE.get(action)
    if action == "request.decided":
        msgid = DECISION.get((str(details.get("decision")), str(details.get("stage"))))
    if action == "case.marked":
        msgid = MARK.get(str(details.get("kind")))
    if msgid is not None:
        params = _params(words, details)
        try:
            sentence = words.gettext(msgid, **params)
        except (KeyError, ValueError, TypeError):
            sentence = ""
        if sentence:
            # A note the sentence already says (an archiving reason) is not repeated.
            shown = {key for key in details if f"%({key})s" in msgid}
            return Line(sentence, _notes(words, details, shown))
    return Line(
        labels.label(words, labels.ACTION, action),
        [
            (words.gettext(KEYS[key]) if key in KEYS else key, labels.detail(value))
            for key, value in sorted(details.items())
            if key not in INTERNAL
        ],
    )
