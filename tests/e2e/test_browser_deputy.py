"""The deputy in a real browser (issue 6): signs in through Keycloak, sees the overdue lesson
with its teacher and group named, monitors the journal, closes a period through the page (and
the journal then refuses writes into it), and unlocks it again with a written reason."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import grpc
import pytest
from e2e.browser import sign_in, site
from e2e.journal_world import TODAY, Journal, class_journal
from e2e.test_institution_slice import wait_for
from e2e.test_lesson_plans import topics
from e2e.world import Curriculum
from playwright.async_api import Page, expect

from zhurnal.curriculum.v1 import calendar_pb2, hours_pb2, opening_pb2, plans_pb2
from zhurnal.curriculum.v1.opening_pb2_grpc import YearOpeningServiceStub
from zhurnal.journal.v1 import journal_pb2 as pb
from zhurnal_kit.grpc_client import make_channel
from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra

NAME = "Ёлкина-Щукина Анна Сергеевна"  # every member of the world is hired under this name


async def test_deputy_sees_the_overdue_lesson_and_closes_and_unlocks_a_period(
    stack: Stack,
    district_admin: Person,
    keycloak: KeycloakAdmin,
    page: Page,
    screenshots: Path,
) -> None:
    cw = await class_journal(stack, district_admin, keycloak)
    await sign_in(page, stack, cw.deputy.login, cw.deputy.password, "/overdue")

    # The overdue list: yesterday's lesson has no topic, named by its group and teacher.
    await expect(page.get_by_role("heading", name="Просроченные уроки")).to_be_visible()
    await expect(page.get_by_role("link", name="Контроль журнала")).to_be_visible()
    lessons = page.get_by_role("table", name="Просроченные уроки, сначала самые давние")
    link = page.locator(f'a[href="/journal/lessons/{cw.yesterday.id}"]')
    yesterday = (TODAY - timedelta(days=1)).strftime("%d.%m.%Y")
    await expect(link).to_have_text(f"{yesterday}, 10:00")
    row = lessons.locator("tr", has=link)
    await expect(row).to_contain_text("7А")
    await expect(row).to_contain_text(NAME)
    # The subject column names the lesson's subject.
    await expect(row.get_by_role("cell", name="Математика", exact=True)).to_be_visible()
    await expect(row.locator("td.overdue")).to_contain_text(re.compile(r"\d+ дн\. \d+ ч"))
    await expect(page.locator("#overdue-total")).to_have_text("2 просроченных урока")
    per_teacher = page.get_by_role("table", name="Просрочено по учителям")
    await expect(per_teacher.get_by_role("row", name=re.compile(NAME))).to_contain_text("2")
    await page.screenshot(path=screenshots / "1-overdue.png", full_page=True)

    # Filtering by the group keeps the lesson; the colleague has none.
    await page.get_by_label("Класс", exact=True).select_option(label="7А")
    await page.get_by_role("button", name="Показать").click()
    await expect(page).to_have_url(re.compile(r"group=" + cw.group.id))
    await expect(lessons.locator("tr", has=link)).to_contain_text("7А")

    # At a phone's width the page still reads, the table scrolling in its own box.
    await page.set_viewport_size({"width": 375, "height": 800})
    await page.screenshot(path=screenshots / "2-overdue-phone.png", full_page=True)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page is {width} px wide on a phone"
    await page.set_viewport_size({"width": 1280, "height": 900})

    # Monitoring of yesterday's week (the journal's counts): one lesson past its deadline,
    # overdue, per teacher and group; once the teacher records it today, it counts as
    # recorded late. The lesson in three days is not due yet.
    week = (TODAY - timedelta(days=1)).isoformat()
    await page.goto(site(stack) + f"/monitoring?week={week}")
    await expect(page.get_by_role("heading", name="Контроль журнала")).to_be_visible()
    per_group = page.get_by_role("table", name="По классам")
    group_row = per_group.get_by_role("row", name=re.compile("7А"))
    await expect(per_group.get_by_role("columnheader").nth(1)).to_have_text("Срок записи прошёл")
    # Due, recorded, completeness, recorded late, overdue.
    await expect(group_row.get_by_role("cell")).to_have_text(
        ["1", "0", "0 %", "0", re.compile(r"^1\s+просрочено$")]
    )
    await expect(page.get_by_role("table", name="По учителям")).to_contain_text(NAME)
    await page.screenshot(path=screenshots / "3-monitoring.png", full_page=True)
    async with Journal(stack, cw.teacher) as j:
        await j.save(cw.yesterday.id, 0, record=pb.LessonRecord(topic="Сложение дробей"))
    await page.reload()
    await expect(group_row.get_by_role("cell")).to_have_text(["1", "1", "100 %", "1", "0"])

    # Study periods: closing needs the confirmation, then the first period closes.
    await page.get_by_role("link", name="Учебные периоды").click()
    first = page.locator("section", has=page.get_by_role("heading", name="Первое полугодие"))
    await expect(first.locator(".deputy-state")).to_contain_text("открыт")
    await page.screenshot(path=screenshots / "4-periods.png", full_page=True)
    await first.get_by_role("button", name="Закрыть «Первое полугодие»").click()
    confirm = first.get_by_label(re.compile("Журнал за период «Первое полугодие» проверен"))
    await expect(confirm).to_have_attribute("aria-invalid", "true")
    await expect(first.locator(".field-error")).to_have_text(
        "Подтвердите, что журнал за период проверен и период можно закрыть."
    )
    await confirm.check()
    await first.get_by_role("button", name="Закрыть «Первое полугодие»").click()
    await expect(page.get_by_role("status")).to_have_text(
        "Период закрыт: записи журнала за него теперь только для чтения."
    )
    first = page.locator("section", has=page.get_by_role("heading", name="Первое полугодие"))
    await expect(first.locator(".deputy-state strong")).to_have_text("закрыт")
    await expect(first).to_contain_text(f"закрыл(а): {NAME}")
    second = page.locator("section", has=page.get_by_role("heading", name="Второе полугодие"))
    await expect(second.locator(".deputy-state strong")).to_have_text("открыт")
    await page.screenshot(path=screenshots / "5-period-closed.png", full_page=True)

    # Really closed: curriculum says so, and the journal refuses the teacher's write into it.
    async with Curriculum(stack, cw.deputy) as cur:
        year = (
            await cur.call(
                cur.calendar.GetStudyYear, calendar_pb2.GetStudyYearRequest(id=cw.year.id)
            )
        ).study_year
    closed = {p.id: p.closed for p in year.periods}
    assert closed == {cw.first.id: True, cw.second.id: False}
    async with Journal(stack, cw.teacher) as j:

        async def refused() -> bool:
            try:
                await j.save(cw.earlier.id, 0, record=pb.LessonRecord(topic="Дроби"))
            except grpc.aio.AioRpcError as exc:
                return exc.code() == grpc.StatusCode.FAILED_PRECONDITION
            raise AssertionError("the journal accepted a write into a closed period")

        await wait_for(refused, what="the journal to refuse writes into the closed period")

    # Unlocking needs a real reason; then the period is open for corrections for 2 hours.
    await page.reload()
    first = page.locator("section", has=page.get_by_role("heading", name="Первое полугодие"))
    await first.get_by_text("Открыть для исправлений", exact=True).click()
    reason = first.get_by_label("Причина (сохраняется в истории журнала)")
    await reason.fill("мало")
    await first.get_by_role("button", name="Открыть «Первое полугодие» для исправлений").click()
    first = page.locator("section", has=page.get_by_role("heading", name="Первое полугодие"))
    reason = first.get_by_label("Причина (сохраняется в истории журнала)")
    await expect(reason).to_have_attribute("aria-invalid", "true")
    await expect(first.locator("#reason-" + cw.first.id + "-error")).to_have_text(
        "укажите причину — не короче 10 символов"
    )
    await expect(reason).to_have_value("мало")
    await page.screenshot(path=screenshots / "6-unlock-error.png", full_page=True)
    await reason.fill("Исправление ошибочно выставленной оценки")
    await first.get_by_label(re.compile("На сколько часов")).fill("2")
    await first.get_by_role("button", name="Открыть «Первое полугодие» для исправлений").click()
    await expect(page.get_by_role("status")).to_have_text(
        "Период открыт для исправлений до указанного времени."
    )
    first = page.locator("section", has=page.get_by_role("heading", name="Первое полугодие"))
    await expect(first.locator(".deputy-state strong")).to_contain_text(
        "закрыт, открыт для исправлений до"
    )
    unlocks = first.get_by_role("table", name="Открытия периода для исправлений")
    await expect(unlocks).to_contain_text("Исправление ошибочно выставленной оценки")
    await expect(unlocks).to_contain_text(NAME)
    await page.screenshot(path=screenshots / "7-period-unlocked.png", full_page=True)
    async with Journal(stack, cw.deputy) as deputy:
        periods = (
            await deputy.call(
                deputy.locks.ListPeriodLocks,
                pb.ListPeriodLocksRequest(
                    institution_id=cw.institution_id, study_year_id=cw.year.id
                ),
            )
        ).periods
    lock = next(p for p in periods if p.period.id == cw.first.id)
    assert not lock.locked
    assert [u.reason for u in lock.unlocks] == ["Исправление ошибочно выставленной оценки"]
    assert lock.unlocks[0].expires_at.seconds - lock.unlocks[0].unlocked_at.seconds == 7200

    # A teacher sees only their own overdue lessons, and no monitoring; a colleague has none.
    await page.get_by_role("button", name="Выйти").click()
    await sign_in(page, stack, cw.teacher.login, cw.teacher.password, "/overdue")
    await expect(page.get_by_text("Ваши уроки.")).to_be_visible()
    earlier = page.locator(f'a[href="/journal/lessons/{cw.earlier.id}"]')
    await expect(lessons.locator("tr", has=earlier)).to_contain_text("7А")
    await expect(link).to_have_count(0)  # recorded by now
    await expect(page.get_by_label("Учитель")).to_have_count(0)
    await expect(page.get_by_role("link", name="Контроль журнала")).to_have_count(0)
    await page.screenshot(path=screenshots / "8-teacher-overdue.png", full_page=True)
    answer = await page.goto(site(stack) + "/monitoring")
    assert answer is not None and answer.status == 403
    await expect(page.get_by_role("alert")).to_have_text(
        "Эта страница — для заместителя директора и директора организации."
    )
    await page.get_by_role("button", name="Выйти").click()
    await sign_in(page, stack, cw.colleague.login, cw.colleague.password, "/overdue")
    await expect(page.locator("#overdue-total")).to_have_text("Просроченных уроков нет.")
    await expect(page.locator("a[href^='/journal/lessons/']")).to_have_count(0)


async def test_deputy_approves_a_lesson_plan_and_reads_the_year_opening_checklist(
    stack: Stack,
    district_admin: Person,
    keycloak: KeycloakAdmin,
    page: Page,
    screenshots: Path,
) -> None:
    cw = await class_journal(stack, district_admin, keycloak)
    async with Curriculum(stack, cw.deputy) as cur, Curriculum(stack, cw.teacher) as mine:
        line = hours_pb2.CurriculumLine(group_id=cw.group.id, subject_id=cw.maths.id, hours=2)
        await cur.call(
            cur.hours.SetCurriculum,
            hours_pb2.SetCurriculumRequest(study_year_id=cw.year.id, lines=[line]),
        )
        plan = (
            await mine.call(
                mine.plans.SavePlan,
                plans_pb2.SavePlanRequest(
                    study_year_id=cw.year.id,
                    group_id=cw.group.id,
                    subject_id=cw.maths.id,
                    teacher_id=cw.teacher.person_id,
                    topics=topics(("Дроби", 1)),
                ),
            )
        ).plan

    await sign_in(page, stack, cw.deputy.login, cw.deputy.password, "/plans")
    plans = page.get_by_role("table", name=re.compile("Тематические планы учебного года"))
    row = plans.get_by_role("row", name=re.compile("7А"))
    await expect(row).to_contain_text(NAME)
    await expect(row).to_contain_text("черновик")
    await expect(row).to_contain_text("не совпадает")
    await expect(row.get_by_role("cell", name="Математика", exact=True)).to_be_visible()
    await page.screenshot(path=screenshots / "1-plans.png", full_page=True)
    await row.get_by_role("link", name="Открыть").click()
    await expect(
        page.get_by_role("heading", name="Тематический план: 7А, Математика")
    ).to_be_visible()
    short = "План: 1 ч, по учебному плану 2 ч (не хватает 1 ч)."
    await expect(page.get_by_text(f"Мешает утверждению: {short}")).to_be_visible()

    # Short of hours: curriculum refuses, and the page says why.
    await page.get_by_role("button", name="Утвердить план").click()
    await expect(page.get_by_role("alert")).to_contain_text("План не утверждён.")
    await expect(page.get_by_role("alert")).to_contain_text(short)

    # The teacher completes the plan; now the deputy approves it.
    async with Curriculum(stack, cw.teacher) as mine:
        await mine.call(
            mine.plans.SavePlan,
            plans_pb2.SavePlanRequest(
                study_year_id=cw.year.id,
                group_id=cw.group.id,
                subject_id=cw.maths.id,
                teacher_id=cw.teacher.person_id,
                topics=topics(("Дроби", 1), ("Проценты", 1)),
                expected_version=plan.version,
            ),
        )
    await page.goto(site(stack) + f"/plans/{plan.id}")
    await expect(page.get_by_role("cell", name="Проценты")).to_be_visible()
    await page.get_by_role("button", name="Утвердить план").click()
    await expect(page.get_by_role("status")).to_have_text("План утверждён.")
    await expect(page.locator(".deputy-facts")).to_contain_text(f"утвердил(а): {NAME}")
    await expect(page.get_by_role("button", name="Утвердить план")).to_have_count(0)
    await page.screenshot(path=screenshots / "2-plan-approved.png", full_page=True)
    async with Curriculum(stack, cw.deputy) as cur:
        stored = (await cur.call(cur.plans.GetPlan, plans_pb2.GetPlanRequest(plan_id=plan.id))).plan
    assert stored.status == plans_pb2.PLAN_STATUS_APPROVED
    assert stored.approved_by == cw.deputy.person_id

    # The year-opening checklist shows each step of curriculum's checklist, done or missing.
    channel = make_channel(stack.grpc_addrs["curriculum"], default_timeout_s=30)
    try:
        checklist = await YearOpeningServiceStub(channel).GetOpeningChecklist(
            opening_pb2.GetOpeningChecklistRequest(study_year_id=cw.year.id),
            metadata=[("authorization", f"Bearer {cw.deputy.token()}")],
        )
    finally:
        await channel.close()
    await page.get_by_role("link", name="Открытие учебного года").click()
    await expect(page.get_by_role("heading", name="Открытие учебного года")).to_be_visible()
    steps = page.locator(".deputy-checklist > li")
    await expect(steps).to_have_count(len(checklist.items))
    for item, step in zip(checklist.items, await steps.all(), strict=True):
        await expect(step.get_by_role("heading")).to_contain_text(item.title)
        if item.done:
            await expect(step.get_by_role("heading")).to_contain_text("выполнено")
        for missing in item.missing:
            await expect(step).to_contain_text(missing.message)
    ready = "Год готов" if checklist.ready else "Год ещё не готов"
    await expect(page.get_by_role("status")).to_contain_text(ready)
    await page.screenshot(path=screenshots / "3-year-opening.png", full_page=True)
