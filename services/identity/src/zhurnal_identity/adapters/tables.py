"""The identity database's tables (migrations/ creates them)."""

from sqlalchemy import Column, DateTime, Enum, MetaData, String, Table, func

from zhurnal_identity.domain.institutions import InstitutionKind

metadata = MetaData()

institution = Table(
    "institution",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("full_name", String(500), nullable=False),
    Column("short_name", String(100), nullable=False),
    Column(
        "kind",
        Enum(
            InstitutionKind, name="institution_kind", values_callable=lambda e: [k.value for k in e]
        ),
        nullable=False,
    ),
    Column("time_zone", String(64), nullable=False),
    Column("address", String(500), nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
