"""Alembic environment of the backup database (the kit runs it)."""

from zhurnal_backup.adapters.tables import metadata
from zhurnal_kit.migrations import run_env

run_env(metadata)
