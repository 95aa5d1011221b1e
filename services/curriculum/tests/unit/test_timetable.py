"""The timetable: generation from weekly slots, conflicts, one-off changes with decisions about
journal entries, reconciliation after template changes, substitutions (R-1.4, R-5)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from zhurnal_curriculum.domain.calendar import StudyYear
from zhurnal_curriculum.domain.timetable import (
    LESSON_NAMESPACE,
    MAX_NAMED_CONFLICTS,
    Blocked,
    ConflictKind,
    EntriesDecision,
    Lesson,
    LessonCancelled,
    LessonMoved,
    LessonStatus,
    Slot,
    Substitution,
    TimetableConflict,
    WeekParity,
    WorkingCalendar,
    cancel,
    check_slot,
    conflicts,
    conflicts_among,
    extra,
    generate,
    lesson_id,
    move,
    reconcile,
    resolve,
    substitute_ids,
    substitute_window,
)
from zhurnal_kit.errors import DomainError, FailedPrecondition, InvalidArgument

MOSCOW = ZoneInfo("Europe/Moscow")
# 2026-09-01 is a Tuesday; the study year's week 1 is 31 August .. 6 September.
SEP_1, SEP_7, SEP_30 = date(2026, 9, 1), date(2026, 9, 7), date(2026, 9, 30)


@dataclass(frozen=True)
class Calendar:
    """A working calendar from 1 September: the working week minus the given holidays."""

    holidays: frozenset[date] = frozenset()
    working_days: frozenset[int] = frozenset(range(5))
    starts: date = SEP_1

    def is_school_day(self, day: date) -> bool:
        return (
            day >= self.starts and day.weekday() in self.working_days and day not in self.holidays
        )

    def week_number(self, day: date) -> int:
        first_monday = self.starts - timedelta(days=self.starts.weekday())
        return (day - first_monday).days // 7 + 1


FIVE_DAYS = Calendar()


def slot(**overrides: Any) -> Slot:
    fields: dict[str, Any] = {
        "group_id": "5a",
        "subject_id": "maths",
        "teacher_id": "ivanova",
        "weekday": 0,
        "start": time(8, 30),
        "duration": 45,
        "room": "12",
        "effective_from": SEP_1,
    }
    return Slot.define(**(fields | overrides))


def lesson(**overrides: Any) -> Lesson:
    fields: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "slot_id": "s",
        "group_id": "5a",
        "subject_id": "maths",
        "teacher_id": "ivanova",
        "date": SEP_7,
        "start": time(8, 30),
        "duration": 45,
        "room": "12",
    }
    return Lesson(**(fields | overrides))


def dates(lessons: list[Lesson]) -> list[date]:
    return [x.date for x in lessons]


# Generation.


def test_generation_skips_days_without_lessons() -> None:
    holiday = date(2026, 9, 14)
    mondays = generate([slot()], Calendar(holidays=frozenset({holiday})), SEP_1, SEP_30)
    assert dates(mondays) == [SEP_7, date(2026, 9, 21), date(2026, 9, 28)]
    assert all(x.start == time(8, 30) and x.room == "12" for x in mondays)
    saturday = slot(weekday=5)
    assert generate([saturday], FIVE_DAYS, SEP_1, SEP_30) == []
    six_days = Calendar(working_days=frozenset(range(6)))
    assert dates(generate([saturday], six_days, SEP_1, SEP_30))[0] == date(2026, 9, 5)


def test_alternating_weeks_follow_the_study_years_week_numbers() -> None:
    odd = slot(weekday=1, parity=WeekParity.ODD, subject_id="physics")
    even = slot(weekday=1, parity=WeekParity.EVEN, subject_id="chemistry")
    lessons = generate([odd, even], FIVE_DAYS, SEP_1, SEP_30)
    assert [(x.date.day, x.subject_id) for x in lessons] == [
        (1, "physics"),  # week 1
        (8, "chemistry"),
        (15, "physics"),
        (22, "chemistry"),
        (29, "physics"),
    ]


def test_effective_ranges_are_inclusive_and_hand_over_between_slots() -> None:
    old = slot(weekday=3, effective_until=date(2026, 9, 17), teacher_id="ivanova")
    new = slot(weekday=3, effective_from=date(2026, 9, 18), teacher_id="petrov")
    lessons = generate([old, new], FIVE_DAYS, SEP_1, SEP_30)
    assert [(x.date.day, x.teacher_id) for x in lessons] == [
        (3, "ivanova"),
        (10, "ivanova"),
        (17, "ivanova"),
        (24, "petrov"),
    ]
    late = slot(weekday=3, effective_from=date(2026, 9, 10), effective_until=date(2026, 9, 24))
    assert dates(generate([late], FIVE_DAYS, SEP_1, SEP_30)) == [
        date(2026, 9, 10),
        date(2026, 9, 17),
        date(2026, 9, 24),
    ]


def test_parity_and_effective_range_helpers_agree_with_generation() -> None:
    assert [WeekParity.ODD.matches(w) for w in (1, 2, 3)] == [True, False, True]
    assert [WeekParity.EVEN.matches(w) for w in (1, 2)] == [False, True]
    assert WeekParity.EVERY.matches(2)
    ranged = slot(effective_from=SEP_7, effective_until=date(2026, 9, 14))
    assert [ranged.in_effect(d) for d in (SEP_1, SEP_7, date(2026, 9, 14), SEP_30)] == [
        False,
        True,
        True,
        False,
    ]


def test_lesson_ids_derive_from_slot_and_date_so_regeneration_is_idempotent() -> None:
    a, b = slot(), slot(start=time(9, 30))
    first = generate([a, b], FIVE_DAYS, SEP_1, SEP_30)
    again = generate([b, a], FIVE_DAYS, SEP_1, SEP_30)
    assert first == again
    assert first[0].id == lesson_id(a.id, SEP_7)
    assert first[0].id == str(uuid.uuid5(LESSON_NAMESPACE, f"{a.id}/2026-09-07"))
    assert len({x.id for x in first}) == len(first)
    # An edited slot keeps its id, so its lessons keep theirs.
    edited = slot(slot_id=a.id, room="14")
    assert generate([edited], FIVE_DAYS, SEP_1, SEP_30)[0].id == first[0].id


def test_lessons_come_sorted_by_date_and_start() -> None:
    slots = [
        slot(weekday=2, start=time(10, 0)),
        slot(weekday=0, start=time(12, 0), group_id="5b"),
        slot(weekday=0, start=time(8, 0), group_id="5c"),
        slot(weekday=2, start=time(8, 0), group_id="5b"),
    ]
    lessons = generate(slots, FIVE_DAYS, SEP_1, SEP_30)
    assert lessons == sorted(lessons, key=lambda x: (x.date, x.start))
    assert len(lessons) == 2 * 4 + 2 * 5  # four Mondays and five Wednesdays


def test_the_study_year_is_a_working_calendar() -> None:
    year = StudyYear.create(
        institution_id="i", name="2026/2027", starts=SEP_1, ends=date(2027, 5, 31)
    ).with_holiday(date(2026, 11, 2), date(2026, 11, 8), "осенние каникулы")
    calendar: WorkingCalendar = year
    lessons = generate([slot()], calendar, SEP_1, date(2026, 11, 30))
    assert date(2026, 11, 2) not in dates(lessons)
    assert date(2026, 11, 9) in dates(lessons)


@pytest.mark.parametrize(("start", "end"), [(SEP_30, SEP_1), (SEP_1, SEP_1 + timedelta(days=401))])
def test_generation_refuses_a_bad_range(start: date, end: date) -> None:
    with pytest.raises(InvalidArgument) as caught:
        generate([slot()], FIVE_DAYS, start, end)
    assert caught.value.violations[0].field == "end"


# Slots.


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"group_id": ""}, ["group_id"]),
        ({"subject_id": " ", "teacher_id": ""}, ["subject_id", "teacher_id"]),
        ({"weekday": 7}, ["weekday"]),
        ({"start": time(8, 30, 15)}, ["start"]),
        ({"start": time(8, 30, tzinfo=UTC)}, ["start"]),
        ({"duration": 0}, ["duration"]),
        ({"duration": 601}, ["duration"]),
        ({"start": time(23, 30), "duration": 45}, ["duration"]),
        ({"room": "К" * 51}, ["room"]),
        ({"parity": None}, ["parity"]),
        ({"effective_until": date(2026, 8, 31)}, ["effective_until"]),
        # 1..4 September is Tuesday to Friday: no Monday in the range.
        ({"effective_until": date(2026, 9, 4)}, ["effective_until"]),
    ],
)
def test_bad_slots_name_their_fields(overrides: dict[str, Any], fields: list[str]) -> None:
    with pytest.raises(InvalidArgument) as caught:
        slot(**overrides)
    assert [v.field for v in caught.value.violations] == fields


def test_slots_normalise_rooms_and_may_end_at_midnight() -> None:
    assert slot(room="  Каб.   12 ").room == "Каб. 12"
    assert slot(room="  ").room is None
    late = slot(start=time(23, 0), duration=60)
    assert generate([late], FIVE_DAYS, SEP_7, SEP_7)[0].when == "2026-09-07 23:00-24:00"


# Conflicts.


def test_the_same_teacher_group_or_room_cannot_be_in_two_lessons_at_once() -> None:
    existing = lesson(id="L1")
    cases = {
        ConflictKind.TEACHER: lesson(group_id="6b", room="20", start=time(9, 0)),
        ConflictKind.GROUP: lesson(teacher_id="petrov", room="20", start=time(8, 0)),
        ConflictKind.ROOM: lesson(teacher_id="petrov", group_id="6b", room="12"),
    }
    for kind, candidate in cases.items():
        [found] = conflicts([candidate], [existing])
        assert found.kinds == (kind,)
        assert found.lesson == candidate and found.other == existing
    [all_three] = conflicts([lesson()], [existing])
    assert all_three.kinds == (ConflictKind.TEACHER, ConflictKind.GROUP, ConflictKind.ROOM)


def test_a_conflict_names_the_other_lesson() -> None:
    existing = lesson(id="L1")
    [found] = conflicts([lesson(group_id="6b", room=None)], [existing])
    assert found.describe() == (
        "overlaps lesson L1 on 2026-09-07 08:30-09:15 (same teacher): "
        "group 5a, subject maths, teacher ivanova, room 12"
    )


def test_rooms_compare_without_case_and_lessons_without_a_room_share_none() -> None:
    existing = lesson(room="Спортзал")
    other_people = {"teacher_id": "petrov", "group_id": "6b"}
    assert conflicts([lesson(room="спортзал", **other_people)], [existing])
    assert not conflicts([lesson(room=None, **other_people)], [lesson(room=None)])


def test_touching_lessons_do_not_overlap() -> None:
    first = lesson(start=time(8, 0), duration=45)
    second = lesson(start=time(8, 45), duration=45)
    assert conflicts([second], [first]) == []
    assert conflicts([first], [second]) == []
    assert conflicts([lesson(start=time(8, 44))], [first])


def test_other_days_cancelled_lessons_and_the_lesson_itself_do_not_conflict() -> None:
    existing = lesson(id="L1")
    assert conflicts([lesson(date=date(2026, 9, 8))], [existing]) == []
    assert conflicts([lesson()], [replace(existing, status=LessonStatus.CANCELLED)]) == []
    assert conflicts([lesson(status=LessonStatus.CANCELLED)], [existing]) == []
    assert conflicts([replace(existing, room="14")], [existing]) == []


def test_conflicts_within_one_timetable_are_reported_once_per_pair() -> None:
    a = lesson(id="a")
    b = lesson(id="b", group_id="6b", room="20", start=time(9, 0))
    c = lesson(id="c", teacher_id="petrov", group_id="7c", room="30")
    found = conflicts_among([a, b, c])
    assert sorted((x.lesson.id, x.other.id) for x in found) == [("a", "b")]


def test_check_slot_refuses_an_overlap_naming_the_conflicting_lesson() -> None:
    maths = slot()
    physics = slot(group_id="6b", subject_id="physics", room="20", start=time(9, 0))
    with pytest.raises(TimetableConflict) as caught:
        check_slot(physics, [maths], FIVE_DAYS, SEP_1, SEP_30)
    error = caught.value
    assert isinstance(error, FailedPrecondition)
    assert len(error.conflicts) == 4  # the four Mondays of September
    first = error.violations[0]
    assert first.field == "slot"
    assert first.description.startswith(
        f"overlaps lesson {lesson_id(maths.id, SEP_7)} on 2026-09-07 08:30-09:15 (same teacher)"
    )


def test_check_slot_names_at_most_a_few_lessons() -> None:
    maths = slot()
    clash = slot(group_id="6b", room="20")
    with pytest.raises(TimetableConflict) as caught:
        check_slot(clash, [maths], FIVE_DAYS, SEP_1, date(2027, 5, 31))
    assert len(caught.value.conflicts) > MAX_NAMED_CONFLICTS
    assert len(caught.value.violations) == MAX_NAMED_CONFLICTS
    assert "the first 10 are named" in caught.value.message


def test_check_slot_returns_the_lessons_and_ignores_the_slots_old_version() -> None:
    maths = slot()
    edited = slot(slot_id=maths.id, start=time(8, 45))
    lessons = check_slot(edited, [maths], FIVE_DAYS, SEP_1, SEP_30)
    assert [x.id for x in lessons] == [lesson_id(maths.id, x.date) for x in lessons]


def test_check_slot_sees_stored_moves_and_extra_lessons() -> None:
    maths = slot()
    [first, *_] = generate([maths], FIVE_DAYS, SEP_1, SEP_30)
    moved, _ = move(first, first.date, time(12, 0), reason="учитель на семинаре", has_entries=False)
    noon = slot(group_id="6b", room="20", start=time(12, 0))
    with pytest.raises(TimetableConflict) as caught:
        check_slot(noon, [maths], FIVE_DAYS, SEP_1, SEP_30, stored=[moved])
    assert [c.other.id for c in caught.value.conflicts] == [first.id]
    # Where the lesson was moved away from is free.
    same_time = slot(group_id="6b", room="20")
    assert check_slot(same_time, [maths], FIVE_DAYS, SEP_7, SEP_7, stored=[moved])
    with pytest.raises(TimetableConflict):
        check_slot(same_time, [maths], FIVE_DAYS, SEP_7, SEP_7)
    # An extra lesson holds its room.
    same_room = slot(group_id="6b", teacher_id="petrov")
    stored_extra = lesson(id="x", slot_id=None)
    with pytest.raises(TimetableConflict) as caught:
        check_slot(same_room, [], FIVE_DAYS, SEP_1, SEP_30, stored=[stored_extra])
    assert caught.value.conflicts[0].kinds == (ConflictKind.ROOM,)


# One-off changes.


def test_moving_a_lesson_keeps_its_id_and_where_it_came_from() -> None:
    original = lesson()
    moved, event = move(
        original, date(2026, 9, 9), time(10, 0), reason="  болезнь учителя ", has_entries=False
    )
    assert (moved.id, moved.status, moved.date, moved.start) == (
        original.id,
        LessonStatus.MOVED,
        date(2026, 9, 9),
        time(10, 0),
    )
    assert (moved.moved_from_date, moved.moved_from_start) == (SEP_7, time(8, 30))
    assert moved.change_reason == "болезнь учителя"
    assert isinstance(event, LessonMoved)
    assert (event.from_date, event.to_date, event.reason, event.entries) == (
        SEP_7,
        date(2026, 9, 9),
        "болезнь учителя",
        None,
    )
    again, second = move(moved, date(2026, 9, 10), time(10, 0), reason="ещё раз", has_entries=False)
    assert again.moved_from_date == SEP_7  # still where the timetable had it
    assert second.from_date == date(2026, 9, 9)
    room_only, _ = move(
        original, SEP_7, time(8, 30), reason="ремонт", has_entries=False, new_room="14"
    )
    assert (room_only.room, room_only.status) == ("14", LessonStatus.MOVED)


def test_moving_a_lesson_with_entries_needs_the_decision_that_they_follow() -> None:
    with pytest.raises(FailedPrecondition) as caught:
        move(lesson(), date(2026, 9, 9), time(10, 0), reason="болезнь", has_entries=True)
    assert caught.value.violations[0].field == "decision"
    assert "entries-follow" in caught.value.violations[0].description
    with pytest.raises(InvalidArgument) as wrong:
        move(
            lesson(),
            date(2026, 9, 9),
            time(10, 0),
            reason="болезнь",
            has_entries=True,
            decision=EntriesDecision.KEEP_READ_ONLY,
        )
    assert wrong.value.violations[0].field == "decision"
    moved, event = move(
        lesson(),
        date(2026, 9, 9),
        time(10, 0),
        reason="болезнь",
        has_entries=True,
        decision=EntriesDecision.ENTRIES_FOLLOW,
    )
    assert moved.status == LessonStatus.MOVED
    assert event.entries == EntriesDecision.ENTRIES_FOLLOW


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"reason": " "}, InvalidArgument, "reason"),
        ({"reason": "п" * 501}, InvalidArgument, "reason"),
        ({"new_start": time(23, 30)}, InvalidArgument, "duration"),
        ({"new_start": time(10, 0, 30)}, InvalidArgument, "new_start"),
        ({"new_date": SEP_7, "new_start": time(8, 30)}, InvalidArgument, "new_date"),
        ({"lesson": lesson(status=LessonStatus.CANCELLED)}, FailedPrecondition, "lesson_id"),
    ],
)
def test_bad_moves_name_the_field(
    kwargs: dict[str, Any], error: type[DomainError], field: str
) -> None:
    args: dict[str, Any] = {
        "lesson": lesson(),
        "new_date": date(2026, 9, 9),
        "new_start": time(10, 0),
        "reason": "болезнь",
        "has_entries": False,
    }
    with pytest.raises(error) as caught:
        move(**(args | kwargs))
    assert caught.value.violations[0].field == field


def test_cancelling_keeps_the_lesson_and_with_entries_needs_a_decision() -> None:
    cancelled, event = cancel(lesson(), reason="карантин", has_entries=False)
    assert cancelled.status == LessonStatus.CANCELLED
    assert (cancelled.date, cancelled.change_reason) == (SEP_7, "карантин")
    assert isinstance(event, LessonCancelled) and event.entries is None
    with pytest.raises(FailedPrecondition) as caught:
        cancel(lesson(), reason="карантин", has_entries=True)
    assert caught.value.violations[0].field == "decision"
    assert "keep-read-only" in caught.value.violations[0].description
    with pytest.raises(InvalidArgument):
        cancel(
            lesson(),
            reason="карантин",
            has_entries=True,
            decision=EntriesDecision.ENTRIES_FOLLOW,
        )
    kept, event = cancel(
        lesson(), reason="карантин", has_entries=True, decision=EntriesDecision.KEEP_READ_ONLY
    )
    assert kept.status == LessonStatus.CANCELLED
    assert event.entries == EntriesDecision.KEEP_READ_ONLY
    with pytest.raises(FailedPrecondition) as twice:
        cancel(kept, reason="карантин", has_entries=True, decision=EntriesDecision.KEEP_READ_ONLY)
    assert twice.value.violations[0].field == "lesson_id"
    with pytest.raises(InvalidArgument) as no_reason:
        cancel(lesson(), reason="", has_entries=False)
    assert no_reason.value.violations[0].field == "reason"


def test_an_extra_lesson_stands_outside_the_template() -> None:
    added, event = extra(
        group_id="5a",
        subject_id="maths",
        teacher_id="ivanova",
        date=date(2026, 9, 12),  # a Saturday: competitions and excursions happen on days off
        start=time(10, 0),
        duration=180,
        room=" ",
        reason="экскурсия",
        lesson_id="x1",
    )
    assert (added.id, added.slot_id, added.room, added.status) == (
        "x1",
        None,
        None,
        LessonStatus.SCHEDULED,
    )
    assert (event.lesson_id, event.duration, event.reason) == ("x1", 180, "экскурсия")
    with pytest.raises(InvalidArgument) as caught:
        extra(
            group_id="",
            subject_id="maths",
            teacher_id="ivanova",
            date=SEP_7,
            start=time(10, 0),
            duration=0,
            reason="",
        )
    assert [v.field for v in caught.value.violations] == ["group_id", "duration", "reason"]


# Regeneration after a template change.


def test_reconcile_adds_updates_removes_and_keeps() -> None:
    old_slot = slot()
    stored = generate([old_slot], FIVE_DAYS, SEP_1, SEP_30)
    # The slot now starts later, ends on 21 September, and a new slot is added.
    edited = slot(slot_id=old_slot.id, start=time(9, 0), effective_until=date(2026, 9, 21))
    added = slot(weekday=2)
    regenerated = generate([edited, added], FIVE_DAYS, SEP_1, SEP_30)
    plan = reconcile(stored, regenerated, set())
    assert dates(list(plan.update)) == [SEP_7, date(2026, 9, 14), date(2026, 9, 21)]
    assert all(x.start == time(9, 0) for x in plan.update)
    assert dates(list(plan.remove)) == [date(2026, 9, 28)]
    assert len(plan.add) == 5 and all(x.slot_id == added.id for x in plan.add)
    assert plan.keep == () and plan.blocked == ()
    assert reconcile(regenerated, regenerated, set()).keep == tuple(regenerated)


def test_reconcile_never_drops_or_moves_a_lesson_with_entries_silently() -> None:
    old_slot = slot()
    stored = generate([old_slot], FIVE_DAYS, SEP_1, SEP_30)
    with_entries = {stored[0].id, stored[3].id}
    edited = slot(slot_id=old_slot.id, start=time(9, 0), effective_until=date(2026, 9, 21))
    plan = reconcile(stored, generate([edited], FIVE_DAYS, SEP_1, SEP_30), with_entries)
    assert [(b.existing.date, b.proposed is None) for b in plan.blocked] == [
        (SEP_7, False),  # would change time
        (date(2026, 9, 28), True),  # would disappear
    ]
    assert "has journal entries and would disappear" in plan.blocked[1].describe()
    assert dates(list(plan.update)) == [date(2026, 9, 14), date(2026, 9, 21)]
    assert plan.remove == ()
    # A new teacher or room is not a move: lessons with entries follow it.
    restaffed = slot(slot_id=old_slot.id, teacher_id="petrov", room="14")
    plan = reconcile(stored, generate([restaffed], FIVE_DAYS, SEP_1, SEP_30), with_entries)
    assert len(plan.update) == 4 and plan.blocked == ()


def test_reconcile_lets_one_off_changes_override_the_template() -> None:
    old_slot = slot()
    stored = generate([old_slot], FIVE_DAYS, SEP_1, SEP_30)
    moved, _ = move(stored[0], date(2026, 9, 8), time(10, 0), reason="перенос", has_entries=False)
    cancelled, _ = cancel(stored[1], reason="карантин", has_entries=False)
    added, _ = extra(
        group_id="5a",
        subject_id="maths",
        teacher_id="ivanova",
        date=date(2026, 9, 12),
        start=time(10, 0),
        duration=90,
        reason="олимпиада",
    )
    current = [moved, cancelled, *stored[2:], added]
    plan = reconcile(current, generate([old_slot], FIVE_DAYS, SEP_1, SEP_30), set())
    assert set(plan.keep) == set(current) and plan.add == ()
    # The slot is dropped: the moved and cancelled lessons go, with entries they wait, the
    # cancelled one with entries simply stays, and the extra lesson is not the template's.
    plan = reconcile(current, [], {moved.id, cancelled.id})
    assert [b.existing for b in plan.blocked] == [moved]
    assert set(plan.keep) == {cancelled, added}
    assert set(plan.remove) == set(stored[2:])


def test_decisions_resolve_blocked_lessons() -> None:
    stored = lesson()
    gone = Blocked(stored, None)
    cancelled, event = resolve(gone, EntriesDecision.KEEP_READ_ONLY, reason="кружок закрыт")
    assert cancelled.status == LessonStatus.CANCELLED and isinstance(event, LessonCancelled)
    kept, no_event = resolve(gone, EntriesDecision.KEEP_AS_EXTRA, reason="занятие было")
    assert (kept.slot_id, kept.date, no_event) == (None, SEP_7, None)
    assert reconcile([kept], [], {kept.id}).keep == (kept,)
    with pytest.raises(InvalidArgument) as nowhere:
        resolve(gone, EntriesDecision.ENTRIES_FOLLOW, reason="x")
    assert nowhere.value.violations[0].field == "decision"

    later = replace(stored, start=time(9, 0))
    changed, moved = resolve(Blocked(stored, later), EntriesDecision.ENTRIES_FOLLOW, reason="r")
    assert changed.start == time(9, 0) and isinstance(moved, LessonMoved)
    assert (moved.from_start, moved.to_start) == (time(8, 30), time(9, 0))
    kept, _ = resolve(Blocked(stored, later), EntriesDecision.KEEP_AS_EXTRA, reason="r")
    assert (kept.start, kept.slot_id) == (time(8, 30), None)
    assert reconcile([kept], [later], {kept.id}).keep == (kept,)  # the template leaves it be
    with pytest.raises(InvalidArgument):
        resolve(Blocked(stored, later), EntriesDecision.KEEP_READ_ONLY, reason="r")
    physics = replace(later, subject_id="physics")
    with pytest.raises(InvalidArgument) as other_subject:
        resolve(Blocked(stored, physics), EntriesDecision.ENTRIES_FOLLOW, reason="r")
    assert "cannot follow" in other_subject.value.violations[0].description
    with pytest.raises(InvalidArgument):
        resolve(gone, EntriesDecision.KEEP_READ_ONLY, reason=" ")


# Substitutions.

NOW = datetime(2026, 9, 6, 12, 0, tzinfo=MOSCOW)


def assign(**overrides: Any) -> Substitution:
    fields: dict[str, Any] = {
        "lesson": lesson(),
        "substitute_teacher_id": "petrov",
        "reason": "болезнь учителя",
        "tz": MOSCOW,
        "now": NOW,
    }
    return Substitution.assign(**(fields | overrides))


def test_a_substitution_grants_that_lesson_for_its_day_and_a_few_days_after() -> None:
    sub = assign()
    assert (sub.teacher_id, sub.substitute_teacher_id) == ("ivanova", "petrov")
    assert sub.valid_from == datetime(2026, 9, 7, tzinfo=MOSCOW)
    assert sub.valid_until == datetime(2026, 9, 11, tzinfo=MOSCOW)  # 7 September + 1 + 3
    assert (sub.valid_from, sub.valid_until) == substitute_window(lesson(), MOSCOW)
    assert not sub.active_at(datetime(2026, 9, 6, 20, 59, tzinfo=UTC))  # 23:59 in Moscow
    assert sub.active_at(datetime(2026, 9, 6, 21, 0, tzinfo=UTC))
    assert sub.active_at(datetime(2026, 9, 10, 20, 59, tzinfo=UTC))
    assert not sub.active_at(datetime(2026, 9, 10, 21, 0, tzinfo=UTC))
    assert not sub.revoke(NOW).active_at(datetime(2026, 9, 7, 9, 0, tzinfo=MOSCOW))
    during = datetime(2026, 9, 7, 9, 0, tzinfo=MOSCOW)
    other = replace(sub, lesson_id="another lesson", substitute_teacher_id="sidorova")
    assert substitute_ids(sub.lesson_id, [sub, other], during) == {"petrov"}
    assert substitute_ids("a lesson never substituted", [sub, other], during) == frozenset()
    shorter = assign(valid_until=datetime(2026, 9, 7, 18, 0, tzinfo=MOSCOW), grace_days=0)
    assert shorter.valid_until.hour == 18


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"substitute_teacher_id": "ivanova"}, ["substitute_teacher_id"]),
        ({"substitute_teacher_id": " "}, ["substitute_teacher_id"]),
        ({"reason": ""}, ["reason"]),
        ({"grace_days": 15}, ["grace_days"]),
        ({"valid_until": datetime(2026, 9, 11, 0, 1, tzinfo=MOSCOW)}, ["valid_until"]),
        ({"valid_until": datetime(2026, 9, 6, 23, 0, tzinfo=MOSCOW)}, ["valid_until"]),
        ({"valid_until": datetime(2026, 9, 8, 12, 0)}, ["valid_until"]),
    ],
)
def test_bad_substitutions_name_their_fields(overrides: dict[str, Any], fields: list[str]) -> None:
    with pytest.raises(InvalidArgument) as caught:
        assign(**overrides)
    assert [v.field for v in caught.value.violations] == fields


def test_a_substitution_needs_a_held_lesson_an_open_window_and_a_free_substitute() -> None:
    with pytest.raises(FailedPrecondition) as cancelled:
        assign(lesson=lesson(status=LessonStatus.CANCELLED))
    assert cancelled.value.violations[0].field == "lesson_id"
    with pytest.raises(FailedPrecondition) as late:
        assign(now=datetime(2026, 9, 11, 0, 0, tzinfo=MOSCOW))
    assert late.value.violations[0].field == "lesson_id"
    busy = lesson(id="P1", teacher_id="petrov", group_id="7c", room="30", start=time(9, 0))
    with pytest.raises(TimetableConflict) as taken:
        assign(busy=[busy])
    violation = taken.value.violations[0]
    assert violation.field == "substitute_teacher_id"
    assert "overlaps lesson P1 on 2026-09-07 09:00-09:45 (same teacher)" in violation.description
    # Only the substitute's own time matters: the lesson's group and room are theirs anyway.
    assert assign(busy=[lesson(id="G", teacher_id="sidorova", start=time(9, 0))])
