"""The kit's own tables, present in every service's database (created by its migrations)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    LargeBinary,
    MetaData,
    String,
    Table,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

# Kept apart from the services' metadata; zhurnal_kit.migrations creates them, so their
# definition is written once.
kit_metadata = MetaData()

outbox = Table(
    "outbox",
    kit_metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("event_id", UUID(as_uuid=False), nullable=False, unique=True),
    Column("topic", String(255), nullable=False),
    Column("key", String(255), nullable=False),
    Column("event_type", String(255), nullable=False),
    Column("envelope", LargeBinary, nullable=False),
    Column("headers", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("published_at", DateTime(timezone=True)),
    Index("outbox_pending_idx", "id", postgresql_where=text("published_at IS NULL")),
)

processed_event = Table(
    "processed_event",
    kit_metadata,
    Column("consumer_group", String(255), primary_key=True),
    Column("event_id", UUID(as_uuid=False), primary_key=True),
    Column("topic", String(255), nullable=False),
    Column("partition", BigInteger, nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


# A write request's idempotency key and the response it got, so a retry gets the same answer.
idempotency_record = Table(
    "idempotency_record",
    kit_metadata,
    Column("operation", String(255), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("response", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
