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
        "I can't find {name}. Pick the person from the list, or give their work e-mail address."
    ),
    "ambiguous_person": N_(
        "More than one person is called {name}. Please give their e-mail address instead."
    ),
    "requester_as_manager": N_("You can't approve your own request: name your immediate manager."),
    "requester_as_approver": N_("The decision can't be handed to the person who made the request."),
    "same_approver": N_("The decision is already yours: pick someone else to hand it to."),
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
        params["missing"] = "; ".join(
            tr(labels[a]) for a in params["missing"] if a in ACKNOWLEDGEMENTS
        )
    params.setdefault("name", "")
    reason = REASONS.get(error.code)
    if reason is None:
        return tr("Something went wrong ({code}). Please try again.", code=error.code)
    return tr(reason, **params)
