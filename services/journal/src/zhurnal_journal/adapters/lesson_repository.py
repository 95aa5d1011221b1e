"""Lessons and their entries: the record, attendance and marks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Date,
    DateTime,
    String,
    and_,
    bindparam,
    func,
    or_,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from zhurnal_journal.adapters.marking_repository import InstitutionSettings, settings_from_row
from zhurnal_journal.adapters.tables import (
    attendance,
    enrolment,
    institution,
    lesson,
    mark,
    period_unlock,
    study_period,
    substitution,
)
from zhurnal_journal.domain.entries import (
    CANCELLED,
    AttendanceEntry,
    AttendanceStatus,
    LessonKind,
    LessonRecord,
    LessonState,
    MarkEntry,
    SavePlan,
    ScheduledLesson,
)
from zhurnal_journal.domain.locks import Period
from zhurnal_journal.domain.marking import ScoredMark
from zhurnal_kit.sql import Prepared


def missing_topic(now: datetime) -> ColumnElement[bool]:
    """Lessons past their deadline without a topic (R-3.2): the overdue list and gauge.

    Cancelled lessons are never due. The partial index lesson_missing_topic serves it.
    """
    return and_(lesson.c.topic.is_(None), lesson.c.status != CANCELLED, lesson.c.due_at < now)


_SCHEDULE = (
    lesson.c.id,
    lesson.c.institution_id,
    lesson.c.study_year_id,
    lesson.c.group_id,
    lesson.c.subject_id,
    lesson.c.teacher_id,
    lesson.c.date,
    lesson.c.start,
    lesson.c.duration,
    lesson.c.status,
    lesson.c.kept_read_only,
    lesson.c.due_at,
)


def scheduled_from_row(row: RowMapping) -> ScheduledLesson:
    """The schedule columns of a lesson row."""
    return ScheduledLesson(
        id=row["id"],
        institution_id=row["institution_id"],
        study_year_id=row["study_year_id"],
        group_id=row["group_id"],
        subject_id=row["subject_id"],
        teacher_id=row["teacher_id"],
        date=row["date"],
        start=row["start"],
        duration=row["duration"],
        status=row["status"],
        kept_read_only=row["kept_read_only"],
        due_at=row["due_at"],
    )


def record_from_row(row: RowMapping) -> LessonRecord | None:
    """The record columns of a lesson row (None while no topic was saved)."""
    if row["topic"] is None:
        return None
    return LessonRecord(
        topic=row["topic"],
        material=row["material"],
        kind=LessonKind(row["kind"]),
        homework=row["homework"],
        notes=row["notes"],
    )


def attendance_from_row(row: RowMapping) -> AttendanceEntry:
    """An attendance row."""
    return AttendanceEntry(
        row["student_id"], AttendanceStatus(row["status"]), row["late_minutes"], row["reason"]
    )


def mark_from_row(row: RowMapping) -> MarkEntry:
    """A mark row."""
    return MarkEntry(
        id=row["id"],
        student_id=row["student_id"],
        value=row["value"],
        type_code=row["type_code"],
        scale_id=row["scale_id"],
        weight=row["weight"],
        score=row["score"],
        comment=row["comment"],
        entered_by=row["entered_by"],
        entered_at=row["entered_at"],
    )


def _mark_values(lesson_id: str, institution_id: str, item: MarkEntry) -> dict[str, Any]:
    return {
        "id": item.id,
        "lesson_id": lesson_id,
        "student_id": item.student_id,
        "institution_id": institution_id,
        "value": item.value,
        "type_code": item.type_code,
        "scale_id": item.scale_id,
        "weight": item.weight,
        "score": item.score,
        "comment": item.comment,
        "entered_by": item.entered_by,
        "entered_at": item.entered_at,
    }


def _binds(*columns: Any) -> dict[str, Any]:
    return {c.name: bindparam(c.name) for c in columns}


# The statements of a save (ADR 15: compiled once, run on asyncpg).
_NOW = bindparam("now", type_=DateTime(timezone=True))
_LESSON_ID = bindparam("lesson_id")
_LESSON = Prepared(select(lesson).where(lesson.c.id == _LESSON_ID))
_FOR_SAVE = Prepared(
    select(
        lesson,
        select(func.array_agg(substitution.c.substitute_teacher_id))
        .where(
            substitution.c.lesson_id == lesson.c.id,
            substitution.c.revoked_at.is_(None),
            substitution.c.valid_from <= _NOW,
            substitution.c.valid_until >= _NOW,
        )
        .scalar_subquery()
        .label("substitute_ids"),
        select(func.array_agg(enrolment.c.student_id))
        .where(
            enrolment.c.group_id == lesson.c.group_id,
            enrolment.c.joined <= lesson.c.date,
            or_(enrolment.c.left.is_(None), enrolment.c.left >= lesson.c.date),
        )
        .scalar_subquery()
        .label("roster"),
        institution.c.id.label("settings_of"),
        institution.c.time_zone,
        institution.c.colleagues_may_fill_in,
        institution.c.warn_topic_not_in_russian,
        institution.c.unlock_hours,
    )
    .select_from(lesson.outerjoin(institution, institution.c.id == lesson.c.institution_id))
    .where(lesson.c.id == _LESSON_ID)
    .with_for_update(of=lesson)
)
_ATTENDANCE_OF_LESSON = Prepared(select(attendance).where(attendance.c.lesson_id == _LESSON_ID))
_MARKS_OF_LESSON = Prepared(
    select(mark).where(mark.c.lesson_id == _LESSON_ID).order_by(mark.c.entered_at)
)
_RECORD_COLUMNS = ("topic", "material", "kind", "homework", "notes")
_WRITE_LESSON = Prepared(
    lesson.update()
    .where(lesson.c.id == _LESSON_ID)
    .values(
        _binds(
            *(lesson.c[name] for name in _RECORD_COLUMNS),
            lesson.c.version,
            lesson.c.responsible_teacher_id,
            lesson.c.entered_by,
            lesson.c.updated_at,
            lesson.c.recorded_at,
        )
    )
)
_UPSERT = insert(attendance).values(_binds(*attendance.c))
_UPSERT_ATTENDANCE = Prepared(
    _UPSERT.on_conflict_do_update(
        index_elements=[attendance.c.lesson_id, attendance.c.student_id],
        set_={
            name: _UPSERT.excluded[name]
            for name in ("status", "late_minutes", "reason", "entered_by", "updated_at")
        },
    )
)
_INSERT_MARK = Prepared(insert(mark).values(_binds(*mark.c)).inline())
_DELETE_MARKS = Prepared(
    mark.delete().where(mark.c.id == func.any(bindparam("ids", type_=ARRAY(String))))
)
_MARK_CHANGES = ("value", "type_code", "scale_id", "weight", "score", "comment", "entered_by")
_UPDATE_MARK = Prepared(
    mark.update()
    .where(mark.c.id == bindparam("mark_id"))
    .values(_binds(*(mark.c[name] for name in _MARK_CHANGES)))
)


_UNLOCKED_UNTIL = (
    select(func.max(period_unlock.c.expires_at))
    .where(period_unlock.c.period_id == study_period.c.id)
    .scalar_subquery()
    .label("unlocked_until")
)
_ON = bindparam("on", type_=Date)
_PERIOD_OF = Prepared(
    select(study_period, _UNLOCKED_UNTIL)
    .where(
        study_period.c.study_year_id == bindparam("study_year_id"),
        study_period.c.starts <= _ON,
        study_period.c.ends >= _ON,
    )
    .order_by(study_period.c.starts)
    .limit(1)
)


def _period(row: Any) -> tuple[Period, str]:
    """A period row (with its unlocked_until) and the period's institution."""
    return (
        Period(
            row["id"],
            row["study_year_id"],
            row["name"],
            row["starts"],
            row["ends"],
            row["closed"],
            row["unlocked_until"],
        ),
        row["institution_id"],
    )


_IDS = bindparam("ids", type_=ARRAY(String))
_STARTS, _ENDS = bindparam("starts", type_=Date), bindparam("ends", type_=Date)
_PERIOD_BY_ID = Prepared(
    select(study_period, _UNLOCKED_UNTIL).where(study_period.c.id == bindparam("period_id"))
)
_SUBSTITUTES = Prepared(
    select(substitution.c.substitute_teacher_id)
    .where(
        substitution.c.lesson_id == func.any(_IDS),
        substitution.c.revoked_at.is_(None),
        substitution.c.valid_from <= _NOW,
        substitution.c.valid_until >= _NOW,
    )
    .distinct()
)
_ENROLMENTS = Prepared(
    select(enrolment)
    .where(
        enrolment.c.group_id == bindparam("group_id"),
        enrolment.c.joined <= _ENDS,
        or_(enrolment.c.left.is_(None), enrolment.c.left >= _STARTS),
    )
    .order_by(enrolment.c.student_id, enrolment.c.joined)
)
_OF_GROUP = (lesson.c.group_id == bindparam("group_id"), lesson.c.date.between(_STARTS, _ENDS))
_IN_ORDER = (lesson.c.date, lesson.c.start, lesson.c.id)
_GROUP_LESSONS = Prepared(select(lesson).where(*_OF_GROUP).order_by(*_IN_ORDER))
_GROUP_SUBJECT_LESSONS = Prepared(
    select(lesson)
    .where(*_OF_GROUP, lesson.c.subject_id == bindparam("subject_id"))
    .order_by(*_IN_ORDER)
)
_GRID_ATTENDANCE = Prepared(
    select(
        attendance.c.lesson_id,
        func.array_agg(attendance.c.student_id),
        func.array_agg(attendance.c.status),
        func.array_agg(attendance.c.late_minutes),
    )
    .where(attendance.c.lesson_id == func.any(_IDS))
    .group_by(attendance.c.lesson_id)
)
_GRID_MARKS = Prepared(
    select(
        mark.c.lesson_id,
        mark.c.student_id,
        mark.c.id,
        mark.c.value,
        mark.c.type_code,
        mark.c.weight,
        mark.c.comment,
        mark.c.scale_id,
    )
    .where(mark.c.lesson_id == func.any(_IDS))
    .order_by(mark.c.entered_at)
)


@dataclass(frozen=True)
class ForSave:
    """What a save needs of its lesson, read in one statement with the lesson's row locked."""

    state: LessonState
    substitute_ids: list[str]
    roster: frozenset[str]
    settings: InstitutionSettings


def state_from_rows(
    row: Any, attendance_rows: Iterable[Any], mark_rows: Iterable[Any]
) -> LessonState:
    """A lesson's state from its row and its entries' rows."""
    return LessonState(
        lesson=scheduled_from_row(row),
        record=record_from_row(row),
        version=row["version"],
        responsible_teacher_id=row["responsible_teacher_id"],
        entered_by=row["entered_by"],
        recorded_at=row["recorded_at"],
        attendance={r["student_id"]: attendance_from_row(r) for r in attendance_rows},
        marks={r["id"]: mark_from_row(r) for r in mark_rows},
    )


class LessonRepository:
    """Reads and writes of lessons and their entries on one session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def state(self, lesson_id: str) -> LessonState | None:
        """The lesson with all its entries (no lock: for reading)."""
        row = await _LESSON.fetchrow(self.session, lesson_id=lesson_id)
        if row is None:
            return None
        return state_from_rows(row, *await self._entries(lesson_id))

    async def _entries(self, lesson_id: str) -> tuple[list[Any], list[Any]]:
        return (
            await _ATTENDANCE_OF_LESSON.fetch(self.session, lesson_id=lesson_id),
            await _MARKS_OF_LESSON.fetch(self.session, lesson_id=lesson_id),
        )

    async def for_save(self, lesson_id: str, now: datetime) -> ForSave | None:
        """The lesson with its entries, its substitutes now, its roster on its day and its
        institution's settings; its row stays locked until the transaction ends (a save's
        concurrent twin waits, then sees the new version)."""
        row = await _FOR_SAVE.fetchrow(self.session, lesson_id=lesson_id, now=now)
        if row is None:
            return None
        return ForSave(
            state=state_from_rows(row, *await self._entries(lesson_id)),
            substitute_ids=sorted(set(row["substitute_ids"] or ())),
            roster=frozenset(row["roster"] or ()),
            settings=settings_from_row(
                row["institution_id"], row if row["settings_of"] is not None else None
            ),
        )

    async def substitutes(self, lesson_ids: Sequence[str], now: datetime) -> list[str]:
        """Teachers substituting on these lessons now (within the window, not revoked)."""
        rows = await _SUBSTITUTES.fetch(self.session, ids=list(lesson_ids), now=now)
        return sorted(r[0] for r in rows)

    async def roster(self, group_id: str, on: date) -> frozenset[str]:
        """Students enrolled in the group on ``on``."""
        rows = await self.session.scalars(
            select(enrolment.c.student_id).where(
                enrolment.c.group_id == group_id,
                enrolment.c.joined <= on,
                or_(enrolment.c.left.is_(None), enrolment.c.left >= on),
            )
        )
        return frozenset(rows)

    async def enrolments(self, group_id: str, starts: date, ends: date) -> list[Any]:
        """Enrolments of the group overlapping the days ``starts``..``ends``."""
        return await _ENROLMENTS.fetch(self.session, group_id=group_id, starts=starts, ends=ends)

    async def _periods(self, *conditions: ColumnElement[bool]) -> list[tuple[Period, str]]:
        rows = await self.session.execute(
            select(study_period, _UNLOCKED_UNTIL).where(*conditions).order_by(study_period.c.starts)
        )
        return [_period(r) for r in rows.mappings()]

    async def period_of(self, study_year_id: str, on: date) -> Period | None:
        """The period of the year that ``on`` falls in (None between periods)."""
        row = await _PERIOD_OF.fetchrow(self.session, study_year_id=study_year_id, on=on)
        return _period(row)[0] if row else None

    async def period(self, period_id: str) -> tuple[Period, str] | None:
        """A period and its institution."""
        row = await _PERIOD_BY_ID.fetchrow(self.session, period_id=period_id)
        return _period(row) if row else None

    async def periods(self, institution_id: str, study_year_id: str = "") -> list[Period]:
        """The institution's periods (of one year when given)."""
        conditions = [study_period.c.institution_id == institution_id]
        if study_year_id:
            conditions.append(study_period.c.study_year_id == study_year_id)
        return [p for p, _ in await self._periods(*conditions)]

    async def write(self, state: LessonState, plan: SavePlan, *, actor: str, now: datetime) -> None:
        """Write ``plan``: the record and version on the lesson row, attendance, marks."""
        lesson_id, institution_id = state.lesson.id, state.lesson.institution_id
        record = plan.record or state.record
        await _WRITE_LESSON.execute(
            self.session,
            lesson_id=lesson_id,
            topic=record.topic if record else None,
            material=record.material if record else "",
            kind=int(record.kind) if record else int(LessonKind.LESSON),
            homework=record.homework if record else "",
            notes=record.notes if record else "",
            version=state.version + 1,
            responsible_teacher_id=state.lesson.teacher_id,
            entered_by=actor,
            updated_at=now,
            recorded_at=now if plan.first_topic else state.recorded_at,
        )
        await _UPSERT_ATTENDANCE.executemany(
            self.session,
            (
                {
                    "lesson_id": lesson_id,
                    "student_id": e.student_id,
                    "institution_id": institution_id,
                    "status": int(e.status),
                    "late_minutes": e.late_minutes,
                    "reason": e.reason,
                    "entered_by": actor,
                    "updated_at": now,
                }
                for e in plan.attendance
            ),
        )
        if plan.marks_removed:
            await _DELETE_MARKS.execute(self.session, ids=[m.id for m in plan.marks_removed])
        await _INSERT_MARK.executemany(
            self.session,
            (_mark_values(lesson_id, institution_id, m) for m in plan.marks_created),
        )
        await _UPDATE_MARK.executemany(
            self.session,
            (
                {"mark_id": after.id} | {name: getattr(after, name) for name in _MARK_CHANGES}
                for _, after in plan.marks_changed
            ),
        )

    async def lessons(
        self,
        *conditions: ColumnElement[bool],
        order: Sequence[Any] = (lesson.c.date, lesson.c.start, lesson.c.id),
        limit: int | None = None,
    ) -> list[RowMapping]:
        """Lesson rows (schedule and record) matching ``conditions``."""
        query = select(lesson).where(*conditions).order_by(*order)
        if limit is not None:
            query = query.limit(limit)
        return list((await self.session.execute(query)).mappings())

    async def group_lessons(
        self, group_id: str, starts: date, ends: date, subject_id: str = ""
    ) -> list[Any]:
        """A group's lessons in ``starts``..``ends`` (of one subject when given)."""
        if subject_id:
            return await _GROUP_SUBJECT_LESSONS.fetch(
                self.session, group_id=group_id, starts=starts, ends=ends, subject_id=subject_id
            )
        return await _GROUP_LESSONS.fetch(self.session, group_id=group_id, starts=starts, ends=ends)

    async def student_lessons(self, student_id: str, starts: date, ends: date) -> list[RowMapping]:
        """The lessons of every group the student was in on the lesson's day."""
        joined = and_(
            enrolment.c.group_id == lesson.c.group_id,
            enrolment.c.student_id == student_id,
            enrolment.c.joined <= lesson.c.date,
            or_(enrolment.c.left.is_(None), enrolment.c.left >= lesson.c.date),
        )
        rows = await self.session.execute(
            select(lesson)
            .where(
                lesson.c.date.between(starts, ends), select(enrolment.c.id).where(joined).exists()
            )
            .order_by(lesson.c.date, lesson.c.start, lesson.c.id)
        )
        return list(rows.mappings())

    async def grid_attendance(
        self, lesson_ids: Sequence[str]
    ) -> list[tuple[str, list[str], list[int], list[int]]]:
        """Per lesson: its students, statuses and late minutes as arrays (one row per lesson,
        not one per cell: a grid reads 1,500 entries at a time)."""
        if not lesson_ids:
            return []
        rows = await _GRID_ATTENDANCE.fetch(self.session, ids=list(lesson_ids))
        return [tuple(r) for r in rows]  # type: ignore[misc]

    async def grid_marks(self, lesson_ids: Sequence[str]) -> list[Any]:
        """The marks of the lessons, oldest first, with only what the grid shows."""
        if not lesson_ids:
            return []
        return [tuple(r) for r in await _GRID_MARKS.fetch(self.session, ids=list(lesson_ids))]

    async def student_institutions(self, student_id: str) -> list[str]:
        """The institutions whose groups the student is (or was) enrolled in."""
        rows = await self.session.scalars(
            select(lesson.c.institution_id)
            .where(
                lesson.c.group_id.in_(
                    select(enrolment.c.group_id).where(enrolment.c.student_id == student_id)
                )
            )
            .distinct()
        )
        return sorted(rows)

    async def group_institutions(self, group_id: str) -> list[str]:
        """The institution of a group's lessons (one, unless data is wrong)."""
        rows = await self.session.scalars(
            select(lesson.c.institution_id).where(lesson.c.group_id == group_id).distinct()
        )
        return sorted(rows)

    async def periods_of_year(self, study_year_id: str) -> list[Period]:
        """A study year's periods in order."""
        return [p for p, _ in await self._periods(study_period.c.study_year_id == study_year_id)]

    async def year_institution(self, study_year_id: str) -> str:
        """The institution of a study year (from its periods)."""
        found = await self.session.scalar(
            select(study_period.c.institution_id)
            .where(study_period.c.study_year_id == study_year_id)
            .limit(1)
        )
        return found or ""

    async def attendance_of(
        self, lesson_ids: Sequence[str], student_id: str = ""
    ) -> list[RowMapping]:
        """Attendance rows of the lessons (of one student when given)."""
        if not lesson_ids:
            return []
        query = select(attendance).where(attendance.c.lesson_id.in_(lesson_ids))
        if student_id:
            query = query.where(attendance.c.student_id == student_id)
        return list((await self.session.execute(query)).mappings())

    async def marks_of(self, lesson_ids: Sequence[str], student_id: str = "") -> list[RowMapping]:
        """Mark rows of the lessons (of one student when given), oldest first."""
        if not lesson_ids:
            return []
        query = select(mark).where(mark.c.lesson_id.in_(lesson_ids))
        if student_id:
            query = query.where(mark.c.student_id == student_id)
        return list((await self.session.execute(query.order_by(mark.c.entered_at))).mappings())

    async def scored_marks(
        self, group_id: str, subject_id: str, starts: date, ends: date
    ) -> list[ScoredMark]:
        """The marks of a group's lessons of a subject in a date range, as averages need them."""
        rows = await self.session.execute(
            select(mark.c.student_id, mark.c.score, mark.c.weight)
            .join(lesson, lesson.c.id == mark.c.lesson_id)
            .where(
                lesson.c.group_id == group_id,
                lesson.c.subject_id == subject_id,
                lesson.c.date.between(starts, ends),
            )
        )
        return [ScoredMark(r.student_id, r.score, r.weight) for r in rows]

    async def teachers(
        self, group_id: str, starts: date, ends: date, subject_id: str = ""
    ) -> list[str]:
        """The teachers of a group's lessons in a date range (of one subject when given)."""
        conditions = [lesson.c.group_id == group_id, lesson.c.date.between(starts, ends)]
        if subject_id:
            conditions.append(lesson.c.subject_id == subject_id)
        rows = await self.session.scalars(select(lesson.c.teacher_id).where(*conditions).distinct())
        return sorted(rows)

    async def year_span(self, study_year_id: str) -> tuple[date, date] | None:
        """The first and last day of a year's periods."""
        row = (
            await self.session.execute(
                select(func.min(study_period.c.starts), func.max(study_period.c.ends)).where(
                    study_period.c.study_year_id == study_year_id
                )
            )
        ).first()
        return (row[0], row[1]) if row and row[0] else None

    async def overdue(
        self,
        institution_id: str,
        now: datetime,
        *,
        teacher_id: str = "",
        group_id: str = "",
        after: tuple[datetime, str] | None = None,
        limit: int = 100,
    ) -> list[RowMapping]:
        """Overdue lessons by deadline, oldest first, after the keyset position ``after``."""
        conditions = self._overdue_filter(institution_id, now, teacher_id, group_id)
        if after is not None:
            conditions.append(tuple_(lesson.c.due_at, lesson.c.id) > tuple_(*after))
        return await self.lessons(*conditions, order=(lesson.c.due_at, lesson.c.id), limit=limit)

    async def overdue_counts(
        self, institution_id: str, now: datetime, *, teacher_id: str = "", group_id: str = ""
    ) -> tuple[dict[str, int], dict[str, int]]:
        """Overdue lessons per teacher and per group under the same filter."""
        conditions = self._overdue_filter(institution_id, now, teacher_id, group_id)
        counts: list[dict[str, int]] = []
        for column in (lesson.c.teacher_id, lesson.c.group_id):
            rows = await self.session.execute(
                select(column, func.count()).where(*conditions).group_by(column)
            )
            counts.append({key: int(n) for key, n in rows})
        return counts[0], counts[1]

    @staticmethod
    def _overdue_filter(
        institution_id: str, now: datetime, teacher_id: str, group_id: str
    ) -> list[ColumnElement[bool]]:
        conditions = [lesson.c.institution_id == institution_id, missing_topic(now)]
        if teacher_id:
            conditions.append(lesson.c.teacher_id == teacher_id)
        if group_id:
            conditions.append(lesson.c.group_id == group_id)
        return conditions

    async def lesson_teachers(self, lesson_ids: Iterable[str]) -> list[str]:
        """The teachers of the given lessons."""
        ids = list(lesson_ids)
        if not ids:
            return []
        rows = await self.session.scalars(
            select(lesson.c.teacher_id).where(lesson.c.id.in_(ids)).distinct()
        )
        return sorted(rows)
