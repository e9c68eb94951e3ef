"""A web chat message's id is never handed out twice: AUTOINCREMENT on SQLite (PostgreSQL's
sequence never gives an id twice), since the outbox names a card's message by its id when a
decision rewrites it, also after the retention deleted the newest messages

Revision ID: 0021_web_message_ids_once
Revises: 0020_inbox_totals
Create Date: 2026-12-07 01:00:00.000000

"""

from collections.abc import Sequence

from alembic import op

revision: str = '0021_web_message_ids_once'
down_revision: str | Sequence[str] | None = '0020_inbox_totals'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # SQLite cannot alter a key: the table is copied into a new one (ids kept).
    with op.batch_alter_table(
        'web_message', recreate='always', table_kwargs={'sqlite_autoincrement': autoincrement}
    ):
        pass


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
