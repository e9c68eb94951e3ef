"""Secrets outside the database: the sign-in links' key and the sessions' CSRF tokens go

The dashboard's signing key now comes from KONTOBOT_SECRET_KEY or a key file
(bot/secret_key.py), and a session's CSRF token is derived from the session with that key
(data.signin), so the table that held the key and the column that held the tokens are dropped.
Links signed with the old key stop working (they last ten minutes anyway); signed-in sessions
go on, with CSRF tokens derived afresh.

Revision ID: 0004_secrets_outside
Revises: 0006_directory
Create Date: 2026-12-04 22:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0004_secrets_outside'
down_revision: str | Sequence[str] | None = '0006_directory'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table('signing_key')
    with op.batch_alter_table('dashboard_session', schema=None) as batch_op:
        batch_op.drop_column('csrf')


def downgrade() -> None:
    # The old code made a key when it found none, and sessions' tokens cannot be recovered:
    # a downgrade signs everybody out.
    op.execute(sa.text('DELETE FROM dashboard_session'))
    with op.batch_alter_table('dashboard_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('csrf', sqlmodel.AutoString(length=64), nullable=False, server_default=''))
    op.create_table('signing_key',
    sa.Column('name', sqlmodel.AutoString(length=32), nullable=False),
    sa.Column('secret', sqlmodel.AutoString(length=128), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
