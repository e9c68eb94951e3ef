"""The tables. Only the domain operations in this package write them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint, false, text
from sqlmodel import Field, SQLModel


class Role(StrEnum):
    DIRECTOR = "director"
    COMMS = "comms"


class Scope(StrEnum):
    UNIT = "unit"
    UNIVERSITY_WIDE = "university_wide"
    UNIVERSITY_ADMINISTRATION = "university_administration"

    @property
    def needs_director(self) -> bool:
        return self is not Scope.UNIT


class RequestStatus(StrEnum):
    PENDING = "pending"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"
    APPROVED = "approved"
    WITHDRAWN = "withdrawn"


class Stage(StrEnum):
    MANAGER = "manager"
    DIRECTOR = "director"


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    CHANGES = "changes"


class AccountStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    # Not sent by its `not_after` (a scheduled nudge for a day that has passed): dropped.
    EXPIRED = "expired"
    # For a place (the Communications or the Registry Office) that no platform has configured:
    # kept, owed, until a place is configured (data.outbox.release_placed at start).
    UNPLACED = "unplaced"


class Rotation(StrEnum):
    """How the monitoring duty moves along the team's rota order."""

    DAY = "day"
    WEEK = "week"


class CheckInKind(StrEnum):
    MONITORED = "monitored"
    CANNOT = "cannot"


class QuestionSource(StrEnum):
    CHAT = "chat"
    WEBHOOK = "webhook"


class ArchiveReason(StrEnum):
    SCHEDULED = "scheduled"
    MAJOR_CHANGE = "major_change"


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    display_name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320, index=True)
    locale: str | None = Field(default=None, max_length=16)
    # The person chose `locale` themselves (/language, the web chat's menu): their clients'
    # languages no longer change it (data.people.ensure_person).
    locale_chosen: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # The platform the person last spoke to us on: where personal messages go first.
    last_platform: str | None = Field(default=None, max_length=16)
    created_at: datetime
    updated_at: datetime


class ChatIdentity(SQLModel, table=True):
    __tablename__ = "chat_identity"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    platform: str = Field(max_length=16)
    external_id: str = Field(max_length=200)
    # Platform-specific addressing learnt from incoming traffic (Teams service URL, tenant...).
    address: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class RoleAssignment(SQLModel, table=True):
    __tablename__ = "role_assignment"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    role: str = Field(max_length=32, primary_key=True)
    # The platform whose settings name the person for the role. Each platform's settings
    # replace only the holders they named, so one person known on Slack and Teams keeps a role
    # either platform's settings give them.
    source: str = Field(max_length=16, primary_key=True)


class AccountRequest(SQLModel, table=True):
    __tablename__ = "account_request"

    id: int | None = Field(default=None, primary_key=True)
    requester_id: int = Field(foreign_key="person.id", index=True)
    platform: str = Field(max_length=32)
    handle: str = Field(max_length=260)
    unit: str = Field(max_length=200)
    scope: str = Field(max_length=32)
    purpose: str = Field(max_length=2000)
    objectives: str = Field(max_length=2000)
    target_group: str = Field(max_length=2000)
    benefit: str = Field(max_length=2000)
    team_ids: list[int] = Field(sa_column=Column(JSON, nullable=False))
    manager_id: int = Field(foreign_key="person.id", index=True)
    monitoring: str = Field(max_length=2000)
    holiday_cover: str = Field(max_length=2000)
    response_time: str = Field(max_length=32)
    acknowledgements: list[str] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(max_length=32, index=True)
    stage: str | None = Field(default=None, max_length=16)
    approver_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    # Each resubmission after "ask for changes" starts a new round of decisions.
    round: int = 1
    last_reason: str | None = Field(default=None, max_length=2000)
    # Why the requester named another manager than the directory's (None when they did not).
    manager_reason: str | None = Field(default=None, max_length=1000)
    account_id: int | None = Field(default=None)
    created_at: datetime
    updated_at: datetime
    stage_started_at: datetime


class ApprovalDecision(SQLModel, table=True):
    __tablename__ = "approval_decision"
    __table_args__ = (UniqueConstraint("request_id", "round", "stage"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="account_request.id", index=True)
    round: int
    stage: str = Field(max_length=16)
    decider_id: int = Field(foreign_key="person.id")
    decision: str = Field(max_length=16)
    reason: str | None = Field(default=None, max_length=2000)
    decided_at: datetime


# What makes an account open (AccountStatus.ACTIVE), and the condition of the index that keeps
# its handle unique.
_OPEN_ACCOUNT = text(f"status = '{AccountStatus.ACTIVE.value}'")


class Account(SQLModel, table=True):
    __table_args__ = (
        # One open account per handle and platform, compared without regard to case as
        # data.register compares them (handles are ASCII: data.rules), held by the database
        # too: the register checks and locks it (data.register.lock_handle), and this is what
        # refuses a second one should anything ever write past them.
        Index("ux_account_open_handle", "platform", text("lower(handle)"), unique=True,
              sqlite_where=_OPEN_ACCOUNT, postgresql_where=_OPEN_ACCOUNT),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=20, unique=True)
    request_id: int = Field(foreign_key="account_request.id", unique=True)
    platform: str = Field(max_length=32)
    handle: str = Field(max_length=260)
    unit: str = Field(max_length=200, index=True)
    scope: str = Field(max_length=32)
    purpose: str = Field(max_length=2000)
    objectives: str = Field(max_length=2000)
    target_group: str = Field(max_length=2000)
    benefit: str = Field(max_length=2000)
    manager_id: int = Field(foreign_key="person.id", index=True)
    manager_reason: str | None = Field(default=None, max_length=1000)
    monitoring: str = Field(max_length=2000)
    holiday_cover: str = Field(max_length=2000)
    response_time: str = Field(max_length=32)
    status: str = Field(max_length=16, index=True)
    registered_at: datetime
    closed_at: datetime | None = None


class AccountMember(SQLModel, table=True):
    __tablename__ = "account_member"

    account_id: int = Field(foreign_key="account.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True, index=True)
    # Order in the monitoring rota.
    position: int


class AccountNumberCounter(SQLModel, table=True):
    __tablename__ = "account_number_counter"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last: int = 0


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    action: str = Field(max_length=64)
    subject: str = Field(max_length=64, index=True)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class DialogState(SQLModel, table=True):
    __tablename__ = "dialog_state"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    dialog: str = Field(max_length=64)
    step: str = Field(max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    history: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Bumped on every turn so that a click on an old prompt can be told from a current one.
    turn: int = 0
    updated_at: datetime


# The approval cards' kind (data.requests), and the condition of the index that holds them.
APPROVAL_CARD = "approval_card"
_APPROVAL_CARDS = text(f"kind = '{APPROVAL_CARD}'")


class Outbox(SQLModel, table=True):
    __table_args__ = (
        # The approval cards alone, a few a request among the millions of digests and replies
        # a year owes: a decision finds its request's cards through it, and so does the
        # retention, which keeps those still waiting (data.requests.cards_of). Partial, so
        # owing a digest costs it nothing.
        # On PostgreSQL by text_pattern_ops: a prefix is sought whatever the collation.
        Index("ix_outbox_approval_cards", "key", sqlite_where=_APPROVAL_CARDS,
              postgresql_where=_APPROVAL_CARDS, postgresql_ops={"key": "text_pattern_ops"}),
    )

    id: int | None = Field(default=None, primary_key=True)
    # What makes a message unique: writing the same key twice is a no-op.
    key: str = Field(max_length=255, unique=True)
    kind: str = Field(max_length=64)
    recipient_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    place: str | None = Field(default=None, max_length=32)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Key of an earlier row whose sent message this row rewrites in place.
    update_of: str | None = Field(default=None, max_length=255)
    status: str = Field(max_length=16, index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(index=True)
    claimed_until: datetime | None = None
    delivered: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    error: str | None = Field(default=None, max_length=2000)
    created_at: datetime
    sent_at: datetime | None = None
    # A scheduled message is worth nothing after this (the end of its day's sending hours):
    # a row not sent by then is marked expired instead of being sent late. Indexed: a sweep
    # reads the keys already owed today by it (data.nudge_state.owed_today).
    not_after: datetime | None = Field(default=None, index=True)


class WebMessage(SQLModel, table=True):
    __tablename__ = "web_message"
    # A message's id is what a card's later rewrite names (the outbox's `delivered`): never
    # handed out twice, or a decision would rewrite somebody else's message once the retention
    # deleted the newest ones (SQLite reuses the highest id without AUTOINCREMENT).
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    conversation: str = Field(max_length=64, index=True)
    sender_id: int | None = Field(default=None, foreign_key="person.id")
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime
    updated_at: datetime


class InboxStatus(StrEnum):
    PENDING = "pending"
    WORKING = "working"
    DONE = "done"
    # Failed every retry: kept with its error for an operator, never run again by itself.
    PARKED = "parked"
    # Parked, then given up by an operator for good (data.parked): never run again.
    DISCARDED = "discarded"


class InboxEvent(SQLModel, table=True):
    """An incoming event, stored before the platform hears that we received it.

    `key` is the platform's own delivery id, so a retry or a double click is stored once.
    `lane` orders the work: one sender's events run one at a time, in the order received.
    """

    __tablename__ = "inbox_event"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=255, unique=True)
    platform: str = Field(max_length=32)
    lane: str = Field(max_length=255, index=True)
    # The neutral event (hub.wire) and what the adapter needs to answer (its context).
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=InboxStatus.PENDING.value, max_length=16, index=True)
    # Every attempt, counted as it is claimed (a graceful stop gives its attempt back).
    attempts: int = 0
    # Times an operator put the row back to run after it was parked (data.parked): each gives
    # it MAX_ATTEMPTS more attempts, and each followed a parking.
    retries: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    next_attempt_at: datetime
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = None
    received_at: datetime
    done_at: datetime | None = None
    error: str | None = Field(default=None, max_length=2000)


class PrunedTotal(SQLModel, table=True):
    """What retention (data.retention) has deleted from one table, summed: the inbox's turns
    are counted from its rows (/metrics' totals), and a count must not fall when old rows go."""

    __tablename__ = "pruned_total"

    # The table: "outbox", "inbox" or "web_message".
    subject: str = Field(max_length=32, primary_key=True)
    deleted: int = Field(default=0, sa_type=BigInteger)
    # The inbox's: of the rows deleted, those done (the others were parked), the attempts they
    # took and the times they had been parked.
    done: int = Field(default=0, sa_type=BigInteger)
    attempts: int = Field(default=0, sa_type=BigInteger)
    parked: int = Field(default=0, sa_type=BigInteger)


class RotaSetting(SQLModel, table=True):
    """How an account's monitoring duty rotates; an account without a row rotates per day
    from its registration day."""

    __tablename__ = "rota_setting"

    account_id: int = Field(foreign_key="account.id", primary_key=True)
    rotation: str = Field(max_length=8)
    # The day the first person in the rota order is on duty; counting goes on from here.
    anchor: date
    updated_at: datetime
    updated_by: int | None = Field(default=None, foreign_key="person.id")


class Absence(SQLModel, table=True):
    """A person away from `first_day` to `last_day`, both inclusive (local dates)."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    first_day: date = Field(index=True)
    last_day: date = Field(index=True)
    note: str | None = Field(default=None, max_length=200)
    created_at: datetime


class MonitoringCheckIn(SQLModel, table=True):
    """A team member's word for one working day: monitored it, or cannot."""

    __tablename__ = "monitoring_check_in"
    __table_args__ = (
        UniqueConstraint("account_id", "person_id", "day"),
        # A day's check-ins of a range of accounts (a piece of a sweep, data.nudge_state).
        Index("ix_monitoring_check_in_day_account", "day", "account_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    person_id: int = Field(foreign_key="person.id", index=True)
    day: date = Field(index=True)
    kind: str = Field(max_length=16)
    at: datetime


class ActivityEntry(SQLModel, table=True):
    """Content published on the account (or its team's word that it is still active)."""

    __tablename__ = "activity_entry"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    at: datetime = Field(index=True)
    note: str = Field(max_length=1000)


class Question(SQLModel, table=True):
    """A question or comment from the public waiting for (or having had) an answer."""

    __table_args__ = (
        UniqueConstraint("account_id", "external_ref"),
        # The open questions of a range of accounts (a piece of a sweep, data.nudge_state),
        # read from the index alone.
        Index("ix_question_open_by_account", "answered_at", "account_id", "received_at"),
        # An account's questions (its index), and those a range of accounts logged and
        # answered in a month (the monthly summary's counts, data.duty_counts), read from
        # the index alone.
        Index("ix_question_account_times", "account_id", "received_at", "answered_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    source: str = Field(max_length=16)
    text: str = Field(max_length=4000)
    # Who asked, as the other tool or the team member named them (free text, optional).
    asked_by: str | None = Field(default=None, max_length=200)
    # The other tool's id for it: a webhook delivery retried with the same ref is stored once.
    external_ref: str | None = Field(default=None, max_length=200)
    received_at: datetime = Field(index=True)
    logged_by: int | None = Field(default=None, foreign_key="person.id")
    answered_at: datetime | None = Field(default=None, index=True)
    answered_by: int | None = Field(default=None, foreign_key="person.id")


class ArchiveRecord(SQLModel, table=True):
    """One archiving of the profile page: owed (done_at empty) or done."""

    __tablename__ = "archive_record"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    reason: str = Field(max_length=16)
    due: date
    snoozed_until: date | None = None
    done_at: datetime | None = Field(default=None, index=True)
    location: str | None = Field(default=None, max_length=1000)
    done_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime
    created_by: int | None = Field(default=None, foreign_key="person.id")


class ClosureRecord(SQLModel, table=True):
    __tablename__ = "closure_record"

    account_id: int = Field(foreign_key="account.id", primary_key=True)
    closed_by: int = Field(foreign_key="person.id")
    reason: str = Field(max_length=1000)
    final_archive_location: str = Field(max_length=1000)
    closed_at: datetime


class WebhookToken(SQLModel, table=True):
    """The bearer token of an account's question webhook, stored only as its SHA-256."""

    __tablename__ = "webhook_token"

    account_id: int = Field(foreign_key="account.id", primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime
    created_by: int | None = Field(default=None, foreign_key="person.id")


# --- The comms office dashboard (issue 6): sign-in links and browser sessions.


class UsedSignInLink(SQLModel, table=True):
    """A sign-in link's nonce, once the link has been redeemed: the link never works again."""

    __tablename__ = "used_sign_in_link"

    nonce: str = Field(primary_key=True, max_length=64)
    person_id: int = Field(foreign_key="person.id")
    used_at: datetime
    # The link's own expiry: past it the link is refused anyway, so the row may be forgotten.
    expires_at: datetime = Field(index=True)


class DashboardSession(SQLModel, table=True):
    """A browser signed in to the dashboard. The cookie's token is stored only as its SHA-256."""

    __tablename__ = "dashboard_session"

    token_hash: str = Field(primary_key=True, max_length=64)
    person_id: int = Field(foreign_key="person.id", index=True)
    created_at: datetime
    expires_at: datetime = Field(index=True)
    # Its CSRF token is derived from token_hash with the secret key (data.signin), not stored.


# --- Changing an account's people after registration (issue 11).


class HandoverStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    # Another hand-over was proposed for the account before this one was decided.
    WITHDRAWN = "withdrawn"


class ManagerHandover(SQLModel, table=True):
    """An account handed to a new immediate manager, who confirms it with a click: until
    then the account keeps its manager."""

    __tablename__ = "manager_handover"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    from_manager_id: int = Field(foreign_key="person.id")
    to_person_id: int = Field(foreign_key="person.id", index=True)
    proposed_by: int = Field(foreign_key="person.id")
    status: str = Field(max_length=16, index=True)
    proposed_at: datetime
    decided_at: datetime | None = None


# --- The organisation's directory (issue 11): the source of managers and units.


class StaffEntry(SQLModel, table=True):
    """One member of staff as the directory knows them: imported from HR's CSV export, or a
    Microsoft Graph lookup kept as a cache (`fetched_at` says how fresh it is)."""

    __tablename__ = "directory_entry"

    # Lower case, NFC: the key every lookup uses.
    email: str = Field(primary_key=True, max_length=320)
    name: str = Field(max_length=200)
    unit: str | None = Field(default=None, max_length=200)
    manager_email: str | None = Field(default=None, max_length=320)
    # The Azure AD object id, when the entry came from Graph.
    aad_id: str | None = Field(default=None, max_length=64, index=True)
    # "import" or "graph": a re-import replaces its own entries and leaves Graph's alone.
    source: str = Field(max_length=16, index=True)
    fetched_at: datetime


class DirectoryUnit(SQLModel, table=True):
    """The units of the imported directory: the list /open-account picks a unit from."""

    __tablename__ = "directory_unit"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    # The name case-folded: one unit, however HR's file capitalises it.
    key: str = Field(max_length=200, unique=True)


class SweepMark(SQLModel, table=True):
    """What the last full sweep of a set of nudge kinds knew (data.sweep_marks): while the
    state is unchanged, the day the same and the time before `quiet_until`, nothing new can be
    due, and a sweep need not load anything."""

    __tablename__ = "sweep_mark"

    # The kinds swept, sorted and comma-separated.
    kinds: str = Field(primary_key=True, max_length=255)
    # The state and settings it saw (data.sweep_marks.version).
    version: str = Field(max_length=128)
    # The local day it swept.
    day: date
    # The first moment after the sweep when time alone may make something new due.
    quiet_until: datetime
    swept_at: datetime


class RuleDay(SQLModel, table=True):
    """The last local day a rule of the nudges ran awake (after its time, on a day it runs)
    in a sweep that owed what it found (data.sweep_marks.rules_swept): a reminder that rule
    owes once, on one day, is owed late for days after it that no sweep saw (the server was
    down), rather than never (data.policy.owed_from)."""

    __tablename__ = "rule_day"

    kind: str = Field(primary_key=True, max_length=64)
    day: date
    swept_at: datetime


# --- Questions with an expert, and the moderation log (issue 14).


class ReferralCategory(StrEnum):
    """What the person on duty marked a question as, on asking a colleague for help."""

    # Criticism of KI's activities: the manager is shown it too.
    CRITICISM = "criticism"
    EXPERT = "expert"


class ReferralStatus(StrEnum):
    ASKED = "asked"
    SUGGESTED = "suggested"
    # The colleague said *Not me*.
    DECLINED = "declined"
    # Someone else was asked about the question before this one answered.
    WITHDRAWN = "withdrawn"


class QuestionReferral(SQLModel, table=True):
    """A question from the public handed to a colleague with the expertise (the policy's
    "with the support of the persons responsible for the activities or those ... who have
    expertise"), and what they suggested."""

    __tablename__ = "question_referral"

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="question.id", index=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    category: str = Field(max_length=16)
    expert_id: int = Field(foreign_key="person.id", index=True)
    referred_by: int = Field(foreign_key="person.id")
    # What the person on duty told the colleague besides the question (optional).
    note: str | None = Field(default=None, max_length=1000)
    referred_at: datetime
    # When the account's promised response time runs out: past it the manager hears.
    due_at: datetime = Field(index=True)
    status: str = Field(max_length=16, index=True)
    suggestion: str | None = Field(default=None, max_length=4000)
    responded_at: datetime | None = None


class ModerationCategory(StrEnum):
    """The policy's kinds of prohibited content ("Prohibited content"), and the rest."""

    CRIME = "crime"
    SENSITIVE_DATA = "sensitive_data"
    AGITATION = "agitation"
    DEFAMATION = "defamation"
    COPYRIGHT = "copyright"
    OTHER = "other"


class ModerationEntry(SQLModel, table=True):
    """A post or comment the team removed from an account, with why and where the evidence
    was kept: the record that prohibited content was "promptly removed"."""

    __tablename__ = "moderation_entry"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    # A link to the post or comment, or a description of it.
    content: str = Field(max_length=2000)
    category: str = Field(max_length=16, index=True)
    reason: str = Field(max_length=1000)
    removed_at: datetime = Field(index=True)
    removed_by: int = Field(foreign_key="person.id")
    # Where the screenshot or copy was saved (a path, a case number, a link).
    evidence: str = Field(max_length=1000)
    recorded_at: datetime


# --- Case management and purging (issue 14).


class MarkKind(StrEnum):
    """Why content from an account may not be purged (the guidelines' "Posts that require
    case management must be registered. Purging may not take place if the content is deemed to
    have future research value ...")."""

    CASE_MANAGEMENT = "case_management"
    RESEARCH_VALUE = "research_value"


class CaseMark(SQLModel, table=True):
    """A question or a post of an account marked as needing case management (registered by the
    Registry Office under a registry number, diarienummer) or as having research value."""

    __tablename__ = "case_mark"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    kind: str = Field(max_length=32)
    # What is marked: a logged question, or a post (its link or a description).
    question_id: int | None = Field(default=None, foreign_key="question.id", index=True)
    post: str | None = Field(default=None, max_length=1000)
    note: str | None = Field(default=None, max_length=1000)
    marked_by: int = Field(foreign_key="person.id")
    marked_at: datetime
    registry_number: str | None = Field(default=None, max_length=64)
    registered_by: int | None = Field(default=None, foreign_key="person.id")
    registered_at: datetime | None = None


class Purge(SQLModel, table=True):
    """A purge (gallring) of an account's content: what, under which rule of the disposal
    decision, who, when."""

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    question_id: int | None = Field(default=None, foreign_key="question.id")
    what: str = Field(max_length=1000)
    rule: str = Field(max_length=500)
    purged_by: int = Field(foreign_key="person.id")
    purged_on: date
    recorded_at: datetime
class AccountCompliance(SQLModel, table=True):
    """One account's compliance as the dashboard shows it (data.dashboard_overview's
    AccountState), stored so that the register can filter and sort by it in SQL and the
    overview can count it without working out every account (data.compliance_rows).

    A row is current while it is not `stale` (the domain operations that change what it is
    worked out from mark it so), `now` is in [computed_at, valid_until) (until the first moment
    time alone changes it: the next local midnight, or an open question passing the answer
    target; None: never, a closed account) and the settings are those it was worked out with.
    """

    __tablename__ = "account_compliance"

    account_id: int = Field(foreign_key="account.id", primary_key=True)
    stale: bool = True
    # Bumped by every change that makes the row stale: a refresh writes its row only if the
    # count is the one it read, so a change committed meanwhile is not overwritten.
    changes: int = 0
    # data.sweep_marks.fingerprint of the settings it was worked out with.
    settings: str = Field(default="", max_length=32)
    computed_at: datetime | None = None
    valid_until: datetime | None = Field(default=None, index=True)
    # The flags (data.dashboard_overview.COMPLIANCE_FILTERS minus "ok") between commas:
    # ",questions_late,inactive,"; "" when ok.
    flags: str = Field(default="", max_length=128)
    # The register's order by compliance (data.compliance_rows.rank_of), as text.
    rank: str = Field(default="", max_length=16)
    coverage: float | None = None
    open_questions: int = 0
    late_questions: int = 0
    archive_due: date | None = None
    archive_overdue_days: int = 0
    inactive_since: date | None = None
    last_monitored: date | None = None


# --- Consent and credit (issue 14).


class ConsentMethod(StrEnum):
    """How the people in a post gave their consent (the guidelines' "Consent and GDPR")."""

    WRITTEN = "written"
    EMAIL = "email"
    FORM = "form"
    RECORDED = "recorded"


class ConsentRecord(SQLModel, table=True):
    """For a post with identifiable people: who consented, how, for which post; the creator
    credited and whether the creator consented (the guidelines: "people who participate and are
    identifiable by photo, video, audio or name must give their consent", "The creator must
    always be mentioned ... The creator must have consented")."""

    __tablename__ = "consent_record"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    # The post: a link, or a description of it before it is published.
    post: str = Field(max_length=1000)
    # Who consented, as the team names them (free text: the people are not KI's staff).
    people: str = Field(max_length=1000)
    method: str = Field(max_length=16)
    # Where the signed form, the email or the recording is kept.
    kept_at: str = Field(max_length=1000)
    creator: str = Field(max_length=200)
    creator_credited: bool
    creator_consented: bool
    recorded_by: int = Field(foreign_key="person.id")
    recorded_at: datetime


# --- Accessible posts (issue 14).


class CheckStatus(StrEnum):
    """One item of the accessibility checklist, as the team found it (data.accessibility)."""

    OK = "ok"
    # Not right at first, put right before the check was recorded.
    FIXED = "fixed"
    # The post has nothing the item is about (no image, no video, no link...).
    NOT_APPLICABLE = "not_applicable"
    # Still to be put right when the check was recorded.
    TO_FIX = "to_fix"


class AccessibilityCheck(SQLModel, table=True):
    """A team member ran the accessibility checklist on a post (the guidelines:
    "Communications shall be made accessible in accordance with the Act (2018:1937)"). One
    column per checklist item (data.accessibility.ITEMS), each a CheckStatus."""

    __tablename__ = "accessibility_check"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    # The post: a link, or a short description of it before it is published.
    post: str = Field(max_length=500)
    alt_text: str = Field(max_length=16)
    captions: str = Field(max_length=16)
    plain_language: str = Field(max_length=16)
    link_text: str = Field(max_length=16)
    hashtags: str = Field(max_length=16)
    emoji: str = Field(max_length=16)
    checked_by: int = Field(foreign_key="person.id")
    checked_at: datetime = Field(index=True)
