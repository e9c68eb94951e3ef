"""The names kontobot gives an account's particulars and their values, held once for the chat
and the dashboard, so that a requester, a manager and the Communications Office read the same
words everywhere ("Verksamhetsnytta", "Universitetsgemensamt", "Inom 24 timmar").

The terms are msgids of the chat's catalogue (dialogs/locale); the dashboard translates them
with the same catalogue (bot.web.dashboard.translation.Words.term), not its own.
"""

from __future__ import annotations

from dialogs.i18n import N_

# An account's (and its request's) particulars, by the field that holds them.
FIELDS = {
    "platform": N_("Platform"),
    "handle": N_("Account name or handle"),
    "unit": N_("Organisational unit"),
    "scope": N_("Scope"),
    "purpose": N_("Purpose"),
    "objectives": N_("Objectives"),
    "target_group": N_("Target group"),
    "benefit": N_("Operational benefit"),
    "team": N_("Responsible persons"),
    "manager": N_("Immediate manager"),
    "manager_reason": N_("Why another manager"),
    "monitoring": N_("Weekday monitoring"),
    "holiday_cover": N_("Cover during holidays"),
    "response_time": N_("Answering questions"),
}

# The values of `scope` and `response_time`, by their stored code.
SCOPES = {
    "unit": N_("A unit (department, centre, section or research group)"),
    "university_wide": N_("University-wide"),
    "university_administration": N_("University administration"),
}
RESPONSE_TIMES = {
    # DESIGN.md section 4: by 16:00 for a question that came before 12:00, else by 10:00 the
    # next day, weekends too (data.policy.answer_due).
    "same_day": N_("The same day"),
    "24h": N_("Within 24 hours"),
    "48h": N_("Within 48 hours"),
}
