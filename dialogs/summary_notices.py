"""The teams' monthly summary (nudge_monthly, scheduler.nudge_rules.monthly): on the first
working day of the month each account's team hears last month's counts: posts checked for
accessibility with /accessible and the checklist items that needed fixing, questions from the
public logged and answered, removals recorded."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from dialogs.digest import Digest, items_of, label_of, open_accounts
from dialogs.i18n import N_, Translator
from dialogs.messages import Context, Message, Paragraph

MONTHS = (
    N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"),
    N_("July"), N_("August"), N_("September"), N_("October"), N_("November"), N_("December"),
)


def month_name(tr: Translator, month: str) -> str:
    """"2027-02" as "February 2027" in the reader's language."""
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError:
        return month
    return tr("{month} {year}", month=tr(MONTHS[first.month - 1]), year=first.year)


async def nudge_monthly(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    items = items_of(params)
    accounts = await open_accounts(session, items)
    month = month_name(tr, str(items[0].get("month", ""))) if items else ""
    digest = Digest(tr, tr("Last month on your accounts: {month}", month=month))
    for item in items:
        account = accounts.get(int(item["account_id"]))
        if account is None:
            continue
        checked, to_fix = int(item.get("posts_checked", 0)), int(item.get("items_to_fix", 0))
        if checked:
            accessible = tr(
                "{account}: posts checked for accessibility in {month}: {checked}; checklist items that needed fixing: {to_fix}.",
                account=label_of(account), checked=checked, to_fix=to_fix, month=month,
            )
        else:
            accessible = tr(
                "{account}: no posts checked for accessibility in {month}. Run /accessible on a post before you publish it.",
                account=label_of(account), month=month,
            )
        digest.add(
            Paragraph(accessible),
            Context(tr(
                "Questions from the public: {logged} logged, {answered} answered. Removed posts and comments recorded: {removals}.",
                logged=int(item.get("questions_logged", 0)),
                answered=int(item.get("questions_answered", 0)),
                removals=int(item.get("removals", 0)),
            )),
        )
    return digest.message(N_("The accounts of this summary have been closed."))


COMPOSERS = {"nudge_monthly": nudge_monthly}
