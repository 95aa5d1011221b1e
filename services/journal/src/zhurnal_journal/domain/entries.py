"""A lesson's entries (R-1.3, R-3.1): its record, attendance and marks, and what a save changes.

A save states the lesson as the teacher wants it; ``plan_save`` checks every input against the
lesson, its roster and the marking scheme (all problems at once, each naming its field), then
works out the changes: the rows to write, the history records (R-1.6) and the warnings.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from enum import IntEnum
from typing import Any

from zhurnal_journal.domain.history import Change, ChangeAction
from zhurnal_journal.domain.marking import MarkingScheme, MarkScale
from zhurnal_kit.errors import FieldViolation, InvalidArgument
from zhurnal_kit.text import in_russian, tidy_topic

MAX_TOPIC = 500
MAX_TEXT = 4000
# More than this many marks for one student in one lesson is a typing accident.
MAX_MARKS_PER_STUDENT = 5
CANCELLED = 3  # curriculum.v1.LessonStatus


class AttendanceStatus(IntEnum):
    """journal.v1.AttendanceStatus."""

    PRESENT = 1
    EXCUSED = 2
    UNEXCUSED = 3
    ILL = 4
    LATE = 5


class LessonKind(IntEnum):
    """curriculum.v1.LessonKind (a lesson unless said otherwise)."""

    LESSON = 1
    PRACTICAL = 2
    EXCURSION = 3
    COMPETITION = 4
    OTHER = 5


@dataclass(frozen=True)
class ScheduledLesson:
    """The lesson as curriculum scheduled it (the journal's projection)."""

    id: str
    institution_id: str
    study_year_id: str
    group_id: str
    subject_id: str
    teacher_id: str
    date: date
    start: time
    duration: int
    status: int
    kept_read_only: bool
    due_at: datetime


def overdue(lesson: ScheduledLesson, recorded: bool, now: datetime) -> bool:
    """Past its deadline without a topic and not cancelled (R-3.2; the SQL twin is
    adapters.lesson_repository.missing_topic)."""
    return not recorded and lesson.status != CANCELLED and lesson.due_at < now


@dataclass(frozen=True)
class LessonRecord:
    """What the lesson taught."""

    topic: str
    material: str = ""
    kind: LessonKind = LessonKind.LESSON
    homework: str = ""
    notes: str = ""


@dataclass(frozen=True)
class AttendanceEntry:
    """One student's attendance of one lesson."""

    student_id: str
    status: AttendanceStatus
    late_minutes: int = 0
    reason: str = ""


@dataclass(frozen=True)
class MarkEntry:
    """One mark of one student in one lesson."""

    id: str
    student_id: str
    value: str
    type_code: str
    scale_id: str
    weight: float
    score: float | None
    comment: str
    entered_by: str
    entered_at: datetime


@dataclass(frozen=True)
class MarkInput:
    """A mark as typed: ``id`` empty for a new one."""

    id: str
    student_id: str
    value: str
    type_code: str = ""
    comment: str = ""


@dataclass
class LessonState:
    """Everything the journal holds of one lesson."""

    lesson: ScheduledLesson
    record: LessonRecord | None = None
    version: int = 0
    responsible_teacher_id: str = ""
    entered_by: str = ""
    recorded_at: datetime | None = None
    attendance: dict[str, AttendanceEntry] = field(default_factory=dict)
    marks: dict[str, MarkEntry] = field(default_factory=dict)


@dataclass(frozen=True)
class SaveInput:
    """What a save asks for; None parts stay as they are."""

    record: LessonRecord | None = None
    attendance_all: AttendanceStatus | None = None
    attendance: Sequence[AttendanceEntry] = ()
    marks: Sequence[MarkInput] | None = None


@dataclass(frozen=True)
class Warning:
    """Saved, but a person should look at it (in Russian)."""

    field: str
    message: str


@dataclass
class SavePlan:
    """What a save writes."""

    record: LessonRecord | None = None
    first_topic: bool = False
    attendance: list[AttendanceEntry] = field(default_factory=list)
    marks_created: list[MarkEntry] = field(default_factory=list)
    marks_changed: list[tuple[MarkEntry, MarkEntry]] = field(default_factory=list)
    marks_removed: list[MarkEntry] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing differs from what is stored."""
        return not self.changes


def _record_json(record: LessonRecord | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {
        "topic": record.topic,
        "material": record.material,
        "kind": int(record.kind),
        "homework": record.homework,
        "notes": record.notes,
    }


def _attendance_json(entry: AttendanceEntry | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    return {
        "student_id": entry.student_id,
        "status": int(entry.status),
        "late_minutes": entry.late_minutes,
        "reason": entry.reason,
    }


def _mark_json(mark: MarkEntry | None) -> dict[str, Any] | None:
    if mark is None:
        return None
    return {
        "student_id": mark.student_id,
        "value": mark.value,
        "type_code": mark.type_code,
        "scale_id": mark.scale_id,
        "weight": mark.weight,
        "comment": mark.comment,
    }


def _clean_record(record: LessonRecord, problems: list[FieldViolation]) -> LessonRecord:
    topic = tidy_topic(record.topic)
    if not topic:
        problems.append(FieldViolation("record.topic", "is required"))
    elif len(topic) > MAX_TOPIC:
        problems.append(FieldViolation("record.topic", f"is longer than {MAX_TOPIC} characters"))
    for name in ("material", "homework", "notes"):
        if len(getattr(record, name)) > MAX_TEXT:
            problems.append(
                FieldViolation(f"record.{name}", f"is longer than {MAX_TEXT} characters")
            )
    try:
        kind = LessonKind(record.kind or LessonKind.LESSON)
    except ValueError:
        problems.append(FieldViolation("record.kind", "is not a lesson kind"))
        kind = LessonKind.LESSON
    return LessonRecord(
        topic=topic,
        material=record.material.strip(),
        kind=kind,
        homework=record.homework.strip(),
        notes=record.notes.strip(),
    )


def _plan_attendance(
    state: LessonState,
    save: SaveInput,
    roster: frozenset[str],
    problems: list[FieldViolation],
) -> list[AttendanceEntry]:
    wanted: dict[str, AttendanceEntry] = {}
    for index, entry in enumerate(save.attendance):
        where = f"attendance[{index}]"
        if entry.student_id in wanted:
            problems.append(FieldViolation(f"{where}.student_id", "is given twice"))
            continue
        if entry.student_id not in roster:
            problems.append(
                FieldViolation(
                    f"{where}.student_id", "is not enrolled in the group on the lesson's day"
                )
            )
            continue
        try:
            status = AttendanceStatus(entry.status)
        except ValueError:
            problems.append(FieldViolation(f"{where}.status", "is required"))
            continue
        if status is AttendanceStatus.LATE:
            if not 0 < entry.late_minutes <= state.lesson.duration:
                problems.append(
                    FieldViolation(
                        f"{where}.late_minutes",
                        f"must be between 1 and the lesson's {state.lesson.duration} minutes",
                    )
                )
                continue
        elif entry.late_minutes:
            problems.append(FieldViolation(f"{where}.late_minutes", "is only for a late arrival"))
            continue
        if len(entry.reason) > MAX_TEXT:
            problems.append(FieldViolation(f"{where}.reason", "is too long"))
            continue
        late = entry.late_minutes if status is AttendanceStatus.LATE else 0
        wanted[entry.student_id] = AttendanceEntry(
            entry.student_id, status, late, entry.reason.strip()
        )
    if save.attendance_all is not None:
        for student in sorted(roster - wanted.keys()):
            wanted[student] = AttendanceEntry(student, save.attendance_all)
    return [entry for student, entry in wanted.items() if state.attendance.get(student) != entry]


def _plan_marks(
    state: LessonState,
    inputs: Sequence[MarkInput],
    roster: frozenset[str],
    scheme: MarkingScheme,
    scale: MarkScale,
    *,
    actor: str,
    now: datetime,
    new_id: Callable[[], str],
    problems: list[FieldViolation],
) -> tuple[list[MarkEntry], list[tuple[MarkEntry, MarkEntry]], list[MarkEntry]]:
    created: list[MarkEntry] = []
    changed: list[tuple[MarkEntry, MarkEntry]] = []
    kept: set[str] = set()
    per_student: dict[str, int] = {}
    for index, item in enumerate(inputs):
        where = f"marks[{index}]"
        before = state.marks.get(item.id) if item.id else None
        if item.id and before is None:
            problems.append(FieldViolation(f"{where}.id", "is not a mark of this lesson"))
            continue
        if item.id in kept:
            problems.append(FieldViolation(f"{where}.id", "is given twice"))
            continue
        if item.student_id not in roster and (
            before is None or before.student_id != item.student_id
        ):
            problems.append(
                FieldViolation(
                    f"{where}.student_id", "is not enrolled in the group on the lesson's day"
                )
            )
            continue
        if before is not None and before.student_id != item.student_id:
            problems.append(
                FieldViolation(f"{where}.student_id", "a mark cannot move to another student")
            )
            continue
        value = scale.value(item.value)
        if value is None:
            allowed = ", ".join(v.value for v in scale.values)
            problems.append(
                FieldViolation(f"{where}.value", f"is not on the scale «{scale.name}» ({allowed})")
            )
            continue
        mark_type = scheme.type(item.type_code)
        if mark_type is None:
            problems.append(FieldViolation(f"{where}.type_code", "is not a mark type in use"))
            continue
        per_student[item.student_id] = per_student.get(item.student_id, 0) + 1
        if per_student[item.student_id] > MAX_MARKS_PER_STUDENT:
            problems.append(
                FieldViolation(
                    f"{where}.student_id",
                    f"has more than {MAX_MARKS_PER_STUDENT} marks in one lesson",
                )
            )
            continue
        mark = MarkEntry(
            id=item.id or new_id(),
            student_id=item.student_id,
            value=value.value,
            type_code=mark_type.code,
            scale_id=scale.id,
            weight=mark_type.weight,
            score=value.score,
            comment=item.comment.strip()[:MAX_TEXT],
            entered_by=actor,
            entered_at=now,
        )
        if before is None:
            created.append(mark)
        else:
            kept.add(before.id)
            if _mark_json(before) != _mark_json(mark):
                changed.append((before, mark))
    removed = [mark for mark_id, mark in state.marks.items() if mark_id not in kept]
    return created, changed, removed


def plan_save(
    state: LessonState,
    save: SaveInput,
    *,
    roster: frozenset[str],
    scheme: MarkingScheme,
    scale: MarkScale,
    actor: str,
    now: datetime,
    held: bool,
    warn_not_in_russian: bool = True,
    new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
) -> SavePlan:
    """Check ``save`` against the lesson and work out what it changes (InvalidArgument lists
    every problem; nothing is written then)."""
    problems: list[FieldViolation] = []
    plan = SavePlan()
    lesson = state.lesson
    record = _clean_record(save.record, problems) if save.record is not None else None
    attendance = _plan_attendance(state, save, roster, problems)
    marks = (
        _plan_marks(
            state,
            save.marks,
            roster,
            scheme,
            scale,
            actor=actor,
            now=now,
            new_id=new_id,
            problems=problems,
        )
        if save.marks is not None
        else ([], [], [])
    )
    if not held and (attendance or marks[0] or marks[1]):
        # Attendance and marks belong to a lesson that took place; a topic or homework may be
        # written ahead.
        problems.append(
            FieldViolation(
                "attendance" if attendance else "marks",
                "cannot be given before the lesson's day",
            )
        )
    if problems:
        raise InvalidArgument("the lesson's entries are not valid", problems)

    responsible = lesson.teacher_id

    def change(
        entity: str,
        entity_id: str,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
    ) -> None:
        action = (
            ChangeAction.CREATE
            if before is None
            else ChangeAction.DELETE
            if after is None
            else ChangeAction.UPDATE
        )
        plan.changes.append(
            Change(entity, entity_id, action, before, after, lesson.id, responsible)
        )

    if record is not None and record != state.record:
        plan.record = record
        plan.first_topic = state.recorded_at is None
        change("lesson_record", lesson.id, _record_json(state.record), _record_json(record))
        if warn_not_in_russian and not in_russian(record.topic):
            plan.warnings.append(
                Warning(
                    "record.topic",
                    "Тема записана не по-русски: по положению темы занятий записываются на "
                    "русском языке",
                )
            )
    plan.attendance = attendance
    for entry in attendance:
        change(
            "attendance",
            f"{lesson.id}/{entry.student_id}",
            _attendance_json(state.attendance.get(entry.student_id)),
            _attendance_json(entry),
        )
    plan.marks_created, plan.marks_changed, plan.marks_removed = marks
    for mark in plan.marks_created:
        change("mark", mark.id, None, _mark_json(mark))
    for before, after in plan.marks_changed:
        change("mark", after.id, _mark_json(before), _mark_json(after))
    for mark in plan.marks_removed:
        change("mark", mark.id, _mark_json(mark), None)
    return plan


def apply(state: LessonState, plan: SavePlan, *, actor: str, now: datetime) -> LessonState:
    """The state after ``plan`` is written (what the save answers with)."""
    if plan.empty:
        return state
    marks = dict(state.marks)
    for mark in plan.marks_removed:
        marks.pop(mark.id, None)
    for mark in plan.marks_created:
        marks[mark.id] = mark
    for before, after in plan.marks_changed:
        marks[after.id] = replace(after, entered_at=before.entered_at)
    return replace(
        state,
        record=plan.record or state.record,
        version=state.version + 1,
        responsible_teacher_id=state.lesson.teacher_id,
        entered_by=actor,
        recorded_at=now if plan.first_topic else state.recorded_at,
        attendance={**state.attendance, **{e.student_id: e for e in plan.attendance}},
        marks=marks,
    )
