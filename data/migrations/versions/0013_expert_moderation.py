"""Questions with an expert and the moderation log (issue 14)

Revision ID: 0013_expert_moderation
Revises: 0008_scale
Create Date: 2026-12-05 01:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0013_expert_moderation'
down_revision: str | Sequence[str] | None = '0008_scale'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('question_referral',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.AutoString(length=16), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('referred_by', sa.Integer(), nullable=False),
    sa.Column('note', sqlmodel.AutoString(length=1000), nullable=True),
    sa.Column('referred_at', sqlmodel.UTCDateTime(), nullable=False),
    sa.Column('due_at', sqlmodel.UTCDateTime(), nullable=False),
    sa.Column('status', sqlmodel.AutoString(length=16), nullable=False),
    sa.Column('suggestion', sqlmodel.AutoString(length=4000), nullable=True),
    sa.Column('responded_at', sqlmodel.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ),
    sa.ForeignKeyConstraint(['expert_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], ),
    sa.ForeignKeyConstraint(['referred_by'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('question_referral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_referral_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_referral_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_referral_expert_id'), ['expert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_referral_question_id'), ['question_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_referral_status'), ['status'], unique=False)

    op.create_table('moderation_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('content', sqlmodel.AutoString(length=2000), nullable=False),
    sa.Column('category', sqlmodel.AutoString(length=16), nullable=False),
    sa.Column('reason', sqlmodel.AutoString(length=1000), nullable=False),
    sa.Column('removed_at', sqlmodel.UTCDateTime(), nullable=False),
    sa.Column('removed_by', sa.Integer(), nullable=False),
    sa.Column('evidence', sqlmodel.AutoString(length=1000), nullable=False),
    sa.Column('recorded_at', sqlmodel.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ),
    sa.ForeignKeyConstraint(['removed_by'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('moderation_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_moderation_entry_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_moderation_entry_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_moderation_entry_removed_at'), ['removed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('moderation_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_moderation_entry_removed_at'))
        batch_op.drop_index(batch_op.f('ix_moderation_entry_category'))
        batch_op.drop_index(batch_op.f('ix_moderation_entry_account_id'))
    op.drop_table('moderation_entry')
    with op.batch_alter_table('question_referral', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_referral_status'))
        batch_op.drop_index(batch_op.f('ix_question_referral_question_id'))
        batch_op.drop_index(batch_op.f('ix_question_referral_expert_id'))
        batch_op.drop_index(batch_op.f('ix_question_referral_due_at'))
        batch_op.drop_index(batch_op.f('ix_question_referral_account_id'))
    op.drop_table('question_referral')
