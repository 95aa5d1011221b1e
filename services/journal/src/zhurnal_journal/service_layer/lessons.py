"""Use cases of the class journal: a lesson's entries, the grid, the diary, overdue lessons.

Every read and write is authorized against identity's policy with the lesson described by the
journal's own projection (its teacher, its substitutes now). A save is one transaction: the
lesson row locked, the version checked, entries, history records and outbox rows written
together, so a failure half-way leaves nothing.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.engine import RowMapping

from zhurnal.journal.v1 import events_pb2
from zhurnal_journal.adapters import journal_protos as protos
from zhurnal_journal.adapters.curriculum_client import PlannedTopic, PlannedTopics
from zhurnal_journal.adapters.lesson_repository import (
    attendance_from_row,
    mark_from_row,
    record_from_row,
    scheduled_from_row,
)
from zhurnal_journal.adapters.marking_repository import FinalMarkRow
from zhurnal_journal.domain.deadlines import lesson_end_at
from zhurnal_journal.domain.entries import (
    AttendanceEntry,
    LessonRecord,
    LessonState,
    MarkEntry,
    SaveInput,
    SavePlan,
    ScheduledLesson,
    Warning,
    apply,
    overdue,
    plan_save,
)
from zhurnal_journal.domain.locks import Period, read_only_reason
from zhurnal_journal.domain.marking import MarkScale, scale_for
from zhurnal_journal.service_layer import timeliness
from zhurnal_journal.service_layer.access import (
    DIARY_READ,
    JOURNAL_READ,
    JOURNAL_WRITE,
    require_lessons,
)
from zhurnal_journal.service_layer.unit_of_work import JournalUnitOfWork
from zhurnal_kit.authorization import Authorizer
from zhurnal_kit.errors import Conflict, FailedPrecondition, FieldViolation, NotFound, invalid
from zhurnal_kit.events import Event
from zhurnal_kit.idempotency import recall, remember
from zhurnal_kit.paging import decode_cursor, encode_cursor

MAX_PAGE = 500
# A diary or grid asks for at most this many days at once (a study year and a bit).
MAX_RANGE_DAYS = 400


@dataclass
class LessonView:
    """A lesson's entries as a reader or writer sees them."""

    state: LessonState
    period: Period | None
    read_only_reason: str
    substitute_ids: list[str]
    roster: frozenset[str]
    overdue: bool
    planned: PlannedTopic | None = None
    warnings: list[Warning] = field(default_factory=list)
    changes: int = 0


class LessonConflict(Conflict):
    """A save from a stale version; ``current`` is the lesson as it is now."""

    current: LessonView


def _local_today(now: datetime, time_zone: str) -> date:
    return now.astimezone(ZoneInfo(time_zone)).date()


async def _view(
    uow: JournalUnitOfWork,
    state: LessonState,
    now: datetime,
    substitutes: list[str],
    roster: frozenset[str] | None = None,
) -> LessonView:
    """The lesson as a reader sees it; ``roster`` when the caller has read it already."""
    lesson = state.lesson
    period = await uow.lessons.period_of(lesson.study_year_id, lesson.date)
    if roster is None:
        roster = await uow.lessons.roster(lesson.group_id, lesson.date)
    return LessonView(
        state=state,
        period=period,
        read_only_reason=read_only_reason(lesson, period, now),
        substitute_ids=substitutes,
        roster=roster,
        overdue=overdue(lesson, state.record is not None, now),
    )


async def get_lesson(
    uow: JournalUnitOfWork,
    authorizer: Authorizer,
    planned_topics: PlannedTopics | None,
    lesson_id: str,
    now: datetime,
) -> LessonView:
    """One lesson's entries, with the planned topic offered while no topic is recorded."""
    if not lesson_id:
        raise invalid("lesson_id", "is required")
    async with uow:
        state = await uow.lessons.state(lesson_id)
        if state is None:
            raise NotFound(f"the journal knows no lesson {lesson_id!r}")
        substitutes = await uow.lessons.substitutes([lesson_id], now)
        await require_lessons(
            uow,
            authorizer,
            JOURNAL_READ,
            institution_id=state.lesson.institution_id,
            teacher_ids=[state.lesson.teacher_id],
            substitute_ids=substitutes,
        )
        view = await _view(uow, state, now, substitutes)
    if planned_topics is not None and state.record is None:
        view.planned = await planned_topics.of(lesson_id)
    return view


@dataclass(frozen=True)
class SaveLesson:
    """The command to save a lesson's entries."""

    lesson_id: str
    expected_version: int
    idempotency_key: str
    entries: SaveInput
    client: str = ""


def _events(
    state: LessonState, after: LessonState, plan: SavePlan, actor: str, now: datetime
) -> list[Event]:
    lesson = state.lesson
    base = {
        "lesson_id": lesson.id,
        "institution_id": lesson.institution_id,
        "group_id": lesson.group_id,
    }

    def event(payload: object) -> Event:
        return Event("lesson", lesson.id, payload, institution_id=lesson.institution_id)  # type: ignore[arg-type]

    events = [
        event(
            events_pb2.LessonRecorded(
                **base,
                subject_id=lesson.subject_id,
                study_year_id=lesson.study_year_id,
                record=protos.record_to_proto(after.record),
                version=after.version,
                responsible_teacher_id=lesson.teacher_id,
                entered_by=actor,
                recorded_at=protos.timestamp(after.recorded_at),
                late=plan.first_topic and now > lesson.due_at,
            )
        )
    ]
    if plan.attendance:
        events.append(
            event(
                events_pb2.AttendanceMarked(
                    **base,
                    attendance=[protos.attendance_to_proto(e) for e in plan.attendance],
                    entered_by=actor,
                )
            )
        )
    marks = {**base, "subject_id": lesson.subject_id}
    if plan.marks_created:
        events.append(
            event(
                events_pb2.MarksSet(
                    **marks, marks=[protos.mark_to_proto(m) for m in plan.marks_created]
                )
            )
        )
    if plan.marks_changed:
        events.append(
            event(
                events_pb2.MarksChanged(
                    **marks,
                    changes=[
                        events_pb2.MarkChange(
                            mark=protos.mark_to_proto(after_mark),
                            previous_value=before.value,
                            previous_type_code=before.type_code,
                        )
                        for before, after_mark in plan.marks_changed
                    ],
                )
            )
        )
    if plan.marks_removed:
        events.append(
            event(
                events_pb2.MarksRemoved(
                    **marks,
                    marks=[
                        events_pb2.RemovedMark(mark_id=m.id, student_id=m.student_id, value=m.value)
                        for m in plan.marks_removed
                    ],
                    removed_by=actor,
                )
            )
        )
    return events


async def save_lesson(
    uow: JournalUnitOfWork,
    authorizer: Authorizer,
    command: SaveLesson,
    now: datetime,
    *,
    before_commit: Callable[[], Awaitable[None]] | None = None,
) -> LessonView:
    """Save a whole lesson: record, attendance and marks in one transaction.

    ``before_commit`` runs with everything written but not committed (fault drills kill the
    process there to prove a crash leaves nothing half-written).
    """
    if not command.lesson_id:
        raise invalid("lesson_id", "is required")
    if command.expected_version < 0:
        raise invalid("expected_version", "must not be negative")
    actor = await authorizer.person_id()
    operation = f"save_lesson:{command.lesson_id}"
    async with uow:
        found = await uow.lessons.for_save(command.lesson_id, now)
        if found is None:
            raise NotFound(
                f"the journal knows no lesson {command.lesson_id!r}",
                [FieldViolation("lesson_id", "is not a scheduled lesson")],
            )
        state, settings = found.state, found.settings
        scheduled = state.lesson
        await require_lessons(
            uow,
            authorizer,
            JOURNAL_WRITE,
            institution_id=scheduled.institution_id,
            teacher_ids=[scheduled.teacher_id],
            substitute_ids=found.substitute_ids,
            settings=settings,
        )
        view = await _view(uow, state, now, found.substitute_ids, found.roster)
        # After the lock: a concurrent twin of this request has committed by now.
        if earlier := await recall(uow.session, operation, command.idempotency_key):
            stored = json.loads(earlier)
            view.changes = stored["changes"]
            view.warnings = [Warning(f, m) for f, m in stored["warnings"]]
            return view
        if view.read_only_reason:
            raise FailedPrecondition(
                f"lesson {scheduled.id} cannot be changed: {view.read_only_reason}",
                [FieldViolation("lesson_id", view.read_only_reason)],
            )
        if command.expected_version != state.version:
            conflict = LessonConflict(
                f"the lesson was changed meanwhile (version {state.version}, expected "
                f"{command.expected_version}): reload it and save again",
                [
                    FieldViolation(
                        "expected_version", f"is stale: the lesson is at version {state.version}"
                    )
                ],
            )
            conflict.current = view
            raise conflict
        scheme = await uow.marking.scheme(scheduled.institution_id)
        plan = plan_save(
            state,
            command.entries,
            roster=view.roster,
            scheme=scheme,
            scale=scale_for(scheme.scales, scheduled.subject_id),
            actor=actor,
            now=now,
            held=_local_today(now, settings.time_zone) >= scheduled.date,
            warn_not_in_russian=settings.warn_topic_not_in_russian,
        )
        after = apply(state, plan, actor=actor, now=now)
        if not plan.empty:
            await uow.lessons.write(state, plan, actor=actor, now=now)
            uow.record_history(
                scheduled.institution_id,
                plan.changes,
                actor_id=actor,
                client=command.client,
                at=now,
            )
            for event in _events(state, after, plan, actor, now):
                uow.publish(event)
        await remember(
            uow.session,
            operation,
            command.idempotency_key,
            json.dumps(
                {
                    "changes": len(plan.changes),
                    "warnings": [[w.field, w.message] for w in plan.warnings],
                }
            ).encode(),
        )
        if before_commit is not None:
            await before_commit()
        await uow.commit()
    if plan.first_topic:
        timeliness.record_topic_entry(
            scheduled.institution_id,
            lesson_end=lesson_end_at(
                scheduled.date, scheduled.start, scheduled.duration, settings.time_zone
            ),
            due_at=scheduled.due_at,
            recorded_at=now,
        )
    view.state = after
    view.overdue = after.record is None and view.overdue
    view.warnings = plan.warnings
    view.changes = len(plan.changes)
    return view


# Reads of many lessons.


@dataclass
class LessonRow:
    """A lesson of a grid or diary, with the entries the reader may see."""

    lesson: ScheduledLesson
    record: LessonRecord | None
    version: int
    overdue: bool
    read_only_reason: str
    period_id: str
    attendance: list[AttendanceEntry] = field(default_factory=list)
    marks: list[MarkEntry] = field(default_factory=list)


def _lesson_rows(
    rows: Sequence[RowMapping],
    periods: Sequence[Period],
    attendance_rows: Sequence[RowMapping],
    mark_rows: Sequence[RowMapping],
    now: datetime,
) -> list[LessonRow]:
    result: dict[str, LessonRow] = {}
    for row in rows:
        lesson = scheduled_from_row(row)
        period = next((p for p in periods if p.starts <= lesson.date <= p.ends), None)
        record = record_from_row(row)
        result[lesson.id] = LessonRow(
            lesson=lesson,
            record=record,
            version=row["version"],
            overdue=overdue(lesson, record is not None, now),
            read_only_reason=read_only_reason(lesson, period, now),
            period_id=period.id if period else "",
        )
    for row in attendance_rows:
        result[row["lesson_id"]].attendance.append(attendance_from_row(row))
    for row in mark_rows:
        result[row["lesson_id"]].marks.append(mark_from_row(row))
    return list(result.values())


@dataclass(frozen=True)
class GridColumn:
    """A lesson of the grid: its attendance aligned with the grid's students."""

    lesson: LessonRow
    attendance: list[int]
    late_minutes: list[int]


@dataclass(frozen=True)
class GridMark:
    """A mark as the grid shows it."""

    lesson_id: str
    student_id: str
    id: str
    value: str
    type_code: str
    weight: float
    comment: str


@dataclass(frozen=True)
class GridStudent:
    """A student of the grid: first day in the group and last (None: still in it)."""

    student_id: str
    joined: date
    left: date | None


@dataclass
class GridView:
    """The journal grid of a group for a period, column-wise."""

    group_id: str
    period: Period
    students: list[GridStudent]
    columns: list[GridColumn]
    marks: list[GridMark]
    final_marks: list[FinalMarkRow]
    scales: list[MarkScale]


def _grid_students(rows: Sequence[RowMapping]) -> list[GridStudent]:
    stays: dict[str, GridStudent] = {}
    for row in rows:  # ordered by student, then joined
        first = stays.get(row["student_id"])
        stays[row["student_id"]] = GridStudent(
            row["student_id"], first.joined if first else row["joined"], row["left"]
        )
    return list(stays.values())


async def get_grid(
    uow: JournalUnitOfWork,
    authorizer: Authorizer,
    group_id: str,
    period_id: str,
    subject_id: str,
    now: datetime,
) -> GridView:
    """Students x lessons of a group in a study period (of one subject when given)."""
    if not group_id:
        raise invalid("group_id", "is required")
    if not period_id:
        raise invalid("period_id", "is required")
    async with uow:
        found = await uow.lessons.period(period_id)
        if found is None:
            raise NotFound(
                f"the journal knows no study period {period_id!r}",
                [FieldViolation("period_id", "is not a study period")],
            )
        period, institution_id = found
        rows = await uow.lessons.group_lessons(group_id, period.starts, period.ends, subject_id)
        if any(r["institution_id"] != institution_id for r in rows):
            raise invalid("group_id", "belongs to another institution than the period")
        ids = [r["id"] for r in rows]
        await require_lessons(
            uow,
            authorizer,
            JOURNAL_READ,
            institution_id=institution_id,
            teacher_ids=sorted({r["teacher_id"] for r in rows}),
            substitute_ids=await uow.lessons.substitutes(ids, now) if ids else [],
        )
        students = _grid_students(
            await uow.lessons.enrolments(group_id, period.starts, period.ends)
        )
        position = {s.student_id: i for i, s in enumerate(students)}
        attendance = {
            lesson_id: (who, statuses, late)
            for lesson_id, who, statuses, late in await uow.lessons.grid_attendance(ids)
        }
        columns = []
        for row in _lesson_rows(rows, [period], (), (), now):
            statuses, minutes = [0] * len(students), [0] * len(students)
            who, status_list, late_list = attendance.get(row.lesson.id, ((), (), ()))
            for student_id, status, late in zip(who, status_list, late_list, strict=True):
                if (index := position.get(student_id)) is not None:
                    statuses[index], minutes[index] = status, late
            columns.append(GridColumn(row, statuses, minutes))
        mark_rows = await uow.lessons.grid_marks(ids)
        marks = [GridMark(*r[:7]) for r in mark_rows]
        final_marks = await uow.marking.final_marks(
            group_id=group_id, subject_id=subject_id, period_id=period.id
        )
        scale_ids = sorted({r[7] for r in mark_rows})
        scales = await uow.marking.scales_by_id(scale_ids) if scale_ids else []
        if not scales:
            scheme = await uow.marking.scheme(institution_id)
            scales = scheme.scales
            await uow.commit()  # the default scheme may just have been created
    return GridView(group_id, period, students, columns, marks, final_marks, scales)


@dataclass
class DiaryView:
    """A student's diary for a range of days."""

    student_id: str
    lessons: list[LessonRow]
    final_marks: list[FinalMarkRow]
    # The periods overlapping the range or named by a final mark, in order.
    periods: list[Period] = field(default_factory=list)


def _range(starts: date | None, ends: date | None) -> tuple[date, date]:
    if starts is None:
        raise invalid("from_date", "is required")
    if ends is None:
        raise invalid("to_date", "is required")
    if ends < starts:
        raise invalid("to_date", "is before from_date")
    if (ends - starts).days > MAX_RANGE_DAYS:
        raise invalid("to_date", f"is more than {MAX_RANGE_DAYS} days after from_date")
    return starts, ends


async def get_diary(
    uow: JournalUnitOfWork,
    authorizer: Authorizer,
    student_id: str,
    starts: date | None,
    ends: date | None,
    now: datetime,
) -> DiaryView:
    """A student's lessons with topics, homework, their attendance and marks (R-2.2)."""
    if not student_id:
        raise invalid("student_id", "is required")
    starts, ends = _range(starts, ends)
    async with uow:
        rows = await uow.lessons.student_lessons(student_id, starts, ends)
        finals = await uow.marking.final_marks(student_id=student_id)
        # Every institution the student learns in is asked, even for an empty week: a diary
        # is shown only to someone the policy lets read it.
        institutions = await uow.lessons.student_institutions(student_id)
        if not institutions:
            raise NotFound(
                f"the journal knows no student {student_id!r}",
                [FieldViolation("student_id", "is not enrolled in any group")],
            )
        teachers = sorted({r["teacher_id"] for r in rows})
        for institution_id in institutions:
            await authorizer.require(
                DIARY_READ,
                institution_id=institution_id,
                person_id=student_id,
                teacher_ids=teachers,
            )
        ids = [r["id"] for r in rows]
        periods: list[Period] = []
        for institution_id in institutions:
            periods += await uow.lessons.periods(institution_id)
        # Final marks of an institution the student left name its periods too.
        earlier: list[Period] = []
        for institution_id in sorted({f.institution_id for f in finals} - set(institutions)):
            earlier += await uow.lessons.periods(institution_id)
        lessons = _lesson_rows(
            rows,
            periods,
            await uow.lessons.attendance_of(ids, student_id),
            await uow.lessons.marks_of(ids, student_id),
            now,
        )
    named = {f.period_id for f in finals} | {r.period_id for r in lessons}
    shown = [p for p in periods if p.id in named or (p.starts <= ends and p.ends >= starts)]
    shown += [p for p in earlier if p.id in named]
    shown.sort(key=lambda p: (p.starts, p.ends, p.name))
    return DiaryView(student_id, lessons, finals, shown)


@dataclass
class OverdueView:
    """A page of overdue lessons with the counts of the whole filter."""

    lessons: list[tuple[ScheduledLesson, int]]
    next_page_token: str
    by_teacher: dict[str, int]
    by_group: dict[str, int]


async def list_overdue(
    uow: JournalUnitOfWork,
    authorizer: Authorizer,
    institution_id: str,
    teacher_id: str,
    group_id: str,
    page_size: int,
    page_token: str,
    now: datetime,
) -> OverdueView:
    """Lessons past their deadline without a topic (R-3.2, R-3.4): a teacher asks for their own,
    a deputy for anyone's."""
    if not institution_id:
        raise invalid("institution_id", "is required")
    if not 0 <= page_size <= MAX_PAGE:
        raise invalid("page_size", f"must be between 0 and {MAX_PAGE}")
    position = decode_cursor(page_token, 2)
    after = (datetime.fromisoformat(position[0]), position[1]) if position else None
    size = page_size or 100
    async with uow:
        await require_lessons(
            uow,
            authorizer,
            JOURNAL_READ,
            institution_id=institution_id,
            teacher_ids=[teacher_id] if teacher_id else [],
        )
        rows = await uow.lessons.overdue(
            institution_id,
            now,
            teacher_id=teacher_id,
            group_id=group_id,
            after=after,
            limit=size + 1,
        )
        by_teacher, by_group = await uow.lessons.overdue_counts(
            institution_id, now, teacher_id=teacher_id, group_id=group_id
        )
    page = [scheduled_from_row(r) for r in rows[:size]]
    token = ""
    if len(rows) > size:
        last = page[-1]
        token = encode_cursor(last.due_at.isoformat(), last.id)
    return OverdueView(
        [(lesson, int((now - lesson.due_at).total_seconds())) for lesson in page],
        token,
        by_teacher,
        by_group,
    )
