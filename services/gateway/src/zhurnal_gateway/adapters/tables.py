"""The gateway database's tables (migrations/ creates them): server-side web sessions only."""

from sqlalchemy import Column, DateTime, Index, LargeBinary, MetaData, String, Table, func

metadata = MetaData()

# One row per signed-in browser. The session id itself lives only in the browser's cookie:
# the row is found by its SHA-256, and the tokens are encrypted with a key derived from the id
# (AES-GCM), so a copy of this table neither names a usable cookie nor yields a usable token.
session = Table(
    "session",
    metadata,
    Column("id_hash", LargeBinary(32), primary_key=True),
    Column("subject", String(255), nullable=False),
    # Keycloak's session id (the ID token's sid), for back-channel logout from Keycloak later.
    Column("idp_session_id", String(255), nullable=False, server_default=""),
    Column("access_token", LargeBinary, nullable=False),
    Column("refresh_token", LargeBinary, nullable=False),
    Column("id_token", LargeBinary, nullable=False),
    Column("access_expires_at", DateTime(timezone=True), nullable=False),
    Column("csrf_secret", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    # When Keycloak last confirmed the session (a successful refresh grant).
    Column("validated_at", DateTime(timezone=True), nullable=False),
    # min(last_seen_at + idle timeout, created_at + absolute timeout): expired rows are swept.
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("session_subject_idx", "subject"),
    Index("session_expires_at_idx", "expires_at"),
)
