"""Subjects, the curriculum and the teaching load.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from alembic import op

from zhurnal_curriculum.adapters.tables import curriculum_line, load_line, metadata, subject

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = [subject, curriculum_line, load_line]


def upgrade() -> None:
    metadata.create_all(op.get_bind(), tables=TABLES)


def downgrade() -> None:
    metadata.drop_all(op.get_bind(), tables=list(reversed(TABLES)))
