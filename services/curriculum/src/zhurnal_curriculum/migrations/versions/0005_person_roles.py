"""The projection of identity's people (students and staff of institutions).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from alembic import op

from zhurnal_curriculum.adapters.tables import metadata, person_role

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    metadata.create_all(op.get_bind(), tables=[person_role])


def downgrade() -> None:
    metadata.drop_all(op.get_bind(), tables=[person_role])
