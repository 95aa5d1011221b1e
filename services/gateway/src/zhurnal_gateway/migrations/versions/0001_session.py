"""Server-side web sessions (the kit's tables are not needed: the gateway has no events).

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from alembic import op

from zhurnal_gateway.adapters.tables import metadata, session

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    metadata.create_all(op.get_bind(), tables=[session])


def downgrade() -> None:
    metadata.drop_all(op.get_bind(), tables=[session])
