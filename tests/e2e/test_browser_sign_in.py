"""A teacher signs in and out in a real browser: headless Chromium (Debian's) on the gateway's
start page and on Keycloak's own login page.

The gateway is opened as http://localhost:PORT: the realm's redirect URIs accept
http://localhost:* for any port (docs/infra-notes.md).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from e2e.world import Identity, hire, new_institution
from playwright.async_api import Page, expect

from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra


async def test_teacher_signs_in_on_keycloak_and_out_again(
    stack: Stack,
    district_admin: Person,
    keycloak: KeycloakAdmin,
    page: Page,
    screenshots: Path,
) -> None:
    institution = await new_institution(stack, district_admin)
    async with Identity(stack, district_admin.token()) as admin:
        teacher = await hire(stack, admin, keycloak, institution, "teacher")
    start = stack.gateway_url.replace("http://127.0.0.1", "http://localhost") + "/"
    keycloak_page = re.compile(re.escape(stack.infra.keycloak_url) + "/")
    sign_in_form = page.get_by_role("heading", name="Вход в учетную запись")

    await page.goto(start)
    await expect(page.get_by_text("Вы не вошли в систему.")).to_be_visible()
    await page.get_by_role("link", name="Войти").click()

    await expect(page).to_have_url(keycloak_page)
    await expect(sign_in_form).to_be_visible()
    await page.get_by_label("Имя пользователя").fill(teacher.login)
    await page.get_by_label("Пароль", exact=True).fill(teacher.password)
    await page.screenshot(path=screenshots / "1-keycloak-sign-in.png")
    await page.get_by_role("button", name="Вход").click()

    await expect(page).to_have_url(start)
    await expect(page.get_by_text("Вы вошли как Ёлкина-Щукина Анна Сергеевна.")).to_be_visible()
    await page.screenshot(path=screenshots / "2-signed-in.png")

    await page.get_by_role("button", name="Выйти").click()

    await expect(page).to_have_url(start)
    await expect(page.get_by_text("Вы не вошли в систему.")).to_be_visible()
    await expect(page.get_by_text("Вы вошли как")).to_have_count(0)
    await page.screenshot(path=screenshots / "3-signed-out.png")
    # Keycloak's session ended too: signing in again asks for the password.
    await page.get_by_role("link", name="Войти").click()
    await expect(page).to_have_url(keycloak_page)
    await expect(sign_in_form).to_be_visible()
