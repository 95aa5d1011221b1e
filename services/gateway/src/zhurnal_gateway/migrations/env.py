"""Alembic environment of the gateway database (the kit runs it)."""

from zhurnal_gateway.adapters.tables import metadata
from zhurnal_kit.migrations import run_env

run_env(metadata)
