"""The identity database's tables (migrations/ creates them)."""

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Column,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    MetaData,
    String,
    Table,
    func,
    text,
)

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

person = Table(
    "person",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("last_name", String(100), nullable=False),
    Column("first_name", String(100), nullable=False),
    Column("patronymic", String(100), nullable=False, server_default=""),
    # Russian alphabetical order (Ё after Е) computed by the domain: see name_sort_key.
    Column("sort_key", String(800, collation="C"), nullable=False, index=True),
    Column("login", String(60), nullable=False, unique=True),
    Column("kinds", ARRAY(String(16)), nullable=False),
    # Personal data (152-FZ): returned only through the policy, every read logged.
    Column("birth_date", Date),
    Column("email", String(254), nullable=False, server_default=""),
    Column("phone", String(32), nullable=False, server_default=""),
    Column("address", String(500), nullable=False, server_default=""),
    Column("account_status", String(16), nullable=False),
    Column("keycloak_user_id", String(36), unique=True),
    Column("position", String(200), nullable=False, server_default=""),
    Column("employment_start", Date),
    Column("employment_end", Date),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

guardian_link = Table(
    "guardian_link",
    metadata,
    Column("guardian_id", String(36), ForeignKey("person.id"), primary_key=True),
    Column("student_id", String(36), ForeignKey("person.id"), primary_key=True, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

role_binding = Table(
    "role_binding",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("person_id", String(36), ForeignKey("person.id"), nullable=False, index=True),
    Column("institution_id", String(36), ForeignKey("institution.id")),  # NULL: district role
    Column("role", String(32), nullable=False),
    Column("valid_from", DateTime(timezone=True), nullable=False),
    Column("valid_until", DateTime(timezone=True)),
    Column("granted_by", String(200), nullable=False),
    Column("basis_number", String(100), nullable=False, server_default=""),
    Column("basis_date", Date),
    Column("scope", ARRAY(String(64)), nullable=False, server_default="{}"),
    Column("ended_at", DateTime(timezone=True)),
    Column("end_reason", String(200), nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index(
        "role_binding_open_by_institution",
        "institution_id",
        postgresql_where=text("ended_at IS NULL"),
    ),
    Index(
        "role_binding_open_by_end",
        "valid_until",
        postgresql_where=text("ended_at IS NULL AND valid_until IS NOT NULL"),
    ),
)

personal_data_access = Table(
    "personal_data_access",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("reader_id", String(36), nullable=False),
    Column("subject_id", String(36), ForeignKey("person.id"), nullable=False, index=True),
    Column("institution_id", String(36)),
    Column("purpose", String(500), nullable=False),
    Column("fields", ARRAY(String(32)), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("personal_data_access_by_institution", "institution_id", "at"),
)

# Where the Keycloak admin-event reconciliation got to.
sync_cursor = Table(
    "sync_cursor",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)
