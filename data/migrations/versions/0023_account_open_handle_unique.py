"""Integrity: one open account per handle and platform, held by the database

The register refuses a handle an open account has (compared without regard to case) and locks
it while a request is submitted or approved (data.register). A partial unique index on the
platform and the lower-cased handle of the open accounts holds the same rule in the database,
so that nothing writing past the domain operations can register one twice. A database that
already holds two open accounts with one handle (possible on PostgreSQL before the lock came)
is refused with their numbers, for an operator to close one, rather than upgraded without it.

Revision ID: 0023_account_open_handle_unique
Revises: 0022_outbox_approval_cards
Create Date: 2026-12-07 09:10:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0023_account_open_handle_unique'
down_revision: str | Sequence[str] | None = '0022_outbox_approval_cards'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = sa.text("status = 'active'")


def upgrade() -> None:
    twice = op.get_bind().execute(sa.text(
        "SELECT platform, lower(handle), min(number), max(number) FROM account "
        "WHERE status = 'active' GROUP BY platform, lower(handle) HAVING count(*) > 1 "
        "ORDER BY platform, lower(handle)"
    )).all()
    if twice:
        found = "; ".join(f"{platform} {handle}: {first}, {last}"
                          for platform, handle, first, last in twice)
        raise RuntimeError(
            "open accounts share a handle (close all but one of each, then upgrade again): "
            + found
        )
    op.create_index(
        'ux_account_open_handle', 'account', ['platform', sa.text('lower(handle)')], unique=True,
        sqlite_where=_OPEN, postgresql_where=_OPEN,
    )


def downgrade() -> None:
    op.drop_index('ux_account_open_handle', table_name='account')
