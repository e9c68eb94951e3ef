"""One person per human

Each role holder now records which platform's settings named them (role_assignment.source),
and the people made before identities were linked by e-mail are merged: every person with a
Slack or Teams identity and the same work e-mail (compared normalised) becomes the person who
was known first, with an audit event per merge. The web chat's identities are not linked.

The merging is data.identity's (reading the schema from the database as it is here), the same
code the application merges with, so that no column naming a person is missed.

Revision ID: 0005_one_person_per_human
Revises: 0007_account_people
Create Date: 2026-12-04 22:30:00

"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

from data.identity import (
    UNVERIFIED_EMAIL_PLATFORMS,
    move_person_rows,
    normalise_email,
    reflected_person_columns,
)

revision: str = '0005_one_person_per_human'
down_revision: str | Sequence[str] | None = '0007_account_people'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

person = sa.table(
    'person',
    sa.column('id', sa.Integer),
    sa.column('display_name', sa.String),
    sa.column('email', sa.String),
    sa.column('locale', sa.String),
)
identity = sa.table(
    'chat_identity', sa.column('person_id', sa.Integer), sa.column('platform', sa.String)
)
audit_event = sa.table(
    'audit_event',
    sa.column('at', sqlmodel.UTCDateTime()),
    sa.column('actor_id', sa.Integer),
    sa.column('action', sa.String),
    sa.column('subject', sa.String),
    sa.column('details', sa.JSON),
)


def _roles_with_source() -> None:
    op.create_table(
        'role_assignment_new',
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('role', sqlmodel.AutoString(length=32), nullable=False),
        sa.Column('source', sqlmodel.AutoString(length=16), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
        sa.PrimaryKeyConstraint('person_id', 'role', 'source'),
    )
    # Until now each person had one identity, so the platform that named them is its platform.
    op.execute(
        "INSERT INTO role_assignment_new (person_id, role, source) "
        "SELECT r.person_id, r.role, coalesce(min(i.platform), 'web') "
        "FROM role_assignment r LEFT JOIN chat_identity i ON i.person_id = r.person_id "
        "GROUP BY r.person_id, r.role"
    )
    op.drop_table('role_assignment')
    op.rename_table('role_assignment_new', 'role_assignment')


def _merge_duplicates() -> None:
    connection = op.get_bind()
    for person_id, email in connection.execute(sa.select(person.c.id, person.c.email)).all():
        normal = normalise_email(email)
        if normal is not None and normal != email:
            connection.execute(
                sa.update(person).where(person.c.id == person_id).values(email=normal)
            )
    vouched = sa.select(identity.c.person_id).where(
        identity.c.platform.not_in(sorted(UNVERIFIED_EMAIL_PLATFORMS))
    )
    groups: dict[str, list[tuple[int, str, str | None]]] = {}
    for person_id, email, name, locale in connection.execute(
        sa.select(person.c.id, person.c.email, person.c.display_name, person.c.locale)
        .where(person.c.email.is_not(None), person.c.id.in_(vouched))
        .order_by(person.c.id)
    ).all():
        groups.setdefault(email, []).append((person_id, name, locale))
    columns = reflected_person_columns(connection)
    now = datetime.now(UTC)
    for (survivor, _, locale), *others in (g for g in groups.values() if len(g) > 1):
        for merged, name, merged_locale in others:
            if locale is None and merged_locale is not None:
                locale = merged_locale
                connection.execute(
                    sa.update(person).where(person.c.id == survivor).values(locale=locale)
                )
            moved = move_person_rows(
                connection, survivor=survivor, merged=merged, columns=columns
            )
            connection.execute(
                sa.insert(audit_event).values(
                    at=now,
                    actor_id=None,
                    action='person.merged',
                    subject=f'person:{survivor}',
                    details={
                        'merged_id': merged,
                        'merged_name': name,
                        'reason': 'same_email',
                        'moved': moved,
                    },
                )
            )


def upgrade() -> None:
    _roles_with_source()
    _merge_duplicates()


def downgrade() -> None:
    # People merged stay merged: which rows were whose is not kept apart any longer.
    op.create_table(
        'role_assignment_old',
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('role', sqlmodel.AutoString(length=32), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
        sa.PrimaryKeyConstraint('person_id', 'role'),
    )
    op.execute(
        "INSERT INTO role_assignment_old (person_id, role) "
        "SELECT DISTINCT person_id, role FROM role_assignment"
    )
    op.drop_table('role_assignment')
    op.rename_table('role_assignment_old', 'role_assignment')
