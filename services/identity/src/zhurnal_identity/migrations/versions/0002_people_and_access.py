"""People, guardian links, role bindings, the personal-data access log, sync cursors.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from alembic import op

from zhurnal_identity.adapters.tables import (
    guardian_link,
    metadata,
    person,
    personal_data_access,
    role_binding,
    sync_cursor,
)

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = [person, guardian_link, role_binding, personal_data_access, sync_cursor]


def upgrade() -> None:
    metadata.create_all(op.get_bind(), tables=TABLES)


def downgrade() -> None:
    metadata.drop_all(op.get_bind(), tables=list(reversed(TABLES)))
