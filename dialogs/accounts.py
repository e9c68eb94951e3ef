"""`/accounts`: the person's accounts (the comms office: all of them), each with its
compliance at a glance (data.compliance), a page at a time: the dashboard's register read
model (data.dashboard_register) gives the first ACCOUNTS_SHOWN by number, and the message
says how many more there are and that the dashboard has them all."""

from __future__ import annotations

from data import people
from data.compliance import Compliance, compliance
from data.dashboard import Viewer
from data.dashboard_register import Wanted, register_page
from data.models import AccountStatus, Role
from data.nudge_state import snapshot
from dialogs.common import Host
from dialogs.engine import Ctx
from dialogs.i18n import N_, Translator
from dialogs.messages import Fields, Message, Paragraph
from dialogs.naming import account_name, names

ACCOUNT_STATUS = {"active": N_("active"), "closed": N_("closed")}


# Accounts in one message: enough for a team, few enough for every platform's limits.
ACCOUNTS_SHOWN = 20


async def accounts(ctx: Ctx, host: Host) -> Message:
    assert ctx.person.id is not None
    sees_all = await people.has_role(ctx.session, ctx.person.id, Role.COMMS.value)
    page = await register_page(
        ctx.session, Viewer(ctx.person, sees_all), Wanted(), now=ctx.now, config=host.nudges,
        per_page=ACCOUNTS_SHOWN,
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
    on_duty = await names(
        ctx.session, [c.on_duty for c in glance.values() if c is not None and c.on_duty]
    )
    title = ctx.tr("Accounts in the register") if sees_all else ctx.tr("Your accounts")
    items = []
    for account in found:
        status = ctx.tr(ACCOUNT_STATUS.get(account.status, account.status))
        lines = [f"{account_name(account.platform, account.handle)} · {account.unit} · {status}"]
        seen = glance.get(account.id or 0)
        if seen is not None:
            lines.extend(compliance_lines(ctx.tr, seen, on_duty))
        items.append((account.number, "\n".join(lines)))
    if page.matched <= len(found):
        return Message(text=title, title=title, blocks=(Fields(tuple(items)),))
    more = ctx.tr(
        "These are {shown} of {total} accounts, by number. Type /dashboard for a link to the whole register on the dashboard.",
        shown=len(found), total=page.matched,
    )
    return Message(text=title, title=title, blocks=(Fields(tuple(items)), Paragraph(more)))


def compliance_lines(
    tr: Translator, seen: Compliance, on_duty: dict[int, str]
) -> list[str]:
    """What needs doing first ("All in order" when nothing does), then how things stand."""
    lines = []
    if seen.late_questions:
        lines.append(
            tr("Questions waiting more than 24 hours: {count}", count=seen.late_questions)
        )
    if seen.archive_overdue_days:
        lines.append(tr("Archiving overdue since {due}", due=seen.archive_due.isoformat()))
    if seen.inactive_since is not None:
        lines.append(tr("Looks inactive since {day}", day=seen.inactive_since.isoformat()))
    if not lines:
        lines.append(tr("All in order"))
    if seen.open_questions and not seen.late_questions:
        lines.append(tr("Open questions: {count}", count=seen.open_questions))
    if seen.on_duty is not None:
        name = on_duty.get(seen.on_duty, "?")
        lines.append(
            tr("On duty today: {name} (monitored)", name=name)
            if seen.monitored_today
            else tr("On duty today: {name}", name=name)
        )
    if not seen.archive_overdue_days:
        lines.append(tr("Next archiving due: {due}", due=seen.archive_due.isoformat()))
    return lines
