"""Repository of the plan tables (adapters/tables.py)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


class PlanRepository:
    """Plan storage bound to one session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
