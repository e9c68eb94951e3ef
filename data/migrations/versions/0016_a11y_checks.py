"""Accessible posts: the accessibility checklist run on a post

Revision ID: 0016_a11y_checks
Revises: 0015_consent
Create Date: 2026-12-05 21:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0016_a11y_checks'
down_revision: str | Sequence[str] | None = '0015_consent'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ITEMS = ('alt_text', 'captions', 'plain_language', 'link_text', 'hashtags', 'emoji')


def upgrade() -> None:
    op.create_table('accessibility_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('post', sqlmodel.AutoString(length=500), nullable=False),
    *[sa.Column(item, sqlmodel.AutoString(length=16), nullable=False) for item in ITEMS],
    sa.Column('checked_by', sa.Integer(), nullable=False),
    sa.Column('checked_at', sqlmodel.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ),
    sa.ForeignKeyConstraint(['checked_by'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('accessibility_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accessibility_check_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_accessibility_check_checked_at'), ['checked_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('accessibility_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accessibility_check_checked_at'))
        batch_op.drop_index(batch_op.f('ix_accessibility_check_account_id'))
    op.drop_table('accessibility_check')
