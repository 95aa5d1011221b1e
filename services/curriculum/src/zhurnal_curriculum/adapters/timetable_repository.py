"""Repository of the timetable tables (adapters/tables.py)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


class TimetableRepository:
    """Timetable storage bound to one session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
