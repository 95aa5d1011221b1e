"""The curriculum database's tables (migrations/ creates them)."""

from sqlalchemy import Column, DateTime, MetaData, String, Table, func

metadata = MetaData()

# Projection of identity's institutions, fed by InstitutionCreated events.
institution_calendar = Table(
    "institution_calendar",
    metadata,
    Column("institution_id", String(36), primary_key=True),
    Column("code", String(32), nullable=False),
    Column("time_zone", String(64), nullable=False),
    Column("source_event_id", String(36), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
