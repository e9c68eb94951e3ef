"""The inbox's totals kept whole: retention's totals (what it deleted from each table, summed,
so that counts taken from the rows, the inbox's turns on /metrics, do not fall when old rows
are deleted), and the times an operator put a parked event back to run

Revision ID: 0020_inbox_totals
Revises: 0019_outbox_times
Create Date: 2026-12-06 13:45:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0020_inbox_totals'
down_revision: str | Sequence[str] | None = '0019_outbox_times'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('pruned_total',
    sa.Column('subject', sqlmodel.AutoString(length=32), nullable=False),
    sa.Column('deleted', sa.BigInteger(), nullable=False),
    sa.Column('done', sa.BigInteger(), nullable=False),
    sa.Column('attempts', sa.BigInteger(), nullable=False),
    sa.Column('parked', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('subject')
    )
    with op.batch_alter_table('inbox_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retries', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('inbox_event', schema=None) as batch_op:
        batch_op.drop_column('retries')
    op.drop_table('pruned_total')
