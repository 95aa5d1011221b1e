"""A class with its journal for end-to-end tests: an institution with a deputy, two teachers,
three students and a guardian, a study year around today with two periods, the class 7А with
the students enrolled, maths, and extra lessons on fixed days around today. Everything is made
through the real services; the journal learns of it from curriculum's events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from e2e.test_institution_slice import wait_for
from e2e.world import (
    Curriculum,
    Identity,
    Member,
    create_group,
    define_subject,
    guardian,
    hire,
    new_institution,
    student,
)

from zhurnal.curriculum.v1 import calendar_pb2, groups_pb2, hours_pb2, plans_pb2
from zhurnal.curriculum.v1 import timetable_pb2 as tt
from zhurnal.journal.v1 import journal_pb2 as pb
from zhurnal.journal.v1 import journal_pb2_grpc
from zhurnal_kit.grpc_client import make_channel
from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

TODAY = date.today()
YEAR_STARTS = TODAY - timedelta(days=60)
YEAR_ENDS = TODAY + timedelta(days=120)
# The first period ends before last week; the second holds today.
FIRST_ENDS = TODAY - timedelta(days=8)


def d(value: date) -> calendar_pb2.Day:
    """A curriculum Day."""
    return calendar_pb2.Day(iso=value.isoformat())


class Journal:
    """The journal service's gRPC API as one caller sees it."""

    def __init__(self, stack: Stack, member: Member | Person, *, timeout_s: float = 30) -> None:
        self._channel = make_channel(stack.grpc_addrs["journal"], default_timeout_s=timeout_s)
        self.metadata = [("authorization", f"Bearer {member.token()}")]
        self.journal = journal_pb2_grpc.JournalServiceStub(self._channel)
        self.marking = journal_pb2_grpc.MarkingServiceStub(self._channel)
        self.locks = journal_pb2_grpc.PeriodLockServiceStub(self._channel)
        self.history = journal_pb2_grpc.HistoryServiceStub(self._channel)

    async def __aenter__(self) -> Journal:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._channel.close()

    async def call(self, method: Any, request: Any) -> Any:
        """Call a stub method as this caller."""
        return await method(request, metadata=self.metadata)

    async def lesson(self, lesson_id: str) -> pb.LessonEntries:
        """A lesson's entries (without asking curriculum for the plan)."""
        reply = await self.call(
            self.journal.GetLesson,
            pb.GetLessonRequest(lesson_id=lesson_id, without_planned_topic=True),
        )
        return reply.lesson

    async def save(self, lesson_id: str, version: int, **fields: Any) -> pb.SaveLessonResponse:
        """SaveLesson with a fresh idempotency key unless one is given."""
        fields.setdefault("idempotency_key", uuid.uuid4().hex)
        return await self.call(
            self.journal.SaveLesson,
            pb.SaveLessonRequest(lesson_id=lesson_id, expected_version=version, **fields),
        )


@dataclass
class ClassJournal:
    """The world of one class's journal."""

    institution_id: str
    deputy: Member
    teacher: Member
    colleague: Member
    students: list[Member]
    guardian: Member
    year: calendar_pb2.StudyYear
    first: calendar_pb2.StudyPeriod
    second: calendar_pb2.StudyPeriod
    group: groups_pb2.Group
    maths: hours_pb2.Subject
    # Lessons: yesterday (second period), ten days ago (first period), in three days.
    yesterday: tt.Lesson
    earlier: tt.Lesson
    ahead: tt.Lesson


async def class_journal(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin
) -> ClassJournal:
    """Build the world and wait until the journal knows its lessons and roster."""
    institution = await new_institution(stack, district_admin)
    async with Identity(stack, district_admin.token()) as admin:
        deputy = await hire(stack, admin, keycloak, institution, "deputy")
        teacher = await hire(stack, admin, keycloak, institution, "teacher")
        colleague = await hire(stack, admin, keycloak, institution, "teacher")
        students = [await student(stack, admin, keycloak, institution) for _ in range(3)]
        parent = await guardian(stack, admin, keycloak, institution, students[0].person_id)
    async with Curriculum(stack, deputy) as cur:

        async def create() -> Any:
            return await cur.call(
                cur.calendar.CreateStudyYear,
                calendar_pb2.CreateStudyYearRequest(
                    institution_id=institution,
                    name=f"{YEAR_STARTS.year}/{YEAR_STARTS.year + 1}",
                    starts=d(YEAR_STARTS),
                    ends=d(YEAR_ENDS),
                    working_days=[0, 1, 2, 3, 4],
                ),
            )

        year = (await wait_for(create, what="curriculum to accept the study year")).study_year
        periods = []
        for name, starts, ends in (
            ("Первое полугодие", YEAR_STARTS, FIRST_ENDS),
            ("Второе полугодие", FIRST_ENDS + timedelta(days=1), YEAR_ENDS),
        ):
            reply = await cur.call(
                cur.calendar.AddStudyPeriod,
                calendar_pb2.AddStudyPeriodRequest(
                    study_year_id=year.id, name=name, starts=d(starts), ends=d(ends)
                ),
            )
            periods.append(reply.period)
        group = await create_group(cur.groups, cur.metadata, year.id, "7А")
        maths = await define_subject(cur.hours, cur.metadata, institution, "Математика")
        for member in students:

            async def enrol(member: Member = member) -> Any:
                return await cur.call(
                    cur.groups.Enrol,
                    groups_pb2.EnrolRequest(
                        group_id=group.id,
                        student_id=member.person_id,
                        joined=d(YEAR_STARTS),
                        reason="Зачислен",
                    ),
                )

            await wait_for(enrol, what="curriculum to know the student")
        lessons = []
        for day in (
            TODAY - timedelta(days=1),
            TODAY - timedelta(days=10),
            TODAY + timedelta(days=3),
        ):

            async def extra(day: date = day) -> Any:
                return await cur.call(
                    cur.timetable.AddExtraLesson,
                    tt.AddExtraLessonRequest(
                        study_year_id=year.id,
                        group_id=group.id,
                        subject_id=maths.id,
                        teacher_id=teacher.person_id,
                        date=d(day),
                        start=tt.LocalTime(hour=10),
                        duration=45,
                        reason="Занятие по расписанию",
                    ),
                )

            lessons.append((await wait_for(extra, what="curriculum to know the teacher")).lesson)
    world = ClassJournal(
        institution,
        deputy,
        teacher,
        colleague,
        students,
        parent,
        year,
        periods[0],
        periods[1],
        group,
        maths,
        *lessons,
    )
    async with Journal(stack, teacher) as j:

        async def known() -> bool:
            entries = [await j.lesson(lesson.id) for lesson in lessons]
            return all(len(e.roster) == len(students) for e in entries)

        await wait_for(known, what="the journal to learn the lessons and the roster")
    return world


async def save_plan(stack: Stack, world: ClassJournal) -> None:
    """The teacher's lesson plan of 7А maths: one hour of revision, then two of linear
    equations (practical work)."""
    async with Curriculum(stack, world.teacher) as cur:
        await cur.call(
            cur.plans.SavePlan,
            plans_pb2.SavePlanRequest(
                study_year_id=world.year.id,
                group_id=world.group.id,
                subject_id=world.maths.id,
                teacher_id=world.teacher.person_id,
                topics=[
                    plans_pb2.PlanTopic(order=1, text="Повторение курса 6 класса", hours=1),
                    plans_pb2.PlanTopic(
                        order=2,
                        text="Линейные уравнения",
                        hours=2,
                        kind=plans_pb2.LESSON_KIND_PRACTICAL,
                    ),
                ],
            ),
        )
