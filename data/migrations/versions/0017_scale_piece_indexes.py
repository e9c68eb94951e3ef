"""Scale: indexes that let a sweep read a piece of the register without scanning the rest

A sweep reads the register 2,000 accounts at a time (data.nudge_state.snapshot_pieces). Its
open questions (answered_at IS NULL AND account_id BETWEEN ...) were found through the
answered_at index alone, and today's check-ins through the day index alone: each piece read
every open question and every check-in of the day in the register, so the sweep grew with
the square of the register. With the account in the index each piece reads its own (the
questions' index covers both queries, received_at included).

Revision ID: 0017_scale_piece_indexes
Revises: 0016_a11y_checks
Create Date: 2026-12-05 21:50:00.000000

"""

from collections.abc import Sequence

from alembic import op

revision: str = '0017_scale_piece_indexes'
down_revision: str | Sequence[str] | None = '0016_a11y_checks'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.create_index(
            'ix_question_open_by_account', ['answered_at', 'account_id', 'received_at'],
            unique=False,
        )
    with op.batch_alter_table('monitoring_check_in', schema=None) as batch_op:
        batch_op.create_index(
            'ix_monitoring_check_in_day_account', ['day', 'account_id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('monitoring_check_in', schema=None) as batch_op:
        batch_op.drop_index('ix_monitoring_check_in_day_account')
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_index('ix_question_open_by_account')
