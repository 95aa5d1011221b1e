"""The journal: projections of curriculum, lessons with their records, attendance, marks,
scales, final marks, period unlocks and the history chain.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from alembic import op

from zhurnal_journal.adapters.tables import (
    attendance,
    enrolment,
    final_mark,
    history_head,
    history_record,
    institution,
    lesson,
    mark,
    mark_scale,
    mark_type,
    metadata,
    period_unlock,
    study_period,
    substitution,
)

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = [
    institution,
    study_period,
    enrolment,
    lesson,
    substitution,
    attendance,
    mark,
    mark_scale,
    mark_type,
    final_mark,
    period_unlock,
    history_record,
    history_head,
]


def upgrade() -> None:
    metadata.create_all(op.get_bind(), tables=TABLES)


def downgrade() -> None:
    metadata.drop_all(op.get_bind(), tables=list(reversed(TABLES)))
