"""Words for the codes the data layer hands back: statuses, compliance flags, question ages,
rotations, audit actions. Unknown codes are shown as they are."""

from __future__ import annotations

from bot.web.dashboard.translation import L_, Words
from data.rules import PLATFORMS

STATUS = {"active": L_("Active"), "closed": L_("Closed")}

# In the order the register's compliance filter lists them; "ok" means no flag is raised.
COMPLIANCE = {
    "ok": L_("OK"),
    "monitoring_gap": L_("Monitoring gap"),
    "questions_late": L_("Questions late"),
    "archive_due": L_("Archiving due"),
    "archive_overdue": L_("Archiving overdue"),
    "inactive": L_("Inactive"),
    "closed": L_("Closed"),
}

QUESTION_AGE = {
    "under_1_day": L_("Under 1 day"),
    "1_3_days": L_("1–3 days"),
    "3_7_days": L_("3–7 days"),
    "7_30_days": L_("7–30 days"),
    "over_30_days": L_("Over 30 days"),
}

ROTATION = {"day": L_("Daily: the next person in order each day someone is on duty"),
            "week": L_("Weekly: the next person in order each week")}

ARCHIVE_REASON = {"scheduled": L_("Scheduled (every six months)"),
                  "major_change": L_("Before a major change")}

# The policy's kinds of prohibited content (data.models.ModerationCategory).
MODERATION = {
    "crime": L_("Crime or unlawful threat"),
    "sensitive_data": L_("Sensitive personal or confidential information"),
    "agitation": L_("Agitation against an ethnic group"),
    "defamation": L_("Defamation or invasion of privacy"),
    "copyright": L_("Copyright infringement"),
    "other": L_("Other inappropriate content"),
}

# How people consented to a post (data.models.ConsentMethod).
CONSENT_METHOD = {
    "written": L_("Signed in writing"),
    "email": L_("By email"),
    "form": L_("Consent form"),
    "recorded": L_("Recorded on audio or video"),
}

# The accessibility checklist's items (data.accessibility.ITEMS).
A11Y_ITEM = {
    "alt_text": L_("Alt text for images"),
    "captions": L_("Captions for video and audio"),
    "plain_language": L_("Plain language"),
    "link_text": L_("Descriptive link text"),
    "hashtags": L_("CamelCase hashtags"),
    "emoji": L_("Emoji used sparingly"),
}

REFERRAL_CATEGORY = {"criticism": L_("Criticism"), "expert": L_("Question for an expert")}
REFERRAL_STATUS = {
    "asked": L_("Waiting for the colleague"),
    "suggested": L_("Answer suggested"),
    "declined": L_("Not theirs"),
    "withdrawn": L_("Someone else asked"),
}

ACTION = {
    "absence.cancelled": L_("Absence cancelled"),
    "absence.recorded": L_("Absence recorded"),
    "account.registered": L_("Account registered"),
    "account.closed": L_("Account closed"),
    "activity.logged": L_("Activity logged"),
    "archive.done": L_("Archived"),
    "archive.requested": L_("Archiving requested"),
    "archive.snoozed": L_("Archiving postponed"),
    "monitoring.monitored": L_("Monitored"),
    "monitoring.cannot": L_("Could not monitor"),
    "question.answered": L_("Question answered"),
    "question.logged": L_("Question logged"),
    "question.received": L_("Question received"),
    "question.referred": L_("Question handed to a colleague"),
    "question.expert_suggested": L_("Colleague suggested an answer"),
    "question.expert_declined": L_("Colleague said not theirs"),
    "moderation.recorded": L_("Removal recorded"),
    "consent.recorded": L_("Consent recorded"),
    "accessibility.checked": L_("Post checked for accessibility"),
    "request.decided": L_("Request decided"),
    "request.handed_over": L_("Request handed over"),
    "request.rerouted": L_("Request rerouted"),
    "request.resubmitted": L_("Request resubmitted"),
    "request.submitted": L_("Request submitted"),
    "rota.changed": L_("Rota changed"),
    "account.unit_corrected": L_("Unit corrected"),
    "team.member_added": L_("Responsible person added"),
    "team.member_removed": L_("Responsible person removed"),
    "team.manager_proposed": L_("New manager asked"),
    "team.manager_accepted": L_("Manager changed"),
    "team.manager_declined": L_("New manager declined"),
    "team.manager_withdrawn": L_("New manager no longer asked"),
    "webhook.token_created": L_("Question webhook set up"),
    "webhook.token_rotated": L_("Question webhook key replaced"),
}


def platform(code: str) -> str:
    """Platform names are names, the same in every language."""
    rule = PLATFORMS.get(code)
    return rule.label if rule is not None else code


def label(words: Words, table: dict[str, str], code: str) -> str:
    msgid = table.get(code)
    return words.gettext(msgid) if msgid is not None else code


def labels(words: Words, table: dict[str, str], codes: list[str]) -> str:
    """Several codes' words, joined; none as a dash."""
    return ", ".join(label(words, table, code) for code in codes) or "–"


def detail(value: object) -> str:
    """An audit event's detail value as text: lists joined, nothing as a dash."""
    if value is None or value == "":
        return "–"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)

# The offices' places, and the notices that may wait for one (data.dashboard.waiting_notices).
PLACE = {"comms": L_("Communications Office"), "registry": L_("Registry Office")}
NOTICE = {
    "account_registered": L_("A new account was opened"),
    "account_closed": L_("An account was closed"),
    "team_changed": L_("An account's team changed"),
    "approval_escalated": L_("A request waits for a decision"),
    "nudge_inactivity": L_("An account is inactive"),
}
