"""An index of lessons by deadline, for the monitor's count of the last day's lessons (without
it every round scans the whole lesson table).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from alembic import op

from zhurnal_journal.adapters.tables import lesson

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A fresh database has it already: 0002 creates the tables as adapters/tables.py has them.
    index = next(i for i in lesson.indexes if i.name == "lesson_due")
    index.create(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    op.drop_index("lesson_due", table_name="lesson")
