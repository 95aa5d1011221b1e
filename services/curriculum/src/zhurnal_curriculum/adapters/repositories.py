"""Repositories over the curriculum tables."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from zhurnal_curriculum.adapters.tables import (
    curriculum_line,
    enrolment,
    group,
    holiday,
    institution_calendar,
    load_line,
    person_role,
    study_period,
    study_year,
    subject,
)
from zhurnal_curriculum.domain.calendar import Holiday, PeriodStatus, StudyPeriod, StudyYear
from zhurnal_curriculum.domain.groups import Enrolment, Group, GroupKind
from zhurnal_curriculum.domain.hours import CurriculumLine, LoadLine, Subject, SubjectKind
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


def _group(row: Any) -> Group:
    return Group(
        id=row.id,
        institution_id=row.institution_id,
        study_year_id=row.study_year_id,
        name=row.name,
        kind=GroupKind(row.kind),
        years_of_study=frozenset(row.years_of_study),
        starts=row.starts,
        ends=row.ends,
    )


def _enrolment(row: Any) -> Enrolment:
    return Enrolment(
        id=row.id,
        group_id=row.group_id,
        student_id=row.student_id,
        joined=row.joined,
        join_reason=row.join_reason,
        left=row.left,
        leave_reason=row.leave_reason,
    )


class GroupRepository:
    """Groups and their enrolment records."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, item: Group) -> None:
        """Stage a new group."""
        await self._session.execute(
            group.insert().values(
                id=item.id,
                institution_id=item.institution_id,
                study_year_id=item.study_year_id,
                name=item.name,
                kind=item.kind.value,
                years_of_study=sorted(item.years_of_study),
                starts=item.starts,
                ends=item.ends,
            )
        )

    async def get(self, group_id: str) -> Group | None:
        """One group."""
        row = (await self._session.execute(select(group).where(group.c.id == group_id))).first()
        return _group(row) if row else None

    async def of_year(self, study_year_id: str) -> list[Group]:
        """The groups of a study year by name."""
        rows = (
            await self._session.execute(
                select(group).where(group.c.study_year_id == study_year_id).order_by(group.c.name)
            )
        ).all()
        return [_group(r) for r in rows]

    async def enrolments_of(self, student_id: str, group_id: str) -> list[Enrolment]:
        """A student's enrolment records in a group (history included)."""
        rows = (
            await self._session.execute(
                select(enrolment).where(
                    enrolment.c.student_id == student_id, enrolment.c.group_id == group_id
                )
            )
        ).all()
        return [_enrolment(r) for r in rows]

    async def enrolment(self, enrolment_id: str, *, for_update: bool = False) -> Enrolment | None:
        """One enrolment record."""
        query = select(enrolment).where(enrolment.c.id == enrolment_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._session.execute(query)).first()
        return _enrolment(row) if row else None

    async def add_enrolment(self, item: Enrolment) -> None:
        """Stage a new enrolment record."""
        await self._session.execute(
            enrolment.insert().values(
                id=item.id,
                group_id=item.group_id,
                student_id=item.student_id,
                joined=item.joined,
                join_reason=item.join_reason,
                left=item.left,
                leave_reason=item.leave_reason,
            )
        )

    async def save_enrolment(self, item: Enrolment) -> None:
        """Write back an ended enrolment."""
        await self._session.execute(
            enrolment.update()
            .where(enrolment.c.id == item.id)
            .values(left=item.left, leave_reason=item.leave_reason)
        )

    async def roster(self, group_id: str, day: date) -> list[str]:
        """The students of a group on a day."""
        rows = await self._session.scalars(
            select(enrolment.c.student_id)
            .where(
                enrolment.c.group_id == group_id,
                enrolment.c.joined <= day,
                or_(enrolment.c.left.is_(None), enrolment.c.left >= day),
            )
            .order_by(enrolment.c.student_id)
        )
        return list(rows)


class HoursRepository:
    """Subjects, the curriculum and the teaching load of study years."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_subject(self, item: Subject, institution_id: str) -> None:
        """Stage a new subject."""
        await self._session.execute(
            subject.insert().values(
                id=item.id, institution_id=institution_id, name=item.name, kind=item.kind.value
            )
        )

    async def subjects(self, institution_id: str) -> list[Subject]:
        """The institution's subjects."""
        rows = (
            await self._session.execute(
                select(subject).where(subject.c.institution_id == institution_id)
            )
        ).all()
        return [Subject(r.id, r.name, SubjectKind(r.kind)) for r in rows]

    async def replace_curriculum(self, year_id: str, lines: list[CurriculumLine]) -> None:
        """The year's curriculum becomes ``lines``."""
        await self._session.execute(
            curriculum_line.delete().where(curriculum_line.c.study_year_id == year_id)
        )
        if lines:
            await self._session.execute(
                curriculum_line.insert(),
                [
                    {
                        "study_year_id": year_id,
                        "group_id": x.group_id,
                        "subject_id": x.subject_id,
                        "student_id": x.student_id,
                        "hours": x.hours,
                        "periods": dict(x.periods),
                    }
                    for x in lines
                ],
            )

    async def replace_load(self, year_id: str, lines: list[LoadLine]) -> None:
        """The year's teaching load becomes ``lines``."""
        await self._session.execute(load_line.delete().where(load_line.c.study_year_id == year_id))
        if lines:
            await self._session.execute(
                load_line.insert(),
                [
                    {
                        "study_year_id": year_id,
                        "teacher_id": x.teacher_id,
                        "group_id": x.group_id,
                        "subject_id": x.subject_id,
                        "student_id": x.student_id,
                        "subgroup": x.subgroup,
                        "hours": x.hours,
                    }
                    for x in lines
                ],
            )

    async def curriculum(self, year_id: str) -> list[CurriculumLine]:
        """The year's curriculum."""
        rows = (
            await self._session.execute(
                select(curriculum_line)
                .where(curriculum_line.c.study_year_id == year_id)
                .order_by(curriculum_line.c.id)
            )
        ).all()
        return [
            CurriculumLine(r.group_id, r.subject_id, r.hours, dict(r.periods), r.student_id)
            for r in rows
        ]

    async def load(self, year_id: str) -> list[LoadLine]:
        """The year's teaching load."""
        rows = (
            await self._session.execute(
                select(load_line)
                .where(load_line.c.study_year_id == year_id)
                .order_by(load_line.c.id)
            )
        ).all()
        return [
            LoadLine(r.teacher_id, r.group_id, r.subject_id, r.hours, r.student_id, r.subgroup)
            for r in rows
        ]


class PersonRoleRepository:
    """Who is a student or staff member of which institution (from identity's events)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, person_id: str, institution_id: str, role: str) -> None:
        """Remember a person's role in an institution (idempotent)."""
        await self._session.execute(
            insert(person_role)
            .values(person_id=person_id, institution_id=institution_id, role=role)
            .on_conflict_do_nothing()
        )

    async def forget(self, person_id: str, institution_id: str, role: str) -> None:
        """Forget a role that ended."""
        await self._session.execute(
            person_role.delete().where(
                person_role.c.person_id == person_id,
                person_role.c.institution_id == institution_id,
                person_role.c.role == role,
            )
        )

    async def holders(self, institution_id: str, roles: list[str], ids: list[str]) -> set[str]:
        """Which of ``ids`` hold one of ``roles`` in the institution."""
        rows = await self._session.scalars(
            select(person_role.c.person_id).where(
                person_role.c.institution_id == institution_id,
                person_role.c.role.in_(roles),
                person_role.c.person_id.in_(ids),
            )
        )
        return set(rows)
