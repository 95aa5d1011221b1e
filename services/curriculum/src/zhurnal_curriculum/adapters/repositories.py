"""Repositories over the curriculum tables."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from zhurnal_curriculum.adapters.tables import (
    holiday,
    institution_calendar,
    study_period,
    study_year,
)
from zhurnal_curriculum.domain.calendar import Holiday, PeriodStatus, StudyPeriod, StudyYear
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


class StudyYearRepository:
    """Study years with their periods and holidays."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, year: StudyYear) -> None:
        """Stage a new study year (with any periods and holidays it has)."""
        await self._session.execute(
            study_year.insert().values(
                id=year.id,
                institution_id=year.institution_id,
                name=year.name,
                starts=year.starts,
                ends=year.ends,
                working_days=sorted(year.working_days),
                extra_working_days=sorted(year.extra_working_days),
            )
        )
        await self.save(year)

    async def get(self, year_id: str, *, for_update: bool = False) -> StudyYear | None:
        """One study year; ``for_update`` locks it until the transaction ends."""
        query = select(study_year).where(study_year.c.id == year_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._session.execute(query)).first()
        if row is None:
            return None
        periods = (
            await self._session.execute(
                select(study_period)
                .where(study_period.c.study_year_id == year_id)
                .order_by(study_period.c.starts)
            )
        ).all()
        holidays = (
            await self._session.execute(
                select(holiday).where(holiday.c.study_year_id == year_id).order_by(holiday.c.starts)
            )
        ).all()
        return StudyYear(
            id=row.id,
            institution_id=row.institution_id,
            name=row.name,
            starts=row.starts,
            ends=row.ends,
            working_days=frozenset(row.working_days),
            extra_working_days=frozenset(row.extra_working_days),
            periods=tuple(
                StudyPeriod(
                    p.id, p.name, p.starts, p.ends, PeriodStatus(p.status), p.closed_at, p.closed_by
                )
                for p in periods
            ),
            holidays=tuple(Holiday(h.starts, h.ends, h.name) for h in holidays),
        )

    async def of_institution(self, institution_id: str) -> list[StudyYear]:
        """The institution's study years (without their calendars)."""
        rows = (
            await self._session.execute(
                select(study_year).where(study_year.c.institution_id == institution_id)
            )
        ).all()
        return [
            StudyYear(
                id=r.id, institution_id=r.institution_id, name=r.name, starts=r.starts, ends=r.ends
            )
            for r in rows
        ]

    async def save(self, year: StudyYear) -> None:
        """Write the year's periods (by id) and holidays back."""
        for period in year.periods:
            values = {
                "study_year_id": year.id,
                "name": period.name,
                "starts": period.starts,
                "ends": period.ends,
                "status": period.status.value,
                "closed_at": period.closed_at,
                "closed_by": period.closed_by,
            }
            statement = insert(study_period).values(id=period.id, **values)
            await self._session.execute(
                statement.on_conflict_do_update(index_elements=[study_period.c.id], set_=values)
            )
        await self._session.execute(holiday.delete().where(holiday.c.study_year_id == year.id))
        if year.holidays:
            await self._session.execute(
                holiday.insert(),
                [
                    {"study_year_id": year.id, "starts": h.starts, "ends": h.ends, "name": h.name}
                    for h in year.holidays
                ],
            )
