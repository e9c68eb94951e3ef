"""Retention's totals: what it deleted from each table, summed, so that counts taken from the
rows (the inbox's turns on /metrics) do not fall when old rows are deleted

Revision ID: 0020_pruned_totals
Revises: 0019_outbox_times
Create Date: 2026-12-06 13:45:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0020_pruned_totals'
down_revision: str | Sequence[str] | None = '0019_outbox_times'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('pruned_total',
    sa.Column('subject', sqlmodel.AutoString(length=32), nullable=False),
    sa.Column('deleted', sa.BigInteger(), nullable=False),
    sa.Column('attempts', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('subject')
    )


def downgrade() -> None:
    op.drop_table('pruned_total')
