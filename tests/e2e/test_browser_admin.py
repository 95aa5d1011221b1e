"""An institution's administrator at work in a real browser (headless Chromium, Russian):
hiring through the form, personal data read with a purpose and found in the log, an import
checked before it is applied (pasted CSV text, and an uploaded XLSX workbook), temporary access
granted on a written basis; and a teacher who opens the administrator's pages gets the refusal
page, not forms that work.

Every step is checked in identity afterwards, not only on the page.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from e2e.browser import sign_in, site
from e2e.world import Identity, Member, hire, new_institution, student, unique
from playwright.async_api import Locator, Page, expect

from zhurnal.identity.v1 import access_pb2, people_pb2
from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra

MOSCOW = ZoneInfo("Europe/Moscow")


async def people_of(stack: Stack, district_admin: Person, school: str, kind: int) -> list[str]:
    """Logins of the school's people of ``kind``, as identity has them."""
    async with Identity(stack, district_admin.token()) as identity:
        reply = await identity.call(
            identity.people.ListPeople,
            people_pb2.ListPeopleRequest(institution_id=school, kind=kind, page_size=500),
        )
    return [p.login for p in reply.people]


async def bindings_of(
    stack: Stack, district_admin: Person, school: str
) -> list[access_pb2.RoleBinding]:
    async with Identity(stack, district_admin.token()) as identity:
        reply = await identity.call(
            identity.access.ReviewAccess, access_pb2.ReviewAccessRequest(institution_id=school)
        )
    return list(reply.bindings)


def workbook(rows: list[list[object]]) -> bytes:
    """An XLSX file with ``rows`` on its first sheet, as Excel saves one."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Ученики"
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def see_the_bad_birth_date(page: Page, good: str, bad: str) -> Locator:
    """The dry run's preview: ``good`` will be created, ``bad`` shows its birth date's error,
    and nothing can be applied. Returns the preview table."""
    await expect(page.get_by_text("с ошибками — 1 строка")).to_be_visible()
    preview = page.get_by_role("table", name="Строки файла так, как они будут прочитаны")
    await expect(preview.get_by_role("row", name=re.compile(good))).to_contain_text("будет создан")
    bad_row = preview.get_by_role("row", name=re.compile(bad))
    await expect(bad_row).to_contain_text("Ошибка")
    await expect(bad_row).to_contain_text("Дата рождения")
    await expect(page.get_by_role("button", name=re.compile("^Применить"))).to_have_count(0)
    return preview


async def school_with(
    stack: Stack, district_admin: Person, keycloak: KeycloakAdmin, role: str
) -> tuple[str, Member, Member]:
    """A new school with a staff member in ``role`` and a student with personal data."""
    school = await new_institution(stack, district_admin)
    async with Identity(stack, district_admin.token()) as district:
        staff = await hire(stack, district, keycloak, school, role)
        pupil = await student(stack, district, keycloak, school)
    return school, staff, pupil


async def test_an_administrator_hires_reads_personal_data_imports_and_grants_access(
    stack: Stack,
    district_admin: Person,
    keycloak: KeycloakAdmin,
    page: Page,
    screenshots: Path,
) -> None:
    school, admin, pupil = await school_with(stack, district_admin, keycloak, "administrator")
    await sign_in(page, stack, admin.login, admin.password, "/people")
    menu = page.get_by_role("navigation", name="Главное меню")
    for item in ("Люди", "Загрузка людей", "Проверка доступа", "Журнал доступа к ПДн"):
        await expect(menu.get_by_role("link", name=item, exact=True)).to_be_visible()
    await expect(page.get_by_role("heading", name="Люди", level=1)).to_be_visible()
    staff = page.get_by_role("table", name="Сотрудники")
    await expect(staff.get_by_role("row", name=re.compile(admin.login))).to_contain_text(
        "Администратор"
    )
    await page.screenshot(path=screenshots / "1-people.png", full_page=True)

    # Hiring through the form: the one-time password is shown, the teacher exists in identity.
    await page.get_by_role("link", name="Принять сотрудника").click()
    await expect(page).to_have_url(re.compile(r"/people/hire$"))
    login = unique("sokolova")
    await page.get_by_label("Фамилия").fill("Соколова")
    await page.get_by_label(re.compile(r"^Имя \(")).fill("Мария")
    await page.get_by_label("Отчество").fill("Ивановна")
    await page.get_by_label("Роль").select_option(label="Учитель")
    await page.get_by_label("Должность").fill("учитель биологии")
    await page.get_by_label("Логин").fill(login)
    await page.get_by_label("Эл. почта").fill("not-an-address")
    await page.get_by_label("Номер приказа").fill("41-к")
    await page.get_by_role("button", name="Принять", exact=True).click()
    # A wrong field is named next to it, in Russian, and nothing was created.
    email = page.get_by_label("Эл. почта")
    await expect(email).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#email-error")).to_have_text("должен быть адресом электронной почты")
    await page.screenshot(path=screenshots / "2-hire-form-error.png", full_page=True)
    assert keycloak.user(login) is None
    await email.fill(f"{login}@example.com")
    await page.get_by_role("button", name="Принять", exact=True).click()
    await expect(page.get_by_role("heading", name="Сотрудник принят")).to_be_visible()
    await expect(page.locator("#hired-login")).to_have_text(login)
    password = (await page.locator("#temporary-password").inner_text()).strip()
    assert len(password) >= 10
    await page.screenshot(path=screenshots / "3-hired.png", full_page=True)
    account = keycloak.user(login)
    assert account is not None and account["enabled"] is True
    assert "UPDATE_PASSWORD" in account["requiredActions"]
    assert login in await people_of(stack, district_admin, school, people_pb2.PERSON_KIND_STAFF)
    teacher_binding = next(
        b
        for b in await bindings_of(stack, district_admin, school)
        if b.person_name == "Соколова Мария Ивановна"
    )
    assert teacher_binding.role == access_pb2.ROLE_TEACHER

    # Personal data only with a purpose; the read shows in the personal-data log.
    await page.goto(site(stack) + "/people?kind=student")
    await page.get_by_role("link", name="Иванов Пётр").click()
    await expect(page.get_by_role("heading", name="Иванов Пётр", level=1)).to_be_visible()
    await expect(page.get_by_text("ул. Лесная, 8")).to_have_count(0)
    await page.get_by_role("button", name="Показать персональные данные").click()
    await expect(page.get_by_label("Цель просмотра")).to_have_attribute("aria-invalid", "true")
    purpose = "сверка адреса для личного дела"
    await page.get_by_label("Цель просмотра").fill(purpose)
    await page.get_by_role("button", name="Показать персональные данные").click()
    await expect(page.get_by_text("ул. Лесная, 8")).to_be_visible()
    await expect(page.get_by_text("08.03.2014")).to_be_visible()
    await page.screenshot(path=screenshots / "4-personal-data.png", full_page=True)
    await menu.get_by_role("link", name="Журнал доступа к ПДн").click()
    log = page.get_by_role("table", name="Просмотры персональных данных")
    read = log.get_by_role("row", name=re.compile(purpose))
    await expect(read).to_have_count(1)
    await expect(read).to_contain_text("Ёлкина-Щукина Анна Сергеевна")
    await expect(read).to_contain_text("Иванов Пётр")
    await expect(read).to_contain_text("Дата рождения, Адрес")
    await page.screenshot(path=screenshots / "5-pd-log.png", full_page=True)
    async with Identity(stack, district_admin.token()) as identity:
        logged = await identity.call(
            identity.access.ListPersonalDataAccess,
            access_pb2.ListPersonalDataAccessRequest(
                institution_id=school, subject_id=pupil.person_id
            ),
        )
    assert [(e.reader_id, e.purpose) for e in logged.entries] == [(admin.person_id, purpose)]

    # Import: the dry run shows each row and the bad one's errors; nothing is written.
    students_before = await people_of(stack, district_admin, school, people_pb2.PERSON_KIND_STUDENT)
    good, bad = unique("smirnov"), unique("kozlova")
    header = "Тип;Фамилия;Имя;Отчество;Логин;Дата рождения"
    csv = (
        f"{header}\nученик;Смирнов;Олег;;{good};01.02.2014\nученик;Козлова;Вера;;{bad};31.02.2013\n"
    )
    await menu.get_by_role("link", name="Загрузка людей").click()
    await page.get_by_label("Текст файла (CSV)").fill(csv)
    await page.get_by_role("button", name="Проверить (ничего не загружается)").click()
    await see_the_bad_birth_date(page, good, bad)
    await page.screenshot(path=screenshots / "6-import-preview.png", full_page=True)
    assert (
        await people_of(stack, district_admin, school, people_pb2.PERSON_KIND_STUDENT)
        == students_before
    )
    # Corrected, checked again and applied: both are created with their passwords.
    await page.get_by_label("Текст файла (CSV)").fill(csv.replace("31.02.2013", "28.02.2013"))
    await page.get_by_role("button", name="Проверить (ничего не загружается)").click()
    await expect(page.get_by_text("ошибок нет")).to_be_visible()
    await page.get_by_role("button", name="Применить: загрузить 2 строки").click()
    accounts = page.get_by_role("table", name="Созданные учётные записи")
    await expect(accounts.get_by_role("row")).to_have_count(3)
    await page.screenshot(path=screenshots / "7-imported.png", full_page=True)
    students = await people_of(stack, district_admin, school, people_pb2.PERSON_KIND_STUDENT)
    assert {good, bad} <= set(students)

    # Temporary access on a written basis; it shows on the access review.
    await menu.get_by_role("link", name="Проверка доступа").click()
    await page.get_by_label("Кому").select_option(label="Соколова Мария Ивановна")
    await page.get_by_label("Роль").select_option(label="Заместитель директора")
    ends = (datetime.now(MOSCOW) + timedelta(days=7)).replace(
        hour=18, minute=0, second=0, microsecond=0
    )
    await page.get_by_label("Окончание").fill(ends.strftime("%Y-%m-%dT%H:%M"))
    await page.get_by_label(re.compile(r"^Номер \(")).fill("17")
    await page.get_by_label(re.compile(r"^Дата \(")).fill("2026-11-27")
    await page.get_by_role("button", name="Предоставить доступ").click()
    await expect(page.get_by_text("Доступ предоставлен.")).to_be_visible()
    temporary = page.get_by_role("table", name="Временный доступ (сначала заканчивающийся раньше)")
    row = temporary.get_by_role("row", name=re.compile("Соколова Мария Ивановна"))
    await expect(row).to_contain_text("Заместитель директора")
    await expect(row).to_contain_text("№ 17 от 27.11.2026")
    await expect(row).to_contain_text(ends.strftime("%d.%m.%Y 18:00"))
    await page.screenshot(path=screenshots / "8-access.png", full_page=True)
    granted = [
        b
        for b in await bindings_of(stack, district_admin, school)
        if b.role == access_pb2.ROLE_DEPUTY and b.person_id == teacher_binding.person_id
    ]
    assert len(granted) == 1
    assert (granted[0].basis.number, granted[0].basis.date) == ("17", "2026-11-27")
    assert granted[0].valid_until.ToDatetime(tzinfo=UTC) == ends.astimezone(UTC)

    # On a phone: the tables scroll in their own box, the page does not.
    await page.set_viewport_size({"width": 375, "height": 800})
    await page.screenshot(path=screenshots / "9-access-phone.png", full_page=True)
    await page.goto(site(stack) + "/people")
    await page.screenshot(path=screenshots / "10-people-phone.png", full_page=True)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    await page.set_viewport_size({"width": 1280, "height": 800})

    # The temporary role is revoked with a reason, then the teacher is dismissed on an order.
    await page.goto(site(stack) + "/access")
    row = temporary.get_by_role("row", name=re.compile("Соколова Мария Ивановна"))
    await row.get_by_role("textbox").fill("заявление № 18 об отзыве")
    await row.get_by_role("button", name="Отозвать").click()
    await expect(page.get_by_text("Доступ отозван.")).to_be_visible()
    await expect(page.get_by_text("Действующего временного доступа нет.")).to_be_visible()
    roles = [
        b.role
        for b in await bindings_of(stack, district_admin, school)
        if b.person_id == teacher_binding.person_id
    ]
    assert roles == [access_pb2.ROLE_TEACHER]
    await page.goto(site(stack) + f"/people/{teacher_binding.person_id}")
    await page.get_by_role("link", name="Уволить").click()
    await expect(page.get_by_role("heading", name=re.compile("^Уволить"))).to_be_visible()
    await page.get_by_role("button", name="Уволить").click()
    await expect(page.locator("#basis_number-error")).to_be_visible()
    await page.get_by_label("Номер приказа").fill("52-к")
    await page.get_by_label("Дата приказа").fill("2026-11-28")
    await page.screenshot(path=screenshots / "11-dismiss.png", full_page=True)
    await page.get_by_role("button", name="Уволить").click()
    await expect(page.get_by_text("Уволен(а): учётная запись отключена")).to_be_visible()
    dismissed = keycloak.user(login)
    assert dismissed is not None and dismissed["enabled"] is False
    assert not [
        b
        for b in await bindings_of(stack, district_admin, school)
        if b.person_id == teacher_binding.person_id
    ]


async def test_a_teacher_is_refused_and_a_director_only_reviews(
    stack: Stack,
    district_admin: Person,
    keycloak: KeycloakAdmin,
    page: Page,
    screenshots: Path,
) -> None:
    school, teacher, _ = await school_with(stack, district_admin, keycloak, "teacher")
    await sign_in(page, stack, teacher.login, teacher.password, "/people/hire")
    refusal = page.get_by_role("heading", name="У вас нет права видеть или изменять это.")
    await expect(refusal).to_be_visible()
    await expect(page.get_by_label("Логин")).to_have_count(0)
    await page.screenshot(path=screenshots / "1-refused.png", full_page=True)
    menu = page.get_by_role("navigation", name="Главное меню")
    await expect(menu.get_by_role("link", name="Люди", exact=True)).to_have_count(0)
    for path in ("/people/hire", "/people/import", "/access", "/pd-log"):
        response = await page.goto(site(stack) + path)
        assert response is not None and response.status == 403, path
        await expect(refusal).to_be_visible()
    # Sending the form anyway (with the teacher's own session and CSRF token) is refused too.
    token = await page.locator('meta[name="csrf-token"]').get_attribute("content")
    assert token
    login = unique("intruder")
    sent = await page.request.post(
        site(stack) + "/people/hire",
        form={
            "csrf_token": token,
            "last_name": "Иванов",
            "first_name": "Иван",
            "role": "administrator",
            "position": "администратор",
            "login": login,
        },
    )
    assert sent.status == 403
    assert keycloak.user(login) is None

    # A director reviews access and reads the log, but neither hires nor grants.
    async with Identity(stack, district_admin.token()) as district:
        director = await hire(stack, district, keycloak, school, "director")
    await page.goto(site(stack) + "/")
    await page.get_by_role("button", name="Выйти").click()
    await sign_in(page, stack, director.login, director.password, "/access")
    await expect(page.get_by_role("heading", name="Проверка доступа", level=1)).to_be_visible()
    permanent = page.get_by_role("table", name="Постоянный доступ")
    await expect(permanent.get_by_role("row", name=re.compile("Учитель"))).to_have_count(1)
    await expect(page.get_by_role("button", name="Предоставить доступ")).to_have_count(0)
    await expect(page.get_by_role("button", name="Отозвать")).to_have_count(0)
    await page.screenshot(path=screenshots / "2-director-access.png", full_page=True)
    for path, status in (("/pd-log", 200), ("/people/hire", 403), ("/people", 200)):
        response = await page.goto(site(stack) + path)
        assert response is not None and response.status == status, path
    await expect(page.get_by_role("link", name="Принять сотрудника")).to_have_count(0)


async def test_an_administrator_uploads_a_workbook_checks_it_corrects_it_and_applies_it(
    stack: Stack,
    district_admin: Person,
    keycloak: KeycloakAdmin,
    page: Page,
    screenshots: Path,
    tmp_path: Path,
) -> None:
    school, admin, _ = await school_with(stack, district_admin, keycloak, "administrator")
    await sign_in(page, stack, admin.login, admin.password, "/people/import")
    await expect(page.get_by_role("heading", name="Загрузка списка людей", level=1)).to_be_visible()
    file_field = page.get_by_label("Файл (CSV или XLSX)")
    await expect(file_field).to_be_visible()
    check = page.get_by_role("button", name="Проверить (ничего не загружается)")

    # A file over 2 MB is refused before identity sees it, the message naming the field.
    await file_field.set_input_files(
        files=[{"name": "big.csv", "mimeType": "text/csv", "buffer": b"x" * (2 * 1024 * 1024 + 1)}]
    )
    await check.click()
    await expect(page.locator("#file-error")).to_have_text(
        "Файл (CSV или XLSX): больше 2 МБ. Разделите его на несколько файлов и загрузите их по "
        "очереди."
    )
    await expect(file_field).to_have_attribute("aria-invalid", "true")

    # The workbook's dry run: each row with its result, the bad one's error; nothing is written.
    students_before = await people_of(stack, district_admin, school, people_pb2.PERSON_KIND_STUDENT)
    good, bad = unique("orlov"), unique("belova")
    header = ["Тип", "Фамилия", "Имя", "Отчество", "Логин", "Дата рождения"]
    first = tmp_path / "ученики-7а.xlsx"
    first.write_bytes(
        workbook(
            [
                header,
                ["ученик", "Орлов", "Игорь", "", good, date(2014, 5, 6)],
                ["ученик", "Белова", "Нина", "", bad, "31.02.2013"],
            ]
        )
    )
    await page.get_by_label("Файл (CSV или XLSX)").set_input_files(first)
    await check.click()
    await expect(page.get_by_text("Проверен файл «ученики-7а.xlsx».")).to_be_visible()
    preview = await see_the_bad_birth_date(page, good, bad)
    # The workbook's date cell reads as people write dates.
    await expect(preview.get_by_role("row", name=re.compile(good))).to_contain_text("06.05.2014")
    await page.screenshot(path=screenshots / "1-import-xlsx-preview.png", full_page=True)
    await page.set_viewport_size({"width": 375, "height": 800})
    await page.screenshot(path=screenshots / "2-import-xlsx-preview-phone.png", full_page=True)
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375
    await page.set_viewport_size({"width": 1280, "height": 800})
    assert (
        await people_of(stack, district_admin, school, people_pb2.PERSON_KIND_STUDENT)
        == students_before
    )

    # The corrected workbook is checked again; "Apply" imports the checked bytes even though
    # another file is chosen in the form below meanwhile (it is never uploaded again).
    fixed = tmp_path / "ученики-7а-исправлено.xlsx"
    fixed.write_bytes(
        workbook(
            [
                header,
                ["ученик", "Орлов", "Игорь", "", good, date(2014, 5, 6)],
                ["ученик", "Белова", "Нина", "", bad, date(2013, 2, 28)],
            ]
        )
    )
    await page.get_by_label("Файл (CSV или XLSX)").set_input_files(fixed)
    await check.click()
    await expect(page.get_by_text("Проверен файл «ученики-7а-исправлено.xlsx».")).to_be_visible()
    await expect(page.get_by_text("ошибок нет")).to_be_visible()
    await page.get_by_label("Файл (CSV или XLSX)").set_input_files(first)
    await page.get_by_role("button", name="Применить: загрузить 2 строки").click()
    accounts = page.get_by_role("table", name="Созданные учётные записи")
    await expect(accounts.get_by_role("row")).to_have_count(3)
    await expect(accounts).to_contain_text(good)
    await expect(accounts).to_contain_text(bad)
    await page.screenshot(path=screenshots / "3-import-xlsx-applied.png", full_page=True)
    students = await people_of(stack, district_admin, school, people_pb2.PERSON_KIND_STUDENT)
    assert {good, bad} <= set(students)
    for login in (good, bad):
        account = keycloak.user(login)
        assert account is not None and account["enabled"] is True
