"""The journal's projections of identity and curriculum against the real PostgreSQL: events
fed to the consumer's handlers with a real unit of work on a freshly migrated database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from zhurnal.common.v1.envelope_pb2 import EventEnvelope
from zhurnal.curriculum.v1 import calendar_pb2, groups_pb2
from zhurnal.curriculum.v1 import events_pb2 as curriculum_events
from zhurnal.curriculum.v1 import timetable_pb2 as pb
from zhurnal.identity.v1 import events_pb2 as identity_events
from zhurnal.identity.v1 import identity_pb2
from zhurnal.journal.v1 import events_pb2 as journal_events
from zhurnal_journal.adapters.tables import (
    enrolment,
    institution,
    lesson,
    study_period,
    substitution,
)
from zhurnal_journal.bootstrap import unit_of_work
from zhurnal_journal.config import JournalSettings
from zhurnal_journal.domain.deadlines import topic_due_at
from zhurnal_journal.service_layer.projections import handlers
from zhurnal_journal.service_layer.unit_of_work import JournalUnitOfWork
from zhurnal_kit.db import make_engine, make_session_factory
from zhurnal_kit.events import Event, envelope, topic_name, unpack
from zhurnal_kit.tables import outbox

pytestmark = pytest.mark.infra

NAMESPACE = "tprojections"
GRACE_S = 600
MONDAY = date(2026, 9, 7)


@pytest.fixture(scope="module")
async def uows(app_db: str) -> AsyncIterator[Any]:
    """Units of work on this module's fresh journal database, as the role the service runs
    as (conftest.py)."""
    settings = JournalSettings(
        database_url=app_db,
        kafka_topic_namespace=NAMESPACE,
        topic_due="end_of_day",
        topic_due_grace_s=GRACE_S,
    )
    engine = make_engine(settings)
    sessions = make_session_factory(engine)
    yield lambda: unit_of_work(settings, sessions)
    await engine.dispose()


HANDLERS = handlers(JournalSettings(topic_due="end_of_day", topic_due_grace_s=GRACE_S))


def new_id() -> str:
    return str(uuid.uuid4())


async def deliver(uows: Callable[[], JournalUnitOfWork], env: EventEnvelope) -> None:
    """What the idempotent consumer does with a record: the handler, then the commit."""
    async with uows() as uow:
        await HANDLERS[env.event_type](uow, env)
        await uow.commit()


async def apply(
    uows: Callable[[], JournalUnitOfWork],
    aggregate: str,
    aggregate_id: str,
    institution_id: str,
    payload: Any,
    *,
    producer: str = "curriculum",
) -> EventEnvelope:
    """Envelope an event as its producer does and deliver it; the envelope (to replay)."""
    env = envelope(
        Event(
            aggregate=aggregate,
            aggregate_id=aggregate_id,
            institution_id=institution_id,
            payload=payload,
        ),
        producer=producer,
    )
    await deliver(uows, env)
    return env


async def institution_created(
    uows: Callable[[], JournalUnitOfWork], institution_id: str, time_zone: str
) -> EventEnvelope:
    return await apply(
        uows,
        "institution",
        institution_id,
        institution_id,
        identity_events.InstitutionCreated(
            institution=identity_pb2.Institution(
                id=institution_id, code=f"s-{institution_id[:8]}", time_zone=time_zone
            )
        ),
        producer="identity",
    )


def a_lesson(
    institution_id: str,
    year_id: str,
    day: date,
    *,
    lesson_id: str = "",
    start: time = time(8, 30),
    duration: int = 45,
    status: int = pb.LESSON_STATUS_SCHEDULED,
    teacher_id: str = "teacher-1",
) -> pb.Lesson:
    return pb.Lesson(
        id=lesson_id or new_id(),
        institution_id=institution_id,
        study_year_id=year_id,
        slot_id="slot-1",
        group_id="group-7a",
        subject_id="maths",
        teacher_id=teacher_id,
        date=calendar_pb2.Day(iso=day.isoformat()),
        start=pb.LocalTime(hour=start.hour, minute=start.minute),
        duration=duration,
        room="12",
        status=status,  # type: ignore[arg-type]
    )


async def schedule(
    uows: Callable[[], JournalUnitOfWork], year_id: str, institution_id: str, lessons: Sequence[Any]
) -> EventEnvelope:
    return await apply(
        uows,
        "lesson",
        year_id,
        institution_id,
        curriculum_events.LessonsScheduled(study_year_id=year_id, lessons=lessons),
    )


async def row(uows: Callable[[], JournalUnitOfWork], table: Any, key: str) -> Any:
    async with uows() as uow:
        return (await uow.session.execute(select(table).where(table.c.id == key))).first()


def due(day: date, start: time, duration: int, zone: str) -> datetime:
    return topic_due_at(day, start, duration, zone, "end_of_day", GRACE_S)


async def test_a_batch_is_one_upsert_that_keeps_the_journals_record(
    uows: Callable[[], JournalUnitOfWork],
) -> None:
    school, year = new_id(), new_id()
    await institution_created(uows, school, "Europe/Moscow")
    days = [MONDAY + timedelta(days=n) for n in range(500)]
    batch = [a_lesson(school, year, day) for day in days]
    await schedule(uows, year, school, batch)
    async with uows() as uow:
        stored = (
            await uow.session.execute(
                select(lesson.c.id, lesson.c.date, lesson.c.due_at, lesson.c.version).where(
                    lesson.c.study_year_id == year
                )
            )
        ).all()
    assert len(stored) == 500
    assert {r.id: r.due_at for r in stored} == {
        item.id: due(day, time(8, 30), 45, "Europe/Moscow")
        for item, day in zip(batch, days, strict=True)
    }

    # The teacher records the first lesson; then the template changes its teacher and time.
    first = batch[0].id
    async with uows() as uow:
        await uow.session.execute(
            update(lesson)
            .where(lesson.c.id == first)
            .values(
                topic="Дроби",
                material="§ 12",
                homework="№ 5",
                notes="Контрольная",
                version=2,
                responsible_teacher_id="teacher-1",
                entered_by="teacher-1",
            )
        )
        await uow.commit()
    changed = a_lesson(
        school, year, MONDAY, lesson_id=first, start=time(23, 30), duration=60, teacher_id="t-2"
    )
    await schedule(uows, year, school, [changed])
    after = await row(uows, lesson, first)
    assert (after.teacher_id, after.start, after.duration) == ("t-2", time(23, 30), 60)
    # Due when the lesson ends (past midnight), plus the grace.
    assert after.due_at == datetime(2026, 9, 7, 21, 30, tzinfo=UTC) + timedelta(seconds=GRACE_S)
    assert (after.topic, after.material, after.homework, after.notes, after.version) == (
        "Дроби",
        "§ 12",
        "№ 5",
        "Контрольная",
        2,
    )
    assert (after.responsible_teacher_id, after.entered_by) == ("teacher-1", "teacher-1")


async def test_removed_lessons_go_unless_the_journal_has_entries_for_them(
    uows: Callable[[], JournalUnitOfWork],
) -> None:
    school, year = new_id(), new_id()
    empty, recorded = a_lesson(school, year, MONDAY), a_lesson(school, year, MONDAY)
    await schedule(uows, year, school, [empty, recorded])
    async with uows() as uow:
        await uow.session.execute(
            update(lesson).where(lesson.c.id == recorded.id).values(topic="Дроби", version=1)
        )
        await uow.commit()
    sub = await substitute(uows, school, year, empty.id)
    removed = await apply(
        uows,
        "lesson",
        year,
        school,
        curriculum_events.LessonsRemoved(study_year_id=year, lesson_ids=[empty.id, recorded.id]),
    )
    await deliver(uows, removed)  # a replay finds nothing more to do
    assert await row(uows, lesson, empty.id) is None
    assert await row(uows, substitution, sub) is None  # it meant something only for that lesson
    kept = await row(uows, lesson, recorded.id)
    assert (kept.topic, kept.version) == ("Дроби", 1)


async def substitute(
    uows: Callable[[], JournalUnitOfWork],
    school: str,
    year: str,
    lesson_id: str,
    *,
    substitution_id: str = "",
    revoked_at: str = "",
) -> str:
    substitution_id = substitution_id or new_id()
    await apply(
        uows,
        "lesson",
        year,
        school,
        curriculum_events.SubstitutionSet(
            study_year_id=year,
            substitution=pb.Substitution(
                id=substitution_id,
                lesson_id=lesson_id,
                teacher_id="teacher-1",
                substitute_teacher_id="teacher-2",
                reason="Болезнь учителя",
                valid_from="2026-09-07T00:00:00+03:00",
                valid_until="2026-09-11T00:00:00+03:00",
                revoked_at=revoked_at,
                active=not revoked_at,
            ),
        ),
    )
    return substitution_id


async def test_moves_cancellations_and_extra_lessons_follow_curriculum(
    uows: Callable[[], JournalUnitOfWork],
) -> None:
    school, year = new_id(), new_id()
    await institution_created(uows, school, "Asia/Vladivostok")
    moving, kept, dropped = (a_lesson(school, year, MONDAY, start=time(9 + n)) for n in range(3))
    await schedule(uows, year, school, [moving, kept, dropped])

    tuesday = MONDAY + timedelta(days=1)
    moved = a_lesson(
        school, year, tuesday, lesson_id=moving.id, start=time(12), status=pb.LESSON_STATUS_MOVED
    )
    moved.moved_from_date.iso = MONDAY.isoformat()
    await apply(
        uows,
        "lesson",
        year,
        school,
        curriculum_events.LessonMoved(
            lesson=moved,
            from_date=calendar_pb2.Day(iso=MONDAY.isoformat()),
            from_start=pb.LocalTime(hour=9),
            reason="Учитель на курсах",
            entries=pb.ENTRIES_DECISION_ENTRIES_FOLLOW,
        ),
    )
    stored = await row(uows, lesson, moving.id)
    assert (stored.date, stored.start, stored.status) == (tuesday, time(12), pb.LESSON_STATUS_MOVED)
    assert stored.due_at == due(tuesday, time(12), 45, "Asia/Vladivostok")
    assert not stored.kept_read_only

    for item, decision in (
        (kept, pb.ENTRIES_DECISION_KEEP_READ_ONLY),
        (dropped, pb.ENTRIES_DECISION_UNSPECIFIED),
    ):
        cancelled = pb.Lesson()
        cancelled.CopyFrom(item)
        cancelled.status = pb.LESSON_STATUS_CANCELLED
        await apply(
            uows,
            "lesson",
            year,
            school,
            curriculum_events.LessonCancelled(
                lesson=cancelled, reason="Карантин", entries=decision
            ),
        )
    read_only = await row(uows, lesson, kept.id)
    plain = await row(uows, lesson, dropped.id)
    assert (read_only.status, read_only.kept_read_only) == (pb.LESSON_STATUS_CANCELLED, True)
    assert (plain.status, plain.kept_read_only) == (pb.LESSON_STATUS_CANCELLED, False)

    # A later description of the cancelled lesson without a decision does not reopen it.
    again = pb.Lesson()
    again.CopyFrom(kept)
    again.status = pb.LESSON_STATUS_CANCELLED
    await schedule(uows, year, school, [again])
    assert (await row(uows, lesson, kept.id)).kept_read_only

    saturday = MONDAY + timedelta(days=5)
    extra = a_lesson(school, year, saturday, start=time(11), duration=90)
    extra.slot_id = ""
    await apply(
        uows,
        "lesson",
        year,
        school,
        curriculum_events.LessonScheduled(lesson=extra, reason="Экскурсия в музей"),
    )
    added = await row(uows, lesson, extra.id)
    assert (added.date, added.duration, added.status) == (saturday, 90, pb.LESSON_STATUS_SCHEDULED)
    assert added.due_at == due(saturday, time(11), 90, "Asia/Vladivostok")
    assert added.topic is None and added.version == 0


async def test_a_substitution_is_stored_and_stays_revoked(
    uows: Callable[[], JournalUnitOfWork],
) -> None:
    school, year = new_id(), new_id()
    item = a_lesson(school, year, MONDAY)
    await schedule(uows, year, school, [item])
    sub = await substitute(uows, school, year, item.id)
    stored = await row(uows, substitution, sub)
    assert (stored.lesson_id, stored.substitute_teacher_id) == (item.id, "teacher-2")
    assert stored.valid_from == datetime(2026, 9, 6, 21, tzinfo=UTC)
    assert stored.valid_until == datetime(2026, 9, 10, 21, tzinfo=UTC)
    assert stored.revoked_at is None

    await substitute(
        uows, school, year, item.id, substitution_id=sub, revoked_at="2026-09-07T10:15:00+03:00"
    )
    revoked = datetime(2026, 9, 7, 7, 15, tzinfo=UTC)
    assert (await row(uows, substitution, sub)).revoked_at == revoked
    # The substitution as first set, delivered late: revoked it stays.
    await substitute(uows, school, year, item.id, substitution_id=sub)
    assert (await row(uows, substitution, sub)).revoked_at == revoked


def a_period(period_id: str, name: str, starts: str, ends: str, **fields: Any) -> Any:
    return calendar_pb2.StudyPeriod(
        id=period_id,
        name=name,
        starts=calendar_pb2.Day(iso=starts),
        ends=calendar_pb2.Day(iso=ends),
        **fields,
    )


async def year_changed(
    uows: Callable[[], JournalUnitOfWork], school: str, year: str, periods: list[Any]
) -> EventEnvelope:
    return await apply(
        uows,
        "study_year",
        year,
        school,
        curriculum_events.StudyYearChanged(
            study_year=calendar_pb2.StudyYear(
                id=year,
                institution_id=school,
                name="2026/2027",
                starts=calendar_pb2.Day(iso="2026-09-01"),
                ends=calendar_pb2.Day(iso="2027-05-31"),
                working_days=[0, 1, 2, 3, 4],
                periods=periods,
            )
        ),
    )


async def locks_announced(uows: Callable[[], JournalUnitOfWork], period_id: str) -> list[Any]:
    async with uows() as uow:
        return list(
            (
                await uow.session.execute(
                    select(outbox).where(
                        outbox.c.key == period_id,
                        outbox.c.event_type == journal_events.PeriodLocked.DESCRIPTOR.full_name,
                    )
                )
            ).all()
        )


async def test_periods_follow_the_year_and_closing_one_announces_the_lock_once(
    uows: Callable[[], JournalUnitOfWork],
) -> None:
    school, year = new_id(), new_id()
    first, second, dropped = new_id(), new_id(), new_id()
    await year_changed(
        uows,
        school,
        year,
        [
            a_period(first, "1 полугодие", "2026-09-01", "2026-12-29"),
            a_period(dropped, "лишний", "2027-01-01", "2027-01-10"),
        ],
    )
    assert (await row(uows, study_period, dropped)).name == "лишний"
    await year_changed(
        uows,
        school,
        year,
        [
            a_period(first, "I полугодие", "2026-09-01", "2026-12-29"),
            a_period(second, "2 полугодие", "2027-01-11", "2027-05-31"),
        ],
    )
    assert await row(uows, study_period, dropped) is None
    stored = await row(uows, study_period, first)
    assert (stored.name, stored.institution_id, stored.closed) == ("I полугодие", school, False)

    closed_at = datetime(2026, 12, 30, 9, 0, tzinfo=UTC)
    closing = a_period(first, "I полугодие", "2026-09-01", "2026-12-29", closed=True)
    closing.closed_by = "deputy-1"
    closing.closed_at.FromDatetime(closed_at)
    env = await apply(
        uows,
        "study_year",
        year,
        school,
        curriculum_events.PeriodClosed(study_year_id=year, period=closing),
    )
    stored = await row(uows, study_period, first)
    assert (stored.closed, stored.closed_at, stored.closed_by) == (True, closed_at, "deputy-1")
    [announced] = await locks_announced(uows, first)
    assert announced.topic == topic_name("journal", "period", namespace=NAMESPACE)
    locked = unpack(EventEnvelope.FromString(announced.envelope), journal_events.PeriodLocked)
    assert (locked.period_id, locked.study_year_id, locked.institution_id, locked.cause) == (
        first,
        year,
        school,
        "closed",
    )
    assert EventEnvelope.FromString(announced.envelope).institution_id == school

    await deliver(uows, env)  # the same event again: the lock is not announced twice
    assert len(await locks_announced(uows, first)) == 1
    # The year's calendar changes (a holiday added): the period stays closed.
    await year_changed(
        uows,
        school,
        year,
        [
            a_period(first, "I полугодие", "2026-09-01", "2026-12-29"),
            a_period(second, "2 полугодие", "2027-01-11", "2027-05-31"),
        ],
    )
    assert (await row(uows, study_period, first)).closed

    opened = a_period(first, "I полугодие", "2026-09-01", "2026-12-29")
    await apply(
        uows,
        "study_year",
        year,
        school,
        curriculum_events.PeriodOpened(study_year_id=year, period=opened, reason="Исправление"),
    )
    stored = await row(uows, study_period, first)
    assert (stored.closed, stored.closed_at, stored.closed_by) == (False, None, "")
    # Closed again after the corrections: a second lock.
    await apply(
        uows,
        "study_year",
        year,
        school,
        curriculum_events.PeriodClosed(study_year_id=year, period=closing),
    )
    assert len(await locks_announced(uows, first)) == 2


async def test_an_institution_arriving_after_its_lessons_dates_them_again(
    uows: Callable[[], JournalUnitOfWork],
) -> None:
    school, year = new_id(), new_id()
    items = [a_lesson(school, year, MONDAY + timedelta(days=n)) for n in range(3)]
    await schedule(uows, year, school, items)
    # Identity's event has not arrived: the default zone.
    assert (await row(uows, lesson, items[0].id)).due_at == due(
        MONDAY, time(8, 30), 45, "Europe/Moscow"
    )
    async with uows() as uow:
        assert await uow.projections.institution(school) is None
        assert await uow.projections.time_zone(school) == "Europe/Moscow"

    await institution_created(uows, school, "Asia/Vladivostok")
    for n, item in enumerate(items):
        day = MONDAY + timedelta(days=n)
        assert (await row(uows, lesson, item.id)).due_at == due(
            day, time(8, 30), 45, "Asia/Vladivostok"
        )
    async with uows() as uow:
        known = await uow.projections.institution(school)
        assert known is not None and known.time_zone == "Asia/Vladivostok"
        assert await uow.projections.time_zone(school) == "Asia/Vladivostok"

    # The deputy's settings of the journal are the journal's: identity does not reset them.
    async with uows() as uow:
        await uow.session.execute(
            update(institution).where(institution.c.id == school).values(unlock_hours=12)
        )
        await uow.commit()
    await institution_created(uows, school, "Asia/Vladivostok")
    assert (await row(uows, institution, school)).unlock_hours == 12


async def test_an_institution_arriving_during_a_batch_waits_for_it(
    uows: Callable[[], JournalUnitOfWork],
) -> None:
    # Another consumer process applies the institution while this batch is uncommitted: it
    # must not recompute before the batch is visible, nor the batch keep the default zone.
    school, year = new_id(), new_id()
    item = a_lesson(school, year, MONDAY)
    env = envelope(
        Event(
            aggregate="lesson",
            aggregate_id=year,
            institution_id=school,
            payload=curriculum_events.LessonsScheduled(study_year_id=year, lessons=[item]),
        ),
        producer="curriculum",
    )
    async with uows() as batch:
        await HANDLERS[env.event_type](batch, env)
        arriving = asyncio.create_task(institution_created(uows, school, "Asia/Vladivostok"))
        await asyncio.sleep(0.5)
        assert not arriving.done()
        await batch.commit()
    await asyncio.wait_for(arriving, timeout=10)
    assert (await row(uows, lesson, item.id)).due_at == due(
        MONDAY, time(8, 30), 45, "Asia/Vladivostok"
    )


async def test_enrolments_are_upserted_by_id(uows: Callable[[], JournalUnitOfWork]) -> None:
    school, enrolment_id = new_id(), new_id()
    joined = groups_pb2.Enrolment(
        id=enrolment_id,
        group_id="group-7a",
        student_id="student-1",
        joined=calendar_pb2.Day(iso="2026-09-01"),
        join_reason="Приказ № 1",
    )
    await apply(
        uows, "group", "group-7a", school, curriculum_events.EnrolmentChanged(enrolment=joined)
    )
    stored = await row(uows, enrolment, enrolment_id)
    assert (stored.student_id, stored.joined, stored.left) == ("student-1", date(2026, 9, 1), None)
    joined.left.iso = "2026-12-20"
    await apply(
        uows, "group", "group-7a", school, curriculum_events.EnrolmentChanged(enrolment=joined)
    )
    assert (await row(uows, enrolment, enrolment_id)).left == date(2026, 12, 20)


async def snapshot(uows: Callable[[], JournalUnitOfWork], school: str) -> dict[str, Any]:
    async with uows() as uow:
        session = uow.session
        return {
            "institution": (
                await session.execute(select(institution).where(institution.c.id == school))
            ).all(),
            "lessons": (
                await session.execute(
                    select(lesson).where(lesson.c.institution_id == school).order_by(lesson.c.id)
                )
            ).all(),
            "periods": (
                await session.execute(
                    select(study_period)
                    .where(study_period.c.institution_id == school)
                    .order_by(study_period.c.id)
                )
            ).all(),
            "substitutions": (
                await session.execute(select(substitution).order_by(substitution.c.id))
            ).all(),
            "enrolments": (await session.execute(select(enrolment).order_by(enrolment.c.id))).all(),
            "outbox": await session.scalar(select(func.count()).select_from(outbox)),
        }


async def test_replaying_every_event_changes_nothing(
    uows: Callable[[], JournalUnitOfWork],
) -> None:
    school, year, period = new_id(), new_id(), new_id()
    first, second = a_lesson(school, year, MONDAY), a_lesson(school, year, MONDAY, start=time(10))
    moved = pb.Lesson()
    moved.CopyFrom(first)
    moved.date.iso = (MONDAY + timedelta(days=2)).isoformat()
    moved.status = pb.LESSON_STATUS_MOVED
    cancelled = pb.Lesson()
    cancelled.CopyFrom(second)
    cancelled.status = pb.LESSON_STATUS_CANCELLED
    closing = a_period(period, "1 полугодие", "2026-09-01", "2026-12-29", closed=True)
    history = [
        await schedule(uows, year, school, [first, second]),
        await institution_created(uows, school, "Asia/Yekaterinburg"),
        await year_changed(
            uows, school, year, [a_period(period, "1 полугодие", "2026-09-01", "2026-12-29")]
        ),
        await apply(
            uows, "lesson", year, school, curriculum_events.LessonMoved(lesson=moved, reason="x")
        ),
        await apply(
            uows,
            "lesson",
            year,
            school,
            curriculum_events.LessonCancelled(
                lesson=cancelled, reason="y", entries=pb.ENTRIES_DECISION_KEEP_READ_ONLY
            ),
        ),
        await apply(
            uows,
            "study_year",
            year,
            school,
            curriculum_events.PeriodClosed(study_year_id=year, period=closing),
        ),
    ]
    before = await snapshot(uows, school)
    assert before["lessons"] and before["periods"]
    # A consumer that lost its offsets gets the records again, in their order.
    for env in history:
        await deliver(uows, env)
    await deliver(uows, history[-1])
    assert await snapshot(uows, school) == before


def test_every_event_the_consumer_subscribes_to_has_a_handler() -> None:
    assert set(HANDLERS) == {
        "zhurnal.identity.v1.InstitutionCreated",
        *(
            f"zhurnal.curriculum.v1.{name}"
            for name in (
                "StudyYearChanged",
                "PeriodClosed",
                "PeriodOpened",
                "EnrolmentChanged",
                "LessonsScheduled",
                "LessonsRemoved",
                "LessonScheduled",
                "LessonMoved",
                "LessonCancelled",
                "SubstitutionSet",
            )
        ),
    }
