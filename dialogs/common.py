"""What the feature modules (duty, questions, archiving, closing, approval) share: the host
they run in, short replies, values carried by buttons, and choosing one of one's accounts."""

from __future__ import annotations

import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from data import access, people, register
from data.errors import Invalid, NotFound
from data.models import Account, AccountStatus, Role, Scope
from data.policy import NudgeConfig
from dialogs.engine import Answer, Ctx, Engine, Progress, Reply, Step
from dialogs.i18n import N_
from dialogs.messages import Block, Choice, Message, Option, Paragraph
from dialogs.naming import account_label

Act = Callable[[Progress | None], Awaitable[tuple[Progress | None, list[Reply]]]]


class Host(Protocol):
    """What a feature needs of the router that runs it (dialogs.router.Brain)."""

    engine: Engine
    nudges: NudgeConfig

    async def dialog_turn(self, ctx: Ctx, act: Act) -> list[Reply]:
        """Run `act` on the person's dialog progress, loaded before and saved after."""
        ...

    async def start_dialog(
        self,
        ctx: Ctx,
        name: str,
        *,
        data: dict[str, Any] | None = None,
        step: str | None = None,
        intro: str = "",
    ) -> list[Reply]:
        """Start dialog `name` (at `step`, with `data`), unless one is in progress."""
        ...


def message(text: str, *blocks: Block, title: str = "") -> Message:
    """A message saying `text`, followed by `blocks`."""
    return Message(text=text, title=title, blocks=(Paragraph(text), *blocks))


def note(text: str, *blocks: Block, ephemeral: bool = False, title: str = "") -> Reply:
    return Reply(message(text, *blocks, title=title), ephemeral=ephemeral)


# The largest id a button may carry: ids are 32-bit integers in the database, and a forged
# value beyond them would fail there instead of being refused.
MAX_ID = 2**31 - 1


def parse_id(value: str) -> int | None:
    """A button's value as an id, or None when it is none (not a number, or out of range)."""
    try:
        found = int(value.strip())
    except ValueError:
        return None
    return found if 0 < found <= MAX_ID else None


def int_value(value: str, code: str) -> int:
    """A button's value as an id; NotFound(code) when it is none."""
    found = parse_id(value)
    if found is None:
        raise NotFound(code)
    return found


def split_value(value: str, code: str) -> tuple[int, str]:
    """`"12:2027-03-01"` as (12, "2027-03-01"); NotFound(code) when it is not that shape."""
    first, _, rest = value.partition(":")
    return int_value(first, code), rest


# --- one's accounts -------------------------------------------------------------------------


async def team_accounts(session: AsyncSession, person_id: int) -> list[Account]:
    """Open accounts whose team the person is on."""
    return [
        account
        for account in await own_accounts(session, person_id)
        if account.id is not None and await access.is_member(session, account.id, person_id)
    ]


async def own_accounts(session: AsyncSession, person_id: int) -> list[Account]:
    """Open accounts the person is on the team of or the manager of."""
    return [
        a
        for a in await register.accounts_of(session, person_id)
        if a.status == AccountStatus.ACTIVE.value
    ]


async def closable_accounts(session: AsyncSession, person_id: int) -> list[Account]:
    """Open accounts the person may close (data.access.may_close decides)."""
    candidates = {a.id: a for a in await own_accounts(session, person_id)}
    if await people.has_role(session, person_id, Role.DIRECTOR.value):
        for account in await register.accounts(session):
            if account.status == AccountStatus.ACTIVE.value and Scope(account.scope).needs_director:
                candidates.setdefault(account.id, account)
    return [
        account
        for _, account in sorted(candidates.items(), key=lambda item: item[0] or 0)
        if await access.may_close(session, account, person_id)
    ]


def pick(accounts: Sequence[Account], token: str) -> Account | None:
    """The account `token` (typed) names: its place in the list (`2`) or its register number
    (`SOME-2027-0001`)."""
    found = _typed([(n, a.number) for n, a in enumerate(accounts)], token)
    return None if found is None else accounts[found]


def _typed(numbered: Sequence[tuple[int, str]], token: str) -> int | None:
    """Which of `numbered` ((key, register number), in the order listed) `token` names: by its
    place in the list, from 1, or by its register number."""
    # Compatibility forms as their plain ones: a phone's full-width "２" or a pasted "²" is 2.
    wanted = unicodedata.normalize("NFKC", token).strip()
    # A place is a few decimal digits: int() refuses some characters isdigit() accepts, and
    # numbers of thousands of digits.
    if wanted.isdecimal() and len(wanted) <= 6 and 1 <= int(wanted) <= len(numbered):
        return numbered[int(wanted) - 1][0]
    return next((key for key, number in numbered if wanted.upper() == number.upper()), None)


def account_choice(action: str, accounts: Sequence[Account], value: str = "") -> Choice:
    return Choice(
        action=action,
        options=tuple(Option(str(a.id), account_label(a)) for a in accounts),
        value=value,
    )


# Where a dialog keeps the accounts it offers: [[id, label], ...].
ACCOUNTS = "_accounts"


def offered(
    accounts: Sequence[Account], label: Callable[[Account], str] = account_label
) -> list[list[Any]]:
    return [[a.id, label(a)] for a in accounts]


class AccountStep(Step):
    """Which of the person's accounts: the ones the dialog offered when it started."""

    def _options(self, progress: Progress) -> list[tuple[int, str]]:
        return [(int(i), str(label)) for i, label in progress.data.get(ACCOUNTS, [])]

    def inputs(self, ctx: Ctx, progress: Progress) -> list[Block]:
        current = progress.data.get(self.name)
        return [
            Choice(
                action=f"dlg:{self.name}:choose",
                options=tuple(Option(str(i), label) for i, label in self._options(progress)),
                selected=(str(current),) if current is not None else (),
            )
        ]

    def hint(self, ctx: Ctx, progress: Progress) -> str:
        return ctx.tr("Click an account, or type its number in the list or in the register.")

    async def accept(self, ctx: Ctx, progress: Progress, answer: Answer) -> Any:
        options = self._options(progress)
        if answer.selected:
            # A click carries the account's id; typed, a number is a place in the list (an id
            # and a place may be the same number for different accounts).
            clicked = answer.selected[0].strip()
            found = next((i for i, _ in options if str(i) == clicked), None)
        else:
            found = _typed([(i, label.partition(" ")[0]) for i, label in options], answer.text)
        if found is None:
            raise Invalid("unknown_choice")
        return found

    def named(self, ctx: Ctx, account: Account) -> str:
        """How the summary names the account chosen."""
        return account_label(account)

    async def show(self, ctx: Ctx, value: Any) -> str:
        account = await register.get_account(ctx.session, int(value))
        return self.named(ctx, account) if account is not None else "?"


def post_account_step() -> AccountStep:
    """Which of one's accounts a post is on (the first question of /consent and /accessible)."""
    return AccountStep(
        "account",
        N_("Account"),
        N_("Which account is the post for?"),
        N_("Pick the account the post is published on."),
    )


# How much of what was typed a refusal names back: its start, however much was typed.
ECHOED = 40

# What a command says when what was typed after it names none of the accounts it may act on.
UNNAMED = N_(
    "None of the accounts you can choose here is numbered {number}. Type the command alone to choose one."
)


async def choose_account(
    ctx: Ctx, accounts: Sequence[Account], args: str, *, unnamed: str = UNNAMED,
    elsewhere: Callable[[str], Awaitable[Account | None]] | None = None,
) -> Account | Reply | None:
    """Which account a command is about, given `args` (what was typed after it): the one of
    `accounts` it names (`pick`), else the one `elsewhere` finds by it; with nothing typed, the
    only one of `accounts`. None: nothing typed and no single account, so ask which (or refuse,
    when there are none). Typed but naming no account: the reply saying so (`unnamed`, a
    catalogue msgid with `{number}`), never another account in its place."""
    typed = args.strip()
    if not typed:
        return accounts[0] if len(accounts) == 1 else None
    chosen = pick(accounts, typed)
    if chosen is None and elsewhere is not None:
        chosen = await elsewhere(typed)
    return chosen if chosen is not None else note(ctx.tr(unnamed, number=typed[:ECHOED]))


async def start_on_account(
    ctx: Ctx, host: Host, args: str, *, name: str, accounts: Sequence[Account], first: str,
    refusal: str, intro: str, label: Callable[[Account], str] = account_label,
    data: dict[str, Any] | None = None,
) -> list[Reply]:
    """Start dialog `name` on one of `accounts` (listed by `label`, the dialog's `data` besides):
    the one `args` names, or the only one, straight at step `first` (or the first after it
    that applies to that account); else at the question which. None: `refusal` (translated)
    instead; `args` naming none of them: says so (choose_account)."""
    if not accounts:
        return [note(refusal)]
    chosen = await choose_account(ctx, accounts, args)
    if isinstance(chosen, Reply):
        return [chosen]
    data = {**(data or {}), ACCOUNTS: offered(accounts, label)}
    if chosen is not None:
        data["account"] = chosen.id
    return await host.start_dialog(
        ctx, name, data=data, step=first if chosen is not None else "account", intro=intro
    )
