"""The district's summary in a real browser: counts per institution, nothing personal, and
refused to anyone without a district role."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e.browser import sign_in, site
from e2e.journal_world import class_journal
from playwright.async_api import Page, expect

from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra


async def test_the_district_sees_each_institutions_overdue_lessons_and_a_teacher_does_not(
    stack: Stack,
    district_admin: Person,
    keycloak: KeycloakAdmin,
    page: Page,
    screenshots: Path,
) -> None:
    world = await class_journal(stack, district_admin, keycloak)
    first, last = world.earlier.date.iso, world.ahead.date.iso

    await sign_in(page, stack, district_admin.username, district_admin.password)
    await page.get_by_role("link", name="Сводка по району").first.click()
    await page.get_by_label("С", exact=True).fill(first)
    await page.get_by_label("По", exact=True).fill(last)
    await page.get_by_role("button", name="Показать").click()

    row = page.locator(f"#institution-{world.institution_id}")
    cells = row.get_by_role("cell")
    # earlier, yesterday and ahead: three scheduled; yesterday's and earlier's deadlines have
    # passed with no topic.
    await expect(cells.nth(0)).to_have_text("3")
    await expect(cells.nth(1)).to_have_text("2")
    await expect(cells.nth(2)).to_have_text("0")
    await expect(cells.nth(4)).to_have_text("2")
    await expect(cells.nth(5)).to_have_text("100 %")
    table = await page.locator("#district-summary").inner_text()
    for person in (world.teacher, world.deputy, *world.students):
        assert person.person_id not in table
    await page.screenshot(path=screenshots / "1-district-summary.png", full_page=True)
    await page.set_viewport_size({"width": 375, "height": 800})
    await page.screenshot(path=screenshots / "2-district-summary-phone.png", full_page=True)

    # A teacher has no district role: no menu entry, and the page itself is refused.
    context = await page.context.browser.new_context(locale="ru-RU")  # type: ignore[union-attr]
    try:
        teacher = await context.new_page()
        await sign_in(teacher, stack, world.teacher.login, world.teacher.password)
        await expect(teacher.get_by_role("link", name="Сводка по району")).to_have_count(0)
        refused = await teacher.goto(site(stack) + "/district")
        assert refused is not None and refused.status == 403
        await expect(
            teacher.get_by_text("У вас нет права видеть или изменять это.")
        ).to_be_visible()
    finally:
        await context.close()
