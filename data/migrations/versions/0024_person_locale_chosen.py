"""A language a person chose: person.locale_chosen

A person's language followed the client they last wrote from. With /language they choose one
(or go back to following their client); while it is chosen, no client changes it. Everyone
known before follows their client, as they did.

Revision ID: 0024_person_locale_chosen
Revises: 0023_account_open_handle_unique
Create Date: 2026-12-07 14:50:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0024_person_locale_chosen'
down_revision: str | Sequence[str] | None = '0023_account_open_handle_unique'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Added in place, not by rebuilding the table (alembic's batch mode on SQLite): every table
# that names a person refers to this one, and SQLite refuses to drop it while they do.
def upgrade() -> None:
    op.add_column(
        'person',
        sa.Column('locale_chosen', sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column('person', 'locale_chosen')
