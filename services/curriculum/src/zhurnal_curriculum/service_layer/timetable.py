"""Use cases of the timetable: the weekly template and the dated lessons it generates (R-1.4),
one-off changes, substitutions (R-5), and the lesson queries of the journal and the gateway.

Every change of the template regenerates the study year's lessons in one transaction with
the year row locked, so two deputies editing at once are serialised and the stored lessons
always are what the template (plus one-off changes) says. A lesson with journal entries is
never dropped, moved or cancelled without an explicit decision (domain/timetable.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from google.protobuf.message import Message

from zhurnal.common.v1.envelope_pb2 import EventEnvelope
from zhurnal.curriculum.v1 import events_pb2
from zhurnal.journal.v1 import events_pb2 as journal_events
from zhurnal_curriculum.adapters.timetable_protos import (
    lesson_event_to_proto,
    lesson_to_proto,
    substitution_to_proto,
)
from zhurnal_curriculum.domain import timetable as domain
from zhurnal_curriculum.domain.calendar import StudyPeriod, StudyYear
from zhurnal_curriculum.domain.timetable import (
    EntriesDecision,
    Lesson,
    LessonEvent,
    Slot,
    Substitution,
    TimetableConflict,
)
from zhurnal_curriculum.service_layer.calendar import CURRICULUM_MANAGE, CURRICULUM_READ
from zhurnal_curriculum.service_layer.handlers import STAFF_ROLES
from zhurnal_curriculum.service_layer.references import Reference, check_references
from zhurnal_curriculum.service_layer.unit_of_work import CurriculumUnitOfWork
from zhurnal_kit.authorization import Authorizer
from zhurnal_kit.db import UnitOfWork
from zhurnal_kit.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    invalid,
)
from zhurnal_kit.events import Event, unpack
from zhurnal_kit.paging import decode_cursor, encode_cursor

# Lessons per LessonsScheduled event: a year of one institution is ~12,000 lessons, far over
# what one Kafka record should carry; 500 lessons are ~60 KB.
EVENT_BATCH = 500
DEFAULT_PAGE, MAX_PAGE = 500, 2000
# A lesson list spans at most a study year and a little.
MAX_LIST_DAYS = domain.MAX_RANGE_DAYS
MAX_NAMED_BLOCKED = 10
_WHAT = "the timetable"


@dataclass(frozen=True)
class SlotInput:
    """A slot as a request states it (validated by Slot.define)."""

    group_id: str
    subject_id: str
    teacher_id: str
    weekday: int
    start: time
    duration: int
    room: str | None
    parity: domain.WeekParity | None
    effective_from: date | None  # None: the first day of the study year
    effective_until: date | None
    slot_id: str = ""


@dataclass(frozen=True)
class Decision:
    """A deputy's decision for one lesson with journal entries."""

    lesson_id: str
    decision: EntriesDecision | None
    reason: str


@dataclass(frozen=True)
class Change:
    """What a template change did to the dated lessons."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    decided: int = 0


@dataclass(frozen=True)
class LessonView:
    """A lesson as the queries return it."""

    lesson: Lesson
    study_year_id: str
    institution_id: str
    substituted: bool = False


@dataclass(frozen=True)
class LessonDetails:
    """One lesson with what the journal needs to know of it."""

    view: LessonView
    substitutions: list[Substitution] = field(default_factory=list)
    substitute_ids: frozenset[str] = frozenset()
    period: StudyPeriod | None = None
    has_entries: bool = False


def _now() -> datetime:
    return datetime.now(UTC)


def _lesson_event(year: StudyYear, payload: Message) -> Event:
    # One key per study year keeps a year's lesson events in order for the journal.
    return Event(
        aggregate="lesson",
        aggregate_id=year.id,
        institution_id=year.institution_id,
        payload=payload,
    )


async def _managed_year(
    uow: CurriculumUnitOfWork, authorizer: Authorizer, year_id: str, field_name: str
) -> StudyYear:
    """The study year, locked for the change, once the caller may manage its curriculum."""
    year = await uow.study_years.get(year_id, for_update=True)
    if year is None:
        raise invalid(field_name, "is unknown")
    await authorizer.require(CURRICULUM_MANAGE, institution_id=year.institution_id)
    return year


def _in_year(year: StudyYear, value: date | None, field_name: str) -> None:
    if value is not None and not year.starts <= value <= year.ends:
        raise invalid(
            field_name,
            f"must lie within the study year «{year.name}» "
            f"({year.starts.isoformat()} – {year.ends.isoformat()})",
        )


def _define(year: StudyYear, item: SlotInput, prefix: str = "") -> Slot:
    """A validated slot of the year; violations carry ``prefix`` (``slots[3].``)."""
    starts = item.effective_from or year.starts
    try:
        _in_year(year, starts, prefix + "effective_from")
        _in_year(year, item.effective_until, prefix + "effective_until")
        return Slot.define(
            group_id=item.group_id,
            subject_id=item.subject_id,
            teacher_id=item.teacher_id,
            weekday=item.weekday,
            start=item.start,
            duration=item.duration,
            room=item.room,
            parity=item.parity,
            effective_from=starts,
            effective_until=item.effective_until,
            slot_id=item.slot_id or None,
        )
    except InvalidArgument as error:
        if not prefix:
            raise
        raise InvalidArgument(
            error.message,
            [
                FieldViolation(
                    v.field if v.field.startswith(prefix) else prefix + v.field, v.description
                )
                for v in error.violations
            ],
        ) from None


async def _apply_template(
    uow: CurriculumUnitOfWork,
    year: StudyYear,
    slots: Sequence[Slot],
    stored_slots: Sequence[Slot],
    removed_slots: Iterable[str],
    decisions: Sequence[Decision],
) -> Change:
    """Store ``slots`` as the year's template and bring its dated lessons in line.

    Refused, with nothing written, when a lesson would overlap another of the same teacher,
    group or room (the lessons named), or when a lesson with journal entries would go away or
    move and no decision is given for it.
    """
    stored = await uow.timetable.lessons_of_year(year.id)
    generated = domain.generate(slots, year, year.starts, year.ends)
    entries = await uow.timetable.with_entries_in_year(year.id)
    plan = domain.reconcile(stored, generated, entries)

    chosen = decisions_by_lesson(decisions)
    unknown = set(chosen) - {b.existing.id for b in plan.blocked}
    if unknown:
        raise invalid(
            "decisions",
            "only lessons with journal entries that this change moves or removes take a "
            f"decision; not: {', '.join(sorted(unknown))}",
        )
    undecided = [b for b in plan.blocked if b.existing.id not in chosen]
    if undecided:
        named = [FieldViolation("decisions", b.describe()) for b in undecided]
        raise FailedPrecondition(
            f"{len(undecided)} lesson(s) with journal entries need a decision",
            named[:MAX_NAMED_BLOCKED],
        )
    resolved: list[tuple[Lesson, LessonEvent | None]] = []
    for blocked in plan.blocked:
        answer = chosen[blocked.existing.id]
        if answer.decision is None:
            raise invalid("decisions", f"lesson {blocked.existing.id}: choose a decision")
        resolved.append(domain.resolve(blocked, answer.decision, reason=answer.reason))

    changed = [*plan.add, *plan.update, *(lesson for lesson, _ in resolved)]
    # Only changed lessons can make a new overlap (the stored ones were checked when stored).
    found = domain.conflicts(changed, [*plan.keep, *changed]) if changed else []
    if found:
        # A pair of two changed lessons is found from both sides: name it once.
        seen: set[frozenset[str]] = set()
        unique = []
        for conflict in found:
            pair = frozenset((conflict.lesson.id, conflict.other.id))
            if pair not in seen:
                seen.add(pair)
                unique.append(conflict)
        raise TimetableConflict(unique)

    await uow.timetable.replace_slots(year.id, slots, stored_slots, removed_slots)
    await uow.timetable.remove_lessons([lesson.id for lesson in plan.remove])
    await uow.timetable.add_lessons(year.id, year.institution_id, plan.add)
    await uow.timetable.save_lessons([*plan.update, *(lesson for lesson, _ in resolved)])
    _publish_regenerated(uow, year, [*plan.add, *plan.update], plan.remove)
    for lesson, event in resolved:
        if event is not None:
            uow.publish(_lesson_event(year, _one_off(event, lesson, year)))
        else:  # kept as an extra lesson: the journal learns its new standing
            _publish_regenerated(uow, year, [lesson], ())
    return Change(len(plan.add), len(plan.update), len(plan.remove), len(resolved))


def _one_off(event: LessonEvent, lesson: Lesson, year: StudyYear) -> Message:
    return lesson_event_to_proto(
        event, lesson, study_year_id=year.id, institution_id=year.institution_id
    )


def _publish_regenerated(
    uow: CurriculumUnitOfWork,
    year: StudyYear,
    scheduled: Sequence[Lesson],
    removed: Sequence[Lesson],
) -> None:
    for at in range(0, len(scheduled), EVENT_BATCH):
        batch = scheduled[at : at + EVENT_BATCH]
        uow.publish(
            _lesson_event(
                year,
                events_pb2.LessonsScheduled(
                    study_year_id=year.id,
                    lessons=[
                        lesson_to_proto(
                            lesson, study_year_id=year.id, institution_id=year.institution_id
                        )
                        for lesson in batch
                    ],
                ),
            )
        )
    ids = [lesson.id for lesson in removed]
    for at in range(0, len(ids), EVENT_BATCH * 4):
        uow.publish(
            _lesson_event(
                year,
                events_pb2.LessonsRemoved(
                    study_year_id=year.id, lesson_ids=ids[at : at + EVENT_BATCH * 4]
                ),
            )
        )


async def set_slot(
    uow: CurriculumUnitOfWork,
    authorizer: Authorizer,
    *,
    study_year_id: str,
    item: SlotInput,
    decisions: Sequence[Decision] = (),
) -> tuple[Slot, Change]:
    """Add a slot to the year's template or edit one; the year's lessons follow."""
    async with uow:
        year = await _managed_year(uow, authorizer, study_year_id, "slot.study_year_id")
        current = await uow.timetable.slots(year.id)
        if item.slot_id and item.slot_id not in {s.id for s in current}:
            raise invalid("slot.id", "is not a slot of this study year")
        slot = _define(year, item, "slot.")
        await check_references(
            uow, year, [Reference(slot.group_id, slot.subject_id, slot.teacher_id, "slot.")], _WHAT
        )
        others = [s for s in current if s.id != slot.id]
        change = await _apply_template(uow, year, [*others, slot], current, (), decisions)
        await uow.commit()
    return slot, change


async def remove_slot(
    uow: CurriculumUnitOfWork,
    authorizer: Authorizer,
    *,
    slot_id: str,
    decisions: Sequence[Decision] = (),
) -> Change:
    """Take a slot out of the template; its lessons without entries go with it."""
    async with uow:
        year_id = await uow.timetable.slot_year(slot_id)
        if year_id is None:
            raise invalid("slot_id", "is unknown")
        year = await _managed_year(uow, authorizer, year_id, "slot_id")
        current = await uow.timetable.slots(year.id)
        others = [s for s in current if s.id != slot_id]
        change = await _apply_template(uow, year, others, current, [slot_id], decisions)
        await uow.commit()
    return change


async def set_timetable(
    uow: CurriculumUnitOfWork,
    authorizer: Authorizer,
    *,
    study_year_id: str,
    items: Sequence[SlotInput],
    decisions: Sequence[Decision] = (),
) -> tuple[list[Slot], Change]:
    """Replace the whole template of a year (all slots valid, or nothing written)."""
    async with uow:
        year = await _managed_year(uow, authorizer, study_year_id, "study_year_id")
        stored = await uow.timetable.slots(year.id)
        current = {s.id for s in stored}
        slots: list[Slot] = []
        problems: list[FieldViolation] = []
        for index, item in enumerate(items):
            prefix = f"slots[{index}]."
            if item.slot_id and item.slot_id not in current:
                problems.append(FieldViolation(prefix + "id", "is not a slot of this study year"))
                continue
            try:
                slots.append(_define(year, item, prefix))
            except InvalidArgument as error:
                problems += error.violations
        if problems:
            raise InvalidArgument("the timetable is not valid", problems)
        await check_references(
            uow,
            year,
            [
                Reference(s.group_id, s.subject_id, s.teacher_id, f"slots[{i}].")
                for i, s in enumerate(slots)
            ],
            _WHAT,
        )
        kept = {s.id for s in slots}
        change = await _apply_template(uow, year, slots, stored, current - kept, decisions)
        await uow.commit()
    return slots, change


async def list_slots(
    uow: CurriculumUnitOfWork, authorizer: Authorizer, *, study_year_id: str, group_id: str = ""
) -> list[Slot]:
    """The weekly template of a year (or of one group)."""
    async with uow:
        year = await uow.study_years.get(study_year_id)
        if year is None:
            raise NotFound(f"no study year {study_year_id!r}")
        await authorizer.require(CURRICULUM_READ, institution_id=year.institution_id)
        return await uow.timetable.slots(year.id, group_id)


async def _managed_lesson(
    uow: CurriculumUnitOfWork, authorizer: Authorizer, lesson_id: str
) -> tuple[Lesson, StudyYear]:
    found = await uow.timetable.get_lesson(lesson_id, for_update=True)
    if found is None:
        raise invalid("lesson_id", "is unknown")
    lesson, year_id, _ = found
    year = await _managed_year(uow, authorizer, year_id, "lesson_id")
    return lesson, year


async def _check_free(
    uow: CurriculumUnitOfWork, year: StudyYear, lesson: Lesson, field_name: str
) -> None:
    """The lesson overlaps no other lesson of its teacher, group or room that day, nor a
    lesson its teacher substitutes on."""
    busy = [
        *await uow.timetable.lessons_on(year.id, lesson.date),
        *await uow.timetable.substituted_by(lesson.teacher_id, year.id, lesson.date),
    ]
    found = domain.conflicts([lesson], busy)
    if found:
        raise TimetableConflict(found, field_name)


async def move_lesson(
    uow: CurriculumUnitOfWork,
    authorizer: Authorizer,
    *,
    lesson_id: str,
    new_date: date,
    new_start: time,
    new_room: str | None,
    reason: str,
    decision: EntriesDecision | None,
) -> LessonView:
    """Hold one lesson at another date, time or room (entries follow only by decision)."""
    async with uow:
        lesson, year = await _managed_lesson(uow, authorizer, lesson_id)
        _in_year(year, new_date, "new_date")
        has_entries = bool(await uow.timetable.with_entries([lesson.id]))
        moved, event = domain.move(
            lesson,
            new_date,
            new_start,
            reason=reason,
            has_entries=has_entries,
            decision=decision,
            new_room=new_room,
        )
        await _check_free(uow, year, moved, "new_date")
        await uow.timetable.save_lessons([moved])
        uow.publish(_lesson_event(year, _one_off(event, moved, year)))
        await uow.commit()
    return LessonView(moved, year.id, year.institution_id)


async def cancel_lesson(
    uow: CurriculumUnitOfWork,
    authorizer: Authorizer,
    *,
    lesson_id: str,
    reason: str,
    decision: EntriesDecision | None,
) -> LessonView:
    """The lesson will not be held; it stays stored (its entries read-only by decision)."""
    async with uow:
        lesson, year = await _managed_lesson(uow, authorizer, lesson_id)
        has_entries = bool(await uow.timetable.with_entries([lesson.id]))
        cancelled, event = domain.cancel(
            lesson, reason=reason, has_entries=has_entries, decision=decision
        )
        await uow.timetable.save_lessons([cancelled])
        uow.publish(_lesson_event(year, _one_off(event, cancelled, year)))
        await uow.commit()
    return LessonView(cancelled, year.id, year.institution_id)


async def add_extra_lesson(
    uow: CurriculumUnitOfWork,
    authorizer: Authorizer,
    *,
    study_year_id: str,
    group_id: str,
    subject_id: str,
    teacher_id: str,
    day: date,
    start: time,
    duration: int,
    room: str | None,
    reason: str,
) -> LessonView:
    """A one-off lesson outside the template (an excursion on a Saturday, a make-up lesson)."""
    async with uow:
        year = await _managed_year(uow, authorizer, study_year_id, "study_year_id")
        _in_year(year, day, "date")
        lesson, event = domain.extra(
            group_id=group_id,
            subject_id=subject_id,
            teacher_id=teacher_id,
            date=day,
            start=start,
            duration=duration,
            reason=reason,
            room=room,
        )
        await check_references(uow, year, [Reference(group_id, subject_id, teacher_id)], _WHAT)
        await _check_free(uow, year, lesson, "lesson")
        await uow.timetable.add_lessons(year.id, year.institution_id, [lesson])
        uow.publish(_lesson_event(year, _one_off(event, lesson, year)))
        await uow.commit()
    return LessonView(lesson, year.id, year.institution_id)


async def _time_zone(uow: CurriculumUnitOfWork, institution_id: str) -> ZoneInfo:
    known = await uow.institutions.get(institution_id)
    # The projection is written before any study year can exist (creating one needs it).
    assert known is not None, f"institution {institution_id} is not projected"
    return ZoneInfo(known.time_zone)


async def set_substitution(
    uow: CurriculumUnitOfWork,
    authorizer: Authorizer,
    *,
    lesson_id: str,
    substitute_teacher_id: str,
    reason: str,
    valid_until: datetime | None,
) -> Substitution:
    """Another teacher teaches one lesson: journal access to that lesson only, bounded."""
    async with uow:
        lesson, year = await _managed_lesson(uow, authorizer, lesson_id)
        now = _now()
        if any(s.active_at(now) or s.valid_from > now for s in await _live(uow, lesson.id)):
            raise FailedPrecondition(
                "the lesson already has a substitute",
                [FieldViolation("lesson_id", "already has a substitute: revoke it first")],
            )
        substitute = substitute_teacher_id.strip()
        if substitute and not await uow.people.holders(
            year.institution_id, STAFF_ROLES, [substitute]
        ):
            raise invalid("substitute_teacher_id", "is not staff of the institution")
        busy = [
            lesson_
            for lesson_ in await uow.timetable.lessons_on(year.id, lesson.date)
            if lesson_.teacher_id == substitute
        ] + await uow.timetable.substituted_by(substitute, year.id, lesson.date)
        item = Substitution.assign(
            lesson=lesson,
            substitute_teacher_id=substitute,
            reason=reason,
            tz=await _time_zone(uow, year.institution_id),
            now=now,
            valid_until=valid_until,
            busy=busy,
        )
        item = replace(item, set_by=await authorizer.person_id())
        await uow.timetable.add_substitution(item, year.institution_id)
        uow.publish(_substitution_event(year, item, now))
        await uow.commit()
    return item


async def _live(uow: CurriculumUnitOfWork, lesson_id: str) -> list[Substitution]:
    return [s for s in await uow.timetable.substitutions_of(lesson_id) if s.revoked_at is None]


def _substitution_event(year: StudyYear, item: Substitution, now: datetime) -> Event:
    return _lesson_event(
        year,
        events_pb2.SubstitutionSet(
            substitution=substitution_to_proto(item, now=now), study_year_id=year.id
        ),
    )


async def revoke_substitution(
    uow: CurriculumUnitOfWork, authorizer: Authorizer, *, substitution_id: str
) -> Substitution:
    """End a substitution now (the record stays, for history)."""
    async with uow:
        found = await uow.timetable.get_substitution(substitution_id)
        if found is None:
            raise invalid("substitution_id", "is unknown")
        item, _ = found
        located = await uow.timetable.get_lesson(item.lesson_id)
        assert located is not None  # a substitution's lesson is never deleted while it lives
        year = await _managed_year(uow, authorizer, located[1], "substitution_id")
        if item.revoked_at is not None:
            raise FailedPrecondition(
                "the substitution is already revoked",
                [FieldViolation("substitution_id", "is already revoked")],
            )
        now = _now()
        ended = item.revoke(now)
        await uow.timetable.revoke_substitution(ended)
        uow.publish(_substitution_event(year, ended, now))
        await uow.commit()
    return ended


async def list_lessons(
    uow: CurriculumUnitOfWork,
    authorizer: Authorizer,
    *,
    institution_id: str,
    starts: date,
    ends: date,
    teacher_id: str = "",
    group_id: str = "",
    include_cancelled: bool = False,
    page_size: int = 0,
    page_token: str = "",
) -> tuple[list[LessonView], str]:
    """A page of the institution's lessons in [starts, ends] (a teacher's, a group's, or
    all), by date and time, and the token of the next page ('' at the end)."""
    if not institution_id.strip():
        raise invalid("institution_id", "is required")
    if teacher_id and group_id:
        raise invalid("group_id", "give a teacher or a group, not both")
    if ends < starts:
        raise invalid("to", "must not be before from")
    if (ends - starts).days > MAX_LIST_DAYS:
        raise invalid("to", f"the range spans at most {MAX_LIST_DAYS} days")
    if not 0 <= page_size <= MAX_PAGE:
        raise invalid("page_size", f"must be between 0 and {MAX_PAGE}")
    size = page_size or DEFAULT_PAGE
    position = decode_cursor(page_token, 3)
    after = None
    if position is not None:
        try:
            after = (date.fromisoformat(position[0]), time.fromisoformat(position[1]), position[2])
        except ValueError:
            raise invalid("page_token", "is not a token this service gave out") from None
    await authorizer.require(CURRICULUM_READ, institution_id=institution_id)
    async with uow:
        rows = await uow.timetable.list_lessons(
            institution_id=institution_id,
            starts=starts,
            ends=ends,
            teacher_id=teacher_id,
            group_id=group_id,
            include_cancelled=include_cancelled,
            after=after,
            limit=size + 1,
            at=_now(),
        )
    more = len(rows) > size
    views = [
        LessonView(lesson, year_id, institution_id, sub) for lesson, year_id, sub in rows[:size]
    ]
    token = ""
    if more:
        last = views[-1].lesson
        token = encode_cursor(last.date.isoformat(), last.start.isoformat(), last.id)
    return views, token


async def get_lesson(
    uow: CurriculumUnitOfWork, authorizer: Authorizer, *, lesson_id: str
) -> LessonDetails:
    """One lesson with its substitutions, those substituting now, its study period and
    whether the journal has entries for it."""
    async with uow:
        found = await uow.timetable.get_lesson(lesson_id)
        if found is None:
            raise NotFound(f"no lesson {lesson_id!r}")
        lesson, year_id, institution_id = found
        await authorizer.require(CURRICULUM_READ, institution_id=institution_id)
        year = await uow.study_years.get(year_id)
        assert year is not None
        substitutions = await uow.timetable.substitutions_of(lesson.id)
        has_entries = bool(await uow.timetable.with_entries([lesson.id]))
    now = _now()
    return LessonDetails(
        view=LessonView(lesson, year_id, institution_id),
        substitutions=substitutions,
        substitute_ids=domain.substitute_ids(lesson.id, substitutions, now),
        period=year.period_on(lesson.date),
        has_entries=has_entries,
    )


async def on_lesson_recorded(uow: UnitOfWork, env: EventEnvelope) -> None:
    """The journal has entries for a lesson: from now on it is never dropped silently."""
    assert isinstance(uow, CurriculumUnitOfWork)
    recorded = unpack(env, journal_events.LessonRecorded)
    await uow.timetable.record_entries(recorded.lesson_id, env.event_id)


def decisions_by_lesson(items: Iterable[Decision]) -> Mapping[str, Decision]:
    """Decisions keyed by lesson; a lesson given twice names the field."""
    found: dict[str, Decision] = {}
    for index, item in enumerate(items):
        if item.lesson_id in found:
            raise invalid(f"decisions[{index}].lesson_id", "is given twice")
        found[item.lesson_id] = item
    return found
