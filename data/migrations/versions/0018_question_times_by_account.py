"""Scale: the questions' account index carries their times, for the monthly summary's counts

On the first working day of a month a sweep counts, piece by piece of the register, the
questions each account logged and answered last month (data.duty_counts). Found through the
account_id index, every question of the piece was read from the table to see its two times;
with both times in the index (account_id, received_at, answered_at) the count reads the index
alone. It replaces the index on account_id alone, of which it is an extension.

Revision ID: 0018_question_times
Revises: 0017_scale_piece_indexes
Create Date: 2026-12-06 00:30:00.000000

"""

from collections.abc import Sequence

from alembic import op

revision: str = '0018_question_times'
down_revision: str | Sequence[str] | None = '0017_scale_piece_indexes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.create_index(
            'ix_question_account_times', ['account_id', 'received_at', 'answered_at'],
            unique=False,
        )
        batch_op.drop_index('ix_question_account_id')


def downgrade() -> None:
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.create_index('ix_question_account_id', ['account_id'], unique=False)
        batch_op.drop_index('ix_question_account_times')
