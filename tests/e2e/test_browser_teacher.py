"""The teacher's pages in a real browser (issue 6, "Done when"): a teacher signs in on
Keycloak, sees today's lessons and the overdue ones, fills a lesson of the journal grid from the
keyboard, pastes a block of marks copied from a spreadsheet, and fills in a lesson form without
script; what they saved is then read back from the journal service itself.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from e2e.browser import sign_in, site
from e2e.journal_world import ClassJournal, Journal, class_journal, d, save_plan
from e2e.test_institution_slice import wait_for
from e2e.world import Curriculum
from playwright.async_api import Page, expect

from zhurnal.curriculum.v1 import calendar_pb2
from zhurnal.curriculum.v1 import timetable_pb2 as tt
from zhurnal.journal.v1 import journal_pb2 as pb
from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra

PHONE = {"width": 375, "height": 800}
# The institution's time zone (e2e.world.new_institution): "today" on the teacher's pages is
# its date, which differs from the machine's around midnight.
ZONE = ZoneInfo("Europe/Moscow")


def local_today() -> Any:
    """Today where the world's institution is."""
    return datetime.now(UTC).astimezone(ZONE).date()


async def lesson_today(stack: Stack, world: ClassJournal) -> tt.Lesson:
    """Add a maths lesson of 7А today and wait until the journal knows it and its roster."""
    async with Curriculum(stack, world.deputy) as cur:

        async def extra() -> Any:
            return await cur.call(
                cur.timetable.AddExtraLesson,
                tt.AddExtraLessonRequest(
                    study_year_id=world.year.id,
                    group_id=world.group.id,
                    subject_id=world.maths.id,
                    teacher_id=world.teacher.person_id,
                    date=d(local_today()),
                    start=tt.LocalTime(hour=8, minute=30),
                    duration=45,
                    reason="Занятие по расписанию",
                ),
            )

        lesson: tt.Lesson = (await wait_for(extra, what="the lesson of today")).lesson
    async with Journal(stack, world.teacher) as j:

        async def known() -> bool:
            return len((await j.lesson(lesson.id)).roster) == len(world.students)

        await wait_for(known, what="the journal to learn today's lesson")
    return lesson


def by_student(entries: pb.LessonEntries) -> tuple[dict[str, list[str]], dict[str, int]]:
    """A lesson's marks and attendance per student."""
    marks: dict[str, list[str]] = {}
    for mark in entries.marks:
        marks.setdefault(mark.student_id, []).append(mark.value)
    return marks, {a.student_id: a.status for a in entries.attendance}


async def test_teacher_types_marks_into_the_grid_and_pastes_a_block(
    stack: Stack,
    district_admin: Person,
    keycloak: KeycloakAdmin,
    page: Page,
    screenshots: Path,
) -> None:
    world = await class_journal(stack, district_admin, keycloak)
    today = await lesson_today(stack, world)
    yesterday = world.yesterday

    await sign_in(page, stack, world.teacher.login, world.teacher.password, "/today")
    await expect(page.get_by_role("heading", name=re.compile("^Уроки сегодня"))).to_be_visible()
    todays = page.get_by_role("table", name="Ваши уроки сегодня")
    await expect(todays.get_by_role("link", name="7А")).to_have_attribute(
        "href", f"/journal/lessons/{today.id}"
    )
    # Not recorded yet (overdue once its deadline passed, as the journal decides).
    await expect(todays.get_by_role("row").nth(1)).to_contain_text(
        re.compile("Ещё не заполнен|Просрочено")
    )
    # The subject by its name.
    await expect(todays.get_by_role("row").nth(1)).to_contain_text("Математика")
    await expect(
        page.get_by_role("heading", name=re.compile(local_today().strftime("%d.%m.%Y") + "$"))
    ).to_be_visible()
    # The lesson of ten days ago has no topic long past its deadline: one click from its form.
    overdue = page.locator(f'ul.overdue-list a[href="/journal/lessons/{world.earlier.id}"]')
    await expect(overdue).to_have_count(1)
    await expect(overdue).to_contain_text(re.compile(", 7А, Математика$"))
    await page.screenshot(path=screenshots / "1-today.png", full_page=True)

    await (
        page.get_by_role("navigation", name="Главное меню")
        .get_by_role("link", name="Журнал", exact=True)
        .click()
    )
    await page.get_by_role("link", name=re.compile("^7А, Математика")).click()
    await expect(
        page.get_by_role("heading", name="Журнал 7А, Математика: Второе полугодие")
    ).to_be_visible()
    grid = page.get_by_role("table", name=re.compile("^Оценки и посещаемость: 7А"))
    await expect(grid).to_be_visible()

    def cell(student_id: str, lesson_id: str) -> Any:
        return grid.locator(f'button.cell[data-student="{student_id}"][data-lesson="{lesson_id}"]')

    # Rows in the order the page shows them.
    rows = sorted(
        [
            (int(await cell(s.person_id, yesterday.id).get_attribute("data-row") or 0), s.person_id)
            for s in world.students
        ]
    )
    first, second, third = (student_id for _, student_id in rows)
    day = yesterday.date.iso[8:10] + "." + yesterday.date.iso[5:7]
    await expect(cell(first, yesterday.id)).to_have_accessible_name(
        re.compile(rf"^Иванов Пётр, {re.escape(day)}: ")
    )
    status = page.get_by_role("status")

    # The keyboard: a mark key, an arrow, an absence, Enter.
    await cell(first, yesterday.id).focus()
    await page.keyboard.press("4")
    await expect(cell(first, yesterday.id)).to_have_text("4 •")
    await page.keyboard.press("ArrowRight")
    await expect(cell(first, today.id)).to_be_focused()
    # The key labelled Н on a Russian keyboard (Playwright presses keys of the US layout).
    await page.keyboard.press("KeyY")
    await page.keyboard.press("ArrowDown")
    await expect(cell(second, today.id)).to_be_focused()
    await page.keyboard.press("ArrowLeft")
    await expect(cell(second, yesterday.id)).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(status).to_have_text("Сохранено.")
    await expect(cell(first, yesterday.id)).to_have_text("4")
    await expect(cell(first, today.id)).to_have_text("н")

    # A block from a spreadsheet, pasted from the second student's cell of yesterday.
    await cell(second, yesterday.id).focus()
    await page.evaluate(
        """() => {
            const data = new DataTransfer();
            data.setData("text/plain", "5\\t4\\n3\\t5\\n");
            document.activeElement.dispatchEvent(
                new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true})
            );
        }"""
    )
    await expect(cell(second, yesterday.id)).to_have_text("5 •")
    await expect(cell(third, today.id)).to_have_text("5 •")
    await expect(status).to_have_text(re.compile("не сохранено", re.IGNORECASE))
    await page.screenshot(path=screenshots / "2-grid-pasted.png", full_page=True)
    await page.keyboard.press("Enter")
    await expect(status).to_have_text("Сохранено.")
    await page.screenshot(path=screenshots / "3-grid-saved.png", full_page=True)

    # Really saved, as the journal itself answers.
    async with Journal(stack, world.teacher) as j:
        marks, attendance = by_student(await j.lesson(yesterday.id))
        assert marks == {first: ["4"], second: ["5"], third: ["3"]}
        marks, attendance = by_student(await j.lesson(today.id))
        assert marks == {second: ["4"], third: ["5"]}
        assert attendance[first] == pb.ATTENDANCE_STATUS_UNEXCUSED

    # Reloaded, the grid shows what was saved.
    await page.reload()
    await expect(cell(third, yesterday.id)).to_have_text("3")
    await expect(cell(first, today.id)).to_have_text("н")

    # A column filled down (Ctrl+D) from the first student's mark of yesterday: a conflict is
    # reported when someone else saved the lesson meanwhile.
    async with Journal(stack, world.teacher) as j:
        current = await j.lesson(yesterday.id)
        await j.save(yesterday.id, current.version, record=pb.LessonRecord(topic="Дроби"))
    await cell(first, yesterday.id).focus()
    await page.keyboard.press("Control+d")
    await expect(cell(third, yesterday.id)).to_have_text("4 •")
    await page.keyboard.press("Enter")
    await expect(status).to_have_text(re.compile("^Не сохранено: урок за это время изменил"))

    await page.set_viewport_size(PHONE)
    await page.reload()
    await expect(grid).to_be_visible()
    await page.screenshot(path=screenshots / "4-grid-phone.png", full_page=True)
    width = await page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width

    # The deputy reads the same grid, as saved, with nothing to type into.
    assert page.context.browser is not None
    context = await page.context.browser.new_context(locale="ru-RU")
    deputy = await context.new_page()
    try:
        await sign_in(deputy, stack, world.deputy.login, world.deputy.password, "/journal")
        await deputy.get_by_role("link", name=re.compile("^7А — все предметы")).click()
        read = deputy.get_by_role("table", name=re.compile("^Оценки и посещаемость: 7А"))
        third_yesterday = f'td[data-student="{third}"][data-lesson="{yesterday.id}"]'
        await expect(read.locator(third_yesterday)).to_have_text("3")
        # Cells to read, not to press: no buttons and no script.
        await expect(read.get_by_role("button")).to_have_count(0)
        await expect(deputy.locator('script[src="/static/grid.js"]')).to_have_count(0)
        await expect(deputy.get_by_text("Как заполнять журнал с клавиатуры")).to_have_count(0)
    finally:
        await context.close()


async def test_teacher_fills_in_the_lesson_form_without_script(
    stack: Stack,
    district_admin: Person,
    keycloak: KeycloakAdmin,
    browser: Any,
    screenshots: Path,
) -> None:
    world = await class_journal(stack, district_admin, keycloak)
    await save_plan(stack, world)
    context = await browser.new_context(
        locale="ru-RU", java_script_enabled=False, viewport={"width": 1280, "height": 800}
    )
    page = await context.new_page()
    try:
        await sign_in(
            page,
            stack,
            world.teacher.login,
            world.teacher.password,
            f"/journal/lessons/{world.yesterday.id}",
        )
        heading = page.get_by_role("heading", name=re.compile("^Урок: 7А, Математика, "))
        await expect(heading).to_be_visible()
        # Nothing saved yet: the lesson plan's topic and kind are offered.
        await expect(page.get_by_label("Тема")).to_have_value("Линейные уравнения")
        await expect(page.get_by_text("Подставлена из тематического плана")).to_be_visible()
        await expect(page.get_by_label("Вид занятия")).to_have_value("practical")
        await page.screenshot(path=screenshots / "4-lesson-form-planned.png", full_page=True)
        absent = world.students[1].person_id
        late = world.students[2].person_id

        # A late arrival without its minutes: the error is next to the field, in Russian.
        await page.get_by_label("Тема").fill("Linear equations")
        await page.locator(f"#att-{late}").select_option("late")
        await page.get_by_role("button", name="Сохранить урок").click()
        await expect(page.locator(f"#late-{late}-error")).to_have_text("От 1 до 45 минут.")
        await expect(page.locator(f"#late-{late}")).to_have_attribute("aria-invalid", "true")
        await expect(page.get_by_label("Тема")).to_have_value("Linear equations")
        await page.screenshot(path=screenshots / "5-lesson-form-error.png", full_page=True)

        # Corrected and saved; the topic without Cyrillic is saved with a warning.
        await page.locator(f"#late-{late}").fill("10")
        await page.locator(f"#att-{absent}").select_option("ill")
        await page.locator(f"#n-{world.students[0].person_id}-value").fill("5")
        await page.get_by_label("Домашнее задание").fill("№ 112, 113")
        await page.get_by_role("button", name="Сохранить урок").click()
        await expect(page).to_have_url(re.compile(r"\?saved=1"))
        await expect(page.get_by_text("Сохранено.")).to_be_visible()
        await expect(
            page.get_by_text(re.compile("В теме нет ни одной русской буквы"))
        ).to_be_visible()
        await expect(page.get_by_label("Тема")).to_have_value("Linear equations")
        await expect(page.locator(f"#att-{absent}")).to_have_value("ill")
        await expect(page.locator(f"#late-{late}")).to_have_value("10")
        await page.screenshot(path=screenshots / "6-lesson-form-saved.png", full_page=True)

        async with Journal(stack, world.teacher) as j:
            entries = await j.lesson(world.yesterday.id)
        assert entries.record.topic == "Linear equations"
        assert entries.record.homework == "№ 112, 113"
        marks, attendance = by_student(entries)
        assert marks == {world.students[0].person_id: ["5"]}
        assert attendance == {
            world.students[0].person_id: pb.ATTENDANCE_STATUS_PRESENT,
            absent: pb.ATTENDANCE_STATUS_ILL,
            late: pb.ATTENDANCE_STATUS_LATE,
        }
        assert [a.late_minutes for a in entries.attendance if a.student_id == late] == [10]

        # A form read before someone else saved: not saved, the current state is shown.
        await page.get_by_label("Тема").fill("Линейные уравнения")
        async with Journal(stack, world.teacher) as j:
            await j.save(
                world.yesterday.id,
                entries.version,
                record=pb.LessonRecord(topic="Системы уравнений"),
            )
        await page.get_by_role("button", name="Сохранить урок").click()
        await expect(page.get_by_text(re.compile("Ваши записи НЕ сохранены"))).to_be_visible()
        await expect(page.get_by_label("Тема")).to_have_value("Системы уравнений")

        # A double submit of one rendered form (the same idempotency key) gives the mark once.
        await page.locator(f"#n-{absent}-value").fill("4")
        fields = {}
        for element in await page.locator("form.lesson-form [name]").all():
            name = await element.get_attribute("name")
            if name:
                fields[name] = await element.input_value()
        url = site(stack) + f"/journal/lessons/{world.yesterday.id}"
        for _ in range(2):
            answer = await page.request.post(url, form=fields, max_redirects=0)
            assert answer.status == 303
        async with Journal(stack, world.teacher) as j:
            once = await j.lesson(world.yesterday.id)
        assert by_student(once)[0][absent] == ["4"]
        await page.goto(url)
        await expect(page.locator(f"#m-{once.marks[-1].id}-value")).to_have_value("4")

        await page.set_viewport_size(PHONE)
        await page.screenshot(path=screenshots / "7-lesson-form-phone.png", full_page=True)
        # Nothing but the tables' own boxes scrolls sideways on a phone.
        width = await page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], width

        # The deputy closes the first period: its lesson is shown read-only, with the reason.
        async with Curriculum(stack, world.deputy) as cur:
            await cur.call(
                cur.calendar.ClosePeriod,
                calendar_pb2.ClosePeriodRequest(
                    study_year_id=world.year.id, period_id=world.first.id
                ),
            )
        async with Journal(stack, world.teacher) as j:

            async def locked() -> bool:
                return (await j.lesson(world.earlier.id)).lesson.read_only

            await wait_for(locked, what="the journal to lock the closed period")
        await page.set_viewport_size({"width": 1280, "height": 800})
        await page.goto(site(stack) + f"/journal/lessons/{world.earlier.id}")
        await expect(page.get_by_text("Этот урок доступен только для чтения.")).to_be_visible()
        await expect(page.get_by_role("button", name="Сохранить урок")).to_have_count(0)
        students = page.get_by_role("table", name="Ученики на уроке")
        # Nobody's attendance was saved: none is made up.
        await expect(students.get_by_role("cell", name="—", exact=True)).to_have_count(3)
        await page.screenshot(path=screenshots / "8-lesson-read-only.png", full_page=True)

        # A colleague named as substitute for the lesson in three days finds it on their page.
        async with Curriculum(stack, world.deputy) as cur:
            await cur.call(
                cur.timetable.SetSubstitution,
                tt.SetSubstitutionRequest(
                    lesson_id=world.ahead.id,
                    substitute_teacher_id=world.colleague.person_id,
                    reason="Болезнь учителя",
                ),
            )
        colleague = await browser.new_context(locale="ru-RU")
        try:
            other = await colleague.new_page()
            await sign_in(other, stack, world.colleague.login, world.colleague.password, "/today")
            substitution = other.locator(f'a[href="/journal/lessons/{world.ahead.id}"]')
            await expect(substitution).to_contain_text(
                re.compile(r"^\d\d\.\d\d\.\d{4} 10:00, 7А, Математика$")
            )
            await expect(other.get_by_text("вместо: Ёлкина-Щукина Анна Сергеевна")).to_be_visible()
            await other.screenshot(path=screenshots / "9-today-substitute.png", full_page=True)
        finally:
            await colleague.close()
    finally:
        await context.close()
