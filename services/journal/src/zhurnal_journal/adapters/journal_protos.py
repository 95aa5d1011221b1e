"""The journal's domain objects as protobuf messages and back (the only place that knows both)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time

from google.protobuf.timestamp_pb2 import Timestamp

from zhurnal.curriculum.v1 import calendar_pb2, timetable_pb2
from zhurnal.journal.v1 import journal_pb2 as pb
from zhurnal_journal.adapters.marking_repository import FinalMarkRow, InstitutionSettings, Unlock
from zhurnal_journal.domain.entries import (
    AttendanceEntry,
    AttendanceStatus,
    LessonKind,
    LessonRecord,
    MarkEntry,
    MarkInput,
    SaveInput,
    ScheduledLesson,
)
from zhurnal_journal.domain.locks import Period
from zhurnal_journal.domain.marking import MarkScale, MarkType, ScaleKind, ScaleValue
from zhurnal_kit.errors import invalid


def timestamp(value: datetime | None) -> Timestamp | None:
    """A Timestamp (None stays unset)."""
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def day(value: date | None) -> calendar_pb2.Day | None:
    """A Day (None stays unset)."""
    return calendar_pb2.Day(iso=value.isoformat()) if value else None


def day_from_proto(value: calendar_pb2.Day, field: str) -> date | None:
    """A date from a Day (None when empty); a malformed one names ``field``."""
    if not value.iso:
        return None
    try:
        return date.fromisoformat(value.iso)
    except ValueError:
        raise invalid(field, "is not a date (YYYY-MM-DD)") from None


def local_time(value: time) -> timetable_pb2.LocalTime:
    """A LocalTime."""
    return timetable_pb2.LocalTime(hour=value.hour, minute=value.minute)


def record_to_proto(record: LessonRecord | None) -> pb.LessonRecord | None:
    """A LessonRecord (None stays unset)."""
    if record is None:
        return None
    return pb.LessonRecord(
        topic=record.topic,
        material=record.material,
        kind=int(record.kind),  # type: ignore[arg-type]
        homework=record.homework,
        notes=record.notes,
    )


def attendance_to_proto(entry: AttendanceEntry) -> pb.Attendance:
    """An Attendance."""
    return pb.Attendance(
        student_id=entry.student_id,
        status=int(entry.status),  # type: ignore[arg-type]
        late_minutes=entry.late_minutes,
        reason=entry.reason,
    )


def mark_to_proto(mark: MarkEntry) -> pb.Mark:
    """A Mark."""
    return pb.Mark(
        id=mark.id,
        student_id=mark.student_id,
        value=mark.value,
        type_code=mark.type_code,
        scale_id=mark.scale_id,
        weight=mark.weight,
        comment=mark.comment,
        entered_by=mark.entered_by,
        entered_at=timestamp(mark.entered_at),
    )


def final_mark_to_proto(mark: FinalMarkRow) -> pb.FinalMark:
    """A FinalMark."""
    return pb.FinalMark(
        id=mark.id,
        student_id=mark.student_id,
        group_id=mark.group_id,
        subject_id=mark.subject_id,
        study_year_id=mark.study_year_id,
        period_id=mark.period_id,
        value=mark.value,
        scale_id=mark.scale_id,
        set_by=mark.set_by,
        set_at=timestamp(mark.set_at),
    )


def unlock_to_proto(unlock: Unlock) -> pb.PeriodUnlock:
    """A PeriodUnlock."""
    return pb.PeriodUnlock(
        id=unlock.id,
        period_id=unlock.period_id,
        institution_id=unlock.institution_id,
        reason=unlock.reason,
        unlocked_by=unlock.unlocked_by,
        unlocked_at=timestamp(unlock.unlocked_at),
        expires_at=timestamp(unlock.expires_at),
    )


def period_to_proto(period: Period) -> calendar_pb2.StudyPeriod:
    """A StudyPeriod as curriculum names it."""
    return calendar_pb2.StudyPeriod(
        id=period.id,
        name=period.name,
        starts=day(period.starts),
        ends=day(period.ends),
        closed=period.closed,
    )


def lesson_info(
    lesson: ScheduledLesson,
    *,
    period_id: str = "",
    overdue: bool = False,
    read_only_reason: str = "",
    substitute_ids: Sequence[str] = (),
) -> pb.LessonInfo:
    """A LessonInfo."""
    return pb.LessonInfo(
        id=lesson.id,
        institution_id=lesson.institution_id,
        study_year_id=lesson.study_year_id,
        group_id=lesson.group_id,
        subject_id=lesson.subject_id,
        teacher_id=lesson.teacher_id,
        date=day(lesson.date),
        start=local_time(lesson.start),
        duration=lesson.duration,
        status=lesson.status,  # type: ignore[arg-type]
        period_id=period_id,
        due_at=timestamp(lesson.due_at),
        overdue=overdue,
        read_only=bool(read_only_reason),
        read_only_reason=read_only_reason,
        substitute_ids=list(substitute_ids),
    )


def save_input_from_proto(request: pb.SaveLessonRequest) -> SaveInput:
    """What a SaveLessonRequest asks for (enum values are checked by the domain)."""
    record = None
    if request.HasField("record"):
        r = request.record
        record = LessonRecord(
            topic=r.topic,
            material=r.material,
            kind=r.kind or LessonKind.LESSON,  # type: ignore[arg-type]
            homework=r.homework,
            notes=r.notes,
        )
    marks = None
    if request.HasField("marks"):
        marks = [
            MarkInput(m.id, m.student_id, m.value, m.type_code, m.comment)
            for m in request.marks.marks
        ]
    all_status = None
    if request.attendance_all:
        try:
            all_status = AttendanceStatus(request.attendance_all)
        except ValueError:
            raise invalid("attendance_all", "is not an attendance status") from None
    return SaveInput(
        record=record,
        attendance_all=all_status,
        attendance=[
            AttendanceEntry(a.student_id, a.status, a.late_minutes, a.reason)  # type: ignore[arg-type]
            for a in request.attendance
        ],
        marks=marks,
    )


def scale_to_proto(scale: MarkScale) -> pb.MarkScale:
    """A MarkScale."""
    return pb.MarkScale(
        id=scale.id,
        institution_id=scale.institution_id,
        code=scale.code,
        name=scale.name,
        kind=int(scale.kind),  # type: ignore[arg-type]
        values=[
            pb.ScaleValue(
                value=v.value, label=v.label, score=v.score, passing=v.passing, final=v.final
            )
            for v in scale.values
        ],
        subject_ids=sorted(scale.subject_ids),
        is_default=scale.is_default,
    )


def scale_from_proto(scale: pb.MarkScale) -> MarkScale:
    """A scale as a deputy sends it."""
    try:
        kind = ScaleKind(scale.kind)
    except ValueError:
        raise invalid("scale.kind", "is required") from None
    return MarkScale(
        id=scale.id,
        institution_id=scale.institution_id,
        code=scale.code.strip(),
        name=scale.name.strip(),
        kind=kind,
        values=tuple(
            ScaleValue(
                v.value.strip(), v.label.strip() or v.value.strip(), v.score, v.passing, v.final
            )
            for v in scale.values
        ),
        subject_ids=frozenset(scale.subject_ids),
        is_default=scale.is_default,
    )


def mark_type_to_proto(item: MarkType) -> pb.MarkType:
    """A MarkType."""
    return pb.MarkType(
        institution_id=item.institution_id,
        code=item.code,
        name=item.name,
        weight=item.weight,
        archived=item.archived,
    )


def mark_type_from_proto(item: pb.MarkType) -> MarkType:
    """A mark type as a deputy sends it."""
    return MarkType(
        item.institution_id, item.code.strip(), item.name.strip(), item.weight, 0, item.archived
    )


def settings_to_proto(item: InstitutionSettings) -> pb.JournalSettings:
    """JournalSettings."""
    return pb.JournalSettings(
        institution_id=item.institution_id,
        colleagues_may_fill_in=item.colleagues_may_fill_in,
        warn_topic_not_in_russian=item.warn_topic_not_in_russian,
        unlock_hours=item.unlock_hours,
    )
