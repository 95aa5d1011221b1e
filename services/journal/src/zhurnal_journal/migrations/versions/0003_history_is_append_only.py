"""The history is append-only (R-1.6, ADR 13): a trigger refuses every update, delete and
truncate of history_record, and the service's group role zhurnal_journal_app may only select and
insert there.

The service runs as a login role that is a member of zhurnal_journal_app and owns nothing; the
deployment creates it and grants it the group (deploy/local/postgres.sh, the test stack, the DBA
in production). Migrations run as the owner (ZHURNAL_JOURNAL_MIGRATIONS_DATABASE_URL), whose
tables are granted to the group here and, through default privileges, when later migrations
create them. A later migration that adds a table which must be append-only as well revokes
UPDATE, DELETE and TRUNCATE on it from zhurnal_journal_app again, as this one does.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

APP_ROLE = "zhurnal_journal_app"

UPGRADE = [
    # Even the owner is stopped (unless it disables the trigger, which the hash chain then
    # reveals): a mistaken UPDATE in a console must not rewrite the history.
    """
    CREATE FUNCTION history_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'history is append-only (R-1.6): % of history_record refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    """
    CREATE TRIGGER history_record_append_only
        BEFORE UPDATE OR DELETE ON history_record
        FOR EACH ROW EXECUTE FUNCTION history_is_append_only()
    """,
    """
    CREATE TRIGGER history_record_no_truncate
        BEFORE TRUNCATE ON history_record
        FOR EACH STATEMENT EXECUTE FUNCTION history_is_append_only()
    """,
    # Roles belong to the cluster, and a cluster may hold many journal databases (the test
    # runs' among them) migrating at the same moment: the loser of a race to create the role
    # finds it created.
    f"""
    DO $$
    BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            BEGIN
                CREATE ROLE {APP_ROLE} NOLOGIN;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;
            END;
        END IF;
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO {APP_ROLE}', current_database());
    END
    $$
    """,
    f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}",
    f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}",
    f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}",
    # Tables the owner creates in later migrations are the service's to use too.
    f"""
    ALTER DEFAULT PRIVILEGES IN SCHEMA public
        GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}
    """,
    f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}",
    # What makes the history append-only for the service: records are inserted and read.
    f"REVOKE UPDATE, DELETE, TRUNCATE ON history_record FROM {APP_ROLE}",
    # The head moves forward with every append (UPDATE) but is never removed: without it a
    # chain cut short at its end would look whole.
    f"REVOKE DELETE, TRUNCATE ON history_head FROM {APP_ROLE}",
    # Only migrations, run as the owner, move the schema's version.
    f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {APP_ROLE}",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    # The role and its grants stay: other journal databases of the cluster may use the role.
    op.execute("DROP TRIGGER IF EXISTS history_record_no_truncate ON history_record")
    op.execute("DROP TRIGGER IF EXISTS history_record_append_only ON history_record")
    op.execute("DROP FUNCTION IF EXISTS history_is_append_only()")
