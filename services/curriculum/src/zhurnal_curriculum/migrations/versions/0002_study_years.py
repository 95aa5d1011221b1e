"""Study years with their periods and holidays.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from alembic import op

from zhurnal_curriculum.adapters.tables import holiday, metadata, study_period, study_year

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = [study_year, study_period, holiday]


def upgrade() -> None:
    metadata.create_all(op.get_bind(), tables=TABLES)


def downgrade() -> None:
    metadata.drop_all(op.get_bind(), tables=list(reversed(TABLES)))
