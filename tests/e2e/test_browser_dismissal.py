"""A dismissed teacher is signed out (R-4.3): signed in in a real browser (headless Chromium),
dismissed by the district's administrator, and at their next page load after the gateway's
session re-validation (2 s in the test stack) they are no longer signed in, their old session
cookie no longer opens the REST API, and signing in again needs Keycloak's login page."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from pathlib import Path

import httpx
import pytest
from e2e.browser import sign_in, site
from e2e.world import Identity, hire, new_institution
from playwright.async_api import Page, expect

from zhurnal.identity.v1 import access_pb2, people_pb2
from zhurnal_gateway.sessions import SESSION_COOKIE
from zhurnal_kit.pytest_plugin import Person, Stack
from zhurnal_kit.testing import KeycloakAdmin

pytestmark = pytest.mark.infra

SIGNED_OUT = "Вы не вошли в систему."
# The stack re-validates sessions at Keycloak every 2 s; this bounds a slow, busy machine.
DEADLINE_S = 30.0


async def api_status(stack: Stack, cookie: str, path: str) -> int:
    """The status of a GET of the REST API with only the given session cookie."""
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as http:
        reply = await http.get(path, headers={"Cookie": f"{SESSION_COOKIE}={cookie}"})
    return reply.status_code


async def test_a_dismissed_teacher_is_signed_out_at_their_next_page_load(
    stack: Stack,
    district_admin: Person,
    keycloak: KeycloakAdmin,
    page: Page,
    screenshots: Path,
) -> None:
    institution = await new_institution(stack, district_admin)
    async with Identity(stack, district_admin.token()) as admin:
        teacher = await hire(stack, admin, keycloak, institution, "teacher")
    start = site(stack) + "/"
    signed_in_as = page.get_by_text("Вы вошли как Ёлкина-Щукина Анна Сергеевна.")

    await sign_in(page, stack, teacher.login, teacher.password, "/")
    await expect(signed_in_as).to_be_visible()
    cookie = next(c["value"] for c in await page.context.cookies() if c["name"] == SESSION_COOKIE)
    assert await api_status(stack, cookie, f"/api/v1/institutions/{institution}") == 200
    await page.screenshot(path=screenshots / "1-signed-in-before-dismissal.png", full_page=True)

    async with Identity(stack, district_admin.token()) as admin:
        dismissed = await admin.call(
            admin.people.DismissStaff,
            people_pb2.DismissStaffRequest(
                person_id=teacher.person_id,
                basis=access_pb2.Basis(number="41-к", date=date.today().isoformat()),
            ),
        )
    assert dismissed.person.account_status == people_pb2.ACCOUNT_STATUS_DISABLED
    assert [b.end_reason for b in dismissed.ended] == ["dismissed"]

    # The next page loads: signed out as soon as the session is re-validated at Keycloak.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE_S
    while True:
        await page.goto(start)
        if await page.get_by_text(SIGNED_OUT).count():
            break
        assert loop.time() < deadline, "the dismissed teacher is still signed in"
        await asyncio.sleep(0.5)
    await expect(page.get_by_text(SIGNED_OUT)).to_be_visible()
    await expect(page.get_by_text("Вы вошли как")).to_have_count(0)
    await expect(page.get_by_role("button", name="Выйти")).to_have_count(0)
    await expect(page.get_by_role("navigation", name="Главное меню")).to_have_count(0)
    # The browser was told to forget the ended session.
    assert SESSION_COOKIE not in {c["name"] for c in await page.context.cookies()}
    await page.screenshot(path=screenshots / "2-signed-out-after-dismissal.png", full_page=True)

    # The old cookie opens nothing of the API any more (no session, no person).
    assert await api_status(stack, cookie, f"/api/v1/institutions/{institution}") == 401
    assert await api_status(stack, cookie, f"/api/v1/people/{teacher.person_id}") == 401

    # A page that needs a person sends the browser to Keycloak's login: its session ended too.
    await page.goto(site(stack) + "/diary")
    await expect(page).to_have_url(re.compile(re.escape(stack.infra.keycloak_url) + "/"))
    await expect(page.get_by_role("heading", name="Вход в учетную запись")).to_be_visible()
    await page.screenshot(path=screenshots / "3-keycloak-login-again.png", full_page=True)
    # And a disabled account cannot sign in there.
    await page.get_by_label("Имя пользователя").fill(teacher.login)
    await page.get_by_label("Пароль", exact=True).fill(teacher.password)
    await page.get_by_role("button", name="Вход").click()
    await expect(page).to_have_url(re.compile(re.escape(stack.infra.keycloak_url) + "/"))
    await expect(
        page.get_by_text(re.compile("заблокирована|отключена|disabled", re.I))
    ).to_be_visible()
    await page.screenshot(path=screenshots / "4-disabled-account-refused.png", full_page=True)
