"""Reminders due once are owed late rather than never: rule_day

The rules of the nudges that owe a reminder on one day only (the requester's at five working
days, the monthly summary, the inactivity escalation, archiving's reminders) looked at that day
alone, so a working day with the server down lost them for good. The last day each rule ran
awake is kept, and a rule owes what fell due since (data.policy.owed_from). A database upgraded
has no such day yet: its rules look at today, as before.

Revision ID: 0025_rule_day
Revises: 0024_person_locale_chosen
Create Date: 2026-12-07 15:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0025_rule_day'
down_revision: str | Sequence[str] | None = '0024_person_locale_chosen'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'rule_day',
        sa.Column('kind', sqlmodel.AutoString(length=64), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('swept_at', sqlmodel.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('kind'),
    )


def downgrade() -> None:
    op.drop_table('rule_day')
