"""The weekly timetable, the dated lessons, substitutions, the journal's lessons with entries.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from alembic import op

from zhurnal_curriculum.adapters.tables import (
    lesson,
    lesson_entries,
    metadata,
    substitution,
    timetable_slot,
)

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = [timetable_slot, lesson, substitution, lesson_entries]


def upgrade() -> None:
    metadata.create_all(op.get_bind(), tables=TABLES)


def downgrade() -> None:
    metadata.drop_all(op.get_bind(), tables=list(reversed(TABLES)))
