"""Alembic environment of the journal database (the kit runs it)."""

from zhurnal_journal.adapters.tables import metadata
from zhurnal_kit.migrations import run_env

run_env(metadata)
