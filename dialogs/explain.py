"""Domain refusals in words a person understands, in their language."""

from __future__ import annotations

from data.errors import DomainError
from data.rules import ACKNOWLEDGEMENTS
from dialogs.i18n import N_, Translator

REASONS: dict[str, str] = {
    "empty": N_("Please write an answer: it can't be empty."),
    "too_long": N_(
        "That is {length} characters; the most I can take is {maximum}. Please shorten it."
    ),
    "too_short": N_("Please write at least {minimum} characters."),
    "bad_handle": N_(
        "That doesn't fit {platform}'s rules for a handle. An example that does: {example}"
    ),
    "unknown_platform": N_("Please pick one of the platforms offered."),
    "unknown_scope": N_("Please pick one of the scopes offered."),
    "unknown_response_time": N_("Please pick one of the response times offered."),
    "unknown_choice": N_("Please pick one of the options offered."),
    "acknowledgements_missing": N_(
        "Every point must be confirmed before the account can be opened. Still to confirm: {missing}"
    ),
    "team_duplicate": N_("The same person is named twice. Please name distinct people."),
    "team_includes_requester": N_(
        "You are already one of the responsible persons: name the others."
    ),
    "team_too_small": N_(
        "An account needs at least two responsible persons: name at least one besides you."
    ),
    "unknown_person": N_(
        "I can't find anyone called {name}. Check the spelling, pick the person from the list, or type their work e-mail address."
    ),
    "unknown_email": N_(
        "I can't find anyone with the address {name}. Check the spelling, or pick the person from the list. Someone new at KI may not be in the directory yet: write to socialmedia@ki.se if you are stuck."
    ),
    "ambiguous_person": N_(
        "Too many people fit {name}. Type more of the name, or their work e-mail address."
    ),
    "which_person": N_("Several people fit {name}. Which one do you mean?"),
    "requester_as_manager": N_("You can't approve your own request: name your immediate manager."),
    "unit_no_match": N_(
        "No unit in KI's directory has {typed} in its name. Try a few other letters."
    ),
    "unit_narrowed": N_("{count} units have {typed} in their name: pick yours from the list."),
    "unit_not_in_directory": N_(
        "{unit} is not a unit in KI's directory. Please pick the unit from the list."
    ),
    "manager_reason_required": N_(
        "KI's directory names another person as your manager: please say why the person you named approves instead."
    ),
    "requester_as_approver": N_("The decision can't be handed to the person who made the request."),
    "same_approver": N_("The decision is already yours: pick someone else to hand it to."),
    # Who may decide (data.requests.approver_refusal).
    "manager_in_team": N_(
        "A responsible person for the account can't also approve it as manager: name your immediate manager."
    ),
    "team_member_as_approver": N_(
        "The decision can't be handed to one of the request's responsible persons: pick someone outside the team."
    ),
    "approver_not_director": N_(
        "At this stage only a Director of Communications can decide: pick one of them."
    ),
    "team_member_decides": N_(
        "You are one of the request's responsible persons, so you can't decide on it. Nothing was changed."
    ),
    "not_director": N_(
        "Only a Director of Communications can decide at this stage. Nothing was changed."
    ),
    "name_an_approver": N_(
        "Someone else can take the decision on your request: name them instead."
    ),
    "no_director": N_(
        "No Director of Communications is configured, so this scope can't be approved yet. Contact the Communications Office."
    ),
    "reason_required": N_(
        "Please write a reason in the text field first: it is sent to the requester."
    ),
    "not_approver": N_(
        "Only the person asked to decide on this request can do that. Nothing was changed."
    ),
    "own_request": N_("You can't decide on your own request. Nothing was changed."),
    "request_moved_on": N_(
        "This request has already moved on, so that click changed nothing. The card shows where it stands now."
    ),
    "not_requester": N_("Only the person who made the request can change it."),
    "unknown_request": N_("I can't find that request."),
    "unknown_button": N_("That button no longer does anything."),
    # The requester naming another approver (data.requests.check_reroute).
    "reroute_too_early": N_(
        "You can name another approver once your request has waited {after} working days for a decision. So far it has waited {days}."
    ),
    "already_the_approver": N_(
        "That person is already asked to decide on your request: pick someone else."
    ),
    # Accounts and their teams.
    "unknown_account": N_("I can't find that account."),
    "account_closed": N_("The account {number} is closed, so that changes nothing."),
    "not_team_member": N_(
        "Only the account's team can do that. Nothing was changed."
    ),
    "not_team_or_manager": N_(
        "Only the account's team or its manager can do that. Nothing was changed."
    ),
    "may_not_close": N_(
        "Only the account's team or its manager can close it (and, for university-wide and university administration accounts, the Director of Communications). Nothing was changed."
    ),
    # Changing an account's people (/team).
    "may_not_change_team": N_(
        "Only the account's team, its manager or the Communications Office can change its people. Nothing was changed."
    ),
    "already_in_team": N_("{name} is already one of the responsible persons."),
    "manager_joins_team": N_(
        "{name} is the account's immediate manager, and the manager can't also be one of the responsible persons."
    ),
    "not_in_team": N_("{name} is not on the team of the account. Nothing was changed."),
    "team_minimum": N_(
        "An account needs at least {minimum} responsible persons, so {name} can't leave until someone else has joined. Nothing was changed."
    ),
    "already_manager": N_("{name} is already the account's immediate manager."),
    "joined_team_meanwhile": N_(
        "You have joined the team of this account since you were asked, and the immediate manager can't also be one of its responsible persons. Ask to be taken off the team first, or decline."
    ),
    "team_member_as_manager": N_(
        "{name} is one of the responsible persons, and the immediate manager can't also be on the team. Take them off the team first, or pick someone else."
    ),
    "same_unit": N_("The account is already registered to {unit}. Nothing was changed."),
    "not_new_manager": N_(
        "Only the person asked to take over as manager can answer this. Nothing was changed."
    ),
    "handover_moved_on": N_(
        "This hand-over has already been answered or withdrawn, so that click changed nothing."
    ),
    "unknown_handover": N_("I can't find that hand-over."),
    # The rota (/duty).
    "unknown_rotation": N_(
        "Duty can move daily or weekly, nothing else. Nothing was changed."
    ),
    "order_not_the_team": N_(
        "The rota can only put the people on the account's team in order, each once. Nothing was changed. Type /duty to see the rota as it is now."
    ),
    # Absences (/away).
    "bad_date": N_(
        "I couldn't read {text} as a date. Write dates as year-month-day, for example {example}"
    ),
    "bad_dates": N_(
        "Give the first and the last day you are away, for example {example}"
    ),
    "dates_in_wrong_order": N_(
        "The last day is before the first day. Give the first day first, for example /away 2027-07-01 2027-07-31"
    ),
    "in_the_past": N_("Those days have already passed: give days from today on."),
    "too_far_ahead": N_(
        "An absence can be recorded at most {maximum} days ahead, so it can end on {last} at the latest. Record the rest nearer the time."
    ),
    "absence_overlaps": N_(
        "You are already recorded as away from {first} to {last}, which overlaps those days. Type /away to see your absences and cancel that one first, or give other days."
    ),
    "not_own_absence": N_("You can only record or cancel your own absences."),
    "unknown_absence": N_("I can't find that absence. It may already be cancelled."),
    # Monitoring, questions, archiving.
    "future_day": N_("That day has not come yet: you can only mark today or earlier."),
    "monitored_already": N_(
        "You have already marked {day} as monitored, so it stays monitored. Nothing was changed."
    ),
    "archive_recorded": N_(
        "{name} has already recorded this archiving, on {when} (saved at: {location}). Nothing was changed."
    ),
    # One register entry per account (data.register.check_handle_free), and one request for
    # it at a time (check_handle_unrequested).
    "handle_requested_by_you": N_(
        "You asked for that account already, on {day}, and that request is waiting for a decision. You'll hear when it is decided."
    ),
    "handle_requested": N_(
        "A request for that account is already waiting for a decision: {requester} asked for it on {day}. Talk to them, or give another handle."
    ),
    "handle_registered": N_(
        "That account is already in the register, as {number}. Its responsible persons can change it; to take it over, write to socialmedia@ki.se."
    ),
    "before_registration": N_(
        "The account was registered on {day}: you can only mark that day or later."
    ),
    "bad_check_in_day": N_(
        "I couldn't read which day this button is about, so nothing was marked. Type /duty to mark today."
    ),
    "unknown_check_in": N_("Please use the buttons Monitored today or I can't today."),
    "unknown_question": N_("I can't find that question."),
    "question_answered": N_("{name} has already marked this question as answered."),
    "in_the_future": N_("That time has not come yet."),
    # Questions with an expert, and the moderation log (issue 14).
    "expert_is_you": N_("You can't ask yourself: pick the colleague who knows the subject."),
    "unknown_category": N_("Please pick one of the kinds offered."),
    "not_the_expert": N_("Only the colleague who was asked can answer this. Nothing was changed."),
    "referral_closed": N_(
        "This request has already been answered, declined or handed to someone else, so that click changed nothing."
    ),
    "unknown_referral": N_("I can't find that request for help."),
    "bad_moment": N_(
        "I couldn't read {text} as a time. Write it as year-month-day and hours:minutes, for example 2027-03-01 14:30, or click Just now."
    ),
    # Consent and credit (data.consent).
    "unknown_method": N_("Please pick one of the ways offered."),
    "creator_not_consented": N_(
        "The creator must have consented to the publication on social media: ask them first. Until they have, the post may not be published, and there is nothing to record."
    ),
    # Case management and purging (data.casework).
    "unknown_mark": N_("I can't find that mark for case management."),
    "already_registered": N_("It is already registered, under the registry number {number}."),
    "not_case_management": N_(
        "Only content marked for case management gets a registry number."
    ),
    "question_or_post": N_("Say which question or which post it is about."),
    "marked_for_case_management": N_(
        "It is marked for case management, so it may not be purged: that would violate the public's right of access."
    ),
    "marked_research_value": N_(
        "It is marked as having research value, so it may not be purged."
    ),
}

# Where the same code needs other words for one field (`Invalid(code, field=...)`).
FIELD_REASONS: dict[tuple[str, str], str] = {
    ("too_long", "dates"): N_(
        "An absence can be at most {maximum} days long, counting absences right before or after it as one. If you will be away longer, ask to be taken off the account's team."
    ),
}


def acknowledgement_labels() -> dict[str, str]:
    return {
        "terms_of_use": N_("I have read and will follow the platform's terms of use."),
        "graphic_profile": N_("The account will follow KI's graphic profile."),
        "link_to_ki": N_("The account will refer to ki.se."),
        "unit_named": N_("The account will name the part of KI that is responsible for it."),
        "consent": N_(
            "Identifiable people will have given their consent before they are published."
        ),
        "public_documents": N_(
            "I know that posts and comments become public documents that must be kept in order."
        ),
    }


def explain(tr: Translator, error: DomainError) -> str:
    params = dict(error.params)
    if "missing" in params:
        labels = acknowledgement_labels()
        # Whole sentences, each with its full stop: joined by a space, never ".;".
        params["missing"] = " ".join(
            tr(labels[a]) for a in params["missing"] if a in ACKNOWLEDGEMENTS
        )
    params.setdefault("name", "")
    reason = FIELD_REASONS.get((error.code, str(params.get("field")))) or REASONS.get(error.code)
    if reason is None:
        return tr(
            "Something went wrong ({code}). Please try again. If it keeps happening, write to socialmedia@ki.se.",
            code=error.code,
        )
    return tr(reason, **params)
