"""Groups and enrolment.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from alembic import op

from zhurnal_curriculum.adapters.tables import enrolment, group, metadata

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = [group, enrolment]


def upgrade() -> None:
    metadata.create_all(op.get_bind(), tables=TABLES)


def downgrade() -> None:
    metadata.drop_all(op.get_bind(), tables=list(reversed(TABLES)))
