"""What a person sees when they open the bot's own view (Slack's Home tab), and approval cards
as a person should see them now (a Teams card refreshed or clicked): composed here once, for
every platform that has such a view."""

from __future__ import annotations

from datetime import datetime

from data import people, requests
from data.db import Store
from data.errors import DomainError
from dialogs import notices
from dialogs.events import Command, Sender
from dialogs.messages import Message
from dialogs.router import Brain


async def home(store: Store, brain: Brain, sender: Sender, now: datetime) -> list[Message]:
    """The person's accounts, the requests waiting for their decision (decidable from there),
    and help."""
    async with store.transaction() as session:
        person = await brain.capture(session, sender, now)
        assert person.id is not None
        accounts = await brain.turn(session, person, Command(sender, "accounts"), now)
        help_ = await brain.turn(session, person, Command(sender, "help"), now)
        tr = brain.translator(person)
        cards = [
            await notices.approval_card(session, tr, {"request_id": request.id}, person.id)
            for request in await requests.pending_for(session, person.id)
        ]
    return [r.message for r in accounts] + cards + [r.message for r in help_]


async def approval_card(
    store: Store, brain: Brain, sender: Sender, request_id: int
) -> Message | None:
    """The approval card of `request_id` as `sender` should see it now. None when there is no
    such card for them: no such request, or one they may not see (data.requests.may_see), as
    the id is whatever the click carried."""
    async with store.transaction() as session:
        person = await people.find_by_identity(session, sender.platform, sender.external_id)
        if person is None or person.id is None:
            return None
        try:
            request = await requests.get_request(session, request_id)
            if not await requests.may_see(session, request, person.id):
                return None
            return await notices.approval_card(
                session, brain.translator(person), {"request_id": request_id}, person.id
            )
        except DomainError:
            return None
