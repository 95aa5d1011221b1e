"""Alembic environment of the reporting database (the kit runs it)."""

from zhurnal_kit.migrations import run_env
from zhurnal_reporting.adapters.tables import metadata

run_env(metadata)
