"""A save's rules without I/O: every problem named at once, the diff of entries, the history
changes and warnings, period locks."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pytest

from zhurnal_journal.domain.entries import (
    AttendanceEntry,
    AttendanceStatus,
    LessonKind,
    LessonRecord,
    LessonState,
    MarkInput,
    SaveInput,
    ScheduledLesson,
    apply,
    plan_save,
)
from zhurnal_journal.domain.history import ChangeAction
from zhurnal_journal.domain.locks import Period, read_only_reason
from zhurnal_journal.domain.marking import (
    MarkingScheme,
    default_mark_types,
    default_scales,
    scale_for,
)
from zhurnal_kit.errors import InvalidArgument

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
ROSTER = frozenset({"s1", "s2", "s3"})


def lesson(**fields: object) -> ScheduledLesson:
    values: dict[str, object] = {
        "id": "L1",
        "institution_id": "I",
        "study_year_id": "Y",
        "group_id": "G",
        "subject_id": "maths",
        "teacher_id": "T",
        "date": date(2026, 11, 19),
        "start": time(10),
        "duration": 45,
        "status": 1,
        "kept_read_only": False,
        "due_at": datetime(2026, 11, 19, 21, tzinfo=UTC),
    }
    return ScheduledLesson(**(values | fields))  # type: ignore[arg-type]


def plan(state: LessonState, save: SaveInput, *, held: bool = True, warn: bool = True):  # type: ignore[no-untyped-def]
    scheme = MarkingScheme(default_scales("I"), default_mark_types("I"))
    ids = (f"m{n}" for n in itertools.count(1))
    return plan_save(
        state,
        save,
        roster=ROSTER,
        scheme=scheme,
        scale=scale_for(scheme.scales, "maths"),
        actor="A",
        now=NOW,
        held=held,
        warn_not_in_russian=warn,
        new_id=lambda: next(ids),
    )


def fields(error: pytest.ExceptionInfo[InvalidArgument]) -> list[str]:
    return [v.field for v in error.value.violations]


def test_a_whole_lesson_becomes_one_change_per_entry() -> None:
    state = LessonState(lesson())
    result = plan(
        state,
        SaveInput(
            record=LessonRecord("  Дроби   и  проценты ", kind=LessonKind.PRACTICAL),
            attendance_all=AttendanceStatus.PRESENT,
            attendance=[AttendanceEntry("s2", AttendanceStatus.LATE, 5)],
            marks=[MarkInput("", "s1", "5"), MarkInput("", "s1", "4-", "written")],
        ),
    )
    assert result.record == LessonRecord("Дроби и проценты", kind=LessonKind.PRACTICAL)
    assert result.first_topic and not result.warnings
    assert {e.student_id: e.status for e in result.attendance} == {
        "s1": AttendanceStatus.PRESENT,
        "s2": AttendanceStatus.LATE,
        "s3": AttendanceStatus.PRESENT,
    }
    assert [(m.value, m.type_code, m.weight, m.score) for m in result.marks_created] == [
        ("5", "oral", 1.0, 5.0),
        ("4-", "written", 2.0, 4 - 0.33),
    ]
    assert [(c.entity, c.action) for c in result.changes] == [
        ("lesson_record", ChangeAction.CREATE),
        *[("attendance", ChangeAction.CREATE)] * 3,
        *[("mark", ChangeAction.CREATE)] * 2,
    ]
    assert all(c.lesson_id == "L1" and c.responsible_teacher_id == "T" for c in result.changes)
    after = apply(state, result, actor="A", now=NOW)
    assert after.version == 1 and after.recorded_at == NOW and len(after.marks) == 2


def test_every_problem_is_named_at_once_and_nothing_is_planned() -> None:
    with pytest.raises(InvalidArgument) as refused:
        plan(
            LessonState(lesson()),
            SaveInput(
                record=LessonRecord(" "),
                attendance=[
                    AttendanceEntry("stranger", AttendanceStatus.PRESENT),
                    AttendanceEntry("s1", AttendanceStatus.LATE, 0),
                    AttendanceEntry("s2", AttendanceStatus.PRESENT, 3),
                    AttendanceEntry("s3", 0),  # type: ignore[arg-type]
                ],
                marks=[
                    MarkInput("", "s1", "6"),
                    MarkInput("", "s1", "5", "essay"),
                    MarkInput("nope", "s1", "5"),
                    MarkInput("", "stranger", "5"),
                ],
            ),
        )
    assert fields(refused) == [
        "record.topic",
        "attendance[0].student_id",
        "attendance[1].late_minutes",
        "attendance[2].late_minutes",
        "attendance[3].status",
        "marks[0].value",
        "marks[1].type_code",
        "marks[2].id",
        "marks[3].student_id",
    ]


def test_marks_not_resent_are_removed_and_changed_ones_keep_their_id() -> None:
    state = LessonState(lesson())
    first = plan(state, SaveInput(marks=[MarkInput("", "s1", "5"), MarkInput("", "s2", "3")]))
    state = apply(state, first, actor="A", now=NOW)
    second = plan(state, SaveInput(marks=[MarkInput("m1", "s1", "4")]))
    assert [(b.value, a.value, a.id) for b, a in second.marks_changed] == [("5", "4", "m1")]
    assert [m.id for m in second.marks_removed] == ["m2"]
    assert [(c.entity_id, c.action) for c in second.changes] == [
        ("m1", ChangeAction.UPDATE),
        ("m2", ChangeAction.DELETE),
    ]
    # A mark cannot be moved to another student by its id.
    with pytest.raises(InvalidArgument) as moved:
        plan(state, SaveInput(marks=[MarkInput("m1", "s3", "5")]))
    assert fields(moved) == ["marks[0].student_id"]


def test_a_save_equal_to_what_is_stored_changes_nothing() -> None:
    state = LessonState(lesson())
    save = SaveInput(
        record=LessonRecord("Дроби"),
        attendance_all=AttendanceStatus.PRESENT,
        marks=[MarkInput("", "s1", "5")],
    )
    state = apply(state, plan(state, save), actor="A", now=NOW)
    again = SaveInput(
        record=LessonRecord("Дроби"),
        attendance_all=AttendanceStatus.PRESENT,
        marks=[MarkInput("m1", "s1", "5")],
    )
    result = plan(state, again)
    assert result.empty and apply(state, result, actor="A", now=NOW).version == 1


def test_a_topic_without_russian_letters_is_a_warning_that_can_be_turned_off() -> None:
    assert [
        w.field for w in plan(LessonState(lesson()), SaveInput(LessonRecord("Fractions"))).warnings
    ] == ["record.topic"]
    assert not plan(
        LessonState(lesson()), SaveInput(LessonRecord("Fractions")), warn=False
    ).warnings


def test_attendance_and_marks_wait_for_the_lesson_but_a_topic_may_come_ahead() -> None:
    ahead = LessonState(lesson(date=date(2026, 11, 25)))
    assert plan(ahead, SaveInput(LessonRecord("Дроби")), held=False).record is not None
    with pytest.raises(InvalidArgument) as early:
        plan(ahead, SaveInput(marks=[MarkInput("", "s1", "5")]), held=False)
    assert fields(early) == ["marks"]


def test_a_closed_period_is_locked_until_an_unlock_is_in_force() -> None:
    closed = Period("P", "Y", "Первая четверть", date(2026, 9, 1), date(2026, 10, 31), True)
    assert closed.locked(NOW)
    assert not Period(**{**closed.__dict__, "unlocked_until": NOW + timedelta(hours=1)}).locked(NOW)
    assert Period(**{**closed.__dict__, "unlocked_until": NOW - timedelta(seconds=1)}).locked(NOW)
    assert "закрыт" in read_only_reason(lesson(), closed, NOW)
    assert read_only_reason(lesson(), Period(**{**closed.__dict__, "closed": False}), NOW) == ""
    assert "отменено" in read_only_reason(lesson(status=3), None, NOW)
    assert "только для чтения" in read_only_reason(lesson(status=3, kept_read_only=True), None, NOW)
