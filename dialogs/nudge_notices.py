"""The composers of issue 5's nudges and account notices, by outbox kind (dialogs.notices
adds them to its own), and the approval reminders (journey 2, DESIGN.md section 4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from data import requests
from data.models import RequestStatus
from dialogs import account_notices, rota_notices, summary_notices
from dialogs.digest import Composer, Digest, items_of
from dialogs.i18n import N_, Translator
from dialogs.messages import Actions, Button, Context, Message, Paragraph
from dialogs.naming import account_name, names

# --- approvals ------------------------------------------------------------------------------


def _since(tr: Translator, raw: object) -> str:
    try:
        return tr.when(datetime.fromisoformat(str(raw)))
    except ValueError:
        return "?"


async def nudge_approval(
    session: AsyncSession, tr: Translator, params: dict[str, Any], recipient_id: int | None
) -> Message:
    items = items_of(params)
    digest = Digest(tr, tr("Requests waiting for a decision"))
    for item in items:
        request = await requests.get_request(session, int(item["request_id"]))
        if request.status != RequestStatus.PENDING.value or request.approver_id is None:
            continue
        known = await names(session, [request.requester_id, request.approver_id])
        account = account_name(request.platform, request.handle)
        days = int(item.get("working_days") or 0)
        value = f"{request.id}:{request.round}:{request.stage}"
        handover = Button("approval:handover", tr("Hand to another approver"), value)
        if item["why"] == "pending":
            if request.approver_id != recipient_id:
                continue
            text = tr(
                "The request from {name} to open {account} has waited {days} working days for your decision.",
                name=known.get(request.requester_id, "?"),
                account=account,
                days=days,
            )
            digest.add(
                Paragraph(text),
                Context(
                    tr(
                        "It reached you on {when}. The request, with its buttons, is further up in our chat; if you are away, hand it to another approver.",
                        when=_since(tr, item.get("since")),
                    )
                ),
                Actions((handover,)),
            )
        elif request.requester_id == recipient_id:
            text = tr(
                "Your request to open {account} has waited {days} working days for the decision of {name}. If they are away, you can ask another approver to decide instead.",
                account=account,
                days=days,
                name=known.get(request.approver_id, "?"),
            )
            digest.add(Paragraph(text), Actions((handover,)))
    return digest.message(N_("The requests have been decided meanwhile."))


COMPOSERS: dict[str, Composer] = {
    "nudge_rota": rota_notices.nudge_rota,
    "nudge_rota_unmarked": rota_notices.nudge_rota_unmarked,
    "nudge_question": account_notices.nudge_question,
    "nudge_archiving": account_notices.nudge_archiving,
    "nudge_inactivity": account_notices.nudge_inactivity,
    "nudge_approval": nudge_approval,
    **summary_notices.COMPOSERS,
    "rota_changed": rota_notices.rota_changed,
    "duty_handed": rota_notices.duty_handed,
    "nobody_on_duty": rota_notices.nobody_on_duty,
    "archive_requested": account_notices.archive_requested,
    "account_closed": account_notices.account_closed,
}
