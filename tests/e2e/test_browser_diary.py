"""A guardian reads their child's diary in a real browser (headless Chromium): exactly the marks
a teacher saved for that child, the lesson's topic and homework, marks per period, and nothing
of another child, whose diary the journal refuses even when its address is typed in."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from pathlib import Path

import grpc
import pytest
from e2e.browser import sign_in, site
from e2e.journal_world import (
    FIRST_ENDS,
    TODAY,
    YEAR_ENDS,
    YEAR_STARTS,
    ClassJournal,
    Journal,
    class_journal,
    d,
)
from e2e.test_institution_slice import wait_for
from e2e.world import Curriculum, Identity, Member, create_group, unique
from playwright.async_api import Browser, Page, expect

from zhurnal.curriculum.v1 import calendar_pb2, groups_pb2
from zhurnal.curriculum.v1 import timetable_pb2 as tt
from zhurnal.identity.v1 import people_pb2
from zhurnal.journal.v1 import journal_pb2 as pb
from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra

TOPIC = "Решение линейных уравнений"
HOMEWORK = "№ 125, 127 (стр. 48)"
OWN_COMMENT = "Отличный ответ у доски"
OTHER_COMMENT = "Замечание второму ученику"
REFUSED = "У вас нет права видеть или изменять это."


async def save_marks(stack: Stack, world: ClassJournal, *extra: pb.MarkInput) -> None:
    """The teacher records yesterday's lesson (marks for students[0] and [1]), the lesson of
    the first period (a mark for students[0]) and the first period's final mark."""
    s0, s1 = world.students[0].person_id, world.students[1].person_id
    async with Journal(stack, world.teacher) as j:
        await j.save(
            world.yesterday.id,
            0,
            record=pb.LessonRecord(topic=TOPIC, homework=HOMEWORK),
            attendance_all=pb.ATTENDANCE_STATUS_PRESENT,
            attendance=[
                pb.Attendance(student_id=s1, status=pb.ATTENDANCE_STATUS_LATE, late_minutes=7)
            ],
            marks=pb.LessonMarks(
                marks=[
                    pb.MarkInput(student_id=s0, value="5", comment=OWN_COMMENT),
                    pb.MarkInput(student_id=s0, value="4-", type_code="written"),
                    pb.MarkInput(student_id=s1, value="2", comment=OTHER_COMMENT),
                    *extra,
                ]
            ),
        )
        await j.save(
            world.earlier.id,
            0,
            record=pb.LessonRecord(topic="Повторение: дроби"),
            marks=pb.LessonMarks(
                marks=[
                    pb.MarkInput(student_id=s0, value="3+", type_code="practical"),
                    pb.MarkInput(student_id=s1, value="2+"),
                ]
            ),
        )
        await j.call(
            j.journal.SetFinalMarks,
            pb.SetFinalMarksRequest(
                group_id=world.group.id,
                subject_id=world.maths.id,
                period_id=world.first.id,
                marks=[
                    pb.FinalMarkInput(student_id=s0, value="4"),
                    pb.FinalMarkInput(student_id=s1, value="3"),
                ],
            ),
        )


async def past_year(stack: Stack, world: ClassJournal) -> str:
    """Last study year of students[0] in 6А: a period mark "4" and a year mark "5" in maths
    (students[1] gets "3" for the year). Returns the year's first lesson day."""
    s0, s1 = world.students[0].person_id, world.students[1].person_id
    starts, ends = TODAY - timedelta(days=300), TODAY - timedelta(days=100)
    async with Curriculum(stack, world.deputy) as cur:
        year = (
            await cur.call(
                cur.calendar.CreateStudyYear,
                calendar_pb2.CreateStudyYearRequest(
                    institution_id=world.institution_id,
                    name="Прошлый год",
                    starts=d(starts),
                    ends=d(ends),
                    working_days=list(range(7)),
                ),
            )
        ).study_year
        period = (
            await cur.call(
                cur.calendar.AddStudyPeriod,
                calendar_pb2.AddStudyPeriodRequest(
                    study_year_id=year.id, name="Весь год", starts=d(starts), ends=d(ends)
                ),
            )
        ).period
        group = await create_group(cur.groups, cur.metadata, year.id, "6А", [6])
        for student_id in (s0, s1):
            await cur.call(
                cur.groups.Enrol,
                groups_pb2.EnrolRequest(
                    group_id=group.id, student_id=student_id, joined=d(starts), reason="Зачислен"
                ),
            )
        held = TODAY - timedelta(days=200)
        lesson = (
            await cur.call(
                cur.timetable.AddExtraLesson,
                tt.AddExtraLessonRequest(
                    study_year_id=year.id,
                    group_id=group.id,
                    subject_id=world.maths.id,
                    teacher_id=world.teacher.person_id,
                    date=d(held),
                    start=tt.LocalTime(hour=9),
                    duration=45,
                    reason="Занятие по расписанию",
                ),
            )
        ).lesson
    async with Journal(stack, world.teacher) as j:

        async def known() -> bool:
            return len((await j.lesson(lesson.id)).roster) == 2

        await wait_for(known, what="the journal to learn last year's lesson")
        for period_id, marks in (
            (period.id, {s0: "4", s1: "3"}),
            ("", {s0: "5", s1: "3"}),
        ):
            request = pb.SetFinalMarksRequest(
                group_id=group.id,
                subject_id=world.maths.id,
                period_id=period_id,
                study_year_id=year.id,
                marks=[pb.FinalMarkInput(student_id=s, value=v) for s, v in marks.items()],
            )
            # The period reaches the journal by its own event, which may come after the
            # lesson's: until then the journal knows no such period (NOT_FOUND).
            await wait_for(
                lambda request=request: j.call(j.journal.SetFinalMarks, request),
                what="the journal to learn last year's period",
            )
    return held.isoformat()


async def test_a_guardian_sees_exactly_their_childs_marks_and_nothing_of_another_child(
    stack: Stack,
    district_admin: Person,
    keycloak: KeycloakAdmin,
    browser: Browser,
    page: Page,
    screenshots: Path,
) -> None:
    world = await class_journal(stack, district_admin, keycloak)
    await save_marks(stack, world)
    last_year_held = await past_year(stack, world)
    child, other = world.students[0].person_id, world.students[1].person_id
    week = world.yesterday.date.iso

    await sign_in(page, stack, world.guardian.login, world.guardian.password, f"/diary?week={week}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Дневник: Иванов Пётр")
    day = page.locator(f"section[aria-labelledby='day-{week}']")
    row = day.get_by_role("row").filter(has_text="10:00")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text(TOPIC)
    await expect(row).to_contain_text(HOMEWORK)
    await expect(row).to_contain_text("присутствовал(а)")
    await expect(row.locator(".diary-mark")).to_have_text(["5", "4-"])
    await expect(row.locator(".diary-mark-type")).to_have_text(
        ["Устный ответ", "Письменная работа"]
    )
    await expect(row).to_contain_text(OWN_COMMENT)
    await expect(row.locator(".diary-subject")).to_have_text("Математика")
    # The week shows this child's marks only: nothing more, nothing of the other child.
    await expect(page.locator("main .diary-mark")).to_have_text(["5", "4-"])
    await expect(page.get_by_text(OTHER_COMMENT)).to_have_count(0)
    await expect(page.get_by_text("опоздал(а)")).to_have_count(0)
    await page.screenshot(path=screenshots / "1-week.png", full_page=True)

    # Another week, and back by the week links.
    await page.get_by_role("link", name="Следующая неделя").click()
    await expect(page.locator(f"section[aria-labelledby='day-{week}']")).to_have_count(0)
    await page.get_by_role("link", name="Предыдущая неделя").click()
    await expect(page.locator("main .diary-mark")).to_have_text(["5", "4-"])

    # Marks per period: the first period's mark and final mark, then the second's.
    await page.get_by_role("link", name="Оценки за периоды").click()
    await expect(page).to_have_url(re.compile(r"/diary/marks\?student="))
    first = page.locator("section.diary-period").nth(0)
    second = page.locator("section.diary-period").nth(1)
    # The periods by their names and dates as the journal carries them (students and
    # guardians may not read curriculum's calendar).
    await expect(first.get_by_role("heading")).to_contain_text("Первое полугодие")
    await expect(first.get_by_role("heading")).to_contain_text(
        f"с {YEAR_STARTS:%d.%m.%Y} по {FIRST_ENDS:%d.%m.%Y}"
    )
    await expect(first.locator("td .diary-mark")).to_have_text(["3+", "4"])
    await expect(first.locator(".diary-subject")).to_have_text("Математика")
    await expect(first).to_contain_text("Практическая работа")
    await expect(second.get_by_role("heading")).to_contain_text("Второе полугодие")
    await expect(page.get_by_text("Период 1")).to_have_count(0)
    await expect(second.locator("td .diary-mark")).to_have_text(["5", "4-"])
    await expect(second.locator(".diary-final")).to_have_text("не выставлена")
    # Final marks of the earlier year: its period's and the year's.
    first_year = int(last_year_held[:4]) - (1 if int(last_year_held[5:7]) < 8 else 0)
    earlier = page.get_by_role("table", name=f"{first_year}/{first_year + 1} учебный год")
    await expect(earlier.get_by_role("columnheader")).to_have_text(
        ["Предмет", "Весь год", "Годовая"]
    )
    await expect(earlier.locator("td")).to_have_text(["4", "5"])
    await page.screenshot(path=screenshots / "2-marks-per-period.png", full_page=True)

    # The other child's diary, typed into the address bar: refused by the journal.
    for path in (f"/diary?student={other}&week={week}", f"/diary/marks?student={other}"):
        response = await page.goto(site(stack) + path)
        assert response is not None and response.status == 403, path
        await expect(page.get_by_role("heading", level=1)).to_have_text(REFUSED)
        await expect(page.locator(".diary-mark")).to_have_count(0)
        await expect(page.get_by_text(OTHER_COMMENT)).to_have_count(0)
        await expect(page.get_by_text("Замечание")).to_have_count(0)
    await page.screenshot(path=screenshots / "3-other-child-refused.png", full_page=True)

    # On a phone: the week still reads, its table scrolls inside the page.
    await page.set_viewport_size({"width": 375, "height": 800})
    await page.goto(site(stack) + f"/diary?student={child}&week={week}")
    await expect(page.locator("main .diary-mark")).to_have_text(["5", "4-"])
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, width
    await page.screenshot(path=screenshots / "4-week-phone.png", full_page=True)

    # The service itself: the guardian's own token reads the child's diary, not the other's.
    async with Journal(stack, world.guardian) as parent:
        diary = await parent.call(
            parent.journal.GetDiary,
            pb.GetDiaryRequest(
                student_id=child, from_date=d(TODAY - timedelta(days=14)), to_date=d(TODAY)
            ),
        )
        assert sorted((m.period_id != "", m.value) for m in diary.diary.final_marks) == [
            (False, "5"),
            (True, "4"),
            (True, "4"),
        ]
        # The periods of the range's lessons and of the final marks, with names and dates.
        assert [(p.name, p.starts.iso, p.ends.iso) for p in diary.diary.periods] == [
            (
                "Весь год",
                (TODAY - timedelta(days=300)).isoformat(),
                (TODAY - timedelta(days=100)).isoformat(),
            ),
            ("Первое полугодие", YEAR_STARTS.isoformat(), FIRST_ENDS.isoformat()),
            (
                "Второе полугодие",
                (FIRST_ENDS + timedelta(days=1)).isoformat(),
                YEAR_ENDS.isoformat(),
            ),
        ]
        assert {p.id for p in diary.diary.periods} >= {
            m.period_id for m in diary.diary.final_marks if m.period_id
        }
        assert sorted(m.value for item in diary.diary.lessons for m in item.marks) == [
            "3+",
            "4-",
            "5",
        ]
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await parent.call(
                parent.journal.GetDiary,
                pb.GetDiaryRequest(student_id=other, from_date=d(TODAY), to_date=d(TODAY)),
            )
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED

    # The child reads the same diary as their own, and the other child's not at all.
    context = await browser.new_context(locale="ru-RU", timezone_id="Europe/Moscow")
    try:
        own = await context.new_page()
        pupil = world.students[0]
        await sign_in(own, stack, pupil.login, pupil.password, f"/diary?week={week}")
        await expect(own.get_by_role("heading", level=1)).to_have_text("Дневник: Иванов Пётр")
        await expect(own.locator("main .diary-mark")).to_have_text(["5", "4-"])
        await expect(own.get_by_text(TOPIC)).to_be_visible()
        await own.screenshot(path=screenshots / "5-student-week.png", full_page=True)
        response = await own.goto(site(stack) + f"/diary?student={other}&week={week}")
        assert response is not None and response.status == 403
        await expect(own.get_by_text(OTHER_COMMENT)).to_have_count(0)
    finally:
        await context.close()


async def register_student(
    stack: Stack, admin: Identity, keycloak: KeycloakAdmin, institution_id: str
) -> Member:
    """A second child with a name of her own (the world's students are all Иванов Пётр)."""
    login = unique("student")
    reply = await admin.call(
        admin.people.RegisterStudent,
        people_pb2.RegisterStudentRequest(
            institution_id=institution_id,
            last_name="Иванова",
            first_name="Анна",
            login=login,
            personal_data=people_pb2.PersonalData(
                birth_date=people_pb2.Date(year=2013, month=9, day=14)
            ),
        ),
    )
    password = secrets.token_urlsafe(16)
    keycloak.set_password(login, password)
    return Member(reply.person.id, login, password, keycloak)


async def test_a_guardian_of_two_children_switches_between_them(
    stack: Stack,
    district_admin: Person,
    keycloak: KeycloakAdmin,
    page: Page,
    screenshots: Path,
) -> None:
    world = await class_journal(stack, district_admin, keycloak)
    async with Identity(stack, district_admin.token()) as admin:
        anna = await register_student(stack, admin, keycloak, world.institution_id)
        await admin.call(
            admin.people.LinkGuardian,
            people_pb2.LinkGuardianRequest(
                guardian_id=world.guardian.person_id, student_id=anna.person_id
            ),
        )
    async with Curriculum(stack, world.deputy) as cur:

        async def enrol() -> object:
            return await cur.call(
                cur.groups.Enrol,
                groups_pb2.EnrolRequest(
                    group_id=world.group.id,
                    student_id=anna.person_id,
                    joined=world.year.starts,
                    reason="Зачислена",
                ),
            )

        await wait_for(enrol, what="curriculum to know the second child")
    async with Journal(stack, world.teacher) as j:

        async def on_roster() -> bool:
            return anna.person_id in (await j.lesson(world.yesterday.id)).roster

        await wait_for(on_roster, what="the journal to enrol the second child")
    await save_marks(stack, world, pb.MarkInput(student_id=anna.person_id, value="3"))
    week = world.yesterday.date.iso

    await sign_in(page, stack, world.guardian.login, world.guardian.password, f"/diary?week={week}")
    children = page.get_by_role("navigation", name="Дети")
    await expect(children.get_by_role("link")).to_have_text(["Иванов Пётр", "Иванова Анна"])
    await expect(page.get_by_role("heading", level=1)).to_have_text("Дневник: Иванов Пётр")
    await expect(page.locator("main .diary-mark")).to_have_text(["5", "4-"])

    await children.get_by_role("link", name="Иванова Анна").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Дневник: Иванова Анна")
    await expect(children.get_by_role("link", name="Иванова Анна")).to_have_attribute(
        "aria-current", "page"
    )
    # The switch keeps the week.
    await expect(page.locator("main .diary-mark")).to_have_text(["3"])
    await expect(page.get_by_text(OWN_COMMENT)).to_have_count(0)
    await page.screenshot(path=screenshots / "1-second-child.png", full_page=True)

    await page.get_by_role("link", name="Оценки за периоды").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Оценки за периоды: Иванова Анна"
    )
    await expect(page.locator("td .diary-mark")).to_have_text(["3"])
    await children.get_by_role("link", name="Иванов Пётр").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Оценки за периоды: Иванов Пётр"
    )
    await expect(
        page.locator("section.diary-period").nth(0).locator("td .diary-mark")
    ).to_have_text(["3+", "4"])
    await page.screenshot(path=screenshots / "2-marks-first-child.png", full_page=True)
