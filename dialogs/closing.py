"""`/close-account` and *Close the account* (journey 7): which account, where its final
archive is saved, why it closes, and a last confirmation. Closing tells the Registry Office
and the Communications Office and takes the account off the rota (data.closure does both)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from data import access, closure
from data.closure import LOCATION_TEXT, REASON_TEXT
from data.errors import MovedOn, NotAllowed
from data.models import Account
from dialogs.common import (
    ACCOUNTS,
    AccountStep,
    Host,
    choose_account,
    closable_accounts,
    int_value,
    note,
    offered,
)
from dialogs.engine import Ctx, Dialog, Progress, Reply, TextStep
from dialogs.events import Action
from dialogs.explain import explain
from dialogs.i18n import N_
from dialogs.naming import account_name

NAME = "close_account"


class CloseAccount(Dialog):
    name = NAME
    title = N_("Close an account")
    summary_text = N_(
        "Check before the account is closed. Close it, edit a field, or cancel."
    )
    summary_help = N_(
        "Close the account tells the Registry Office and the Communications Office and takes the account off the rota; Edit a field changes one answer; Cancel keeps the account open."
    )
    submit_label = N_("Close the account")
    use_buttons = N_("Please use the buttons: Close the account, Edit a field or Cancel.")
    cancel_title = N_("Stop closing the account?")
    cancel_text = N_("Your answers will be thrown away and nothing is changed.")
    submit_confirm = (
        N_("Close the account?"),
        N_(
            "The Registry Office and the Communications Office are told, and the account leaves the rota. This can't be undone in chat."
        ),
        N_("Yes, close it"),
    )

    def __init__(self) -> None:
        self.steps = [
            AccountStep(
                "account",
                N_("Account"),
                N_("Which account do you want to close?"),
                N_(
                    "Accounts that are no longer active must be closed. You can close the accounts you are on the team of or the manager of."
                ),
            ),
            TextStep(
                "location",
                N_("Final archive"),
                N_(
                    "Where is the final archive of the account saved? Give the folder, case number or link."
                ),
                N_(
                    "Before closing, save the account's content and a screenshot of the profile page as KI's records-management plan says: posts and comments are public documents."
                ),
                maximum=LOCATION_TEXT,
            ),
            TextStep(
                "reason",
                N_("Reason"),
                N_("Why is the account being closed?"),
                N_(
                    "For example: the project has ended, or the account is no longer monitored. The Registry Office and the Communications Office see the reason."
                ),
                maximum=REASON_TEXT,
            ),
        ]

    async def submit(self, ctx: Ctx, progress: Progress) -> list[Reply]:
        assert ctx.person.id is not None
        account_id = int(progress.data["account"])
        account = await access.account(ctx.session, account_id)
        try:
            async with ctx.session.begin_nested():
                await closure.close_account(
                    ctx.session,
                    account_id=account_id,
                    actor_id=ctx.person.id,
                    reason=str(progress.data["reason"]),
                    final_archive_location=str(progress.data["location"]),
                    now=ctx.now,
                )
        except (MovedOn, NotAllowed) as error:
            return [note(explain(ctx.tr, error))]
        text = ctx.tr(
            "{account} ({number}) is closed. The Registry Office and the Communications Office have been told, and the account has left the rota.",
            account=account_name(account.platform, account.handle),
            number=account.number,
        )
        return [note(text)]

    async def cancelled(self, ctx: Ctx, progress: Progress) -> list[Reply]:
        return [note(ctx.tr("Cancelled. The account stays open."))]


async def start(ctx: Ctx, host: Host, args: str) -> list[Reply]:
    """`/close-account [SOME-2027-0001]`."""
    assert ctx.person.id is not None
    accounts = await closable_accounts(ctx.session, ctx.person.id)
    if not accounts:
        return [note(ctx.tr("You have no open accounts that you may close."))]
    chosen = await choose_account(ctx, accounts, args)
    if isinstance(chosen, Reply):
        return [chosen]
    return await _start(ctx, host, accounts, chosen.id if chosen is not None else None)


async def _start(
    ctx: Ctx, host: Host, accounts: Sequence[Account], account_id: int | None
) -> list[Reply]:
    data: dict[str, Any] = {ACCOUNTS: offered(accounts)}
    if account_id is not None:
        data["account"] = account_id
    intro = ctx.tr("Let's close an account. I'll ask a few things, then you confirm.")
    return await host.start_dialog(
        ctx,
        NAME,
        data=data,
        step="location" if account_id is not None else "account",
        intro=intro,
    )


async def from_button(ctx: Ctx, host: Host, action: Action) -> list[Reply]:
    """*Close the account* (`close:start`, value the account id) on an inactivity nudge."""
    assert ctx.person.id is not None
    account_id = int_value(action.value, "unknown_account")
    account = await access.active_account(ctx.session, account_id)
    if not await access.may_close(ctx.session, account, ctx.person.id):
        raise NotAllowed("may_not_close")
    accounts = await closable_accounts(ctx.session, ctx.person.id)
    return await _start(ctx, host, accounts, account_id)
