"""The durable inbox: incoming events stored before they are acknowledged

Revision ID: 0009_inbox
Revises: 0003_dashboard
Create Date: 2026-12-04 23:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0009_inbox'
down_revision: str | Sequence[str] | None = '0003_dashboard'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('inbox_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.AutoString(length=255), nullable=False),
    sa.Column('platform', sqlmodel.AutoString(length=32), nullable=False),
    sa.Column('lane', sqlmodel.AutoString(length=255), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sqlmodel.AutoString(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sqlmodel.UTCDateTime(), nullable=False),
    sa.Column('claimed_by', sqlmodel.AutoString(length=64), nullable=True),
    sa.Column('claimed_until', sqlmodel.UTCDateTime(), nullable=True),
    sa.Column('received_at', sqlmodel.UTCDateTime(), nullable=False),
    sa.Column('done_at', sqlmodel.UTCDateTime(), nullable=True),
    sa.Column('error', sqlmodel.AutoString(length=2000), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('inbox_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbox_event_lane'), ['lane'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbox_event_status'), ['status'], unique=False)
    # The inbox's unique keys recognise repeated deliveries now.
    with op.batch_alter_table('seen_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seen_event_seen_at'))
    op.drop_table('seen_event')


def downgrade() -> None:
    op.create_table('seen_event',
    sa.Column('key', sqlmodel.AutoString(length=255), nullable=False),
    sa.Column('seen_at', sqlmodel.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('seen_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seen_event_seen_at'), ['seen_at'], unique=False)
    with op.batch_alter_table('inbox_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbox_event_status'))
        batch_op.drop_index(batch_op.f('ix_inbox_event_lane'))
    op.drop_table('inbox_event')
