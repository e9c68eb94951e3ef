"""The monitoring rota in chat: `/duty`, `/away`, and the buttons *Monitored today*,
*I can't today* and *Still active* (journeys 4 and 7), and *Rotate weekly*/*Rotate daily* and
*Put … first*, which change an account's rota."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from data import absence, access, monitoring, register, rota
from data.errors import Invalid
from data.models import Account, CheckInKind, Rotation
from data.policy import NudgeConfig
from data.workdays import holiday_name
from dialogs.common import (
    Host,
    int_value,
    message,
    note,
    own_accounts,
    parse_id,
    split_value,
)
from dialogs.engine import Ctx, Reply
from dialogs.events import Action
from dialogs.i18n import N_, Translator
from dialogs.messages import Actions, Block, Button, Confirm, Context, Fields, Paragraph
from dialogs.naming import account_label, account_name, names

WEEKDAYS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)
ROTATION = {
    Rotation.DAY.value: N_("Duty moves to the next person in the rota every working day."),
    Rotation.WEEK.value: N_("Duty moves to the next person in the rota every week."),
}
# With holiday duty the daily rota moves on the weekday holidays and eves too: "every working
# day" would then be wrong.
DAILY_WITH_HOLIDAY_DUTY = N_(
    "Duty moves to the next person in the rota every weekday, public holidays and eves included."
)
EXAMPLE = "/away 2027-07-01 2027-07-31"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Words people put between the two dates: "2027-07-01 to 2027-07-31", "… – …", "… till …".
_BETWEEN = frozenset({"-", "–", "—", "..", "to", "till", "until", "tom", "t.o.m."})
# And before the first: "from 2027-07-01 to 2027-07-31", "från … till …".
_FROM = frozenset({"from", "från"})


def today(ctx: Ctx, host: Host) -> date:
    return access.today(ctx.now, host.nudges.zone)


def holiday_label(tr: Translator, day: date, why: str) -> str:
    """What makes `day` a holiday duty, in the reader's language: the holiday's name, or
    "a closure day" for one the university configured."""
    if why == "closure":
        return tr("a closure day")
    return holiday_name(day, tr.locale) or why


def holiday_duty_note(tr: Translator, day: date, why: str) -> str:
    return tr(
        "Today is {holiday}: a holiday duty. KI's guidelines ask for the account to be monitored on weekdays, year-round.",
        holiday=holiday_label(tr, day, why),
    )


def rotation_text(tr: Translator, rotation: str, holiday_duty: bool) -> str:
    """How duty moves, true to the setting: daily is every weekday with holiday duty."""
    if rotation == Rotation.WEEK.value:
        return tr(ROTATION[Rotation.WEEK.value])
    return tr(DAILY_WITH_HOLIDAY_DUTY if holiday_duty else ROTATION[Rotation.DAY.value])


def day_label(tr: Translator, day: date) -> str:
    return tr("{weekday} {date}", weekday=tr(WEEKDAYS[day.weekday()]), date=day.isoformat())


async def _account(ctx: Ctx, account_id: int) -> Account:
    return await access.account(ctx.session, account_id)


# --- /duty ----------------------------------------------------------------------------------


# From Friday noon, /duty looks ahead: what people ask then is who takes next week.
NEXT_WEEK_FROM = time(12, 0)


def days_shown(moment: datetime) -> list[date]:
    """The days /duty lists at local `moment`: Monday to Friday of its week; at a weekend the
    next week; on a Friday afternoon that Friday and the whole next week."""
    day = moment.date()
    monday = day - timedelta(days=day.weekday())
    if day.weekday() >= 5:
        monday += timedelta(days=7)
    week = [monday + timedelta(days=n) for n in range(5)]
    if day.weekday() == 4 and moment.time() >= NEXT_WEEK_FROM:
        return [day, *(d + timedelta(days=7) for d in week)]
    return week


async def duty(ctx: Ctx, host: Host) -> list[Reply]:
    """Who is on duty today and this week, for each of the person's open accounts."""
    assert ctx.person.id is not None
    accounts = await own_accounts(ctx.session, ctx.person.id)
    if not accounts:
        return [
            note(
                ctx.tr(
                    "You are not on the team of any account in the register, nor the manager of one."
                )
            )
        ]
    # The rota's days: every weekday when the guidelines' "year-round" is followed.
    calendar, zone = host.nudges.monitoring, host.nudges.zone
    now_day = today(ctx, host)
    shown = days_shown(ctx.now.astimezone(zone))
    title = ctx.tr("Who is on duty")
    blocks: list[Block] = []
    for account in accounts:
        assert account.id is not None
        # Nobody was on duty before the account existed.
        registered = access.today(account.registered_at, zone)
        days = [day for day in shown if day >= registered]
        wanted = sorted({now_day, *days})
        who = await rota.roster(
            ctx.session, account_id=account.id, days=wanted, calendar=calendar, zone=zone
        )
        setting = await rota.rota_of(ctx.session, account.id, zone)
        known = await names(
            ctx.session, {*setting.order, *(p for p in who.values() if p is not None)}
        )
        name = account_label(account)
        person_today = who[now_day]
        if not calendar.is_working_day(now_day):
            headline = ctx.tr("{account}: today is not a working day.", account=name)
        elif person_today is None:
            headline = ctx.tr(
                "{account}: nobody in the team is available today.", account=name
            )
        elif person_today == ctx.person.id:
            headline = ctx.tr("{account}: you are on duty today.", account=name)
        else:
            headline = ctx.tr(
                "{account}: {name} is on duty today.",
                account=name,
                name=known.get(person_today, "?"),
            )
        blocks.append(Paragraph(headline))
        holiday = host.nudges.holiday_duty_on(now_day)
        if holiday is not None and person_today is not None:
            blocks.append(Context(holiday_duty_note(ctx.tr, now_day, holiday)))
        rows = []
        for day in days:
            label = day_label(ctx.tr, day)
            if day == now_day:
                label = ctx.tr("{day} (today)", day=label)
            rows.append((label, _on_duty(ctx, host.nudges, day, who[day], known)))
        if rows:
            blocks.append(Fields(tuple(rows)))
        blocks.append(Context(rotation_text(ctx.tr, setting.rotation, host.nudges.holiday_duty)))
        if person_today == ctx.person.id:
            marked = await monitoring.check_ins(
                ctx.session, account.id, first_day=now_day, last_day=now_day
            )
            if not any(c.kind == CheckInKind.MONITORED.value for c in marked):
                blocks.append(check_in_buttons(ctx.tr, account.id, now_day))
        # Everyone /duty lists an account for is on its team or its manager, who may change
        # its rota; a click is still decided by data.rota.set_rota.
        blocks.append(rota_buttons(ctx.tr, setting, known))
    text = ctx.tr("Who is on duty today and this week for your accounts.")
    return [Reply(message(text, *blocks, title=title))]


def check_in_buttons(tr: Translator, account_id: int, day: date) -> Actions:
    value = f"{account_id}:{day.isoformat()}"
    return Actions(
        (
            Button("duty:monitored", tr("Monitored today"), value, style="primary"),
            Button("duty:cannot", tr("I can't today"), value),
        )
    )


def rota_buttons(tr: Translator, setting: rota.Rota, known: dict[int, str]) -> Actions:
    """*Rotate weekly* or *Rotate daily* (`rota:rotation`, value `account_id:week|day`), and
    *Put … first* (`rota:first`, value `account_id:person_id`) for each but the first in the
    order. `known` names the people in the order."""
    account_id = setting.account_id
    if setting.rotation == Rotation.WEEK.value:
        rotate = Button("rota:rotation", tr("Rotate daily"), f"{account_id}:{Rotation.DAY.value}")
    else:
        rotate = Button("rota:rotation", tr("Rotate weekly"), f"{account_id}:{Rotation.WEEK.value}")
    first = tuple(
        Button(
            "rota:first",
            tr("Put {name} first", name=known.get(person, "?")),
            f"{account_id}:{person}",
        )
        for person in setting.order[1:]
    )
    return Actions((rotate, *first))


# --- /away ----------------------------------------------------------------------------------


def parse_dates(args: str) -> tuple[date, date]:
    """`FROM TO` (or one day) as ISO dates, optionally "from FROM to TO"; Invalid("bad_date",
    text=...) for a word that is no date, Invalid("bad_dates") for the wrong number of them
    and for a range with an end missing ("2027-07-01 to", "from 2027-07-01"): that is no
    one-day absence."""
    tokens = [t for t in re.split(r"\s+|(\.\.|[–—])", args.strip()) if t]
    words = [t.lower() for t in tokens]
    ranged = bool(words) and words[0] in _FROM
    if ranged:
        tokens, words = tokens[1:], words[1:]
    if len(tokens) == 3 and words[1] in _BETWEEN:
        tokens = [tokens[0], tokens[2]]
    elif len(tokens) != 2 and (ranged or len(tokens) != 1):
        raise Invalid("bad_dates", example=EXAMPLE)
    if any(t.lower() in _BETWEEN | _FROM for t in tokens):
        raise Invalid("bad_dates", example=EXAMPLE)
    days = []
    for token in tokens:
        try:
            if not _ISO_DATE.match(token):
                raise ValueError(token)
            days.append(date.fromisoformat(token))
        except ValueError:
            raise Invalid("bad_date", text=token, example=EXAMPLE) from None
    return days[0], days[-1]


async def away(ctx: Ctx, host: Host, args: str) -> list[Reply]:
    assert ctx.person.id is not None
    if not args.strip():
        return [await absences(ctx, host)]
    asked, last = parse_dates(args)
    recorded = await absence.record_absence(
        ctx.session,
        person_id=ctx.person.id,
        actor_id=ctx.person.id,
        first_day=asked,
        last_day=last,
        now=ctx.now,
        zone=host.nudges.zone,
        calendar=host.nudges.monitoring,
        rota_at=host.nudges.rota_at,
    )
    # An absence that began earlier is recorded from today: say so, with the days it has.
    first = recorded.first_day
    if first == last:
        text = ctx.tr("You are recorded as away on {day}. The rota skips you that day.",
                      day=first.isoformat())
    else:
        text = ctx.tr(
            "You are recorded as away from {first} to {last}. The rota skips you on those days.",
            first=first.isoformat(),
            last=last.isoformat(),
        )
    hint = ctx.tr("Type /away to see your absences or to cancel one.")
    if first > asked:
        past = ctx.tr(
            "Days before today are not recorded: who was on duty then stays as it was."
        )
        return [note(text, Context(past), Context(hint))]
    return [note(text, Context(hint))]


async def absences(ctx: Ctx, host: Host) -> Reply:
    """`/away` alone: the person's absences from today on, each with a button to cancel it."""
    assert ctx.person.id is not None
    found = await absence.absences_of(ctx.session, ctx.person.id, from_day=today(ctx, host))
    how = ctx.tr(
        "To record an absence, type /away with the first and the last day, for example {example}.",
        example=EXAMPLE,
    )
    if not found:
        return note(ctx.tr("You have no absences recorded."), Context(how))
    confirm = Confirm(
        title=ctx.tr("Cancel this absence?"),
        text=ctx.tr("The rota will count on you on those days again."),
        yes=ctx.tr("Yes, cancel it"),
        no=ctx.tr("No, keep it"),
    )
    buttons = tuple(
        Button(
            "away:cancel",
            ctx.tr("Cancel {first} – {last}", first=a.first_day.isoformat(),
                   last=a.last_day.isoformat()),
            str(a.id),
            confirm=confirm,
        )
        for a in found
    )
    rows = tuple(
        (ctx.tr("From {first} to {last}", first=a.first_day.isoformat(),
                last=a.last_day.isoformat()), a.note or "")
        for a in found
    )
    text = ctx.tr("You are recorded as away on these days.")
    return note(text, Fields(rows), Actions(buttons), Context(how), title=ctx.tr("Your absences"))


async def cancel_absence(ctx: Ctx, host: Host, action: Action) -> list[Reply]:
    assert ctx.person.id is not None
    absence_id = int_value(action.value, "unknown_absence")
    mine = {a.id: a for a in await absence.absences_of(ctx.session, ctx.person.id)}
    await absence.cancel_absence(
        ctx.session, absence_id=absence_id, actor_id=ctx.person.id, now=ctx.now
    )
    cancelled = mine[absence_id]
    text = ctx.tr(
        "Your absence from {first} to {last} is cancelled.",
        first=cancelled.first_day.isoformat(),
        last=cancelled.last_day.isoformat(),
    )
    return [note(text)]


# --- buttons --------------------------------------------------------------------------------


def _day(raw: str, fallback: date) -> date:
    """The day a check-in button is about (`YYYY-MM-DD`), `fallback` when it names none;
    Invalid("bad_check_in_day") for anything else, rather than another day marked. Whether
    the day may be marked is data.monitoring.check_in's to say."""
    if not raw:
        return fallback
    try:
        if not _ISO_DATE.match(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise Invalid("bad_check_in_day", field="day") from None


async def check_in(ctx: Ctx, host: Host, verb: str, action: Action) -> list[Reply]:
    """*Monitored today* (`duty:monitored`) and *I can't today* (`duty:cannot`); the value is
    `account_id:day`, the day the message was about."""
    assert ctx.person.id is not None
    account_id, raw_day = split_value(action.value, "unknown_account")
    now_day = today(ctx, host)
    day = _day(raw_day, now_day)
    kind = CheckInKind.MONITORED.value if verb == "monitored" else CheckInKind.CANNOT.value
    result = await monitoring.check_in(
        ctx.session,
        account_id=account_id,
        person_id=ctx.person.id,
        day=day,
        kind=kind,
        now=ctx.now,
        calendar=host.nudges.monitoring,
        zone=host.nudges.zone,
    )
    account = await _account(ctx, account_id)
    name = account_name(account.platform, account.handle)
    if kind == CheckInKind.MONITORED.value:
        if day == now_day:
            return [note(ctx.tr("Thanks! {account} is marked as monitored today.", account=name))]
        return [
            note(
                ctx.tr(
                    "Thanks! {account} is marked as monitored on {day}.",
                    account=name,
                    day=day.isoformat(),
                )
            )
        ]
    if day != now_day:
        text = ctx.tr(
            "Noted that you could not monitor {account} on {day}.",
            account=name,
            day=day.isoformat(),
        )
    elif result.was_on_duty != ctx.person.id:
        text = ctx.tr(
            "Noted that you can't monitor {account} today. You were not on duty for it today, so nobody else needs to take over.",
            account=name,
        )
    elif result.now_on_duty is not None:
        known = await names(ctx.session, [result.now_on_duty])
        text = ctx.tr(
            "Noted. {name} is on duty for {account} today instead and has been told.",
            name=known.get(result.now_on_duty, "?"),
            account=name,
        )
    else:
        text = ctx.tr(
            "Noted. Nobody else in the team of {account} is available today, so the manager has been told.",
            account=name,
        )
    return [note(text)]


async def still_active(ctx: Ctx, host: Host, action: Action) -> list[Reply]:
    """*Still active* (`active:yes`, value the account id): activity logged today."""
    assert ctx.person.id is not None
    account_id = int_value(action.value, "unknown_account")
    await monitoring.log_activity(
        ctx.session, account_id=account_id, actor_id=ctx.person.id, now=ctx.now
    )
    account = await register.get_account(ctx.session, account_id)
    assert account is not None
    text = ctx.tr(
        "Thanks! Activity on {account} is logged today, so it counts as active again.",
        account=account_name(account.platform, account.handle),
    )
    return [note(text)]


# --- changing the rota ----------------------------------------------------------------------

async def change_rotation(ctx: Ctx, host: Host, action: Action) -> list[Reply]:
    """*Rotate weekly* / *Rotate daily* (`rota:rotation`, value `account_id:week|day`)."""
    assert ctx.person.id is not None
    account_id, wanted = split_value(action.value, "unknown_account")
    await rota.check_changer(ctx.session, account_id, ctx.person.id)
    before = await rota.rota_of(ctx.session, account_id, host.nudges.zone)
    # An unknown rotation ("month", "") is the domain's to refuse.
    after = await _set(ctx, host, account_id, rotation=wanted)
    if after != before:
        return [await _changed(ctx, host, after)]
    name = await _label(ctx, account_id)
    if wanted == Rotation.WEEK.value:
        text = ctx.tr(
            "Duty on {account} already moves every week, so nothing was changed.", account=name
        )
    elif host.nudges.holiday_duty:
        text = ctx.tr(
            "Duty on {account} already moves every weekday, so nothing was changed.",
            account=name,
        )
    else:
        text = ctx.tr(
            "Duty on {account} already moves every working day, so nothing was changed.",
            account=name,
        )
    return [await _rota_reply(ctx, host, after, text)]


async def put_first(ctx: Ctx, host: Host, action: Action) -> list[Reply]:
    """*Put … first* (`rota:first`, value `account_id:person_id`): the order becomes that
    person, then the others in their current order."""
    assert ctx.person.id is not None
    account_id, raw_person = split_value(action.value, "unknown_account")
    person_id = parse_id(raw_person)
    if person_id is None:
        raise Invalid("order_not_the_team", field="order")
    await rota.check_changer(ctx.session, account_id, ctx.person.id)
    before = await rota.rota_of(ctx.session, account_id, host.nudges.zone)
    # Someone not on the team makes an order that is not the team's: the domain refuses it.
    order = (person_id, *(p for p in before.order if p != person_id))
    after = await _set(ctx, host, account_id, order=order)
    if after != before:
        return [await _changed(ctx, host, after)]
    known = await names(ctx.session, [person_id])
    text = ctx.tr(
        "{name} is already first in the rota of {account}, so nothing was changed.",
        name=known.get(person_id, "?"),
        account=await _label(ctx, account_id),
    )
    return [await _rota_reply(ctx, host, after, text)]


def _on_duty(
    ctx: Ctx, nudges: NudgeConfig, day: date, person: int | None, known: dict[int, str]
) -> str:
    """Who is on duty on `day`, as the rota's tables show it (a holiday duty says so)."""
    if not nudges.monitoring.is_working_day(day):
        return ctx.tr("Not a working day")
    if person is None:
        return ctx.tr("Nobody available")
    holiday = nudges.holiday_duty_on(day)
    if holiday is not None:
        return ctx.tr(
            "{name} (holiday duty: {holiday})",
            name=known.get(person, "?"),
            holiday=holiday_label(ctx.tr, day, holiday),
        )
    return known.get(person, "?")


async def _label(ctx: Ctx, account_id: int) -> str:
    account = await _account(ctx, account_id)
    return account_name(account.platform, account.handle)


async def _set(
    ctx: Ctx,
    host: Host,
    account_id: int,
    *,
    rotation: str | None = None,
    order: tuple[int, ...] | None = None,
) -> rota.Rota:
    """data.rota.set_rota decides whether the person may, tells the team, and changes nothing
    when asked for the rota as it is (a second click, an old message)."""
    assert ctx.person.id is not None
    return await rota.set_rota(
        ctx.session,
        account_id=account_id,
        actor_id=ctx.person.id,
        now=ctx.now,
        rotation=rotation,
        order=order,
        zone=host.nudges.zone,
        only_if_changed=True,
        holiday_duty=host.nudges.holiday_duty,
    )


async def _changed(ctx: Ctx, host: Host, changed: rota.Rota) -> Reply:
    text = ctx.tr(
        "The rota of {account} is changed, and the team has been told. Counting starts again today.",
        account=await _label(ctx, changed.account_id),
    )
    return await _rota_reply(ctx, host, changed, text)


async def _rota_reply(ctx: Ctx, host: Host, setting: rota.Rota, text: str) -> Reply:
    """The account's rota: the order with names, how duty moves, who is on duty today."""
    calendar, zone = host.nudges.monitoring, host.nudges.zone
    now_day = today(ctx, host)
    on_duty = await rota.duty_on(
        ctx.session, account_id=setting.account_id, day=now_day, calendar=calendar, zone=zone
    )
    known = await names(ctx.session, setting.order)
    rows = (
        (ctx.tr("Order of the rota"), ", ".join(known.get(p, "?") for p in setting.order)),
        (ctx.tr("On duty today"), _on_duty(ctx, host.nudges, now_day, on_duty, known)),
    )
    return note(
        text,
        Fields(rows),
        Context(rotation_text(ctx.tr, setting.rotation, host.nudges.holiday_duty)),
        rota_buttons(ctx.tr, setting, known),
        title=ctx.tr("The monitoring rota"),
    )
