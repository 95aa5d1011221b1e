"""The journal's reactions to identity's and curriculum's events: its own projections of
institutions, study periods, enrolments, lessons and substitutions (R-1.4: the journal follows
the curriculum, the schedule and the study periods).

Each handler runs inside the idempotent consumer's transaction (zhurnal_kit.consumer): it
writes, the consumer commits, so an event is applied once with its processed-event row.
Applying one twice anyway (a replay) changes nothing more: every write is an upsert of the
state the event carries, and the period lock is announced only when a period becomes closed.

Topics are not ordered against each other: lessons may arrive before their institution. They
are dated in the default zone then, and again when InstitutionCreated tells the real one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, time
from functools import partial

from google.protobuf.message import Message

from zhurnal.common.v1.envelope_pb2 import EventEnvelope
from zhurnal.curriculum.v1 import calendar_pb2, groups_pb2, timetable_pb2
from zhurnal.curriculum.v1 import events_pb2 as curriculum_events
from zhurnal.identity.v1 import events_pb2 as identity_events
from zhurnal.journal.v1 import events_pb2 as journal_events
from zhurnal_journal.adapters.projection_repository import (
    Enrolment,
    LessonSchedule,
    Period,
    Substitution,
)
from zhurnal_journal.config import JournalSettings
from zhurnal_journal.domain.deadlines import (
    DEFAULT_TIME_ZONE,
    EntriesDecision,
    TopicDeadline,
    entries_read_only,
)
from zhurnal_journal.service_layer.unit_of_work import JournalUnitOfWork
from zhurnal_kit.consumer import Handler
from zhurnal_kit.db import UnitOfWork
from zhurnal_kit.events import Event, unpack

# Why a period's entries became read-only (PeriodLocked.cause).
LOCKED_BY_CLOSING = "closed"

_DECISIONS = {
    timetable_pb2.ENTRIES_DECISION_ENTRIES_FOLLOW: EntriesDecision.ENTRIES_FOLLOW,
    timetable_pb2.ENTRIES_DECISION_KEEP_READ_ONLY: EntriesDecision.KEEP_READ_ONLY,
    timetable_pb2.ENTRIES_DECISION_KEEP_AS_EXTRA: EntriesDecision.KEEP_AS_EXTRA,
}


def _journal(uow: UnitOfWork) -> JournalUnitOfWork:
    assert isinstance(uow, JournalUnitOfWork)
    return uow


def _day(value: calendar_pb2.Day) -> date:
    return date.fromisoformat(value.iso)


def _optional_day(value: calendar_pb2.Day) -> date | None:
    return date.fromisoformat(value.iso) if value.iso else None


def _instant(value: str) -> datetime | None:
    """An RFC 3339 instant of the contract; None when empty. One without an offset breaks the
    contract: refused rather than guessed."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"instant {value!r} has no UTC offset")
    return parsed


def _time(value: timetable_pb2.LocalTime) -> time:
    return time(value.hour, value.minute)


def _required_instant(value: str, name: str) -> datetime:
    parsed = _instant(value)
    if parsed is None:
        raise ValueError(f"{name} is missing")
    return parsed


# Identity


async def on_institution_created(
    deadline: TopicDeadline, uow: UnitOfWork, env: EventEnvelope
) -> None:
    """Learn an institution's code and zone; lessons that arrived first, or were dated in
    another zone, get their deadlines again."""
    journal = _journal(uow)
    created = unpack(env, identity_events.InstitutionCreated).institution
    due_at = deadline.in_zone(created.time_zone)  # an unknown zone stops here
    before = await journal.projections.record_institution(
        created.id, created.code, created.time_zone
    )
    if before != (created.time_zone or DEFAULT_TIME_ZONE):
        await journal.projections.recompute_due_at(created.id, due_at)


# Curriculum: the calendar and groups


def _period(item: calendar_pb2.StudyPeriod, study_year_id: str, institution_id: str) -> Period:
    return Period(
        id=item.id,
        study_year_id=study_year_id,
        institution_id=institution_id,
        name=item.name,
        starts=_day(item.starts),
        ends=_day(item.ends),
        closed=item.closed,
        closed_at=item.closed_at.ToDatetime(tzinfo=UTC) if item.HasField("closed_at") else None,
        closed_by=item.closed_by,
    )


async def on_study_year_changed(uow: UnitOfWork, env: EventEnvelope) -> None:
    """The year's periods as curriculum now has them (those no longer in it are gone);
    whether one is closed changes only with PeriodClosed and PeriodOpened."""
    year = unpack(env, curriculum_events.StudyYearChanged).study_year
    await _journal(uow).projections.replace_periods(
        year.id, [_period(p, year.id, year.institution_id) for p in year.periods]
    )


async def on_period_closed(uow: UnitOfWork, env: EventEnvelope) -> None:
    """A period was closed (R-6.3): its entries are locked, and the journal says so once."""
    journal = _journal(uow)
    closed = unpack(env, curriculum_events.PeriodClosed)
    period = replace(_period(closed.period, closed.study_year_id, env.institution_id), closed=True)
    if await journal.projections.close_period(period):
        journal.publish(
            Event(
                aggregate="period",
                aggregate_id=period.id,
                institution_id=env.institution_id,
                payload=journal_events.PeriodLocked(
                    period_id=period.id,
                    study_year_id=closed.study_year_id,
                    institution_id=env.institution_id,
                    cause=LOCKED_BY_CLOSING,
                ),
            )
        )


async def on_period_opened(uow: UnitOfWork, env: EventEnvelope) -> None:
    """A closed period was opened again: its entries may change."""
    opened = unpack(env, curriculum_events.PeriodOpened)
    period = _period(opened.period, opened.study_year_id, env.institution_id)
    await _journal(uow).projections.save_periods([replace(period, closed=False)])


async def on_enrolment_changed(uow: UnitOfWork, env: EventEnvelope) -> None:
    """A student joined or left a group."""
    item: groups_pb2.Enrolment = unpack(env, curriculum_events.EnrolmentChanged).enrolment
    await _journal(uow).projections.save_enrolment(
        Enrolment(
            id=item.id,
            group_id=item.group_id,
            student_id=item.student_id,
            joined=_day(item.joined),
            left=_optional_day(item.left),
        )
    )


# Curriculum: lessons


async def _store_lessons(
    deadline: TopicDeadline,
    journal: JournalUnitOfWork,
    env: EventEnvelope,
    lessons: Iterable[timetable_pb2.Lesson],
    decision: EntriesDecision | None = None,
) -> None:
    """Upsert lessons in their current state, dated in their institution's zone."""
    by_institution: dict[str, list[timetable_pb2.Lesson]] = {}
    for item in lessons:
        by_institution.setdefault(item.institution_id or env.institution_id, []).append(item)
    # A year's lessons are one institution's; each lesson names it, so grouped all the same.
    for institution_id in sorted(by_institution):
        due_at = deadline.in_zone(await journal.projections.zone_for_lessons(institution_id))
        schedules = []
        for item in by_institution[institution_id]:
            day = _day(item.date)
            start = _time(item.start)
            cancelled = item.status == timetable_pb2.LESSON_STATUS_CANCELLED
            schedules.append(
                LessonSchedule(
                    id=item.id,
                    institution_id=institution_id,
                    study_year_id=item.study_year_id,
                    group_id=item.group_id,
                    subject_id=item.subject_id,
                    teacher_id=item.teacher_id,
                    date=day,
                    start=start,
                    duration=item.duration,
                    status=item.status,
                    due_at=due_at(day, start, item.duration),
                    kept_read_only=entries_read_only(cancelled, decision),
                )
            )
        await journal.projections.upsert_lessons(schedules)


async def on_lessons_scheduled(
    deadline: TopicDeadline, uow: UnitOfWork, env: EventEnvelope
) -> None:
    """Lessons the template added or changed (up to 500): one upsert of their schedule; the
    journal's records of them stay as they are."""
    batch = unpack(env, curriculum_events.LessonsScheduled)
    await _store_lessons(deadline, _journal(uow), env, batch.lessons)


async def on_lessons_removed(uow: UnitOfWork, env: EventEnvelope) -> None:
    """Lessons the template no longer has. Curriculum removes only lessons without entries;
    one the journal has entries for meanwhile (saved before curriculum heard of them) is
    kept: entries are history (R-1.6)."""
    removed = unpack(env, curriculum_events.LessonsRemoved)
    await _journal(uow).projections.remove_lessons(list(removed.lesson_ids))


async def on_lesson_scheduled(deadline: TopicDeadline, uow: UnitOfWork, env: EventEnvelope) -> None:
    """An extra lesson outside the template."""
    added = unpack(env, curriculum_events.LessonScheduled)
    await _store_lessons(deadline, _journal(uow), env, [added.lesson])


async def on_lesson_moved(deadline: TopicDeadline, uow: UnitOfWork, env: EventEnvelope) -> None:
    """A lesson held at another date or time: its entries follow it (same id), its deadline
    is the new date's."""
    moved = unpack(env, curriculum_events.LessonMoved)
    await _store_lessons(deadline, _journal(uow), env, [moved.lesson])


async def on_lesson_cancelled(deadline: TopicDeadline, uow: UnitOfWork, env: EventEnvelope) -> None:
    """A lesson will not be held: cancelled (never due), its entries read-only when the
    deputy decided to keep them so."""
    cancelled = unpack(env, curriculum_events.LessonCancelled)
    await _store_lessons(
        deadline, _journal(uow), env, [cancelled.lesson], _DECISIONS.get(cancelled.entries)
    )


async def on_substitution_set(uow: UnitOfWork, env: EventEnvelope) -> None:
    """A substitute named for one lesson, or the substitution revoked (revoked_at set)."""
    item = unpack(env, curriculum_events.SubstitutionSet).substitution
    await _journal(uow).projections.save_substitution(
        Substitution(
            id=item.id,
            lesson_id=item.lesson_id,
            substitute_teacher_id=item.substitute_teacher_id,
            valid_from=_required_instant(item.valid_from, "valid_from"),
            valid_until=_required_instant(item.valid_until, "valid_until"),
            revoked_at=_instant(item.revoked_at),
        )
    )


def handlers(settings: JournalSettings) -> dict[str, Handler]:
    """The projection consumer's handlers by event type, lessons dated by the configured
    deadline rule."""
    deadline = TopicDeadline(settings.topic_due, settings.topic_due_grace_s)
    found: dict[type[Message], Handler] = {
        identity_events.InstitutionCreated: partial(on_institution_created, deadline),
        curriculum_events.StudyYearChanged: on_study_year_changed,
        curriculum_events.PeriodClosed: on_period_closed,
        curriculum_events.PeriodOpened: on_period_opened,
        curriculum_events.EnrolmentChanged: on_enrolment_changed,
        curriculum_events.LessonsScheduled: partial(on_lessons_scheduled, deadline),
        curriculum_events.LessonsRemoved: on_lessons_removed,
        curriculum_events.LessonScheduled: partial(on_lesson_scheduled, deadline),
        curriculum_events.LessonMoved: partial(on_lesson_moved, deadline),
        curriculum_events.LessonCancelled: partial(on_lesson_cancelled, deadline),
        curriculum_events.SubstitutionSet: on_substitution_set,
    }
    return {message.DESCRIPTOR.full_name: handler for message, handler in found.items()}
