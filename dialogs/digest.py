"""What the composers of the nudges and account notices share (dialogs.rota_notices,
dialogs.account_notices, dialogs.nudge_notices): the digest a nudge row becomes, and reading
its items.

A nudge row is a digest (scheduler/nudge_rules.py): params {"day", "items": [...]}, one item per
account (or request) with its `why`. Each item becomes a few blocks with its own buttons; the
state is read as it is at delivery, so an item already dealt with (a question answered, an
account closed, a request decided) is left out. Text a person typed (questions, reasons,
locations) is shown as plain text, never as part of a catalogue string's markup.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from data import access, register
from data.models import Account, AccountStatus
from dialogs.archiving import location_input
from dialogs.i18n import Translator
from dialogs.messages import Actions, Block, Context, Message, Paragraph
from dialogs.naming import account_name

Composer = Callable[[AsyncSession, Translator, dict[str, Any], int | None], Awaitable[Message]]

# A digest shows this many accounts (or requests) at most, and says how many more wait.
MAX_ITEMS = 12


@dataclass
class Digest:
    """The blocks of one message, item by item."""

    tr: Translator
    title: str
    blocks: list[Block] = field(default_factory=list)
    items: int = 0
    left_out: int = 0
    # Whether an item offers *Archived…*: the message then gets its one text field (every
    # platform sends a message's text field with whichever of its buttons is clicked).
    wants_location: bool = False

    def add(self, *blocks: Block) -> None:
        if self.items >= MAX_ITEMS:
            self.left_out += 1
            return
        self.items += 1
        self.blocks.extend(blocks)

    def message(self, nothing_left: str) -> Message:
        if not self.items:
            text = self.tr(nothing_left)
            return Message(text=text, title=self.title, blocks=(Paragraph(text),))
        blocks = list(self.blocks)
        if self.left_out:
            blocks.append(
                Context(self.tr("{count} more are waiting as well.", count=self.left_out))
            )
        if self.wants_location:
            # Above the first *Archived…*: written first, then the account's button clicked.
            first = next(
                i for i, b in enumerate(blocks)
                if isinstance(b, Actions) and any(x.action == "archive:done" for x in b.buttons)
            )
            blocks.insert(first, location_input(self.tr))
        text = " ".join(b.text for b in blocks if isinstance(b, Paragraph))
        return Message(text=text or self.title, title=self.title, blocks=tuple(blocks))


def items_of(params: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(item) for item in params.get("items", [])]


def day_of(params: dict[str, Any], item: dict[str, Any] | None = None) -> date:
    raw = (item or {}).get("day") or params.get("day")
    return date.fromisoformat(str(raw))


async def open_accounts(session: AsyncSession, items: Sequence[dict[str, Any]]) -> dict[int, Account]:
    """The items' accounts that are still open."""
    found: dict[int, Account] = {}
    for account_id in dict.fromkeys(int(i["account_id"]) for i in items if i.get("account_id")):
        account = await register.get_account(session, account_id)
        if account is not None and account.status == AccountStatus.ACTIVE.value:
            found[account_id] = account
    return found


def name_of(account: Account) -> str:
    return account_name(account.platform, account.handle)


def label_of(account: Account) -> str:
    return f"{name_of(account)} ({account.number})"


async def is_member(session: AsyncSession, account_id: int, person_id: int | None) -> bool:
    return person_id is not None and await access.is_member(session, account_id, person_id)
