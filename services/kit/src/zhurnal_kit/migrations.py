"""Alembic, run programmatically: each service's migrations ship inside its package.

Every process of a service applies migrations at start (``apply_migrations``); a PostgreSQL
advisory lock makes concurrent starts wait for each other instead of racing.
"""

from __future__ import annotations

import asyncio
import importlib.resources
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from zhurnal_kit.tables import kit_metadata

_LOCK_ID = 0x7A68_6A72  # "zhjr": one advisory lock id for every service's own database


def alembic_config(package: str, database_url: str) -> Config:
    """An Alembic config for ``<package>/migrations`` against ``database_url``."""
    location = Path(str(importlib.resources.files(package) / "migrations"))
    cfg = Config()
    cfg.set_main_option("script_location", str(location))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


async def apply_migrations(package: str, database_url: str) -> None:
    """Upgrade the service's database to head (Alembic is sync: it runs in a thread)."""
    await asyncio.to_thread(command.upgrade, alembic_config(package, database_url), "head")


def run_env(target_metadata: MetaData) -> None:
    """The body of every service's migrations/env.py (online mode only)."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url must be set"

    def migrate(connection: Connection) -> None:
        # Held until the migration transaction commits, so concurrent starts go one by one.
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()

    async def main() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(migrate)
                await connection.commit()
        finally:
            await engine.dispose()

    asyncio.run(main())


def create_kit_tables() -> None:
    """Create the outbox, processed-event and idempotency tables (from a migration's upgrade)."""
    kit_metadata.create_all(op.get_bind())


def drop_kit_tables() -> None:
    """Drop what create_kit_tables made (from a migration's downgrade)."""
    kit_metadata.drop_all(op.get_bind())


__all__ = [
    "alembic_config",
    "apply_migrations",
    "create_kit_tables",
    "drop_kit_tables",
    "run_env",
]
