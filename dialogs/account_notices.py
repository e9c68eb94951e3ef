"""The nudges and notices about an account's duties: questions waiting, archiving due or
asked for, inactivity, and closing (journeys 5-7)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from data import access, archive, closure, consent, questions, register
from data.errors import NotFound
from data.models import Account, AccountStatus, Question
from dialogs.archiving import archived_button, archived_value, location_input
from dialogs.digest import (
    Digest,
    is_member,
    items_of,
    label_of,
    name_of,
    open_accounts,
)
from dialogs.i18n import N_, Translator
from dialogs.messages import Actions, Block, Button, Context, Fields, Message, Paragraph
from dialogs.naming import names
from dialogs.open_account import RESPONSE_LABELS

# A digest shows this many questions of one account, and says how many more wait.
MAX_QUESTIONS = 8
ARCHIVE_RECORDS_PLAN = N_(
    "Save a screenshot of the profile page as KI's records-management plan says, then write where you saved it and click Archived…"
)
# The guidelines ask for consent from people identifiable in a post and from its creator: the
# six-monthly archiving is when the team checks each such post has its record.
ARCHIVE_CONSENTS = N_(
    "Save the consents with the archive too. Recorded with /consent since {since}: {count}. Every post with identifiable people, and every image or video, needs consent and credit for its creator: record any that are missing with /consent."
)
MUST_CLOSE = N_(
    "Accounts that are no longer active must be closed. If the account is active, say so; if not, close it."
)

# --- questions ------------------------------------------------------------------------------


async def _questions(session: AsyncSession, ids: Sequence[int]) -> dict[int, Question]:
    """The questions of `ids` still unanswered."""
    found: dict[int, Question] = {}
    for question_id in dict.fromkeys(ids):
        try:
            question = await questions.get_question(session, question_id)
        except NotFound:
            continue
        if question.answered_at is None:
            found[question_id] = question
    return found


def _received(tr: Translator, question: Question) -> str:
    when = tr.when(question.received_at)
    if question.asked_by:
        return tr("Received {when} from {who}", when=when, who=question.asked_by)
    return tr("Received {when}", when=when)


async def nudge_question(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    items = items_of(params)
    accounts = await open_accounts(session, items)
    waiting = await _questions(
        session, [int(q) for i in items for q in i.get("question_ids", [])]
    )
    digest = Digest(tr, tr("Questions waiting for an answer"))
    for item in items:
        account = accounts.get(int(item["account_id"]))
        if account is None or account.id is None:
            continue
        found = [waiting[int(q)] for q in item.get("question_ids", []) if int(q) in waiting]
        if not found:
            continue
        member = await is_member(session, account.id, recipient_id)
        # The time the account promised (data.policy.answer_due) is what they are late for.
        promise = tr(RESPONSE_LABELS.get(account.response_time, RESPONSE_LABELS["24h"]))
        if item["why"] == "open_long":
            intro = tr(
                "Questions to {account} are still unanswered two days after the time the account promises ({promise}). As manager, please make sure the team answers them.",
                account=label_of(account),
                promise=promise,
            )
        else:
            intro = tr(
                "Questions to {account} have not been answered in the time the account promises ({promise}). Answer them on the account, then click Answered.",
                account=label_of(account),
                promise=promise,
            )
        blocks: list[Block] = [Paragraph(intro)]
        for question in found[:MAX_QUESTIONS]:
            blocks.append(Fields(((_received(tr, question), question.text),)))
            if member:
                blocks.append(
                    Actions(
                        (
                            Button(
                                "question:answered",
                                tr("Answered"),
                                str(question.id),
                                style="primary",
                            ),
                            Button("question:refer", tr("Ask a colleague"), str(question.id)),
                        )
                    )
                )
        if len(found) > MAX_QUESTIONS:
            blocks.append(
                Context(
                    tr("{count} more questions are waiting.", count=len(found) - MAX_QUESTIONS)
                )
            )
        digest.add(*blocks)
    return digest.message(N_("The questions have all been answered meanwhile. Thank you!"))


# --- archiving ------------------------------------------------------------------------------


def _archiving_text(tr: Translator, item: dict[str, Any], account: Account) -> str:
    label, due = label_of(account), str(item.get("due") or "?")
    why = item["why"]
    if why == "overdue_long":
        return tr(
            "Archiving the profile page of {account} was due on {due} and is more than 14 days overdue. As manager, please make sure the team does it.",
            account=label,
            due=due,
        )
    if item.get("reason") == "major_change":
        return tr(
            "{account} is about to change a lot: before the change, its profile page must be archived.",
            account=label,
        )
    if why == "due_soon":
        return tr(
            "The profile page of {account} is due to be archived on {due}.",
            account=label,
            due=due,
        )
    if why == "due_today":
        return tr("The profile page of {account} is due to be archived today.", account=label)
    return tr(
        "Archiving the profile page of {account} was due on {due} and is not done yet.",
        account=label,
        due=due,
    )


async def _archived_since(session: AsyncSession, account: Account, item: dict[str, Any]) -> bool:
    """Whether the archiving the item reminds of was done after the reminder was written."""
    assert account.id is not None
    state = await archive.current(session, account.id)
    return state.last_done is not None and state.due > date.fromisoformat(str(item["due"]))


async def _consents_since(session: AsyncSession, tr: Translator, account: Account) -> str:
    """How many consent records since the last archiving (or the registration), asking for
    the missing ones."""
    assert account.id is not None
    state = await archive.current(session, account.id)
    since = state.last_done or account.registered_at.astimezone(tr.timezone).date()
    count = await consent.count_since(
        session, account.id, datetime.combine(since, time(), tzinfo=tr.timezone)
    )
    return tr(ARCHIVE_CONSENTS, count=count, since=since.isoformat())


async def nudge_archiving(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    items = items_of(params)
    accounts = await open_accounts(session, items)
    digest = Digest(tr, tr("Time to archive the profile page"))
    for item in items:
        account = accounts.get(int(item["account_id"]))
        if account is None or account.id is None or await _archived_since(session, account, item):
            continue
        blocks: list[Block] = [Paragraph(_archiving_text(tr, item, account))]
        if await is_member(session, account.id, recipient_id):
            blocks.append(Context(tr(ARCHIVE_RECORDS_PLAN)))
            blocks.append(Context(await _consents_since(session, tr, account)))
            period = await archive.last_recorded(session, account.id)
            blocks.append(
                Actions(
                    (
                        archived_button(tr, archived_value(account.id, period)),
                        Button("archive:snooze", tr("Snooze a week"),
                               archived_value(account.id, period)),
                    )
                )
            )
            digest.wants_location = True
        digest.add(*blocks)
    return digest.message(N_("Nothing needs archiving any more."))


async def archive_requested(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    account = await access.account(session, int(params["account_id"]))
    assert account.id is not None
    by = int(params["by"])
    if by == recipient_id:
        text = tr(
            "You asked the team of {account} to archive its profile page before a major change.",
            account=label_of(account),
        )
    else:
        who = await names(session, [by])
        text = tr(
            "{name} is planning a major change to {account}. Before it, the profile page must be archived.",
            name=who.get(by, "?"),
            account=label_of(account),
        )
    title = tr("Archive before a major change")
    if account.status != AccountStatus.ACTIVE.value:
        return Message(text=text, title=title, blocks=(Paragraph(text),))
    # The card asks about the period the request was made in, even when composed later.
    period = await archive.last_recorded(session, account.id, before=int(params["record_id"]))
    return Message(
        text=text,
        title=title,
        blocks=(
            Paragraph(text),
            Context(tr(ARCHIVE_RECORDS_PLAN)),
            location_input(tr),
            Actions((archived_button(tr, archived_value(account.id, period)),)),
        ),
    )


# --- inactivity and closing -----------------------------------------------------------------


def _inactivity_reasons(tr: Translator, item: dict[str, Any]) -> list[Block]:
    lines: list[Block] = []
    reasons = item.get("reasons", [])
    if "no_content" in reasons:
        lines.append(
            Context(
                tr("Nothing published has been logged since {day}.", day=item["last_content"])
                if item.get("last_content")
                else tr("Nothing published has been logged since the account was registered.")
            )
        )
    if "no_monitoring" in reasons:
        lines.append(
            Context(
                tr("No monitoring has been logged since {day}.", day=item["last_monitored"])
                if item.get("last_monitored")
                else tr("No monitoring has been logged since the account was registered.")
            )
        )
    return lines


async def nudge_inactivity(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    items = items_of(params)
    accounts = await open_accounts(session, items)
    digest = Digest(tr, tr("Is the account still active?"))
    for item in items:
        account = accounts.get(int(item["account_id"]))
        if account is None or account.id is None:
            continue
        if item["why"] == "inactive_long":
            text = tr(
                "{account} has looked inactive since {since}, and its team has not answered for 30 days.",
                account=label_of(account),
                since=str(item.get("since") or "?"),
            )
        else:
            text = tr("Is {account} still active?", account=label_of(account))
        blocks: list[Block] = [Paragraph(text), *_inactivity_reasons(tr, item)]
        blocks.append(Context(tr(MUST_CLOSE)))
        buttons: list[Button] = []
        if await is_member(session, account.id, recipient_id):
            buttons.append(
                Button("active:yes", tr("Still active"), str(account.id), style="primary")
            )
        if recipient_id is not None and await access.may_close(session, account, recipient_id):
            buttons.append(Button("close:start", tr("Close the account"), str(account.id)))
        if buttons:
            blocks.append(Actions(tuple(buttons)))
        digest.add(*blocks)
    return digest.message(N_("The accounts have been dealt with meanwhile."))


async def account_closed(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    account = await access.account(session, int(params["account_id"]))
    assert account.id is not None
    record = await closure.closure_of(session, account.id)
    title = tr("Account closed: {number}", number=account.number)
    text = tr(
        "{account} ({number}) of {unit} has been closed and has left the monitoring rota.",
        account=name_of(account),
        number=account.number,
        unit=account.unit,
    )
    rows: list[tuple[str, str]] = []
    if record is not None:
        who = await names(session, [record.closed_by])
        rows = [
            (tr("Closed by"), who.get(record.closed_by, "?")),
            (tr("Closed"), tr.when(record.closed_at)),
            (tr("Reason"), record.reason),
            (tr("Final archive"), record.final_archive_location),
        ]
    team = await register.team_of(session, account.id)
    known = await names(session, [*team, account.manager_id])
    rows.append((tr("Responsible persons"), ", ".join(known.get(i, "?") for i in team)))
    rows.append((tr("Immediate manager"), known.get(account.manager_id, "?")))
    rows.append((tr("Registered"), tr.when(account.registered_at)))
    return Message(text=text, title=title, blocks=(Paragraph(text), Fields(tuple(rows))))
