"""Lesson plans (КТП) and their topics.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from alembic import op

from zhurnal_curriculum.adapters.tables import lesson_plan, metadata, plan_topic

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES = [lesson_plan, plan_topic]


def upgrade() -> None:
    metadata.create_all(op.get_bind(), tables=TABLES)


def downgrade() -> None:
    metadata.drop_all(op.get_bind(), tables=list(reversed(TABLES)))
