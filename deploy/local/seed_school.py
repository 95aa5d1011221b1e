"""The demo class journal of School No. 7, made through the real services the way its people
would (seed.py calls it after the people exist):

- the deputy opens the study year 2026/2027 with four quarters, the class 7А with the demo
  student and five classmates, maths with its hours, the teacher's load and a timetable of four
  maths lessons a week;
- the teacher fills the journal of every past lesson (topic, homework, attendance, a few
  marks) except the last two, which stay overdue for the deputy's list and the alert;
- the deputy closes the first quarter (its entries become read-only).

Runs once: what it made is remembered in .run/demo-school.json (git-ignored).
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import grpc

from zhurnal.curriculum.v1 import (
    calendar_pb2,
    calendar_pb2_grpc,
    groups_pb2,
    groups_pb2_grpc,
    hours_pb2,
    hours_pb2_grpc,
    timetable_pb2,
    timetable_pb2_grpc,
)
from zhurnal.identity.v1 import access_pb2, access_pb2_grpc, people_pb2, people_pb2_grpc
from zhurnal.journal.v1 import journal_pb2, journal_pb2_grpc
from zhurnal_kit.testing import KeycloakAdmin

IDENTITY, CURRICULUM, JOURNAL = "127.0.0.1:50051", "127.0.0.1:50052", "127.0.0.1:50053"
YEAR = ("2026/2027", date(2026, 9, 1), date(2027, 5, 31))
QUARTERS = [
    ("I четверть", date(2026, 9, 1), date(2026, 10, 25)),
    ("II четверть", date(2026, 11, 5), date(2026, 12, 28)),
    ("III четверть", date(2027, 1, 12), date(2027, 3, 21)),
    ("IV четверть", date(2027, 3, 31), date(2027, 5, 31)),
]
CLASSMATES = [  # login, last name, first name (they never sign in to the demo)
    ("smirnova.school7", "Смирнова", "Анастасия"),
    ("kuznetsov.school7", "Кузнецов", "Дмитрий"),
    ("popova.school7", "Попова", "Екатерина"),
    ("vasiliev.school7", "Васильев", "Илья"),
    ("sokolova.school7", "Соколова", "Мария"),
]
TOPICS = [
    "Натуральные числа и действия с ними",
    "Степень с натуральным показателем",
    "Числовые выражения",
    "Буквенные выражения",
    "Тождественные преобразования",
    "Линейное уравнение с одной переменной",
    "Решение задач с помощью уравнений",
    "Функция. График функции",
    "Линейная функция и её график",
    "Прямая пропорциональность",
    "Одночлены. Стандартный вид одночлена",
    "Многочлены. Сложение и вычитание многочленов",
]
# Monday, Wednesday, Thursday, Friday at 09:00, 45 minutes, room 12.
SLOTS = [(0, 9), (2, 9), (3, 10), (4, 9)]
LEFT_OVERDUE = 2


def _day(value: date) -> calendar_pb2.Day:
    return calendar_pb2.Day(iso=value.isoformat())


class As:
    """Calls as one signed-in person."""

    def __init__(self, keycloak: KeycloakAdmin, login: str, password: str) -> None:
        self.metadata = [("authorization", f"Bearer {keycloak.password_token(login, password)}")]

    async def __call__(self, method: Any, request: Any) -> Any:
        return await method(request, metadata=self.metadata, timeout=30)


async def _retry(call: Any, what: str, attempts: int = 60) -> Any:
    """Retry while another service has not learnt of something yet (events take a moment)."""
    for attempt in range(attempts):
        try:
            return await call()
        except grpc.aio.AioRpcError as error:
            if attempt == attempts - 1 or error.code() not in (
                grpc.StatusCode.FAILED_PRECONDITION,
                grpc.StatusCode.NOT_FOUND,
                grpc.StatusCode.INVALID_ARGUMENT,
                grpc.StatusCode.PERMISSION_DENIED,
            ):
                raise SystemExit(
                    f"seeding {what} failed: {error.code().name} {error.details()}"
                ) from None
            await asyncio.sleep(0.5)
    raise AssertionError("unreachable")


async def seed_school(
    run_dir: Path, school: str, keycloak: KeycloakAdmin, passwords: dict[str, str]
) -> str:
    """Seed the class journal once; a line saying what was done."""
    marker = run_dir / "demo-school.json"
    if marker.exists():
        return "class 7А already seeded"
    admin = As(keycloak, "admin.school7", passwords["admin.school7"])
    deputy = As(keycloak, "deputy.school7", passwords["deputy.school7"])
    teacher = As(keycloak, "teacher.school7", passwords["teacher.school7"])
    async with (
        grpc.aio.insecure_channel(IDENTITY) as identity,
        grpc.aio.insecure_channel(CURRICULUM) as curriculum,
        grpc.aio.insecure_channel(JOURNAL) as journal,
    ):
        access = access_pb2_grpc.AccessServiceStub(identity)
        people = people_pb2_grpc.PeopleServiceStub(identity)
        teacher_id = (await teacher(access.WhoAmI, access_pb2.WhoAmIRequest())).person_id
        demo_student = As(keycloak, "student.school7", passwords["student.school7"])
        students = [(await demo_student(access.WhoAmI, access_pb2.WhoAmIRequest())).person_id]
        for number, (login, last, first) in enumerate(CLASSMATES):
            reply = await admin(
                people.RegisterStudent,
                people_pb2.RegisterStudentRequest(
                    institution_id=school,
                    last_name=last,
                    first_name=first,
                    login=login,
                    personal_data=people_pb2.PersonalData(
                        birth_date=people_pb2.Date(year=2014, month=1 + number, day=10 + number)
                    ),
                    idempotency_key=f"seed-{login}",
                ),
            )
            students.append(reply.person.id)

        calendar = calendar_pb2_grpc.CalendarServiceStub(curriculum)
        groups = groups_pb2_grpc.GroupServiceStub(curriculum)
        hours = hours_pb2_grpc.HoursServiceStub(curriculum)
        timetable = timetable_pb2_grpc.TimetableServiceStub(curriculum)
        name, starts, ends = YEAR
        year = (
            await _retry(
                lambda: deputy(
                    calendar.CreateStudyYear,
                    calendar_pb2.CreateStudyYearRequest(
                        institution_id=school,
                        name=name,
                        starts=_day(starts),
                        ends=_day(ends),
                        working_days=[0, 1, 2, 3, 4],
                        idempotency_key="seed-year-2026",
                    ),
                ),
                "the study year",
            )
        ).study_year
        periods = []
        for quarter, q_starts, q_ends in QUARTERS:
            reply = await deputy(
                calendar.AddStudyPeriod,
                calendar_pb2.AddStudyPeriodRequest(
                    study_year_id=year.id, name=quarter, starts=_day(q_starts), ends=_day(q_ends)
                ),
            )
            periods.append(reply.period)
        group = (
            await deputy(
                groups.CreateGroup,
                groups_pb2.CreateGroupRequest(
                    study_year_id=year.id,
                    name="7А",
                    kind=groups_pb2.GROUP_KIND_CLASS,
                    years_of_study=[7],
                ),
            )
        ).group
        for student_id in students:
            await _retry(
                lambda student_id=student_id: deputy(
                    groups.Enrol,
                    groups_pb2.EnrolRequest(
                        group_id=group.id,
                        student_id=student_id,
                        joined=_day(starts),
                        reason="Зачислен в 7А",
                    ),
                ),
                "an enrolment",
            )
        maths = (
            await deputy(
                hours.DefineSubject,
                hours_pb2.DefineSubjectRequest(institution_id=school, name="Алгебра"),
            )
        ).subject
        await deputy(
            hours.SetCurriculum,
            hours_pb2.SetCurriculumRequest(
                study_year_id=year.id,
                lines=[hours_pb2.CurriculumLine(group_id=group.id, subject_id=maths.id, hours=136)],
            ),
        )
        await _retry(
            lambda: deputy(
                hours.SetTeachingLoad,
                hours_pb2.SetTeachingLoadRequest(
                    study_year_id=year.id,
                    lines=[
                        hours_pb2.LoadLine(
                            teacher_id=teacher_id, group_id=group.id, subject_id=maths.id, hours=136
                        )
                    ],
                ),
            ),
            "the teaching load",
        )
        await deputy(
            timetable.SetTimetable,
            timetable_pb2.SetTimetableRequest(
                study_year_id=year.id,
                slots=[
                    timetable_pb2.Slot(
                        study_year_id=year.id,
                        group_id=group.id,
                        subject_id=maths.id,
                        teacher_id=teacher_id,
                        weekday=weekday,
                        start=timetable_pb2.LocalTime(hour=hour),
                        duration=45,
                        room="12",
                    )
                    for weekday, hour in SLOTS
                ],
            ),
        )
        lessons = (
            await deputy(
                timetable.ListLessons,
                timetable_pb2.ListLessonsRequest(
                    institution_id=school,
                    group_id=group.id,
                    page_size=2000,
                    **{"from": _day(starts), "to": _day(date.today() - timedelta(days=1))},
                ),
            )
        ).lessons

        # The teacher fills the journal of every past lesson but the last two.
        book = journal_pb2_grpc.JournalServiceStub(journal)
        rng = random.Random(7)
        filled = lessons[:-LEFT_OVERDUE] if len(lessons) > LEFT_OVERDUE else []
        for number, lesson in enumerate(filled):
            absent = rng.choice(students)
            marked = rng.sample(students, 2)
            await _retry(
                lambda lesson=lesson, number=number, absent=absent, marked=marked: teacher(
                    book.SaveLesson,
                    journal_pb2.SaveLessonRequest(
                        lesson_id=lesson.id,
                        idempotency_key=str(uuid.uuid5(uuid.NAMESPACE_URL, lesson.id)),
                        record=journal_pb2.LessonRecord(
                            topic=TOPICS[(number // 4) % len(TOPICS)],
                            homework=f"§ {number // 4 + 1}, № {100 + number}",
                        ),
                        attendance_all=journal_pb2.ATTENDANCE_STATUS_PRESENT,
                        attendance=[
                            journal_pb2.Attendance(
                                student_id=absent,
                                status=journal_pb2.ATTENDANCE_STATUS_ILL,
                            )
                        ],
                        marks=journal_pb2.LessonMarks(
                            marks=[
                                journal_pb2.MarkInput(
                                    student_id=who, value=rng.choice(["5", "4", "4", "3", "5-"])
                                )
                                for who in marked
                                if who != absent
                            ]
                        ),
                    ),
                ),
                "a lesson's entries",
            )
        first = periods[0]
        if date.today() > QUARTERS[0][2]:
            await deputy(
                calendar.ClosePeriod,
                calendar_pb2.ClosePeriodRequest(study_year_id=year.id, period_id=first.id),
            )
    marker.write_text(
        json.dumps(
            {"study_year_id": year.id, "group_id": group.id, "subject_id": maths.id},
            ensure_ascii=False,
        )
    )
    return (
        f"class 7А: {len(students)} students, {len(filled)} lessons recorded, "
        f"{len(lessons) - len(filled)} overdue"
    )
