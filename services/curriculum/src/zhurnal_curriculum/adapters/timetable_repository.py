"""Repository of the timetable tables: slots, dated lessons, substitutions, and the journal's
lessons with entries (adapters/tables.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import and_, func, select, tuple_, union
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from zhurnal_curriculum.adapters.tables import (
    lesson,
    lesson_entries,
    substitution,
    timetable_slot,
)
from zhurnal_curriculum.domain.timetable import Lesson, LessonStatus, Slot, Substitution, WeekParity

# From this many new lessons on, COPY is used (a statement per row costs a round trip).
_COPY_FROM = 200
_COPY_COLUMNS = [
    "id",
    "study_year_id",
    "institution_id",
    "slot_id",
    "group_id",
    "subject_id",
    "teacher_id",
    "date",
    "starts_at",
    "duration",
    "room",
    "status",
    "moved_from_date",
    "moved_from_start",
    "change_reason",
]


def _slot(row: Any) -> Slot:
    return Slot(
        id=row.id,
        group_id=row.group_id,
        subject_id=row.subject_id,
        teacher_id=row.teacher_id,
        weekday=row.weekday,
        start=row.starts_at,
        duration=row.duration,
        room=row.room,
        parity=WeekParity(row.parity),
        effective_from=row.effective_from,
        effective_until=row.effective_until,
    )


def _lesson(row: Any) -> Lesson:
    return Lesson(
        id=row.id,
        slot_id=row.slot_id,
        group_id=row.group_id,
        subject_id=row.subject_id,
        teacher_id=row.teacher_id,
        date=row.date,
        start=row.starts_at,
        duration=row.duration,
        room=row.room,
        status=LessonStatus(row.status),
        moved_from_date=row.moved_from_date,
        moved_from_start=row.moved_from_start,
        change_reason=row.change_reason,
    )


def _substitution(row: Any) -> Substitution:
    return Substitution(
        id=row.id,
        lesson_id=row.lesson_id,
        teacher_id=row.teacher_id,
        substitute_teacher_id=row.substitute_teacher_id,
        reason=row.reason,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        revoked_at=row.revoked_at,
        set_by=row.set_by,
    )


def _lesson_values(item: Lesson) -> dict[str, Any]:
    return {
        "slot_id": item.slot_id,
        "group_id": item.group_id,
        "subject_id": item.subject_id,
        "teacher_id": item.teacher_id,
        "date": item.date,
        "starts_at": item.start,
        "duration": item.duration,
        "room": item.room,
        "status": item.status.value,
        "moved_from_date": item.moved_from_date,
        "moved_from_start": item.moved_from_start,
        "change_reason": item.change_reason,
    }


class TimetableRepository:
    """Timetable storage bound to one session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # Slots.

    async def slots(self, year_id: str, group_id: str = "") -> list[Slot]:
        """The weekly template of a year (of one group when given)."""
        query = select(timetable_slot).where(timetable_slot.c.study_year_id == year_id)
        if group_id:
            query = query.where(timetable_slot.c.group_id == group_id)
        query = query.order_by(
            timetable_slot.c.group_id, timetable_slot.c.weekday, timetable_slot.c.starts_at
        )
        return [_slot(row) for row in (await self._session.execute(query)).all()]

    async def slot_year(self, slot_id: str) -> str | None:
        """The study year a slot belongs to."""
        return (
            await self._session.execute(
                select(timetable_slot.c.study_year_id).where(timetable_slot.c.id == slot_id)
            )
        ).scalar_one_or_none()

    async def replace_slots(
        self, year_id: str, slots: Sequence[Slot], stored: Sequence[Slot], remove: Iterable[str]
    ) -> None:
        """Write the slots of ``slots`` that differ from ``stored`` (new or changed, by id),
        in one statement, and delete the slots ``remove``."""
        removed = list(remove)
        if removed:
            await self._session.execute(
                timetable_slot.delete().where(timetable_slot.c.id.in_(removed))
            )
        before = {item.id: item for item in stored}
        changed = [item for item in slots if before.get(item.id) != item]
        if not changed:
            return
        statement = insert(timetable_slot)
        columns = [c.name for c in timetable_slot.c if c.name != "id"]
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[timetable_slot.c.id],
                set_={name: statement.excluded[name] for name in columns},
            ),
            [
                {
                    "id": item.id,
                    "study_year_id": year_id,
                    "group_id": item.group_id,
                    "subject_id": item.subject_id,
                    "teacher_id": item.teacher_id,
                    "weekday": item.weekday,
                    "starts_at": item.start,
                    "duration": item.duration,
                    "room": item.room,
                    "parity": item.parity.value,
                    "effective_from": item.effective_from,
                    "effective_until": item.effective_until,
                }
                for item in changed
            ],
        )

    # Lessons.

    async def lessons_of_year(self, year_id: str) -> list[Lesson]:
        """Every stored lesson of a year (cancelled ones too)."""
        rows = await self._session.execute(
            select(lesson).where(lesson.c.study_year_id == year_id).order_by(lesson.c.date)
        )
        return [_lesson(row) for row in rows.all()]

    async def lessons_on(self, year_id: str, day: date) -> list[Lesson]:
        """The year's lessons of one date (conflict checks of one-off changes)."""
        rows = await self._session.execute(
            select(lesson).where(lesson.c.study_year_id == year_id, lesson.c.date == day)
        )
        return [_lesson(row) for row in rows.all()]

    async def get_lesson(
        self, lesson_id: str, *, for_update: bool = False
    ) -> tuple[Lesson, str, str] | None:
        """A lesson with its study year and institution ids; ``for_update`` locks it."""
        query = select(lesson).where(lesson.c.id == lesson_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._session.execute(query)).first()
        if row is None:
            return None
        return _lesson(row), row.study_year_id, row.institution_id

    async def add_lessons(self, year_id: str, institution_id: str, items: Sequence[Lesson]) -> None:
        """Insert new lessons. A year's generation is thousands of rows: they go through
        COPY on the session's own connection (same transaction), several times faster than
        INSERT statements."""
        if len(items) < _COPY_FROM:
            if items:
                await self._session.execute(
                    lesson.insert(),
                    [
                        {"id": x.id, "study_year_id": year_id, "institution_id": institution_id}
                        | _lesson_values(x)
                        for x in items
                    ],
                )
            return
        connection = await self._session.connection()
        raw = await connection.get_raw_connection()
        await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
            lesson.name,
            columns=_COPY_COLUMNS,
            records=[
                (
                    x.id,
                    year_id,
                    institution_id,
                    x.slot_id,
                    x.group_id,
                    x.subject_id,
                    x.teacher_id,
                    x.date,
                    x.start,
                    x.duration,
                    x.room,
                    x.status.value,
                    x.moved_from_date,
                    x.moved_from_start,
                    x.change_reason,
                )
                for x in items
            ],
        )

    async def save_lessons(self, items: Iterable[Lesson]) -> None:
        """Write changed lessons back (by id)."""
        for item in items:
            await self._session.execute(
                lesson.update()
                .where(lesson.c.id == item.id)
                .values(**_lesson_values(item), updated_at=func.now())
            )

    async def remove_lessons(self, lesson_ids: Sequence[str]) -> None:
        """Delete lessons that have no journal entries (the service checked) and anything
        that only meant something for them (their substitutions)."""
        if not lesson_ids:
            return
        await self._session.execute(
            substitution.delete().where(substitution.c.lesson_id.in_(lesson_ids))
        )
        await self._session.execute(lesson.delete().where(lesson.c.id.in_(lesson_ids)))

    async def list_lessons(
        self,
        *,
        institution_id: str,
        starts: date,
        ends: date,
        teacher_id: str = "",
        group_id: str = "",
        include_cancelled: bool = False,
        after: tuple[date, time, str] | None = None,
        limit: int,
        at: datetime,
    ) -> list[tuple[Lesson, str, bool]]:
        """Lessons by (date, start, id) with their study year and whether the teacher only
        substitutes on them; keyset pages from ``after``.

        For a teacher: their own lessons and those they substitute on at ``at``.
        """
        conditions = [
            lesson.c.institution_id == institution_id,
            lesson.c.date >= starts,
            lesson.c.date <= ends,
        ]
        if group_id:
            conditions.append(lesson.c.group_id == group_id)
        if not include_cancelled:
            conditions.append(lesson.c.status != LessonStatus.CANCELLED.value)
        if after is not None:
            conditions.append(
                tuple_(lesson.c.date, lesson.c.starts_at, lesson.c.id) > tuple_(*after)
            )
        if teacher_id:
            # Their own lessons, and those they substitute on: two index scans in a UNION (an
            # OR across the two would read the whole table).
            own = select(lesson).where(and_(*conditions, lesson.c.teacher_id == teacher_id))
            substituted = (
                select(lesson)
                .join(substitution, substitution.c.lesson_id == lesson.c.id)
                .where(
                    and_(*conditions),
                    substitution.c.substitute_teacher_id == teacher_id,
                    substitution.c.revoked_at.is_(None),
                    substitution.c.valid_until > at,
                )
            )
            both = union(own, substituted).subquery()
            query = select(both).order_by(both.c.date, both.c.starts_at, both.c.id).limit(limit)
        else:
            query = (
                select(lesson)
                .where(and_(*conditions))
                .order_by(lesson.c.date, lesson.c.starts_at, lesson.c.id)
                .limit(limit)
            )
        rows = (await self._session.execute(query)).all()
        return [
            (_lesson(row), row.study_year_id, bool(teacher_id) and row.teacher_id != teacher_id)
            for row in rows
        ]

    def _held(self, year_id: str, group_id: str, subject_id: str) -> tuple[Any, ...]:
        return (
            lesson.c.study_year_id == year_id,
            lesson.c.group_id == group_id,
            lesson.c.subject_id == subject_id,
            lesson.c.status != LessonStatus.CANCELLED.value,
        )

    async def held_lesson_ids(self, year_id: str, group_id: str, subject_id: str) -> list[str]:
        """The lessons of a group's subject that are held (not cancelled; moved ones are), in
        the order a lesson plan's hours take them: date, start, then id (two lessons at one
        time keep one order)."""
        rows = await self._session.scalars(
            select(lesson.c.id)
            .where(*self._held(year_id, group_id, subject_id))
            .order_by(lesson.c.date, lesson.c.starts_at, lesson.c.id)
        )
        return list(rows)

    async def count_held(self, year_id: str, group_id: str, subject_id: str) -> int:
        """How many lessons of a group's subject are held (not cancelled)."""
        count = await self._session.scalar(
            select(func.count())
            .select_from(lesson)
            .where(*self._held(year_id, group_id, subject_id))
        )
        return int(count or 0)

    # The journal's lessons with entries.

    async def with_entries(self, lesson_ids: Iterable[str] | None = None) -> set[str]:
        """Which of ``lesson_ids`` have journal entries (all such lessons when None)."""
        query = select(lesson_entries.c.lesson_id)
        if lesson_ids is not None:
            ids = list(lesson_ids)
            if not ids:
                return set()
            query = query.where(lesson_entries.c.lesson_id.in_(ids))
        return set((await self._session.execute(query)).scalars())

    async def with_entries_in_year(self, year_id: str) -> set[str]:
        """The year's lessons that have journal entries."""
        query = (
            select(lesson_entries.c.lesson_id)
            .join(lesson, lesson.c.id == lesson_entries.c.lesson_id)
            .where(lesson.c.study_year_id == year_id)
        )
        return set((await self._session.execute(query)).scalars())

    async def record_entries(self, lesson_id: str, event_id: str) -> None:
        """The journal has entries for ``lesson_id`` (idempotent)."""
        await self._session.execute(
            insert(lesson_entries)
            .values(lesson_id=lesson_id, first_event_id=event_id)
            .on_conflict_do_nothing(index_elements=[lesson_entries.c.lesson_id])
        )

    # Substitutions.

    async def substitutions_of(self, lesson_id: str) -> list[Substitution]:
        """Every substitution of a lesson, revoked ones too (history)."""
        rows = await self._session.execute(
            select(substitution)
            .where(substitution.c.lesson_id == lesson_id)
            .order_by(substitution.c.created_at)
        )
        return [_substitution(row) for row in rows.all()]

    async def substituted_by(self, teacher_id: str, year_id: str, day: date) -> list[Lesson]:
        """Lessons of ``day`` that ``teacher_id`` substitutes on (not revoked), with the
        teacher set to the substitute: what keeps them busy besides their own lessons."""
        rows = await self._session.execute(
            select(lesson)
            .join(substitution, substitution.c.lesson_id == lesson.c.id)
            .where(
                substitution.c.substitute_teacher_id == teacher_id,
                substitution.c.revoked_at.is_(None),
                lesson.c.study_year_id == year_id,
                lesson.c.date == day,
            )
        )
        return [_lesson(row) for row in rows.all()]

    async def get_substitution(self, substitution_id: str) -> tuple[Substitution, str] | None:
        """A substitution with its institution, locked for the change."""
        row = (
            await self._session.execute(
                select(substitution).where(substitution.c.id == substitution_id).with_for_update()
            )
        ).first()
        return (_substitution(row), row.institution_id) if row else None

    async def add_substitution(self, item: Substitution, institution_id: str) -> None:
        """Store a new substitution."""
        await self._session.execute(
            substitution.insert().values(
                id=item.id,
                lesson_id=item.lesson_id,
                institution_id=institution_id,
                teacher_id=item.teacher_id,
                substitute_teacher_id=item.substitute_teacher_id,
                reason=item.reason,
                valid_from=item.valid_from,
                valid_until=item.valid_until,
                set_by=item.set_by,
            )
        )

    async def revoke_substitution(self, item: Substitution) -> None:
        """Store the end of a substitution (the record stays)."""
        await self._session.execute(
            substitution.update()
            .where(substitution.c.id == item.id)
            .values(revoked_at=item.revoked_at)
        )
