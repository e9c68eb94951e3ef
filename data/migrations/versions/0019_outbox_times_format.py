"""SQLite: the outbox times a sweep wrote are stored in SQLAlchemy's format

Rows owed in bulk (data.outbox.enqueue_encoded: a sweep's digests) went to SQLite through the
driver with their times as datetimes, which the sqlite3 module stores as
"2027-03-01 17:00:00+00:00", where SQLAlchemy stores and queries "2027-03-01 17:00:00.000000":
a query for the digests owed today (`not_after ==`) never found them. Those times are
rewritten in SQLAlchemy's format. PostgreSQL stores times as times: nothing to do there.

Revision ID: 0019_outbox_times
Revises: 0018_question_times
Create Date: 2026-12-06 03:45:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019_outbox_times'
down_revision: str | Sequence[str] | None = '0018_question_times'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ('created_at', 'next_attempt_at', 'not_after')


def upgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    outbox = sa.table('outbox', *(sa.column(name, sa.String) for name in _COLUMNS))
    for name in _COLUMNS:
        column = outbox.c[name]
        # "HH:MM:SS+00:00" -> "HH:MM:SS.000000"; "HH:MM:SS.ffffff+00:00" -> "HH:MM:SS.ffffff".
        cut = sa.func.substr(column, 1, sa.func.length(column) - 6)
        op.execute(
            outbox.update()
            .where(column.like('%+00:00'))
            .values({name: sa.case((sa.func.instr(column, '.') > 0, cut), else_=cut + '.000000')})
        )


def downgrade() -> None:
    # The rewritten times are what the code before this revision queries for too.
    pass
