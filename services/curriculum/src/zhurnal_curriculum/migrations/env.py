"""Alembic environment of the curriculum database (the kit runs it)."""

from zhurnal_curriculum.adapters.tables import metadata
from zhurnal_kit.migrations import run_env

run_env(metadata)
