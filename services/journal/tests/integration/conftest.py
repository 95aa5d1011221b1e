"""Fixtures of the journal's integration tests: a fresh journal database per test module,
migrated to head, reached as its owner (``journal_db``: tests read and tamper with it) and as
the login role the service runs as (``app_db``, ADR 13)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from zhurnal_kit.migrations import apply_migrations
from zhurnal_kit.pytest_plugin import Infra, as_role, ensure_service_role


@pytest.fixture(scope="module")
async def journal_db(
    request: pytest.FixtureRequest, infra: Infra, make_database: Callable[[str], str]
) -> str:
    """The owner's URL of a fresh journal database of this module, migrated to head."""
    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    url = make_database("journal_" + re.sub(r"[^a-z0-9_]", "_", module.lower())[:40])
    # The role the service runs as exists before the migration grants its group privileges.
    ensure_service_role(infra, "journal")
    await apply_migrations("zhurnal_journal", url)
    return url


@pytest.fixture(scope="module")
def app_db(infra: Infra, journal_db: str) -> str:
    """The same database as the login role the journal runs as (not the owner)."""
    return as_role(journal_db, ensure_service_role(infra, "journal"))
