"""Hand-overs of an account to a new manager

Revision ID: 0007_account_people
Revises: 0009_inbox
Create Date: 2026-12-04 22:40:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0007_account_people'
down_revision: str | Sequence[str] | None = '0009_inbox'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('manager_handover',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('from_manager_id', sa.Integer(), nullable=False),
    sa.Column('to_person_id', sa.Integer(), nullable=False),
    sa.Column('proposed_by', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.AutoString(length=16), nullable=False),
    sa.Column('proposed_at', sqlmodel.UTCDateTime(), nullable=False),
    sa.Column('decided_at', sqlmodel.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ),
    sa.ForeignKeyConstraint(['from_manager_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['proposed_by'], ['person.id'], ),
    sa.ForeignKeyConstraint(['to_person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('manager_handover', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_manager_handover_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_manager_handover_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_manager_handover_to_person_id'), ['to_person_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('manager_handover', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_manager_handover_to_person_id'))
        batch_op.drop_index(batch_op.f('ix_manager_handover_status'))
        batch_op.drop_index(batch_op.f('ix_manager_handover_account_id'))

    op.drop_table('manager_handover')
