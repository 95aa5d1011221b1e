"""Translation between the timetable domain and its proto contract."""

from __future__ import annotations

from datetime import datetime, time

from zhurnal.curriculum.v1 import events_pb2
from zhurnal.curriculum.v1 import timetable_pb2 as pb
from zhurnal_curriculum.adapters.protos import day
from zhurnal_curriculum.domain.timetable import (
    EntriesDecision,
    Lesson,
    LessonCancelled,
    LessonEvent,
    LessonMoved,
    LessonScheduled,
    LessonStatus,
    Slot,
    Substitution,
    WeekParity,
)
from zhurnal_kit.errors import invalid

PARITIES: dict[int, WeekParity] = {
    pb.WEEK_PARITY_UNSPECIFIED: WeekParity.EVERY,
    pb.WEEK_PARITY_EVERY: WeekParity.EVERY,
    pb.WEEK_PARITY_ODD: WeekParity.ODD,
    pb.WEEK_PARITY_EVEN: WeekParity.EVEN,
}
_PARITY_PB = {
    WeekParity.EVERY: pb.WEEK_PARITY_EVERY,
    WeekParity.ODD: pb.WEEK_PARITY_ODD,
    WeekParity.EVEN: pb.WEEK_PARITY_EVEN,
}
_STATUS_PB = {
    LessonStatus.SCHEDULED: pb.LESSON_STATUS_SCHEDULED,
    LessonStatus.MOVED: pb.LESSON_STATUS_MOVED,
    LessonStatus.CANCELLED: pb.LESSON_STATUS_CANCELLED,
}

_DECISION_PB: dict[EntriesDecision, pb.EntriesDecision.ValueType] = {
    EntriesDecision.ENTRIES_FOLLOW: pb.ENTRIES_DECISION_ENTRIES_FOLLOW,
    EntriesDecision.KEEP_READ_ONLY: pb.ENTRIES_DECISION_KEEP_READ_ONLY,
    EntriesDecision.KEEP_AS_EXTRA: pb.ENTRIES_DECISION_KEEP_AS_EXTRA,
}
_DECISIONS: dict[int, EntriesDecision] = {value: key for key, value in _DECISION_PB.items()}


def local_time(value: time) -> pb.LocalTime:
    """A proto LocalTime."""
    return pb.LocalTime(hour=value.hour, minute=value.minute)


def from_local_time(value: pb.LocalTime, field: str) -> time:
    """A local time from the proto; an impossible one names the field."""
    try:
        return time(value.hour, value.minute)
    except ValueError:
        raise invalid(field, "must be a time of day (hour 0-23, minute 0-59)") from None


def decision(value: int) -> EntriesDecision | None:
    """The domain decision, None when unspecified."""
    return _DECISIONS.get(value)


def slot_to_proto(item: Slot, study_year_id: str) -> pb.Slot:
    """The contract's view of a slot."""
    message = pb.Slot(
        id=item.id,
        study_year_id=study_year_id,
        group_id=item.group_id,
        subject_id=item.subject_id,
        teacher_id=item.teacher_id,
        weekday=item.weekday,
        start=local_time(item.start),
        duration=item.duration,
        room=item.room or "",
        parity=_PARITY_PB[item.parity],
        effective_from=day(item.effective_from),
    )
    if item.effective_until is not None:
        message.effective_until.CopyFrom(day(item.effective_until))
    return message


def lesson_to_proto(
    item: Lesson, *, study_year_id: str, institution_id: str, substituted: bool = False
) -> pb.Lesson:
    """The contract's view of a dated lesson."""
    message = pb.Lesson(
        id=item.id,
        institution_id=institution_id,
        study_year_id=study_year_id,
        slot_id=item.slot_id or "",
        group_id=item.group_id,
        subject_id=item.subject_id,
        teacher_id=item.teacher_id,
        date=day(item.date),
        start=local_time(item.start),
        duration=item.duration,
        room=item.room or "",
        status=_STATUS_PB[item.status],
        change_reason=item.change_reason,
        substituted=substituted,
    )
    if item.moved_from_date is not None:
        message.moved_from_date.CopyFrom(day(item.moved_from_date))
    if item.moved_from_start is not None:
        message.moved_from_start.CopyFrom(local_time(item.moved_from_start))
    return message


def _instant(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def substitution_to_proto(item: Substitution, *, now: datetime) -> pb.Substitution:
    """The contract's view of a substitution."""
    return pb.Substitution(
        id=item.id,
        lesson_id=item.lesson_id,
        teacher_id=item.teacher_id,
        substitute_teacher_id=item.substitute_teacher_id,
        reason=item.reason,
        valid_from=_instant(item.valid_from),
        valid_until=_instant(item.valid_until),
        revoked_at=_instant(item.revoked_at),
        active=item.active_at(now),
        set_by=item.set_by,
    )


def lesson_event_to_proto(
    event: LessonEvent, lesson: Lesson, *, study_year_id: str, institution_id: str
) -> events_pb2.LessonScheduled | events_pb2.LessonMoved | events_pb2.LessonCancelled:
    """The integration event of a one-off change (``lesson`` is its new state)."""
    state = lesson_to_proto(lesson, study_year_id=study_year_id, institution_id=institution_id)
    if isinstance(event, LessonScheduled):
        return events_pb2.LessonScheduled(lesson=state, reason=event.reason)
    entries = _DECISION_PB.get(event.entries) if event.entries else None
    if isinstance(event, LessonMoved):
        return events_pb2.LessonMoved(
            lesson=state,
            from_date=day(event.from_date),
            from_start=local_time(event.from_start),
            reason=event.reason,
            entries=entries or pb.ENTRIES_DECISION_UNSPECIFIED,
        )
    assert isinstance(event, LessonCancelled)
    return events_pb2.LessonCancelled(
        lesson=state, reason=event.reason, entries=entries or pb.ENTRIES_DECISION_UNSPECIFIED
    )
