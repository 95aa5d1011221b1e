"""Lesson plans (КТП) through the running curriculum service (R-5): written by the teacher,
checked against the curriculum, approved by the deputy, imported, copied, laid over lessons."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import openpyxl  # type: ignore[import-untyped]
import pytest
from e2e.kafka_probe import envelopes
from e2e.test_institution_slice import wait_for
from e2e.world import (
    Curriculum,
    Identity,
    Member,
    create_group,
    day,
    define_subject,
    hire,
    new_institution,
    open_study_year,
    student,
)

from zhurnal.curriculum.v1 import (
    calendar_pb2,
    events_pb2,
    hours_pb2,
    plans_pb2,
    timetable_pb2,
)
from zhurnal_kit.events import unpack
from zhurnal_kit.grpc_errors import field_violations
from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra

DRAFT, APPROVED = plans_pb2.PLAN_STATUS_DRAFT, plans_pb2.PLAN_STATUS_APPROVED


async def refused(call: Awaitable[Any]) -> tuple[grpc.StatusCode, dict[str, str]]:
    """The status code a call fails with and its field violations (field -> description)."""
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return error.code(), {v.field: v.description for v in field_violations(error)}
    raise AssertionError("the call succeeded")


def topics(*items: tuple[str, int]) -> list[plans_pb2.PlanTopic]:
    return [
        plans_pb2.PlanTopic(order=i, text=text, hours=hours)
        for i, (text, hours) in enumerate(items, start=1)
    ]


async def school_with_maths(
    stack: Stack, deputy: Member, school: str, hours: int = 6
) -> tuple[str, str, str]:
    """(study year, 7А, Математика) with Математика in 7А's curriculum for ``hours``."""
    year = await open_study_year(stack, deputy, school)
    async with Curriculum(stack, deputy) as cur:
        seven = await create_group(cur.groups, cur.metadata, year.id, "7А")
        maths = await define_subject(cur.hours, cur.metadata, school, "Математика")
        await cur.call(
            cur.hours.SetCurriculum,
            hours_pb2.SetCurriculumRequest(
                study_year_id=year.id,
                lines=[
                    hours_pb2.CurriculumLine(group_id=seven.id, subject_id=maths.id, hours=hours)
                ],
            ),
        )
    return year.id, seven.id, maths.id


async def test_a_plan_short_of_hours_is_a_draft_the_deputy_cannot_approve_until_it_matches(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin, pg: Callable[[str], Any]
) -> None:
    school = await new_institution(stack, district_admin)
    async with Identity(stack, district_admin.token()) as admin:
        deputy = await hire(stack, admin, keycloak, school, "deputy")
        teacher = await hire(stack, admin, keycloak, school, "teacher")
    year, seven, maths = await school_with_maths(stack, deputy, school, hours=6)

    async with Curriculum(stack, teacher) as mine, Curriculum(stack, deputy) as deputys:

        async def first_save() -> Any:
            # The teacher reaches curriculum through identity's events: wait for them.
            return await mine.call(
                mine.plans.SavePlan,
                plans_pb2.SavePlanRequest(
                    study_year_id=year,
                    group_id=seven,
                    subject_id=maths,
                    teacher_id=teacher.person_id,
                    topics=topics(("Натуральные числа", 2), ("Дроби", 2)),
                ),
            )

        saved = await wait_for(first_save, what="the teacher to be known to curriculum")
        plan = saved.plan
        assert (plan.status, plan.version, plan.total_hours) == (DRAFT, 1, 4)
        assert plan.HasField("curriculum_hours") and plan.curriculum_hours == 6
        assert [(t.order, t.text, t.hours) for t in plan.topics] == [
            (1, "Натуральные числа", 2),
            (2, "Дроби", 2),
        ]
        assert plan.topics[0].kind == plans_pb2.LESSON_KIND_LESSON
        (problem,) = saved.problems
        assert (problem.kind, problem.severity, problem.expected, problem.actual) == (
            "hours",
            "error",
            6,
            4,
        )
        assert problem.message == "План: 4 ч, по учебному плану 6 ч (не хватает 2 ч)."

        # The deputy cannot approve a plan short of hours; the teacher cannot approve at all.
        status, fields = await refused(
            deputys.call(deputys.plans.ApprovePlan, plans_pb2.ApprovePlanRequest(plan_id=plan.id))
        )
        assert status == grpc.StatusCode.FAILED_PRECONDITION
        assert fields["topics"] == problem.message
        status, _ = await refused(
            mine.call(mine.plans.ApprovePlan, plans_pb2.ApprovePlanRequest(plan_id=plan.id))
        )
        assert status == grpc.StatusCode.PERMISSION_DENIED

        # A second first save of the same group's subject is refused: the plan exists.
        status, fields = await refused(first_save())
        assert status == grpc.StatusCode.ALREADY_EXISTS
        assert "version 1" in fields["expected_version"]

        six = topics(("Натуральные числа", 2), ("Дроби", 3), ("Контрольная работа", 1))
        saved = await mine.call(
            mine.plans.SavePlan,
            plans_pb2.SavePlanRequest(
                study_year_id=year,
                group_id=seven,
                subject_id=maths,
                teacher_id=teacher.person_id,
                topics=six,
                expected_version=1,
            ),
        )
        assert (saved.plan.id, saved.plan.version, saved.plan.total_hours) == (plan.id, 2, 6)
        assert list(saved.problems) == []

        approved = (
            await deputys.call(
                deputys.plans.ApprovePlan,
                plans_pb2.ApprovePlanRequest(plan_id=plan.id, expected_version=2),
            )
        ).plan
        assert (approved.status, approved.version) == (APPROVED, 3)
        assert approved.approved_by == deputy.person_id
        assert approved.approved_at

        # A writer who read version 2 cannot save over the approved version 3.
        status, fields = await refused(
            mine.call(
                mine.plans.SavePlan,
                plans_pb2.SavePlanRequest(
                    study_year_id=year,
                    group_id=seven,
                    subject_id=maths,
                    teacher_id=teacher.person_id,
                    topics=topics(("Всё заново", 6)),
                    expected_version=2,
                ),
            )
        )
        assert status == grpc.StatusCode.ABORTED
        assert "version 3" in fields["expected_version"]
        stored = await mine.call(
            mine.plans.GetPlan,
            plans_pb2.GetPlanRequest(study_year_id=year, group_id=seven, subject_id=maths),
        )
        assert (stored.plan.status, stored.plan.version) == (APPROVED, 3)
        assert [(t.order, t.text, t.hours) for t in stored.plan.topics] == [
            (t.order, t.text, t.hours) for t in six
        ]
        assert (stored.lessons, list(stored.topics_without_lessons)) == (0, [1, 2, 3])

        # Another writer holds the plan while this save comes in: the save waits for it, then
        # sees the version it did not read and is refused instead of saving over it.
        db = await pg(stack.database_urls["curriculum"])
        other = db.transaction()
        await other.start()
        await db.execute("SELECT 1 FROM lesson_plan WHERE id = $1 FOR UPDATE", plan.id)
        pending = asyncio.ensure_future(
            mine.call(
                mine.plans.SavePlan,
                plans_pb2.SavePlanRequest(
                    study_year_id=year,
                    group_id=seven,
                    subject_id=maths,
                    teacher_id=teacher.person_id,
                    topics=topics(("Повторение", 6)),
                    expected_version=3,
                ),
            )
        )
        await asyncio.sleep(1.5)
        assert not pending.done()  # it reached the plan and waits
        await db.execute("UPDATE lesson_plan SET version = 4 WHERE id = $1", plan.id)
        await other.commit()
        status, fields = await refused(pending)
        assert status == grpc.StatusCode.ABORTED
        assert "version 4" in fields["expected_version"]
        stored = await mine.call(mine.plans.GetPlan, plans_pb2.GetPlanRequest(plan_id=plan.id))
        assert (stored.plan.version, stored.plan.status, stored.plan.total_hours) == (
            4,
            APPROVED,
            6,
        )

        listed = await mine.call(
            mine.plans.ListPlans, plans_pb2.ListPlansRequest(study_year_id=year)
        )
        assert [(p.id, p.total_hours, len(p.topics)) for p in listed.plans] == [(plan.id, 6, 0)]

    async def published() -> list[Any]:
        found = await envelopes(
            stack.infra.kafka_bootstrap,
            f"{stack.namespace}.zhurnal.curriculum.plan.v1",
            key=plan.id,
        )
        return [e for e in found if e.event_type == "zhurnal.curriculum.v1.PlanApproved"]

    (envelope,) = await wait_for(published, what="PlanApproved on Kafka")
    event = unpack(envelope, events_pb2.PlanApproved)
    assert envelope.institution_id == school
    assert (event.plan_id, event.approved_by, event.teacher_id) == (
        plan.id,
        deputy.person_id,
        teacher.person_id,
    )
    assert (event.total_hours, event.topics) == (6, 3)


async def test_teachers_write_only_their_own_plans_and_students_do_not_read_them(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin
) -> None:
    school = await new_institution(stack, district_admin)
    async with Identity(stack, district_admin.token()) as admin:
        deputy = await hire(stack, admin, keycloak, school, "deputy")
        author = await hire(stack, admin, keycloak, school, "teacher")
        colleague = await hire(stack, admin, keycloak, school, "teacher")
        pupil = await student(stack, admin, keycloak, school)
    year, seven, maths = await school_with_maths(stack, deputy, school)

    def save(teacher_id: str, version: int) -> plans_pb2.SavePlanRequest:
        return plans_pb2.SavePlanRequest(
            study_year_id=year,
            group_id=seven,
            subject_id=maths,
            teacher_id=teacher_id,
            topics=topics(("Натуральные числа", 6)),
            expected_version=version,
        )

    async with (
        Curriculum(stack, author) as authors,
        Curriculum(stack, colleague) as colleagues,
        Curriculum(stack, deputy) as deputys,
        Curriculum(stack, pupil) as pupils,
    ):
        plan = (
            await wait_for(
                lambda: authors.call(authors.plans.SavePlan, save(author.person_id, 0)),
                what="the author to be known to curriculum",
            )
        ).plan
        # Neither writing it in the author's name nor taking it over.
        status, _ = await refused(
            colleagues.call(colleagues.plans.SavePlan, save(author.person_id, 1))
        )
        assert status == grpc.StatusCode.PERMISSION_DENIED
        status, _ = await refused(
            colleagues.call(colleagues.plans.SavePlan, save(colleague.person_id, 1))
        )
        assert status == grpc.StatusCode.PERMISSION_DENIED
        status, _ = await refused(
            colleagues.call(
                colleagues.plans.ApprovePlan, plans_pb2.ApprovePlanRequest(plan_id=plan.id)
            )
        )
        assert status == grpc.StatusCode.PERMISSION_DENIED
        # A copy of the author's plan in the author's name is the author's to make…
        seven_b = await create_group(deputys.groups, deputys.metadata, year, "7Б")
        status, _ = await refused(
            colleagues.call(
                colleagues.plans.CopyPlan,
                plans_pb2.CopyPlanRequest(from_plan_id=plan.id, to_group_id=seven_b.id),
            )
        )
        assert status == grpc.StatusCode.PERMISSION_DENIED
        # …while the colleague may copy it as their own plan for 7Б.
        copied = await wait_for(
            lambda: colleagues.call(
                colleagues.plans.CopyPlan,
                plans_pb2.CopyPlanRequest(
                    from_plan_id=plan.id, to_group_id=seven_b.id, teacher_id=colleague.person_id
                ),
            ),
            what="the colleague to be known to curriculum",
        )
        assert (copied.plan.teacher_id, copied.plan.copied_from) == (colleague.person_id, plan.id)
        # 7Б has no curriculum line for Математика.
        assert [p.kind for p in copied.problems] == ["not_in_curriculum"]

        stored = await authors.call(
            authors.plans.GetPlan, plans_pb2.GetPlanRequest(plan_id=plan.id)
        )
        assert (stored.plan.teacher_id, stored.plan.version) == (author.person_id, 1)
        # The deputy may write (and hand over) any plan of the school.
        handed = await deputys.call(deputys.plans.SavePlan, save(colleague.person_id, 1))
        assert (handed.plan.teacher_id, handed.plan.version) == (colleague.person_id, 2)

        for method, request in (
            (pupils.plans.GetPlan, plans_pb2.GetPlanRequest(plan_id=plan.id)),
            (pupils.plans.ListPlans, plans_pb2.ListPlansRequest(study_year_id=year)),
        ):
            status, _ = await refused(pupils.call(method, request))
            assert status == grpc.StatusCode.PERMISSION_DENIED


BAD_CSV = """№;Тема;Часы;Вид занятия
1;Натуральные числа;2;урок
2;;1;урок
3;Дроби;ноль;урок
4;Проценты;1;викторина
""".encode()


def good_xlsx() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["КТП по математике, 7А"])
    sheet.append(["№", "Тема урока", "Кол-во часов", "Вид занятия"])
    sheet.append([1, "Натуральные числа", 2, "урок"])
    sheet.append(["2-4", "Дроби", 3, "практическая работа"])
    sheet.append([5, "Экскурсия в банк", 1, "экскурсия"])
    sheet.append([None, "Итого", 6, None])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_an_imported_plan_is_saved_whole_or_not_at_all(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin
) -> None:
    school = await new_institution(stack, district_admin)
    async with Identity(stack, district_admin.token()) as admin:
        deputy = await hire(stack, admin, keycloak, school, "deputy")
    year, seven, maths = await school_with_maths(stack, deputy, school)

    def importing(
        content: bytes, fmt: int, *, dry_run: bool = False
    ) -> plans_pb2.ImportPlanRequest:
        # The deputy is staff too: here they write the plan as its teacher.
        return plans_pb2.ImportPlanRequest(
            study_year_id=year,
            group_id=seven,
            subject_id=maths,
            teacher_id=deputy.person_id,
            format=fmt,
            content=content,
            dry_run=dry_run,
        )

    async with Curriculum(stack, deputy) as cur:

        async def nothing_saved() -> None:
            status, _ = await refused(
                cur.call(
                    cur.plans.GetPlan,
                    plans_pb2.GetPlanRequest(study_year_id=year, group_id=seven, subject_id=maths),
                )
            )
            assert status == grpc.StatusCode.NOT_FOUND

        bad = await wait_for(
            lambda: cur.call(cur.plans.ImportPlan, importing(BAD_CSV, plans_pb2.FILE_FORMAT_CSV)),
            what="the deputy to be known to curriculum",
        )
        assert [(p.line, p.column) for p in bad.problems] == [
            (3, "Тема"),
            (4, "Часы"),
            (5, "Вид занятия"),
        ]
        assert "ноль" in bad.problems[1].reason
        assert not bad.HasField("plan") and list(bad.topics) == []
        await nothing_saved()

        content = good_xlsx()
        dry = await cur.call(
            cur.plans.ImportPlan, importing(content, plans_pb2.FILE_FORMAT_XLSX, dry_run=True)
        )
        assert list(dry.problems) == [] and not dry.HasField("plan")
        assert dry.total_hours == 6 and list(dry.plan_problems) == []
        await nothing_saved()

        imported = await cur.call(
            cur.plans.ImportPlan, importing(content, plans_pb2.FILE_FORMAT_XLSX)
        )
        assert list(imported.problems) == [] and list(imported.plan_problems) == []
        assert [(t.order, t.text, t.hours, t.kind) for t in imported.plan.topics] == [
            (1, "Натуральные числа", 2, plans_pb2.LESSON_KIND_LESSON),
            (2, "Дроби", 3, plans_pb2.LESSON_KIND_PRACTICAL),
            (3, "Экскурсия в банк", 1, plans_pb2.LESSON_KIND_EXCURSION),
        ]
        assert (imported.plan.status, imported.plan.version) == (DRAFT, 1)
        stored = await cur.call(
            cur.plans.GetPlan, plans_pb2.GetPlanRequest(plan_id=imported.plan.id)
        )
        assert list(stored.plan.topics) == list(imported.plan.topics)

        # A bad file over a stored plan leaves it as it was.
        again = await cur.call(
            cur.plans.ImportPlan,
            plans_pb2.ImportPlanRequest(
                study_year_id=year,
                group_id=seven,
                subject_id=maths,
                teacher_id=deputy.person_id,
                format=plans_pb2.FILE_FORMAT_CSV,
                content=BAD_CSV,
                expected_version=1,
            ),
        )
        assert len(again.problems) == 3
        stored = await cur.call(
            cur.plans.GetPlan, plans_pb2.GetPlanRequest(plan_id=imported.plan.id)
        )
        assert stored.plan.version == 1 and len(stored.plan.topics) == 3

        status, fields = await refused(
            cur.call(
                cur.plans.ImportPlan,
                importing(b"x" * (3 * 1024 * 1024 + 1), plans_pb2.FILE_FORMAT_CSV, dry_run=True),
            )
        )
        assert status == grpc.StatusCode.INVALID_ARGUMENT and "content" in fields
        status, fields = await refused(
            cur.call(
                cur.plans.ImportPlan,
                plans_pb2.ImportPlanRequest(
                    study_year_id=year,
                    group_id="nope",
                    subject_id=maths,
                    teacher_id=deputy.person_id,
                    format=plans_pb2.FILE_FORMAT_XLSX,
                    content=content,
                ),
            )
        )
        assert status == grpc.StatusCode.INVALID_ARGUMENT and "group_id" in fields


async def test_last_years_plan_is_copied_into_the_new_year_as_a_draft(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin
) -> None:
    school = await new_institution(stack, district_admin)
    async with Identity(stack, district_admin.token()) as admin:
        deputy = await hire(stack, admin, keycloak, school, "deputy")
    year, seven, maths = await school_with_maths(stack, deputy, school)

    async with Curriculum(stack, deputy) as cur:
        original = await wait_for(
            lambda: cur.call(
                cur.plans.SavePlan,
                plans_pb2.SavePlanRequest(
                    study_year_id=year,
                    group_id=seven,
                    subject_id=maths,
                    teacher_id=deputy.person_id,
                    topics=topics(("Натуральные числа", 2), ("Дроби", 4)),
                ),
            ),
            what="the deputy to be known to curriculum",
        )
        await cur.call(
            cur.plans.ApprovePlan, plans_pb2.ApprovePlanRequest(plan_id=original.plan.id)
        )
        next_year = (
            await cur.call(
                cur.calendar.CreateStudyYear,
                calendar_pb2.CreateStudyYearRequest(
                    institution_id=school,
                    name="2027/2028",
                    starts=day("2027-09-01"),
                    ends=day("2028-05-31"),
                ),
            )
        ).study_year
        eight = await create_group(cur.groups, cur.metadata, next_year.id, "8А", [8])
        await cur.call(
            cur.hours.SetCurriculum,
            hours_pb2.SetCurriculumRequest(
                study_year_id=next_year.id,
                lines=[hours_pb2.CurriculumLine(group_id=eight.id, subject_id=maths, hours=5)],
            ),
        )

        def copy() -> Any:
            return cur.call(
                cur.plans.CopyPlan,
                plans_pb2.CopyPlanRequest(
                    from_plan_id=original.plan.id,
                    to_study_year_id=next_year.id,
                    to_group_id=eight.id,
                ),
            )

        copied = await copy()
        plan = copied.plan
        assert plan.id != original.plan.id
        assert (plan.study_year_id, plan.group_id, plan.subject_id) == (
            next_year.id,
            eight.id,
            maths,
        )
        assert (plan.status, plan.version, plan.copied_from) == (DRAFT, 1, original.plan.id)
        assert (plan.teacher_id, plan.approved_by) == (deputy.person_id, "")
        assert list(plan.topics) == list(original.plan.topics)
        # Checked against the new year's curriculum: 6 h planned, 5 h there.
        assert [(p.kind, p.expected, p.actual) for p in copied.problems] == [("hours", 5, 6)]

        status, fields = await refused(copy())
        assert status == grpc.StatusCode.ALREADY_EXISTS and "to_group_id" in fields
        status, fields = await refused(
            cur.call(
                cur.plans.CopyPlan,
                plans_pb2.CopyPlanRequest(
                    from_plan_id=original.plan.id, to_study_year_id=next_year.id, to_group_id=seven
                ),
            )
        )
        assert status == grpc.StatusCode.INVALID_ARGUMENT and "to_group_id" in fields
        # The original stays approved.
        kept = await cur.call(cur.plans.GetPlan, plans_pb2.GetPlanRequest(plan_id=original.plan.id))
        assert kept.plan.status == APPROVED


async def test_the_plans_topics_are_laid_over_the_dated_lessons_in_order(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin
) -> None:
    school = await new_institution(stack, district_admin)
    async with Identity(stack, district_admin.token()) as admin:
        deputy = await hire(stack, admin, keycloak, school, "deputy")
    year, seven, maths = await school_with_maths(stack, deputy, school)

    async with Curriculum(stack, deputy) as cur:
        plan = (
            await wait_for(
                lambda: cur.call(
                    cur.plans.SavePlan,
                    plans_pb2.SavePlanRequest(
                        study_year_id=year,
                        group_id=seven,
                        subject_id=maths,
                        teacher_id=deputy.person_id,
                        topics=topics(("Натуральные числа", 2), ("Дроби", 1), ("Проценты", 3)),
                    ),
                ),
                what="the deputy to be known to curriculum",
            )
        ).plan
        # Mondays of September 2026: the 7th, 14th, 21st and 28th.
        await cur.call(
            cur.timetable.SetSlot,
            timetable_pb2.SetSlotRequest(
                slot=timetable_pb2.Slot(
                    study_year_id=year,
                    group_id=seven,
                    subject_id=maths,
                    teacher_id=deputy.person_id,
                    weekday=0,
                    start=timetable_pb2.LocalTime(hour=9, minute=0),
                    duration=45,
                    room="12",
                    effective_until=day("2026-09-30"),
                )
            ),
        )
        lessons = (
            await cur.call(
                cur.timetable.ListLessons,
                timetable_pb2.ListLessonsRequest(
                    institution_id=school,
                    group_id=seven,
                    **{"from": day("2026-09-01"), "to": day("2026-09-30")},
                ),
            )
        ).lessons
        assert [x.date.iso for x in lessons] == [
            "2026-09-07",
            "2026-09-14",
            "2026-09-21",
            "2026-09-28",
        ]

        async def planned() -> list[tuple[bool, int, str]]:
            found = []
            for x in lessons:
                reply = await cur.call(
                    cur.plans.GetPlannedTopic, plans_pb2.GetPlannedTopicRequest(lesson_id=x.id)
                )
                assert reply.plan_id == plan.id and not reply.plan_approved
                found.append((reply.found, reply.topic.order, reply.topic.text))
            return found

        # A topic of two hours covers two lessons.
        assert await planned() == [
            (True, 1, "Натуральные числа"),
            (True, 1, "Натуральные числа"),
            (True, 2, "Дроби"),
            (True, 3, "Проценты"),
        ]
        report = await cur.call(cur.plans.GetPlan, plans_pb2.GetPlanRequest(plan_id=plan.id))
        assert (report.lessons, list(report.topics_without_lessons)) == (4, [3])

        # A cancelled lesson takes no hour: the next one gets its topic.
        await cur.call(
            cur.timetable.CancelLesson,
            timetable_pb2.CancelLessonRequest(lesson_id=lessons[1].id, reason="карантин"),
        )
        assert await planned() == [
            (True, 1, "Натуральные числа"),
            (False, 0, ""),
            (True, 1, "Натуральные числа"),
            (True, 2, "Дроби"),
        ]
        report = await cur.call(cur.plans.GetPlan, plans_pb2.GetPlanRequest(plan_id=plan.id))
        assert report.lessons == 3

        status, fields = await refused(
            cur.call(cur.plans.GetPlannedTopic, plans_pb2.GetPlannedTopicRequest(lesson_id="nope"))
        )
        assert status == grpc.StatusCode.NOT_FOUND and "lesson_id" in fields
