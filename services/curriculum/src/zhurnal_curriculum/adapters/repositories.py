"""Repositories over the curriculum tables."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from zhurnal_curriculum.adapters.tables import institution_calendar
from zhurnal_curriculum.domain.institutions import InstitutionCalendar


class InstitutionCalendarRepository:
    """The projection of institutions in the curriculum database."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def upsert(self, item: InstitutionCalendar, *, source_event_id: str) -> None:
        """Record or refresh an institution."""
        statement = insert(institution_calendar).values(
            institution_id=item.institution_id,
            code=item.code,
            time_zone=item.time_zone,
            source_event_id=source_event_id,
        )
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[institution_calendar.c.institution_id],
                set_={
                    "code": statement.excluded.code,
                    "time_zone": statement.excluded.time_zone,
                    "source_event_id": statement.excluded.source_event_id,
                },
            )
        )

    async def get(self, institution_id: str) -> InstitutionCalendar | None:
        """One institution by id."""
        row = (
            await self._session.execute(
                select(institution_calendar).where(
                    institution_calendar.c.institution_id == institution_id
                )
            )
        ).first()
        return InstitutionCalendar(row.institution_id, row.code, row.time_zone) if row else None
