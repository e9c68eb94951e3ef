"""Consent and credit: consent records of posts with identifiable people

Revision ID: 0015_consent
Revises: 0012_compliance_rows
Create Date: 2026-12-05 02:45:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0015_consent'
down_revision: str | Sequence[str] | None = '0012_compliance_rows'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('consent_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('post', sqlmodel.AutoString(length=1000), nullable=False),
    sa.Column('people', sqlmodel.AutoString(length=1000), nullable=False),
    sa.Column('method', sqlmodel.AutoString(length=16), nullable=False),
    sa.Column('kept_at', sqlmodel.AutoString(length=1000), nullable=False),
    sa.Column('creator', sqlmodel.AutoString(length=200), nullable=False),
    sa.Column('creator_credited', sa.Boolean(), nullable=False),
    sa.Column('creator_consented', sa.Boolean(), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sqlmodel.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ),
    sa.ForeignKeyConstraint(['recorded_by'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('consent_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_record_account_id'), ['account_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('consent_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_record_account_id'))
    op.drop_table('consent_record')
