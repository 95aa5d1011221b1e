"""Institutions, and the kit's outbox, processed-event and idempotency tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

from zhurnal_kit.migrations import create_kit_tables, drop_kit_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kit_tables()
    kind = sa.Enum("school", "additional_education", "other", name="institution_kind")
    op.create_table(
        "institution",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("full_name", sa.String(500), nullable=False),
        sa.Column("short_name", sa.String(100), nullable=False),
        sa.Column("kind", kind, nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("address", sa.String(500), nullable=False, server_default=""),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )


def downgrade() -> None:
    op.drop_table("institution")
    sa.Enum(name="institution_kind").drop(op.get_bind())
    drop_kit_tables()
