"""The timetable: weekly slots that produce the dated lessons of the year (R-1.4), one-off
changes, conflicts, and substitutions (R-5).

A slot is a line of the weekly template ("group 5А, maths, teacher T, Mondays 08:30, 45
minutes, room 12, odd weeks, from 1 September"). `generate` turns slots into dated lessons
on the school days of a working calendar; a lesson's id derives from its slot and date, so
generating again gives the same ids and journal entries keep pointing at their lessons.

Journal entries are history (R-1.6: control over change; R-2.2: the whole history at any
time). Nothing here deletes or rewrites a lesson that has entries without an explicit
`EntriesDecision`: moving or cancelling it, or a template change that would remove or move
it (`reconcile` puts such lessons in `Plan.blocked`).

Times are local to the institution (naive `time`s); the time zone only matters where a lesson
meets the clock of the world: the window of a substitution.

No I/O: the service layer loads slots, lessons and "which lessons have entries", calls these
functions and stores what they return.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol

from zhurnal_kit.errors import FailedPrecondition, FieldViolation, InvalidArgument

# A lesson is at most ten hours: an excursion or a competition day is recorded as one
# practical work, excursions and competitions are recorded like topics).
MAX_DURATION = 600
MAX_ROOM = 50
MAX_REASON = 500
# A study year and a little (the calendar allows 400 days): a bound on one generation.
MAX_RANGE_DAYS = 400
DEFAULT_GRACE_DAYS = 3
MAX_GRACE_DAYS = 14
# A weekly slot may clash on every week of the year; an error names this many lessons.
MAX_NAMED_CONFLICTS = 10
DAY_MINUTES = 24 * 60

# Lesson ids are uuid5(LESSON_NAMESPACE, "<slot id>/<ISO date>"). Stored lessons and journal
# entries refer to these ids: never change this value.
LESSON_NAMESPACE = uuid.UUID("adf2a7ab-f763-4387-89f8-ebf5dec1a0ed")


class WorkingCalendar(Protocol):
    """Which days have lessons and which week of the study year a day is in.

    The study year implements it (holidays, non-working days, the institution's five- or
    six-day week, moved working days); the timetable only asks.
    """

    def is_school_day(self, day: dt.date) -> bool:
        """Lessons are held on ``day``."""
        ...

    def week_number(self, day: dt.date) -> int:
        """The week of the study year ``day`` falls in, 1-based (odd and even weeks)."""
        ...


class WeekParity(StrEnum):
    """Which weeks of the study year a slot is held in (alternating weeks)."""

    EVERY = "every"
    ODD = "odd"
    EVEN = "even"

    def matches(self, week: int) -> bool:
        """A slot of this parity is held in week ``week`` of the study year."""
        if self == WeekParity.EVERY:
            return True
        return (week % 2 == 1) == (self == WeekParity.ODD)


class LessonStatus(StrEnum):
    """Where a dated lesson stands after one-off changes."""

    SCHEDULED = "scheduled"
    MOVED = "moved"  # held at another date or time than its slot says; see moved_from_*
    CANCELLED = "cancelled"  # not held; kept (never deleted) so its history and entries stay


class EntriesDecision(StrEnum):
    """What happens to a lesson's journal entries when the lesson moves or goes away.

    Asked for only when the lesson has entries; a change that would otherwise lose or misplace
    them is refused until someone chooses. There is deliberately no "delete the entries":
    entries are history (R-1.6, R-2.2); a wrong entry is corrected in the journal, where the
    change is recorded. Which decision fits which change:

    | change                                   | ENTRIES_FOLLOW | KEEP_READ_ONLY | KEEP_AS_EXTRA |
    |------------------------------------------|----------------|----------------|---------------|
    | `move`                                   | yes            |                |               |
    | `cancel`                                 |                | yes            |               |
    | template: the lesson would disappear     |                | yes            | yes           |
    | template: the lesson would change time   | yes            |                | yes           |
    """

    # The entries stay with the lesson at its new date and time (they were entered ahead,
    # or describe this lesson wherever it is held).
    ENTRIES_FOLLOW = "entries-follow"
    # The lesson is cancelled, not deleted; the journal keeps its entries read-only.
    KEEP_READ_ONLY = "keep-read-only"
    # The lesson was held as recorded: it stays, with its entries, as a one-off lesson that
    # the template no longer owns (later template changes leave it alone).
    KEEP_AS_EXTRA = "keep-as-extra"


@dataclass(frozen=True)
class Slot:
    """A line of the weekly template: who teaches what to which group, when and where."""

    id: str
    group_id: str
    subject_id: str
    teacher_id: str
    weekday: int  # 0 = Monday .. 6 = Sunday
    start: dt.time  # local time of the institution
    duration: int  # minutes
    room: str | None
    parity: WeekParity
    effective_from: dt.date
    effective_until: dt.date | None = None  # inclusive; None: until the template changes

    @classmethod
    def define(
        cls,
        *,
        group_id: str,
        subject_id: str,
        teacher_id: str,
        weekday: int,
        start: dt.time,
        duration: int,
        effective_from: dt.date,
        effective_until: dt.date | None = None,
        room: str | None = None,
        parity: WeekParity | None = WeekParity.EVERY,
        slot_id: str | None = None,
    ) -> Slot:
        """A validated slot, or InvalidArgument naming each bad field.

        ``slot_id`` is given when an existing slot is edited (its lessons keep their ids).
        """
        problems: list[FieldViolation] = []
        _require_ids(problems, group_id=group_id, subject_id=subject_id, teacher_id=teacher_id)
        weekday_ok = isinstance(weekday, int) and 0 <= weekday <= 6
        if not weekday_ok:
            problems.append(FieldViolation("weekday", "must be 0 (Monday) to 6 (Sunday)"))
        _check_time(problems, start, duration)
        room = _room(problems, room, "room")
        if parity is None:
            problems.append(FieldViolation("parity", "must be one of: " + ", ".join(WeekParity)))
        if effective_until is not None:
            if effective_until < effective_from:
                problems.append(
                    FieldViolation("effective_until", "must not be before effective_from")
                )
            elif weekday_ok and (effective_until - effective_from).days < 6:
                # A range shorter than a week may miss the slot's weekday: a slot that can
                # never produce a lesson is a mistake, not a template.
                days = (effective_until - effective_from).days + 1
                if all((effective_from.weekday() + n) % 7 != weekday for n in range(days)):
                    problems.append(
                        FieldViolation(
                            "effective_until", "the range holds no day of the slot's weekday"
                        )
                    )
        if problems:
            raise InvalidArgument("the timetable slot is not valid", problems)
        assert parity is not None
        return cls(
            id=slot_id or str(uuid.uuid4()),
            group_id=group_id,
            subject_id=subject_id,
            teacher_id=teacher_id,
            weekday=weekday,
            start=start,
            duration=duration,
            room=room,
            parity=parity,
            effective_from=effective_from,
            effective_until=effective_until,
        )

    def in_effect(self, day: dt.date) -> bool:
        """``day`` falls in the slot's effective range (both ends inclusive)."""
        return self.effective_from <= day and (
            self.effective_until is None or day <= self.effective_until
        )


@dataclass(frozen=True)
class Lesson:
    """A dated lesson: generated from a slot, or an extra one-off lesson (slot_id None)."""

    id: str
    slot_id: str | None
    group_id: str
    subject_id: str
    teacher_id: str
    date: dt.date
    start: dt.time
    duration: int
    room: str | None = None
    status: LessonStatus = LessonStatus.SCHEDULED
    # Where a moved lesson was first scheduled (kept across several moves).
    moved_from_date: dt.date | None = None
    moved_from_start: dt.time | None = None
    # Why the last one-off change (move, cancel, extra lesson, decision) was made.
    change_reason: str = ""

    @property
    def start_minute(self) -> int:
        """Minutes from local midnight to the start."""
        return self.start.hour * 60 + self.start.minute

    @property
    def end_minute(self) -> int:
        """Minutes from local midnight to the end (exclusive; at most 24:00)."""
        return self.start_minute + self.duration

    @property
    def when(self) -> str:
        """'2026-09-07 08:30-09:15', for messages."""
        return f"{self.date.isoformat()} {_hhmm(self.start_minute)}-{_hhmm(self.end_minute)}"


def lesson_id(slot_id: str, day: dt.date) -> str:
    """The id of the lesson a slot produces on ``day``: the same on every generation."""
    return str(uuid.uuid5(LESSON_NAMESPACE, f"{slot_id}/{day.isoformat()}"))


def generate(
    slots: Iterable[Slot], calendar: WorkingCalendar, start: dt.date, end: dt.date
) -> list[Lesson]:
    """The lessons ``slots`` produce on the school days of [start, end], by (date, start).

    A slot yields a lesson on a day that is a school day, its weekday, in its effective range
    and, for alternating slots, in a week of its parity. One-off changes are not applied here:
    `reconcile` lets stored moves and cancellations override what this returns.
    """
    _check_range(start, end)
    # Walk the days once and look only at the slots of that weekday: the cost is the number
    # of lessons, not slots x days. Each weekday's slots are ordered by start once, so the
    # result comes out sorted.
    by_weekday: list[list[Slot]] = [[] for _ in range(7)]
    for slot in slots:
        by_weekday[slot.weekday].append(slot)
    for bucket in by_weekday:
        bucket.sort(key=lambda s: (s.start, s.group_id, s.id))
    alternating = [any(s.parity != WeekParity.EVERY for s in bucket) for bucket in by_weekday]
    lessons: list[Lesson] = []
    append = lessons.append
    every, odd, even = WeekParity.EVERY, WeekParity.ODD, WeekParity.EVEN
    one_day = dt.timedelta(days=1)
    day = start
    while day <= end:
        weekday = day.weekday()
        bucket = by_weekday[weekday]
        if bucket and calendar.is_school_day(day):
            parity = every
            if alternating[weekday]:
                parity = odd if calendar.week_number(day) % 2 == 1 else even
            key = day.isoformat()
            for slot in bucket:
                if slot.effective_from > day or (
                    slot.effective_until is not None and slot.effective_until < day
                ):
                    continue
                if slot.parity != every and slot.parity != parity:
                    continue
                append(
                    Lesson(
                        id=str(uuid.uuid5(LESSON_NAMESPACE, f"{slot.id}/{key}")),
                        slot_id=slot.id,
                        group_id=slot.group_id,
                        subject_id=slot.subject_id,
                        teacher_id=slot.teacher_id,
                        date=day,
                        start=slot.start,
                        duration=slot.duration,
                        room=slot.room,
                    )
                )
        day += one_day
    return lessons


# Conflicts: one teacher, group or room cannot be in two lessons at once.


class ConflictKind(StrEnum):
    """What two overlapping lessons share."""

    TEACHER = "teacher"
    GROUP = "group"
    ROOM = "room"


@dataclass(frozen=True)
class Conflict:
    """``lesson`` overlaps ``other`` in time and shares ``kinds`` with it."""

    lesson: Lesson
    other: Lesson
    kinds: tuple[ConflictKind, ...]

    def describe(self) -> str:
        """Names the other lesson: 'overlaps lesson <id> on 2026-09-07 08:30-09:15 (same
        teacher): group g, subject s, teacher t, room 12'."""
        other = self.other
        same = ", ".join(f"same {kind.value}" for kind in self.kinds)
        room = f", room {other.room}" if other.room else ""
        return (
            f"overlaps lesson {other.id} on {other.when} ({same}): group {other.group_id}, "
            f"subject {other.subject_id}, teacher {other.teacher_id}{room}"
        )


class TimetableConflict(FailedPrecondition):
    """A change to the timetable would put a teacher, group or room in two lessons at once.

    A FailedPrecondition: the input is well-formed, the current timetable refuses it.
    ``violations`` name the conflicting lessons under the field ``slot`` (or ``lesson``).
    """

    def __init__(self, conflicts: Sequence[Conflict], field_name: str = "slot") -> None:
        named = [FieldViolation(field_name, c.describe()) for c in conflicts]
        message = f"overlaps {len(conflicts)} lesson(s)"
        if len(named) > MAX_NAMED_CONFLICTS:
            message += f"; the first {MAX_NAMED_CONFLICTS} are named"
            named = named[:MAX_NAMED_CONFLICTS]
        super().__init__(message, named)
        self.conflicts = list(conflicts)


class _Index:
    """Lessons by (date, kind, key), each with its minute span: what a check looks up."""

    def __init__(self, lessons: Iterable[Lesson]) -> None:
        self.entries: dict[tuple[dt.date, ConflictKind, str], list[tuple[int, int, Lesson]]]
        self.entries = defaultdict(list)
        for lesson in lessons:
            if lesson.status == LessonStatus.CANCELLED:  # holds no one and no room
                continue
            entry = (lesson.start_minute, lesson.end_minute, lesson)
            for kind, key in _keys(lesson):
                self.entries[(lesson.date, kind, key)].append(entry)

    def clashes(self, lesson: Lesson, *, after_only: bool = False) -> list[Conflict]:
        """Indexed lessons overlapping ``lesson`` that share a teacher, group or room.

        ``after_only`` reports a pair only from its earlier lesson (pairs within one set).
        """
        if lesson.status == LessonStatus.CANCELLED:
            return []
        start, end = lesson.start_minute, lesson.end_minute
        found: dict[str, tuple[Lesson, list[ConflictKind]]] = {}
        for kind, key in _keys(lesson):
            for other_start, other_end, other in self.entries.get((lesson.date, kind, key), ()):
                # Half-open spans: a lesson ending at 08:45 and one starting then do not clash.
                if other.id == lesson.id or not (other_start < end and start < other_end):
                    continue
                if after_only and (other_start, other.id) < (start, lesson.id):
                    continue
                if other.id in found:
                    found[other.id][1].append(kind)
                else:
                    found[other.id] = (other, [kind])
        return [Conflict(lesson, other, tuple(kinds)) for other, kinds in found.values()]


def _keys(lesson: Lesson) -> list[tuple[ConflictKind, str]]:
    keys = [(ConflictKind.TEACHER, lesson.teacher_id), (ConflictKind.GROUP, lesson.group_id)]
    if lesson.room:  # a lesson without a room (an excursion) shares none
        keys.append((ConflictKind.ROOM, lesson.room.casefold()))
    return keys


def conflicts(candidates: Iterable[Lesson], existing: Iterable[Lesson]) -> list[Conflict]:
    """Each overlap of a candidate with an existing lesson of the same teacher, group or room.

    Same date and overlapping [start, start + duration). Cancelled lessons take no time; a
    lesson is never in conflict with itself (same id), so a changed lesson can be checked
    against the stored timetable that still holds its old version.
    """
    index = _Index(existing)
    found: list[Conflict] = []
    for lesson in candidates:
        found.extend(index.clashes(lesson))
    return found


def conflicts_among(lessons: Sequence[Lesson]) -> list[Conflict]:
    """Overlaps within one set of lessons (a whole timetable), each pair reported once."""
    index = _Index(lessons)
    found: list[Conflict] = []
    for lesson in lessons:
        found.extend(index.clashes(lesson, after_only=True))
    return found


def check_slot(
    new_slot: Slot,
    slots: Iterable[Slot],
    calendar: WorkingCalendar,
    start: dt.date,
    end: dt.date,
    *,
    stored: Iterable[Lesson] = (),
) -> list[Lesson]:
    """The lessons ``new_slot`` produces in [start, end], or TimetableConflict naming the
    lessons of the same teacher, group or room that they overlap.

    ``slots`` is the rest of the template (a slot with new_slot's id is its old version and is
    left out, so editing a slot does not clash with itself). ``stored`` are stored lessons that
    differ from what the template says (moved ones, extra lessons): they replace the generated
    lesson of the same id.
    """
    others = [s for s in slots if s.id != new_slot.id]
    existing = {lesson.id: lesson for lesson in generate(others, calendar, start, end)}
    for lesson in stored:
        if lesson.slot_id != new_slot.id:
            existing[lesson.id] = lesson
    candidates = generate([new_slot], calendar, start, end)
    found = conflicts(candidates, existing.values())
    if found:
        raise TimetableConflict(found)
    return candidates


# One-off changes: each returns the changed lesson and the event the service publishes.


@dataclass(frozen=True)
class LessonScheduled:
    """An extra lesson was added outside the template."""

    lesson_id: str
    group_id: str
    subject_id: str
    teacher_id: str
    date: dt.date
    start: dt.time
    duration: int
    room: str | None
    reason: str


@dataclass(frozen=True)
class LessonMoved:
    """A lesson is held at another date or time (or, on a template change, by another teacher
    or in another room as well)."""

    lesson_id: str
    group_id: str
    subject_id: str
    teacher_id: str
    from_date: dt.date
    from_start: dt.time
    to_date: dt.date
    to_start: dt.time
    duration: int
    room: str | None
    reason: str
    entries: EntriesDecision | None  # the decision taken for its journal entries, if any


@dataclass(frozen=True)
class LessonCancelled:
    """A lesson will not be held; it stays stored, cancelled."""

    lesson_id: str
    group_id: str
    subject_id: str
    teacher_id: str
    date: dt.date
    start: dt.time
    reason: str
    entries: EntriesDecision | None


LessonEvent = LessonScheduled | LessonMoved | LessonCancelled


def move(
    lesson: Lesson,
    new_date: dt.date,
    new_start: dt.time,
    *,
    reason: str,
    has_entries: bool,
    decision: EntriesDecision | None = None,
    new_room: str | None = None,
) -> tuple[Lesson, LessonMoved]:
    """The lesson held on ``new_date`` at ``new_start`` (``new_room`` None keeps the room).

    The id stays: entries, substitutions and the lesson plan keep pointing at it. A lesson
    with entries moves only with ``decision`` ENTRIES_FOLLOW. A moved lesson stays MOVED (even
    when moved back), so a later template change never undoes the move silently. Conflicts
    at the new place are checked by the caller with `conflicts` (the moved lesson against the
    stored ones).
    """
    reason = _reason(reason)
    if lesson.status == LessonStatus.CANCELLED:
        raise FailedPrecondition(
            "the lesson is cancelled",
            [FieldViolation("lesson_id", "a cancelled lesson cannot be moved")],
        )
    problems: list[FieldViolation] = []
    _check_time(problems, new_start, lesson.duration, start_field="new_start")
    room = lesson.room if new_room is None else _room(problems, new_room, "new_room")
    if problems:
        raise InvalidArgument("the move is not valid", problems)
    if (new_date, new_start, room) == (lesson.date, lesson.start, lesson.room):
        raise InvalidArgument(
            "the lesson is already there",
            [FieldViolation("new_date", f"the lesson is already on {lesson.when}")],
        )
    _require_decision(has_entries, decision, {EntriesDecision.ENTRIES_FOLLOW}, "moving")
    # A lesson moved twice still says where the timetable first had it.
    moved = replace(
        lesson,
        date=new_date,
        start=new_start,
        room=room,
        status=LessonStatus.MOVED,
        moved_from_date=lesson.moved_from_date or lesson.date,
        moved_from_start=lesson.moved_from_start or lesson.start,
        change_reason=reason,
    )
    return moved, _moved_event(lesson, moved, reason, decision if has_entries else None)


def cancel(
    lesson: Lesson,
    *,
    reason: str,
    has_entries: bool,
    decision: EntriesDecision | None = None,
) -> tuple[Lesson, LessonCancelled]:
    """The lesson, cancelled: kept (never deleted), not held, taking no teacher, group or room.

    A lesson with entries is cancelled only with ``decision`` KEEP_READ_ONLY: the journal
    then keeps its entries, read-only, as the record of what was entered.
    """
    reason = _reason(reason)
    if lesson.status == LessonStatus.CANCELLED:
        raise FailedPrecondition(
            "the lesson is already cancelled",
            [FieldViolation("lesson_id", "is already cancelled")],
        )
    _require_decision(has_entries, decision, {EntriesDecision.KEEP_READ_ONLY}, "cancelling")
    cancelled = replace(lesson, status=LessonStatus.CANCELLED, change_reason=reason)
    event = LessonCancelled(
        lesson_id=lesson.id,
        group_id=lesson.group_id,
        subject_id=lesson.subject_id,
        teacher_id=lesson.teacher_id,
        date=lesson.date,
        start=lesson.start,
        reason=reason,
        entries=decision if has_entries else None,
    )
    return cancelled, event


def extra(
    *,
    group_id: str,
    subject_id: str,
    teacher_id: str,
    date: dt.date,
    start: dt.time,
    duration: int,
    reason: str,
    room: str | None = None,
    lesson_id: str | None = None,
) -> tuple[Lesson, LessonScheduled]:
    """An extra lesson outside the template (slot_id None), or InvalidArgument per field.

    Not checked against the working calendar: excursions and competitions happen on days
    off. Conflicts are checked by the caller with `conflicts`.
    """
    problems: list[FieldViolation] = []
    _require_ids(problems, group_id=group_id, subject_id=subject_id, teacher_id=teacher_id)
    _check_time(problems, start, duration)
    room = _room(problems, room, "room")
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        problems.append(_reason_violation("reason"))
    if problems:
        raise InvalidArgument("the extra lesson is not valid", problems)
    lesson = Lesson(
        id=lesson_id or str(uuid.uuid4()),
        slot_id=None,
        group_id=group_id,
        subject_id=subject_id,
        teacher_id=teacher_id,
        date=date,
        start=start,
        duration=duration,
        room=room,
        change_reason=reason,
    )
    event = LessonScheduled(
        lesson_id=lesson.id,
        group_id=group_id,
        subject_id=subject_id,
        teacher_id=teacher_id,
        date=date,
        start=start,
        duration=duration,
        room=room,
        reason=reason,
    )
    return lesson, event


# Regeneration after a template change.


@dataclass(frozen=True)
class Blocked:
    """A lesson with journal entries that a template change would remove (``proposed`` None)
    or move (``proposed`` is the template's new version); it waits for an EntriesDecision."""

    existing: Lesson
    proposed: Lesson | None

    def describe(self) -> str:
        """'lesson <id> on 2026-09-07 08:30-09:15 has journal entries and would disappear'."""
        what = "would disappear" if self.proposed is None else f"would be {self.proposed.when}"
        return f"lesson {self.existing.id} on {self.existing.when} has journal entries and {what}"


@dataclass(frozen=True)
class Plan:
    """What storing a regenerated timetable means, lesson by lesson."""

    add: tuple[Lesson, ...] = ()
    update: tuple[Lesson, ...] = ()  # the new version of a stored lesson (same id)
    remove: tuple[Lesson, ...] = ()  # stored lessons without entries the template dropped
    keep: tuple[Lesson, ...] = ()
    blocked: tuple[Blocked, ...] = ()  # never applied until a decision (see `resolve`)


def reconcile(
    existing_lessons: Iterable[Lesson],
    regenerated_lessons: Iterable[Lesson],
    lessons_with_entries: Set[str],
) -> Plan:
    """Compare the stored lessons of a date range with the lessons the changed template now
    generates for it.

    - Extra and detached lessons (slot_id None) are not the template's: kept.
    - A stored move or cancellation overrides the template's version of the same lesson.
    - A lesson the template no longer produces is removed, unless it has entries: then it is
      blocked (a cancelled one with entries is simply kept: it already holds nothing).
    - A changed lesson is updated; with entries, only its teacher or room may change without a
      decision (a change of time, group or subject is blocked).
    """
    proposed = {lesson.id: lesson for lesson in regenerated_lessons}
    update: list[Lesson] = []
    remove: list[Lesson] = []
    keep: list[Lesson] = []
    blocked: list[Blocked] = []
    stored: set[str] = set()
    for old in existing_lessons:
        stored.add(old.id)
        new = proposed.get(old.id)
        has_entries = old.id in lessons_with_entries
        if old.slot_id is None:
            keep.append(old)
        elif new is None:
            if not has_entries:
                remove.append(old)
            elif old.status == LessonStatus.CANCELLED:
                keep.append(old)
            else:
                blocked.append(Blocked(old, None))
        elif old.status != LessonStatus.SCHEDULED or old == new:
            keep.append(old)
        elif not has_entries or replace(old, teacher_id=new.teacher_id, room=new.room) == new:
            update.append(new)
        else:
            blocked.append(Blocked(old, new))
    add = [lesson for lesson in proposed.values() if lesson.id not in stored]
    return Plan(tuple(add), tuple(update), tuple(remove), tuple(keep), tuple(blocked))


def resolve(
    blocked: Blocked, decision: EntriesDecision, *, reason: str
) -> tuple[Lesson, LessonEvent | None]:
    """Apply a decision to a blocked lesson: the lesson to store and the event, if any.

    KEEP_READ_ONLY cancels a lesson that would disappear; KEEP_AS_EXTRA keeps the lesson as it
    is, detached from the template; ENTRIES_FOLLOW takes the template's new time (the entries
    stay with the lesson, which must stay the same group's and subject's).
    """
    reason = _reason(reason)
    old, new = blocked.existing, blocked.proposed
    if decision == EntriesDecision.KEEP_AS_EXTRA:
        return replace(old, slot_id=None, change_reason=reason), None
    if new is None:
        if decision != EntriesDecision.KEEP_READ_ONLY:
            raise _wrong_decision(
                "the lesson would disappear, so its entries have nowhere to follow",
                {EntriesDecision.KEEP_READ_ONLY, EntriesDecision.KEEP_AS_EXTRA},
            )
        return cancel(old, reason=reason, has_entries=True, decision=decision)
    if decision != EntriesDecision.ENTRIES_FOLLOW:
        raise _wrong_decision(
            "the template still has this lesson on that date",
            {EntriesDecision.ENTRIES_FOLLOW, EntriesDecision.KEEP_AS_EXTRA},
        )
    if (new.group_id, new.subject_id) != (old.group_id, old.subject_id):
        # Attendance of one group or topics of one subject mean nothing on another's lesson.
        raise InvalidArgument(
            "the entries cannot follow",
            [
                FieldViolation(
                    "decision",
                    "the lesson would change group or subject; its entries cannot follow "
                    "(end the slot with effective_until and add a new one instead)",
                )
            ],
        )
    changed = replace(new, change_reason=reason)
    return changed, _moved_event(old, changed, reason, decision)


# Substitutions (R-5: a teacher may fill the journal for a colleague who cannot).


def substitute_window(
    lesson: Lesson, tz: dt.tzinfo, grace_days: int = DEFAULT_GRACE_DAYS
) -> tuple[dt.datetime, dt.datetime]:
    """[from, until) of a substitute's access: the lesson's day (topics are entered on the
    day, R-3.2) and ``grace_days`` days after it, in the institution's time zone."""
    starts = dt.datetime.combine(lesson.date, dt.time(0), tzinfo=tz)
    until = dt.datetime.combine(
        lesson.date + dt.timedelta(days=1 + grace_days), dt.time(0), tzinfo=tz
    )
    return starts, until


@dataclass(frozen=True)
class Substitution:
    """Another teacher teaches one lesson (R-5).

    It grants the substitute journal read and write on that lesson only, from the start of
    the lesson's day until ``valid_until`` (at most the end of its day plus a few grace
    days): not the group's other lessons, not the subject's marks elsewhere, nothing once it
    ends or is revoked. Identity's policy sees it as the lesson's substitute ids
    (Scope.SUBSTITUTED, ADR 8): see `substitute_ids`.
    """

    id: str
    lesson_id: str
    teacher_id: str  # the lesson's own teacher, who keeps their access
    substitute_teacher_id: str
    reason: str
    valid_from: dt.datetime
    valid_until: dt.datetime
    revoked_at: dt.datetime | None = None
    set_by: str = ""  # the person who named the substitute (the deputy)

    @classmethod
    def assign(
        cls,
        *,
        lesson: Lesson,
        substitute_teacher_id: str,
        reason: str,
        tz: dt.tzinfo,
        now: dt.datetime,
        valid_until: dt.datetime | None = None,
        grace_days: int = DEFAULT_GRACE_DAYS,
        busy: Iterable[Lesson] = (),
    ) -> Substitution:
        """A substitution, or InvalidArgument / FailedPrecondition naming the field.

        ``busy`` are lessons around that date (the substitute's own ones, and those they
        substitute on, with their teacher_id set to the substitute): a substitute cannot
        teach two lessons at once.
        """
        problems: list[FieldViolation] = []
        substitute_teacher_id = substitute_teacher_id.strip()
        if not substitute_teacher_id:
            problems.append(FieldViolation("substitute_teacher_id", "is required"))
        elif substitute_teacher_id == lesson.teacher_id:
            problems.append(FieldViolation("substitute_teacher_id", "is the lesson's own teacher"))
        reason = reason.strip()
        if not reason or len(reason) > MAX_REASON:
            problems.append(_reason_violation("reason"))
        if not 0 <= grace_days <= MAX_GRACE_DAYS:
            problems.append(FieldViolation("grace_days", f"must be 0 to {MAX_GRACE_DAYS} days"))
            grace_days = DEFAULT_GRACE_DAYS
        starts, limit = substitute_window(lesson, tz, grace_days)
        if valid_until is None:
            valid_until = limit
        elif valid_until.tzinfo is None:
            problems.append(FieldViolation("valid_until", "must carry a time zone"))
        elif not starts < valid_until <= limit:
            problems.append(
                FieldViolation(
                    "valid_until",
                    f"must be after {starts.isoformat()} and at most {limit.isoformat()} "
                    f"(the end of the lesson's day plus {grace_days} days)",
                )
            )
        if problems:
            raise InvalidArgument("the substitution is not valid", problems)
        if lesson.status == LessonStatus.CANCELLED:
            raise FailedPrecondition(
                "the lesson is cancelled",
                [FieldViolation("lesson_id", "a cancelled lesson has no substitute")],
            )
        if now >= valid_until:
            raise FailedPrecondition(
                "the substitution would already have ended",
                [
                    FieldViolation(
                        "lesson_id",
                        f"the lesson was on {lesson.date.isoformat()}; a substitute may be "
                        f"named until {valid_until.isoformat()}",
                    )
                ],
            )
        taught = replace(lesson, teacher_id=substitute_teacher_id)
        clashes = [c for c in conflicts([taught], busy) if ConflictKind.TEACHER in c.kinds]
        if clashes:
            raise TimetableConflict(clashes, "substitute_teacher_id")
        return cls(
            id=str(uuid.uuid4()),
            lesson_id=lesson.id,
            teacher_id=lesson.teacher_id,
            substitute_teacher_id=substitute_teacher_id,
            reason=reason,
            valid_from=starts,
            valid_until=valid_until,
        )

    def active_at(self, now: dt.datetime) -> bool:
        """The substitute may write the lesson's journal at ``now``."""
        return self.revoked_at is None and self.valid_from <= now < self.valid_until

    def revoke(self, at: dt.datetime) -> Substitution:
        """This substitution, ended early at ``at`` (kept for history)."""
        return replace(self, revoked_at=at)


def substitute_ids(
    lesson_id: str, substitutions: Iterable[Substitution], now: dt.datetime
) -> frozenset[str]:
    """Who substitutes on ``lesson_id`` at ``now``: what the policy is told of the lesson."""
    return frozenset(
        s.substitute_teacher_id
        for s in substitutions
        if s.lesson_id == lesson_id and s.active_at(now)
    )


# Helpers.


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _check_range(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise InvalidArgument(
            "the date range is not valid", [FieldViolation("end", "must not be before start")]
        )
    if (end - start).days > MAX_RANGE_DAYS:
        raise InvalidArgument(
            "the date range is not valid",
            [FieldViolation("end", f"the range spans at most {MAX_RANGE_DAYS} days")],
        )


def _require_ids(problems: list[FieldViolation], **ids: str) -> None:
    for name, value in ids.items():
        if not value or not value.strip():
            problems.append(FieldViolation(name, "is required"))


def _check_time(
    problems: list[FieldViolation],
    start: dt.time,
    duration: int,
    *,
    start_field: str = "start",
    duration_field: str = "duration",
) -> None:
    # Local wall-clock minutes: a time zone or seconds here are a caller's mistake.
    start_ok = start.tzinfo is None and start.second == 0 and start.microsecond == 0
    if not start_ok:
        problems.append(
            FieldViolation(start_field, "must be a local time in whole minutes, without a zone")
        )
    duration_ok = (
        isinstance(duration, int)
        and not isinstance(duration, bool)
        and 1 <= duration <= MAX_DURATION
    )
    if not duration_ok:
        problems.append(FieldViolation(duration_field, f"must be 1 to {MAX_DURATION} minutes"))
    elif start_ok and start.hour * 60 + start.minute + duration > DAY_MINUTES:
        # A lesson belongs to one date: the journal, attendance and conflicts are per day.
        problems.append(
            FieldViolation(
                duration_field, f"the lesson must end by midnight (starts {start:%H:%M})"
            )
        )


def _room(problems: list[FieldViolation], room: str | None, field_name: str) -> str | None:
    # "Каб.  12 " and "Каб. 12" are one room; an empty room is none (an excursion).
    value = " ".join((room or "").split())
    if len(value) > MAX_ROOM:
        problems.append(FieldViolation(field_name, f"must be at most {MAX_ROOM} characters"))
    return value or None


def _reason_violation(field_name: str) -> FieldViolation:
    return FieldViolation(
        field_name, f"is required (at most {MAX_REASON} characters): why the change is made"
    )


def _reason(value: str, field_name: str = "reason") -> str:
    # Every one-off change says why (R-1.6: control over the change of data).
    value = value.strip()
    if not value or len(value) > MAX_REASON:
        raise InvalidArgument("a reason is required", [_reason_violation(field_name)])
    return value


def _require_decision(
    has_entries: bool,
    decision: EntriesDecision | None,
    allowed: set[EntriesDecision],
    doing: str,
) -> None:
    if decision is not None and decision not in allowed:
        raise _wrong_decision(f"{doing} a lesson", allowed)
    if has_entries and decision is None:
        raise FailedPrecondition(
            "the lesson has journal entries",
            [
                FieldViolation(
                    "decision",
                    f"the lesson has journal entries: {doing} it needs an explicit decision ("
                    + ", ".join(sorted(allowed))
                    + ")",
                )
            ],
        )


def _wrong_decision(why: str, allowed: set[EntriesDecision]) -> InvalidArgument:
    return InvalidArgument(
        "the decision does not fit the change",
        [FieldViolation("decision", f"{why}: must be one of " + ", ".join(sorted(allowed)))],
    )


def _moved_event(
    old: Lesson, new: Lesson, reason: str, decision: EntriesDecision | None
) -> LessonMoved:
    return LessonMoved(
        lesson_id=new.id,
        group_id=new.group_id,
        subject_id=new.subject_id,
        teacher_id=new.teacher_id,
        from_date=old.date,
        from_start=old.start,
        to_date=new.date,
        to_start=new.start,
        duration=new.duration,
        room=new.room,
        reason=reason,
        entries=decision,
    )
