"""Changes wait in history_pending until the chainer chains them (ADR 15): saves no longer take
their institution's chain lock.

The service's role inserts pending changes and the chainer, running as the same role, deletes
the ones it has chained in the transaction that appends them to history_record; it never
updates them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from alembic import op

from zhurnal_journal.adapters.tables import history_pending

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

APP_ROLE = "zhurnal_journal_app"


def upgrade() -> None:
    history_pending.create(op.get_bind(), checkfirst=True)
    # Default privileges (0003) granted the group everything; a pending change is only ever
    # inserted, then deleted as it is chained.
    op.execute(f"REVOKE UPDATE, TRUNCATE ON history_pending FROM {APP_ROLE}")


def downgrade() -> None:
    history_pending.drop(op.get_bind(), checkfirst=True)
