"""Archiving the profile page in chat (journey 6): `/major-change`, and the buttons
*Archived…* (where it was saved) and *Snooze a week*."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from data import access, archive
from data.archive import LOCATION_TEXT
from data.errors import DomainError, MovedOn
from dialogs.common import (
    Host,
    account_choice,
    choose_account,
    int_value,
    message,
    note,
    parse_id,
    split_value,
    team_accounts,
)
from dialogs.engine import Ctx, Reply
from dialogs.events import Action
from dialogs.i18n import Translator
from dialogs.messages import Actions, Button, Message, TextInput
from dialogs.naming import account_name, names


def location_input(tr: Translator) -> TextInput:
    """The field *Archived…* reads where the screenshot was saved from (a message has one
    text field at most: every platform sends it with whichever button is clicked)."""
    return TextInput(
        action="archive:location",
        label=tr(
            "Where was it saved? Write a folder, a case number or a link, then click Archived…"
        ),
        max_length=LOCATION_TEXT,
    )


def archived_value(account_id: int, period: int) -> str:
    """*Archived…*'s value: `account_id:period`, the period the card asks about
    (data.archive.last_recorded), so that a second click for it records nothing."""
    return f"{account_id}:{period}"


def archived_button(tr: Translator, value: str) -> Button:
    return Button("archive:done", tr("Archived…"), value, style="primary")


async def major_change(ctx: Ctx, host: Host, args: str) -> list[Reply]:
    """`/major-change [SOME-2027-0001]`: the team is asked to archive before the change."""
    assert ctx.person.id is not None
    accounts = await team_accounts(ctx.session, ctx.person.id)
    if not accounts:
        text = ctx.tr(
            "Archiving before a major change is asked for by an account's team, and you are not on the team of any account."
        )
        return [note(text)]
    chosen = await choose_account(ctx, accounts, args)
    if isinstance(chosen, Reply):
        return [chosen]
    if chosen is not None:
        assert chosen.id is not None
        return await _request(ctx, host, chosen.id)
    text = ctx.tr(
        "Which account is about to change? Its team is asked to archive the profile page first."
    )
    return [note(text, account_choice("archive:request", accounts))]


async def request(ctx: Ctx, host: Host, action: Action) -> list[Reply]:
    """The account picked for `/major-change` (`archive:request`)."""
    chosen = action.selected[0] if action.selected else action.value
    return await _request(ctx, host, int_value(chosen, "unknown_account"))


async def _request(ctx: Ctx, host: Host, account_id: int) -> list[Reply]:
    assert ctx.person.id is not None
    await archive.request_archive(
        ctx.session,
        account_id=account_id,
        actor_id=ctx.person.id,
        now=ctx.now,
        zone=host.nudges.zone,
    )
    account = await access.account(ctx.session, account_id)
    text = ctx.tr(
        "The team of {account}, you included, is asked to save a screenshot of the profile page before the change and to say where it was saved.",
        account=account_name(account.platform, account.handle),
    )
    return [note(text)]


def ask_location(tr: Translator, account_name_: str, value: str) -> Message:
    """Where was it saved? With *Archived…* again (`value`: archived_value, the clicked
    card's period)."""
    text = tr(
        "Where did you save the screenshot of the profile page of {account}? Write it below, then click Archived… again.",
        account=account_name_,
    )
    return message(
        text,
        location_input(tr),
        Actions((archived_button(tr, value),)),
    )


async def _period(ctx: Ctx, host: Host, account_id: int, raw: str) -> int:
    """The period the clicked card asked about. A card from before cards named it (value the
    account id alone) is about the archiving asked for now, if any (data.archive.
    period_of_old_card); a value that is neither is refused, rather than recorded at random."""
    if not raw:
        return await archive.period_of_old_card(
            ctx.session,
            account_id,
            now=ctx.now,
            before_days=host.nudges.archive_before_days,
            zone=host.nudges.zone,
        )
    period = parse_id(raw) if raw != "0" else 0
    if period is None:
        raise DomainError("unknown_button")
    return period


@asynccontextmanager
async def _refused_as_recorded(ctx: Ctx) -> AsyncIterator[None]:
    """The domain's MovedOn("archive_recorded") said for people: who recorded the period's
    archiving, when, and where."""
    try:
        yield
    except MovedOn as error:
        if error.code != "archive_recorded":
            raise
        done_by, done_at = error.params.get("done_by"), error.params.get("done_at")
        who = await names(ctx.session, [done_by] if done_by is not None else [])
        raise MovedOn(
            "archive_recorded",
            name=who.get(done_by or 0, "?"),
            when=ctx.tr.when(done_at) if done_at is not None else "?",
            location=str(error.params.get("location", "")),
        ) from None


async def _answered(ctx: Ctx, host: Host, action: Action) -> tuple[int, int]:
    """The account and the period a click on an archiving card is about, once data.archive.
    still_owed says it may still be answered (first whether this person may at all, before
    anything of the account is read)."""
    assert ctx.person.id is not None
    account_id, raw = split_value(action.value, "unknown_account")
    await archive.still_owed(ctx.session, account_id, ctx.person.id, None)
    after = await _period(ctx, host, account_id, raw)
    async with _refused_as_recorded(ctx):
        await archive.still_owed(ctx.session, account_id, ctx.person.id, after)
    return account_id, after


async def done(ctx: Ctx, host: Host, action: Action) -> list[Reply]:
    """*Archived…* (`archive:done`, value `account_id:period`, archived_value; the location
    typed in the message's text field): asks where when nothing was typed. Once the period is
    recorded, another click (another person's copy of the card, a double click, an old card)
    records nothing and says who recorded it."""
    assert ctx.person.id is not None
    account_id, after = await _answered(ctx, host, action)
    account = await access.account(ctx.session, account_id)
    name = account_name(account.platform, account.handle)
    if not action.text.strip():
        return [Reply(ask_location(ctx.tr, name, archived_value(account_id, after)))]
    async with _refused_as_recorded(ctx):
        record = await archive.record_archive(
            ctx.session,
            account_id=account_id,
            actor_id=ctx.person.id,
            location=action.text,
            now=ctx.now,
            zone=host.nudges.zone,
            after=after,
        )
    upcoming = await archive.current(ctx.session, account_id, host.nudges.zone)
    text = ctx.tr(
        "Thanks! The archiving of {account} is recorded (saved at: {location}). The next is due on {due}.",
        account=name,
        location=record.location or "",
        due=upcoming.due.isoformat(),
    )
    return [note(text)]


async def snooze(ctx: Ctx, host: Host, action: Action) -> list[Reply]:
    """*Snooze a week* (`archive:snooze`, value `account_id:period` as *Archived…*'s, or the
    account id alone on older cards): once the period is recorded, nothing is snoozed."""
    assert ctx.person.id is not None
    account_id, after = await _answered(ctx, host, action)
    async with _refused_as_recorded(ctx):
        record = await archive.snooze_archive(
            ctx.session,
            account_id=account_id,
            actor_id=ctx.person.id,
            now=ctx.now,
            zone=host.nudges.zone,
            after=after,
        )
    account = await access.account(ctx.session, account_id)
    text = ctx.tr(
        "The archiving reminders for {account} are paused until {day}.",
        account=account_name(account.platform, account.handle),
        day=record.snoozed_until.isoformat() if record.snoozed_until else "?",
    )
    return [note(text)]
