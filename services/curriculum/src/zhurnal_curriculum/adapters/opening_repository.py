"""Read queries of the year-opening checklist that the other repositories do not answer."""

from __future__ import annotations

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from zhurnal_curriculum.adapters.tables import enrolment, group, lesson_plan, timetable_slot
from zhurnal_curriculum.domain.plans import PlanStatus


class OpeningRepository:
    """What a study year has so far: enrolled students, timetable slots, lesson plans."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def students_per_group(self, study_year_id: str) -> dict[str, int]:
        """Group id -> how many students have been enrolled in it (groups without are absent)."""
        rows = await self._session.execute(
            select(enrolment.c.group_id, func.count(distinct(enrolment.c.student_id)))
            .join(group, group.c.id == enrolment.c.group_id)
            .where(group.c.study_year_id == study_year_id)
            .group_by(enrolment.c.group_id)
        )
        return {group_id: count for group_id, count in rows.tuples()}

    async def slotted(self, study_year_id: str) -> set[tuple[str, str]]:
        """The (group id, subject id) pairs of the year that have timetable slots."""
        rows = await self._session.execute(
            select(timetable_slot.c.group_id, timetable_slot.c.subject_id)
            .where(timetable_slot.c.study_year_id == study_year_id)
            .distinct()
        )
        return set(rows.tuples())

    async def plan_statuses(self, study_year_id: str) -> dict[tuple[str, str], PlanStatus]:
        """(group id, subject id) -> the status of its lesson plan in the year."""
        rows = await self._session.execute(
            select(lesson_plan.c.group_id, lesson_plan.c.subject_id, lesson_plan.c.status).where(
                lesson_plan.c.study_year_id == study_year_id
            )
        )
        return {(g, s): PlanStatus(status) for g, s, status in rows.tuples()}
