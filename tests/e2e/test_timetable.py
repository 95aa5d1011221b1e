"""The timetable through the running curriculum service: weekly slots generate the dated
lessons of the year (R-1.4), overlaps are refused with the lesson named, one-off changes and
substitutions (R-5), lessons with journal entries are never dropped silently, and every
change reaches Kafka for the journal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import grpc
import pytest
from aiokafka import AIOKafkaProducer
from e2e.kafka_probe import envelopes
from e2e.test_institution_slice import wait_for
from e2e.world import (
    Curriculum,
    Identity,
    Member,
    create_group,
    define_subject,
    hire,
    new_institution,
    student,
)

from zhurnal.curriculum.v1 import calendar_pb2, groups_pb2, hours_pb2
from zhurnal.curriculum.v1 import events_pb2 as curriculum_events
from zhurnal.curriculum.v1 import timetable_pb2 as pb
from zhurnal.identity.v1 import access_pb2
from zhurnal.journal.v1 import events_pb2 as journal_events
from zhurnal_kit.events import Event, envelope, kafka_headers, unpack
from zhurnal_kit.grpc_errors import field_violations
from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra

TODAY = date.today()
# The year is laid around today, so substitutions (which end a few days after their lesson)
# can be tested on any day this suite runs.
YEAR_STARTS = TODAY - timedelta(days=70)
YEAR_ENDS = TODAY + timedelta(days=200)
NEXT_MONDAY = TODAY + timedelta(days=7 - TODAY.weekday())


def d(value: date) -> calendar_pb2.Day:
    return calendar_pb2.Day(iso=value.isoformat())


def at(hour: int, minute: int = 0) -> pb.LocalTime:
    return pb.LocalTime(hour=hour, minute=minute)


@dataclass
class School:
    id: str
    deputy: Member
    teacher: Member
    other_teacher: Member
    year: calendar_pb2.StudyYear
    seven_a: groups_pb2.Group
    seven_b: groups_pb2.Group
    maths: hours_pb2.Subject


async def school(
    stack: Stack,
    district_admin: Person,
    keycloak: KeycloakAdmin,
    *,
    working_days: list[int] | None = None,
) -> School:
    """An institution with a deputy, two teachers, a study year around today, 7А and 7Б and
    maths."""
    institution = await new_institution(stack, district_admin)
    async with Identity(stack, district_admin.token()) as admin:
        deputy = await hire(stack, admin, keycloak, institution, "deputy")
        teacher = await hire(stack, admin, keycloak, institution, "teacher")
        other = await hire(stack, admin, keycloak, institution, "teacher")
    async with Curriculum(stack, deputy) as cur:

        async def create() -> Any:
            return await cur.call(
                cur.calendar.CreateStudyYear,
                calendar_pb2.CreateStudyYearRequest(
                    institution_id=institution,
                    name=f"{YEAR_STARTS.year}/{YEAR_STARTS.year + 1}",
                    starts=d(YEAR_STARTS),
                    ends=d(YEAR_ENDS),
                    working_days=working_days or [0, 1, 2, 3, 4],
                ),
            )

        year = (await wait_for(create, what="curriculum to accept the study year")).study_year
        groups = []
        for name in ("7А", "7Б"):
            groups.append(await create_group(cur.groups, cur.metadata, year.id, name))
        maths = await define_subject(cur.hours, cur.metadata, institution, "Математика")

        async def load() -> Any:
            # The teachers reach curriculum through identity's events: wait for both.
            return await cur.call(
                cur.hours.SetTeachingLoad,
                hours_pb2.SetTeachingLoadRequest(
                    study_year_id=year.id,
                    lines=[
                        hours_pb2.LoadLine(
                            teacher_id=who.person_id,
                            group_id=group.id,
                            subject_id=maths.id,
                            hours=34,
                        )
                        for who, group in ((teacher, groups[0]), (other, groups[1]))
                    ],
                ),
            )

        await wait_for(load, what="the teachers to be known to curriculum")
    return School(institution, deputy, teacher, other, year, groups[0], groups[1], maths)


def slot(s: School, group: groups_pb2.Group, teacher: Member, **fields: Any) -> pb.Slot:
    values: dict[str, Any] = {
        "weekday": 0,
        "start": at(8, 30),
        "duration": 45,
        "room": "12",
    } | fields
    return pb.Slot(
        study_year_id=s.year.id,
        group_id=group.id,
        subject_id=s.maths.id,
        teacher_id=teacher.person_id,
        **values,
    )


async def set_slot(cur: Curriculum, item: pb.Slot, **fields: Any) -> Any:
    """SetSlot, waiting until curriculum has learnt the teachers from identity's events."""

    async def attempt() -> Any:
        try:
            return await cur.call(cur.timetable.SetSlot, pb.SetSlotRequest(slot=item, **fields))
        except grpc.aio.AioRpcError as error:
            if any(v.field == "slot.teacher_id" for v in field_violations(error)):
                raise  # not known yet: try again
            return error

    reply = await wait_for(attempt, what="the teachers to be known to curriculum")
    if isinstance(reply, grpc.aio.AioRpcError):
        raise reply
    return reply


async def lessons(
    cur: Curriculum, s: School, starts: date, ends: date, **filters: Any
) -> list[pb.Lesson]:
    reply = await cur.call(
        cur.timetable.ListLessons,
        pb.ListLessonsRequest(institution_id=s.id, to=d(ends), **{"from": d(starts)}, **filters),
    )
    return list(reply.lessons)


def mondays(starts: date, ends: date, skip: frozenset[date] = frozenset()) -> list[date]:
    first = starts + timedelta(days=(7 - starts.weekday()) % 7)
    return [
        first + timedelta(weeks=n)
        for n in range((ends - first).days // 7 + 1)
        if first + timedelta(weeks=n) not in skip
    ]


async def lesson_events(stack: Stack, year_id: str) -> list[Any]:
    return await envelopes(
        stack.infra.kafka_bootstrap,
        f"{stack.namespace}.zhurnal.curriculum.lesson.v1",
        key=year_id,
    )


async def test_slots_generate_the_years_lessons_and_overlaps_are_refused_naming_the_lesson(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin
) -> None:
    s = await school(stack, district_admin, keycloak)
    holiday = (NEXT_MONDAY + timedelta(days=7), NEXT_MONDAY + timedelta(days=13))
    async with Curriculum(stack, s.deputy) as cur:
        await cur.call(
            cur.calendar.AddHoliday,
            calendar_pb2.AddHolidayRequest(
                study_year_id=s.year.id, starts=d(holiday[0]), ends=d(holiday[1]), name="Каникулы"
            ),
        )
        first = await set_slot(cur, slot(s, s.seven_a, s.teacher))
        expected = mondays(YEAR_STARTS, YEAR_ENDS, frozenset({NEXT_MONDAY + timedelta(days=7)}))
        assert first.change.added == len(expected)

        # A teacher's lessons of three weeks: the holiday week has none.
        mine = await lessons(
            cur, s, NEXT_MONDAY, NEXT_MONDAY + timedelta(days=20), teacher_id=s.teacher.person_id
        )
        assert [x.date.iso for x in mine] == [
            NEXT_MONDAY.isoformat(),
            (NEXT_MONDAY + timedelta(days=14)).isoformat(),
        ]
        assert all(x.slot_id == first.slot.id and x.room == "12" for x in mine)

        # The same teacher at 09:00 with 7Б overlaps 08:30-09:15: refused, the lesson named.
        with pytest.raises(grpc.aio.AioRpcError) as clash:
            await cur.call(
                cur.timetable.SetSlot,
                pb.SetSlotRequest(slot=slot(s, s.seven_b, s.teacher, start=at(9), room="14")),
            )
        assert clash.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        named = field_violations(clash.value)
        assert named and all(v.field == "slot" for v in named)
        first_lesson = (await lessons(cur, s, expected[0], expected[0]))[0]
        assert any(
            f"overlaps lesson {first_lesson.id}" in v.description
            and "same teacher" in v.description
            for v in named
        )
        # Another teacher in the same room at the same time: the room is named.
        with pytest.raises(grpc.aio.AioRpcError) as room:
            await cur.call(
                cur.timetable.SetSlot,
                pb.SetSlotRequest(slot=slot(s, s.seven_b, s.other_teacher, start=at(9))),
            )
        assert "same room" in field_violations(room.value)[0].description
        listed = await cur.call(
            cur.timetable.ListSlots, pb.ListSlotsRequest(study_year_id=s.year.id)
        )
        assert len(listed.slots) == 1  # nothing written by the refusals

        # Another room is fine; an odd-week slot has lessons every other week.
        await set_slot(cur, slot(s, s.seven_b, s.other_teacher, start=at(9), room="14"))
        odd = await set_slot(
            cur,
            slot(s, s.seven_b, s.other_teacher, weekday=2, parity=pb.WEEK_PARITY_ODD),
        )
        assert 0 < odd.change.added <= len(expected) // 2 + 1
        week = await lessons(
            cur, s, NEXT_MONDAY, NEXT_MONDAY + timedelta(days=6), group_id=s.seven_b.id
        )
        assert [x.start.hour for x in week][:1] == [9]

        # Bad input names its field and writes nothing.
        with pytest.raises(grpc.aio.AioRpcError) as outside:
            await cur.call(
                cur.timetable.SetSlot,
                pb.SetSlotRequest(
                    slot=slot(
                        s,
                        s.seven_a,
                        s.teacher,
                        weekday=4,
                        effective_from=d(YEAR_STARTS - timedelta(days=1)),
                    )
                ),
            )
        assert outside.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert [v.field for v in field_violations(outside.value)] == ["slot.effective_from"]
        with pytest.raises(grpc.aio.AioRpcError) as bad:
            await cur.call(
                cur.timetable.SetSlot,
                pb.SetSlotRequest(slot=slot(s, s.seven_a, s.teacher, weekday=9, duration=0)),
            )
        assert {v.field for v in field_violations(bad.value)} == {"slot.weekday", "slot.duration"}
        listed = await cur.call(
            cur.timetable.ListSlots, pb.ListSlotsRequest(study_year_id=s.year.id)
        )
        assert len(listed.slots) == 3

        # Pages of a month of 7Б's lessons join up to the whole month, none twice.
        month = (NEXT_MONDAY, NEXT_MONDAY + timedelta(days=30))
        whole = await lessons(cur, s, *month, group_id=s.seven_b.id)
        paged: list[str] = []
        token = ""
        while True:
            page = await cur.call(
                cur.timetable.ListLessons,
                pb.ListLessonsRequest(
                    institution_id=s.id,
                    group_id=s.seven_b.id,
                    to=d(month[1]),
                    page_size=2,
                    page_token=token,
                    **{"from": d(month[0])},
                ),
            )
            paged += [x.id for x in page.lessons]
            token = page.next_page_token
            if not token:
                break
        assert paged == [x.id for x in whole] and len(whole) > 2

        # Bad queries name their field.
        for request, field_name in [
            (
                {"teacher_id": s.teacher.person_id, "group_id": s.seven_a.id},
                "group_id",
            ),
            ({"to": d(NEXT_MONDAY - timedelta(days=1))}, "to"),
            ({"page_token": "not-ours"}, "page_token"),
            ({"page_size": 5000}, "page_size"),
        ]:
            fields = {"to": d(NEXT_MONDAY + timedelta(days=6))} | request
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await cur.call(
                    cur.timetable.ListLessons,
                    pb.ListLessonsRequest(
                        institution_id=s.id, **{"from": d(NEXT_MONDAY)}, **fields
                    ),
                )
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert [v.field for v in field_violations(refused.value)] == [field_name]
        with pytest.raises(grpc.aio.AioRpcError) as unknown:
            await cur.call(cur.timetable.GetLesson, pb.GetLessonRequest(lesson_id="nope"))
        assert unknown.value.code() == grpc.StatusCode.NOT_FOUND

    # The journal hears of every generated lesson.
    async def scheduled() -> int:
        found = await lesson_events(stack, s.year.id)
        return sum(
            len(unpack(e, curriculum_events.LessonsScheduled).lessons)
            for e in found
            if e.event_type == "zhurnal.curriculum.v1.LessonsScheduled"
        )

    total = first.change.added + odd.change.added
    await wait_for(lambda: _at_least(scheduled, total), what="LessonsScheduled on Kafka")


async def _at_least(count: Any, expected: int) -> bool:
    return bool(await count() >= expected)


async def record_entries(stack: Stack, institution_id: str, lesson: pb.Lesson) -> None:
    """What the journal publishes when a lesson's topic, attendance or marks are saved."""
    env = envelope(
        Event(
            aggregate="lesson",
            aggregate_id=lesson.id,
            institution_id=institution_id,
            payload=journal_events.LessonRecorded(
                lesson_id=lesson.id, institution_id=institution_id, group_id=lesson.group_id
            ),
        ),
        producer="journal",
    )
    producer = AIOKafkaProducer(bootstrap_servers=stack.infra.kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(
            f"{stack.namespace}.zhurnal.journal.lesson.v1",
            env.SerializeToString(),
            key=lesson.id.encode(),
            headers=kafka_headers(env),
        )
    finally:
        await producer.stop()


async def has_entries(cur: Curriculum, lesson: pb.Lesson) -> bool:
    reply = await cur.call(cur.timetable.GetLesson, pb.GetLessonRequest(lesson_id=lesson.id))
    return bool(reply.has_entries)


async def test_one_off_changes_and_lessons_with_entries_need_a_decision(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin
) -> None:
    s = await school(stack, district_admin, keycloak)
    async with Curriculum(stack, s.deputy) as cur:
        made = await set_slot(cur, slot(s, s.seven_a, s.teacher))
        await set_slot(cur, slot(s, s.seven_a, s.other_teacher, weekday=1, start=at(10)))
        monday, later, latest = await lessons(
            cur, s, NEXT_MONDAY, NEXT_MONDAY + timedelta(days=20), teacher_id=s.teacher.person_id
        )

        # Moving onto Tuesday 10:00 meets 7А's lesson there: refused, that lesson named.
        with pytest.raises(grpc.aio.AioRpcError) as clash:
            await cur.call(
                cur.timetable.MoveLesson,
                pb.MoveLessonRequest(
                    lesson_id=monday.id,
                    new_date=d(NEXT_MONDAY + timedelta(days=1)),
                    new_start=at(10, 15),
                    reason="Замена кабинета",
                ),
            )
        assert clash.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "same group" in field_violations(clash.value)[0].description
        with pytest.raises(grpc.aio.AioRpcError) as no_reason:
            await cur.call(
                cur.timetable.MoveLesson,
                pb.MoveLessonRequest(
                    lesson_id=monday.id,
                    new_date=d(NEXT_MONDAY + timedelta(days=1)),
                    new_start=at(12),
                ),
            )
        assert [v.field for v in field_violations(no_reason.value)] == ["reason"]
        moved = (
            await cur.call(
                cur.timetable.MoveLesson,
                pb.MoveLessonRequest(
                    lesson_id=monday.id,
                    new_date=d(NEXT_MONDAY + timedelta(days=1)),
                    new_start=at(12),
                    reason="Учитель на курсах в понедельник",
                ),
            )
        ).lesson
        assert moved.status == pb.LESSON_STATUS_MOVED
        assert moved.moved_from_date.iso == NEXT_MONDAY.isoformat()
        # Nothing moves or is added outside the study year.
        with pytest.raises(grpc.aio.AioRpcError) as outside:
            await cur.call(
                cur.timetable.MoveLesson,
                pb.MoveLessonRequest(
                    lesson_id=later.id,
                    new_date=d(YEAR_ENDS + timedelta(days=1)),
                    new_start=at(9),
                    reason="Перенос",
                ),
            )
        assert [v.field for v in field_violations(outside.value)] == ["new_date"]
        saturday = NEXT_MONDAY + timedelta(days=5)
        extra = (
            await cur.call(
                cur.timetable.AddExtraLesson,
                pb.AddExtraLessonRequest(
                    study_year_id=s.year.id,
                    group_id=s.seven_a.id,
                    subject_id=s.maths.id,
                    teacher_id=s.teacher.person_id,
                    date=d(saturday),
                    start=at(11),
                    duration=90,
                    reason="Экскурсия в музей",
                ),
            )
        ).lesson
        assert extra.slot_id == "" and extra.date.iso == saturday.isoformat()

        # The journal records entries for two lessons.
        await record_entries(stack, s.id, later)
        await record_entries(stack, s.id, latest)
        await wait_for(lambda: has_entries(cur, later), what="curriculum to learn of entries")
        await wait_for(lambda: has_entries(cur, latest), what="curriculum to learn of entries")

        with pytest.raises(grpc.aio.AioRpcError) as undecided:
            await cur.call(
                cur.timetable.CancelLesson,
                pb.CancelLessonRequest(lesson_id=later.id, reason="Карантин"),
            )
        assert undecided.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert [v.field for v in field_violations(undecided.value)] == ["decision"]
        cancelled = (
            await cur.call(
                cur.timetable.CancelLesson,
                pb.CancelLessonRequest(
                    lesson_id=later.id,
                    reason="Карантин",
                    decision=pb.ENTRIES_DECISION_KEEP_READ_ONLY,
                ),
            )
        ).lesson
        assert cancelled.status == pb.LESSON_STATUS_CANCELLED

        # Removing the slot would drop `latest`, which has entries: refused, named.
        with pytest.raises(grpc.aio.AioRpcError) as blocked:
            await cur.call(cur.timetable.RemoveSlot, pb.RemoveSlotRequest(slot_id=made.slot.id))
        assert blocked.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert [(v.field, latest.id in v.description) for v in field_violations(blocked.value)] == [
            ("decisions", True)
        ]
        still = await lessons(cur, s, YEAR_STARTS, YEAR_ENDS, teacher_id=s.teacher.person_id)
        assert len(still) == made.change.added  # nothing removed (the extra replaces `later`)

        removed = await cur.call(
            cur.timetable.RemoveSlot,
            pb.RemoveSlotRequest(
                slot_id=made.slot.id,
                decisions=[
                    pb.LessonDecision(
                        lesson_id=latest.id,
                        decision=pb.ENTRIES_DECISION_KEEP_AS_EXTRA,
                        reason="Урок проведён, записи остаются",
                    )
                ],
            ),
        )
        assert removed.change.decided == 1
        left = await lessons(
            cur,
            s,
            YEAR_STARTS,
            YEAR_ENDS,
            teacher_id=s.teacher.person_id,
            include_cancelled=True,
        )
        # What stays: the extra lesson, the cancelled lesson with entries, the kept one.
        assert {x.id for x in left} == {extra.id, later.id, latest.id}
        assert {x.id: x.slot_id for x in left}[latest.id] == ""

    async def told() -> set[str]:
        return {e.event_type.rsplit(".", 1)[1] for e in await lesson_events(stack, s.year.id)}

    await wait_for(
        lambda: _contains(
            told,
            {
                "LessonsScheduled",
                "LessonMoved",
                "LessonScheduled",
                "LessonCancelled",
                "LessonsRemoved",
            },
        ),
        what="every kind of lesson event on Kafka",
    )
    found = await lesson_events(stack, s.year.id)
    cancel = next(e for e in found if e.event_type.endswith(".LessonCancelled"))
    assert unpack(cancel, curriculum_events.LessonCancelled).entries == (
        pb.ENTRIES_DECISION_KEEP_READ_ONLY
    )


async def _contains(found: Any, expected: set[str]) -> bool:
    return expected <= await found()


async def authorized(stack: Stack, member: Member, s: School, lesson: pb.GetLessonResponse) -> bool:
    """What the journal will ask before a write into the lesson (ADR 8)."""
    async with Identity(stack, member.token()) as identity:
        reply = await identity.call(
            identity.access.Authorize,
            access_pb2.AuthorizeRequest(
                action="journal.write",
                resource=access_pb2.Resource(
                    institution_id=s.id,
                    teacher_ids=[lesson.lesson.teacher_id],
                    substitute_ids=list(lesson.substitute_ids),
                ),
            ),
        )
    return bool(reply.allowed)


async def test_a_substitution_opens_that_lessons_journal_only_and_ends(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin
) -> None:
    # Every day is a working day here, so there is a lesson today whatever today is.
    s = await school(stack, district_admin, keycloak, working_days=[0, 1, 2, 3, 4, 5, 6])
    async with Identity(stack, district_admin.token()) as admin:
        pupil = await student(stack, admin, keycloak, s.id)
    async with Curriculum(stack, s.deputy) as cur:
        await set_slot(cur, slot(s, s.seven_a, s.teacher, weekday=TODAY.weekday()))
        today, next_week = await lessons(
            cur, s, TODAY, TODAY + timedelta(days=7), group_id=s.seven_a.id
        )
        # The substitute has a lesson of their own at that time: refused.
        await set_slot(cur, slot(s, s.seven_b, s.other_teacher, weekday=TODAY.weekday(), room="14"))
        with pytest.raises(grpc.aio.AioRpcError) as busy:
            await cur.call(
                cur.timetable.SetSubstitution,
                pb.SetSubstitutionRequest(
                    lesson_id=today.id,
                    substitute_teacher_id=s.other_teacher.person_id,
                    reason="Болезнь учителя",
                ),
            )
        assert [v.field for v in field_violations(busy.value)] == ["substitute_teacher_id"]
        with pytest.raises(grpc.aio.AioRpcError) as not_staff:
            await cur.call(
                cur.timetable.SetSubstitution,
                pb.SetSubstitutionRequest(
                    lesson_id=today.id, substitute_teacher_id=pupil.person_id, reason="Болезнь"
                ),
            )
        assert [v.field for v in field_violations(not_staff.value)] == ["substitute_teacher_id"]
        # The other teacher's own lesson moves away; now they can substitute.
        mine = await lessons(cur, s, TODAY, TODAY, teacher_id=s.other_teacher.person_id)
        await cur.call(
            cur.timetable.MoveLesson,
            pb.MoveLessonRequest(
                lesson_id=mine[0].id, new_date=d(TODAY), new_start=at(14), reason="Замена"
            ),
        )
        sub = (
            await cur.call(
                cur.timetable.SetSubstitution,
                pb.SetSubstitutionRequest(
                    lesson_id=today.id,
                    substitute_teacher_id=s.other_teacher.person_id,
                    reason="Болезнь учителя",
                ),
            )
        ).substitution
        assert sub.active
        assert sub.set_by == s.deputy.person_id
        with pytest.raises(grpc.aio.AioRpcError) as twice:
            await cur.call(
                cur.timetable.SetSubstitution,
                pb.SetSubstitutionRequest(
                    lesson_id=today.id,
                    substitute_teacher_id=s.deputy.person_id,
                    reason="Болезнь учителя",
                ),
            )
        assert [v.field for v in field_violations(twice.value)] == ["lesson_id"]

        that = await cur.call(cur.timetable.GetLesson, pb.GetLessonRequest(lesson_id=today.id))
        other = await cur.call(cur.timetable.GetLesson, pb.GetLessonRequest(lesson_id=next_week.id))
        assert list(that.substitute_ids) == [s.other_teacher.person_id]
        assert list(other.substitute_ids) == []

    # The substitute may write that lesson's journal, not the group's next lesson.
    assert await authorized(stack, s.other_teacher, s, that)
    assert not await authorized(stack, s.other_teacher, s, other)
    assert await authorized(stack, s.teacher, s, that)  # the lesson's own teacher keeps access
    async with Curriculum(stack, s.other_teacher) as theirs:
        listed = await lessons(theirs, s, TODAY, TODAY, teacher_id=s.other_teacher.person_id)
        assert {(x.id, x.substituted) for x in listed} >= {(today.id, True)}
        # A teacher cannot name substitutes.
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await theirs.call(
                theirs.timetable.RevokeSubstitution,
                pb.RevokeSubstitutionRequest(substitution_id=sub.id),
            )
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED

    async with Curriculum(stack, s.deputy) as cur:
        revoked = (
            await cur.call(
                cur.timetable.RevokeSubstitution,
                pb.RevokeSubstitutionRequest(substitution_id=sub.id),
            )
        ).substitution
        assert revoked.revoked_at and not revoked.active
        that = await cur.call(cur.timetable.GetLesson, pb.GetLessonRequest(lesson_id=today.id))
        assert list(that.substitute_ids) == []
        assert [x.id for x in that.substitutions] == [sub.id]  # kept for history
    assert not await authorized(stack, s.other_teacher, s, that)

    async def substitutions() -> list[Any]:
        return [
            e
            for e in await lesson_events(stack, s.year.id)
            if e.event_type == "zhurnal.curriculum.v1.SubstitutionSet"
        ]

    found = await wait_for(lambda: _two(substitutions), what="SubstitutionSet events on Kafka")
    assert [
        bool(unpack(e, curriculum_events.SubstitutionSet).substitution.revoked_at) for e in found
    ] == [
        False,
        True,
    ]


async def _two(found: Any) -> list[Any]:
    items = await found()
    return items if len(items) >= 2 else []
