"""Scale: the approval cards indexed apart from the rest of the outbox

A decision rewrites every approval card of its request, found by their keys' common prefix
("approval_card:{request}:"), and the retention keeps the web chat's copies of those still
waiting. A LIKE on the key read every key of the outbox (SQLite's LIKE ignores case; PostgreSQL's
wants the "C" collation), which holds millions of digests and replies at scale. A partial
index holds the cards alone (a few a request), sought by prefix: on SQLite as a range of keys,
on PostgreSQL by text_pattern_ops, whatever the database's collation.

Revision ID: 0022_outbox_approval_cards
Revises: 0021_web_message_ids_once
Create Date: 2026-12-07 05:40:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0022_outbox_approval_cards'
down_revision: str | Sequence[str] | None = '0021_web_message_ids_once'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CARDS = sa.text("kind = 'approval_card'")


def upgrade() -> None:
    op.create_index(
        'ix_outbox_approval_cards', 'outbox', ['key'], unique=False,
        sqlite_where=_CARDS, postgresql_where=_CARDS, postgresql_ops={'key': 'text_pattern_ops'},
    )


def downgrade() -> None:
    op.drop_index('ix_outbox_approval_cards', table_name='outbox')
