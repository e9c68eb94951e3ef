"""Records: case-management marks (registry numbers) and purges

Revision ID: 0014_records
Revises: 0013_expert_moderation
Create Date: 2026-12-05 01:55:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0014_records'
down_revision: str | Sequence[str] | None = '0013_expert_moderation'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('case_mark',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.AutoString(length=32), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=True),
    sa.Column('post', sqlmodel.AutoString(length=1000), nullable=True),
    sa.Column('note', sqlmodel.AutoString(length=1000), nullable=True),
    sa.Column('marked_by', sa.Integer(), nullable=False),
    sa.Column('marked_at', sqlmodel.UTCDateTime(), nullable=False),
    sa.Column('registry_number', sqlmodel.AutoString(length=64), nullable=True),
    sa.Column('registered_by', sa.Integer(), nullable=True),
    sa.Column('registered_at', sqlmodel.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ),
    sa.ForeignKeyConstraint(['marked_by'], ['person.id'], ),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], ),
    sa.ForeignKeyConstraint(['registered_by'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('case_mark', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_mark_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_mark_question_id'), ['question_id'], unique=False)

    op.create_table('purge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=True),
    sa.Column('what', sqlmodel.AutoString(length=1000), nullable=False),
    sa.Column('rule', sqlmodel.AutoString(length=500), nullable=False),
    sa.Column('purged_by', sa.Integer(), nullable=False),
    sa.Column('purged_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sqlmodel.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ),
    sa.ForeignKeyConstraint(['purged_by'], ['person.id'], ),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('purge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purge_account_id'), ['account_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('purge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purge_account_id'))
    op.drop_table('purge')
    with op.batch_alter_table('case_mark', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_mark_question_id'))
        batch_op.drop_index(batch_op.f('ix_case_mark_account_id'))
    op.drop_table('case_mark')
