"""Alembic environment of the identity database (the kit runs it)."""

from zhurnal_identity.adapters.tables import metadata
from zhurnal_kit.migrations import run_env

run_env(metadata)
