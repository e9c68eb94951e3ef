"""Each account's compliance as the dashboard shows it, stored (AccountCompliance), so that
the register filters and sorts by it in SQL and the overview counts it, at any size.

The rule is held once, in data.dashboard_overview (`account_states`): a row is only ever what
that function worked out, stored with how long it holds:

- the domain operations that change an account's check-ins, activity, questions, archivings
  or status mark its row stale in their own transaction (data.compliance_changes);
- time alone changes a state at the next local midnight (the coverage window, due dates,
  inactivity move on) and when an open question passes the answer target: `valid_until`;
- a row worked out with other settings (closure days, targets) is not current either.

`refresh(now)` works out and stores the rows that are not current: the scheduler's ticks call
it, and so may anyone who wants the register fast at once. Readers never trust a row that is
not current: `states` works those out on the spot (without storing them), and the register
falls back to working out every matching account when one of them is not current, so what is
shown is right whatever the refresh did; only the speed depends on it.

Two refreshes, or a refresh and a change, may run at once: a refresh writes a row only if its
`changes` count is still the one it read before working it out, so a change that committed
meanwhile leaves the row stale rather than overwritten with what was true before it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, not_, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import load_only
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import dashboard_overview as overview
from data.chunks import IN_CHUNK, chunks
from data.dashboard_overview import COMPLIANCE_FILTERS, AccountState
from data.models import Account, AccountCompliance, AccountStatus, Question
from data.policy import NudgeConfig, answer_due
from data.sweep_marks import fingerprint
from data.workdays import local_date

ORDER = {name: n for n, name in enumerate(COMPLIANCE_FILTERS)}
# Rows per executemany batch.
WRITE_CHUNK = 1000


def rank_of(flags: tuple[str, ...]) -> str:
    """The register's order by compliance as text that sorts the same way: closed last, then
    by how many flags, then which (data.dashboard_register's in-memory key)."""
    if flags == ("closed",):
        return "1"
    return "0" + str(len(flags)) + "".join(str(ORDER[f]) for f in flags)


def flags_text(flags: tuple[str, ...]) -> str:
    return f",{','.join(flags)}," if flags else ""


def is_current(now: datetime, config: NudgeConfig) -> Any:
    """The condition on AccountCompliance for a row that holds at `now`."""
    row = AccountCompliance
    return and_(
        col(row.stale).is_(False),
        col(row.settings) == fingerprint(config),
        col(row.computed_at) <= now,
        or_(col(row.valid_until).is_(None), col(row.valid_until) > now),
    )


def has_flag(name: str) -> Any:
    """The condition on AccountCompliance for the register's compliance filter `name`."""
    if name == "ok":
        return col(AccountCompliance.flags) == ""
    return col(AccountCompliance.flags).like(f"%,{name},%")


def state_of(row: AccountCompliance) -> AccountState:
    return AccountState(
        account_id=row.account_id,
        flags=tuple(f for f in row.flags.split(",") if f),
        coverage=row.coverage,
        open_questions=row.open_questions,
        late_questions=row.late_questions,
        archive_due=row.archive_due,
        archive_overdue_days=row.archive_overdue_days,
        inactive_since=row.inactive_since,
        last_monitored=row.last_monitored,
    )


async def states(
    session: AsyncSession, now: datetime, config: NudgeConfig, accounts: Sequence[Account]
) -> dict[int, AccountState]:
    """Each account's compliance as of `now`: the stored row where it is current, worked out
    on the spot (not stored: this may be a read-only transaction) where not."""
    ids = [a.id for a in accounts if a.id is not None]
    found: dict[int, AccountState] = {}
    for piece in chunks(ids):
        for row in await session.exec(
            select(AccountCompliance).where(
                col(AccountCompliance.account_id).in_(piece), is_current(now, config)
            )
        ):
            found[row.account_id] = state_of(row)
    rest = [a for a in accounts if a.id is not None and a.id not in found]
    if rest:
        found.update(await overview.account_states(session, now, config, rest))
    return found


async def not_current(
    session: AsyncSession, now: datetime, config: NudgeConfig, matching: Any = None
) -> int:
    """How many accounts (of the `matching` ids subquery, or all) have no current row."""
    statement = (
        select(func.count())
        .select_from(Account)
        .outerjoin(AccountCompliance, col(AccountCompliance.account_id) == col(Account.id))
        .where(or_(col(AccountCompliance.account_id).is_(None), not_(is_current(now, config))))
    )
    if matching is not None:
        statement = statement.where(col(Account.id).in_(matching))
    return (await session.exec(statement)).one()


def next_midnight(now: datetime, config: NudgeConfig) -> datetime:
    """The first moment of the next local day, as an aware UTC moment."""
    tomorrow = local_date(now, config.zone) + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=config.zone).astimezone(now.tzinfo)


@dataclass(frozen=True)
class Worked:
    """Rows worked out (data.compliance_rows.work_out), to be stored (`store`)."""

    # Column values of rows that exist, with the `changes` count read before working them out.
    existing: list[tuple[dict[str, Any], int]]
    # Rows to insert.
    added: list[dict[str, Any]]

    def __len__(self) -> int:
        return len(self.existing) + len(self.added)

    def parts(self, size: int) -> Iterator[Worked]:
        """The rows in parts of at most `size` (the existing ones, then the added), each to be
        stored in a transaction of its own: a row is stored only if still as it was read."""
        yield from (Worked(part, []) for part in chunks(self.existing, size))
        yield from (Worked([], part) for part in chunks(self.added, size))


async def refresh(session: AsyncSession, now: datetime, config: NudgeConfig) -> int:
    """Work out and store, as of `now`, every row that is not current; returns how many. (The
    scheduler works them out in a read-only transaction and stores them in a short one, so
    that SQLite's write lock is not held meanwhile: `work_out`, then `store`.)"""
    worked = await work_out(session, now, config)
    await store(session, worked)
    return len(worked)


async def work_out(session: AsyncSession, now: datetime, config: NudgeConfig) -> Worked:
    """As of `now`, every row that is not current, worked out; nothing is written."""
    row = AccountCompliance
    seen: dict[int, int] = {
        account_id: changes
        for account_id, changes in await session.exec(
            select(row.account_id, row.changes).where(not_(is_current(now, config)))
        )
    }
    # Accounts with no row at all (written around the domain operations, by an import or a
    # benchmark): theirs are inserted. Looked for only when the counts differ: the anti-join
    # is slow on PostgreSQL while the table's statistics are young.
    missing: list[int | None] = []
    accounts_n = (await session.exec(select(func.count()).select_from(Account))).one()
    if accounts_n != (await session.exec(select(func.count()).select_from(row))).one():
        missing = list(
            await session.exec(
                select(Account.id).where(not_(exists(
                    select(row.account_id).where(col(row.account_id) == col(Account.id))
                )))
            )
        )
    ids = sorted({*seen, *(i for i in missing if i is not None)})
    if not ids:
        return Worked([], [])
    slim = select(Account).options(
        # (sqlmodel types the attributes Mapped, load_only wants them instrumented)
        load_only(Account.id, Account.status,  # type: ignore[arg-type]
                  Account.registered_at, Account.closed_at)  # type: ignore[arg-type]
    )
    accounts: list[Account] = []
    if len(ids) > IN_CHUNK:
        # The whole register, narrowed here: no IN list longer than a database allows.
        wanted = set(ids)
        accounts = [a for a in await session.exec(slim) if a.id in wanted]
    else:
        accounts = list(await session.exec(slim.where(col(Account.id).in_(ids))))
    found = await overview.account_states(session, now, config, accounts)

    # When each open account's state next changes with time alone.
    midnight = next_midnight(now, config)
    # The first open question to pass the answer time its account promised (data.policy).
    late_at: dict[int, datetime] = {}
    recent = max(config.question_after, config.question_after_48h, timedelta(days=2))
    for account_id, received_at, promise in await session.exec(
        select(Question.account_id, Question.received_at, Account.response_time)
        .join(Account, col(Account.id) == col(Question.account_id))
        .where(
            col(Question.answered_at).is_(None),
            Question.received_at > now - recent,
        )
    ):
        due = answer_due(received_at, promise, config)
        if due > now and (account_id not in late_at or due < late_at[account_id]):
            late_at[account_id] = due
    settings = fingerprint(config)

    def values(account: Account) -> dict[str, Any]:
        assert account.id is not None
        state = found[account.id]
        is_open = account.status == AccountStatus.ACTIVE.value
        until = min(midnight, late_at.get(account.id, midnight)) if is_open else None
        return {
            "account_id": account.id, "settings": settings, "computed_at": now,
            "valid_until": until, "flags": flags_text(state.flags), "rank": rank_of(state.flags),
            "coverage": state.coverage, "open_questions": state.open_questions,
            "late_questions": state.late_questions, "archive_due": state.archive_due,
            "archive_overdue_days": state.archive_overdue_days,
            "inactive_since": state.inactive_since, "last_monitored": state.last_monitored,
        }

    written = [a for a in accounts if a.id in found]
    return Worked(
        existing=[(values(a), seen[a.id]) for a in written if a.id is not None and a.id in seen],
        added=[values(a) for a in written if a.id not in seen],
    )


async def store(session: AsyncSession, worked: Worked) -> None:
    """Store rows worked out, each only if its `changes` count is still the one read before
    (a change committed meanwhile leaves the row stale: the next refresh works it out)."""
    table = AccountCompliance.__table__  # type: ignore[attr-defined]
    connection = await session.connection()
    if worked.existing:
        columns = [k for k in worked.existing[0][0] if k != "account_id"]
        # Bound names differ from the columns' (SQLAlchemy reserves those for SET).
        change = (
            update(table)
            .where(table.c.account_id == bindparam("b_account_id"),
                   table.c.changes == bindparam("b_changes"))
            .values(stale=False, **{k: bindparam(f"b_{k}") for k in columns})
        )
        for piece in chunks(worked.existing, WRITE_CHUNK):
            await connection.execute(
                change,
                [{**{f"b_{k}": v for k, v in values.items()}, "b_changes": changes}
                 for values, changes in piece],
            )
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    add = insert(table).on_conflict_do_nothing(index_elements=["account_id"])
    for new in chunks(worked.added, WRITE_CHUNK):
        # executemany: one statement compiled, not a VALUES list of thousands of parameters.
        await connection.execute(add, [{**a, "stale": False, "changes": 0} for a in new])
