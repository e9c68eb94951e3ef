"""`/accounts`: the person's accounts (the comms office: all of them), each with its
compliance at a glance, a page at a time: the dashboard's register read model
(data.dashboard_register) gives ACCOUNTS_SHOWN by number per page, with what needs doing as
the dashboard flags it, with Previous / Next buttons and one for the dashboard, which has them
all; who is on duty and who monitored today come from data.compliance."""

from __future__ import annotations

from data import people
from data.compliance import Compliance, compliance
from data.dashboard import Viewer
from data.dashboard_overview import COVERAGE_TARGET, RECENT_WORKING_DAYS, AccountState
from data.dashboard_register import Wanted, register_page
from data.models import AccountStatus, Role
from data.nudge_state import snapshot
from dialogs.common import Host, int_value
from dialogs.engine import Ctx, Reply
from dialogs.events import Action
from dialogs.i18n import N_, Translator
from dialogs.messages import Actions, Button, Fields, Message, Paragraph
from dialogs.naming import account_name, names

ACCOUNT_STATUS = {"active": N_("active"), "closed": N_("closed")}


# Accounts in one message: enough for a team, and a page the Communications Office can read
# in chat (the dashboard has the whole register).
ACCOUNTS_SHOWN = 10


async def turn_page(ctx: Ctx, host: Host, action: Action) -> list[Reply]:
    """`accounts:page` (Previous / Next): the page the button carries, in place of the page
    clicked on."""
    page = await accounts(ctx, host, int_value(action.value, "unknown_button"))
    return [Reply(page, in_place=True, or_new=True)]


async def accounts(ctx: Ctx, host: Host, number: int = 1) -> Message:
    assert ctx.person.id is not None
    sees_all = await people.has_role(ctx.session, ctx.person.id, Role.COMMS.value)
    page = await register_page(
        ctx.session, Viewer(ctx.person, sees_all), Wanted(page=number), now=ctx.now,
        config=host.nudges, per_page=ACCOUNTS_SHOWN,
    )
    found = [row.account for row in page.rows]
    if not found:
        text = ctx.tr(
            "You have no accounts in the register yet. Type /open-account to request one."
        )
        return Message(text=text, blocks=(Paragraph(text),))
    open_ids = [a.id for a in found if a.id is not None and a.status == AccountStatus.ACTIVE.value]
    state = await snapshot(ctx.session, ctx.now, host.nudges, open_ids)
    glance = {i: compliance(state, i, host.nudges) for i in open_ids}
    known = await names(
        ctx.session,
        [p for c in glance.values() if c is not None for p in (c.on_duty, c.monitored_by) if p],
    )
    title = ctx.tr("Accounts in the register") if sees_all else ctx.tr("Your accounts")
    items = []
    for row in page.rows:
        account = row.account
        status = ctx.tr(ACCOUNT_STATUS.get(account.status, account.status))
        lines = [f"{account_name(account.platform, account.handle)} · {account.unit} · {status}"]
        seen = glance.get(account.id or 0)
        if seen is not None and row.state is not None:
            lines.extend(compliance_lines(ctx.tr, row.state, seen, known))
        items.append((account.number, "\n".join(lines)))
    if page.pages <= 1:
        return Message(text=title, title=title, blocks=(Fields(tuple(items)),))
    first = (page.page - 1) * ACCOUNTS_SHOWN + 1
    more = ctx.tr(
        "Accounts {first}–{last} of {total}, by number. The dashboard has the whole register, with filters.",
        first=first, last=first + len(found) - 1, total=page.matched,
    )
    buttons = []
    if page.page > 1:
        buttons.append(Button("accounts:page", ctx.tr("Previous"), str(page.page - 1)))
    if page.page < page.pages:
        buttons.append(Button("accounts:page", ctx.tr("Next"), str(page.page + 1)))
    buttons.append(Button("cmd:dashboard", ctx.tr("Open the dashboard"), style="primary"))
    return Message(
        text=title,
        title=title,
        blocks=(Fields(tuple(items)), Paragraph(more), Actions(tuple(buttons))),
    )


def compliance_lines(
    tr: Translator, state: AccountState, seen: Compliance, known: dict[int, str]
) -> list[str]:
    """What needs doing first, as the dashboard flags it (`state`, the register's read model:
    "All in order" exactly when the dashboard says OK), then how things stand today (`seen`:
    who is on duty, who monitored)."""
    flags = state.flags
    lines = []
    if "questions_late" in flags:
        lines.append(
            tr("Questions not answered in the promised time: {count}", count=state.late_questions)
        )
    if "archive_overdue" in flags and state.archive_due is not None:
        lines.append(tr("Archiving overdue since {due}", due=state.archive_due.isoformat()))
    if "inactive" in flags and state.inactive_since is not None:
        lines.append(tr("Looks inactive since {day}", day=state.inactive_since.isoformat()))
    if "monitoring_gap" in flags:
        lines.append(tr(
            "Monitoring gap: {percent}% of the days owed lately were monitored; at least {target}%, and one of the last {recent}, are expected.",
            percent=round((state.coverage or 0) * 100), target=round(COVERAGE_TARGET * 100),
            recent=RECENT_WORKING_DAYS,
        ))
    next_due = tr("Next archiving due: {due}", due=seen.archive_due.isoformat())
    due_soon = "archive_due" in flags
    if due_soon:
        lines.append(next_due)
    if not lines:
        lines.append(tr("All in order"))
    if seen.open_questions and not seen.late_questions:
        lines.append(tr("Open questions: {count}", count=seen.open_questions))
    if seen.on_duty is not None:
        name = known.get(seen.on_duty, "?")
        if seen.monitored_by is None:
            lines.append(tr("On duty today: {name}", name=name))
        elif seen.monitored_by == seen.on_duty:
            lines.append(tr("On duty today: {name} (monitored)", name=name))
        else:
            lines.append(tr(
                "On duty today: {name} (monitored by {other})",
                name=name, other=known.get(seen.monitored_by, "?"),
            ))
    elif seen.monitored_by is not None:
        lines.append(tr("Monitored today by {name}", name=known.get(seen.monitored_by, "?")))
    if not seen.archive_overdue_days and not due_soon:
        lines.append(next_due)
    return lines
